#include "daemon/runtime/supervisor.h"

#include "config/escape.h"
#include "config/loader.h"

#include <malloc.h>
#include <signal.h>
#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <filesystem>

namespace bsched::runtime {

namespace asio = boost::asio;
namespace fs = std::filesystem;

namespace {

// Loading a configuration leaves free pages scattered through the heap (the parse tree and
// the text are gone once the jobs are built); hand them back, so a large job set does not keep
// the load's footprint for the daemon's life.
void release_free_memory() {
  ::malloc_trim(0);
}

}  // namespace

void StopDeadline::arm(std::chrono::milliseconds bound) {
  if (m_thread.joinable()) return;
  m_thread = std::thread([this, bound] {
    std::unique_lock lock(m_mutex);
    if (m_cv.wait_for(lock, bound, [this] { return m_disarmed; })) return;
    spdlog::critical("daemon.stop_timeout bound_ms={} action=exit status=1", bound.count());
    spdlog::default_logger()->flush();
    std::_Exit(1);
  });
}

void StopDeadline::disarm() {
  {
    std::lock_guard lock(m_mutex);
    m_disarmed = true;
  }
  m_cv.notify_all();
  if (m_thread.joinable()) m_thread.join();
}

bool same_platform(const config::Platform& a, const config::Platform& b) {
  return a.account_id == b.account_id && a.base_url == b.base_url && a.username == b.username &&
         a.token == b.token && a.requests_per_second == b.requests_per_second &&
         a.timeout == b.timeout && a.ca_file == b.ca_file && a.api == b.api &&
         a.space_guid == b.space_guid && a.graphql_url == b.graphql_url && a.jwt_url == b.jwt_url;
}

Supervisor::Supervisor(asio::io_context& io, Scheduler& scheduler, Notifier& notifier,
                       StopDeadline& deadline, SupervisorSettings settings,
                       std::shared_ptr<const config::Config> config)
    : m_io(io),
      m_scheduler(scheduler),
      m_notifier(notifier),
      m_deadline(deadline),
      m_settings(std::move(settings)),
      m_config(std::move(config)),
      m_signals(io),
      m_files(io),
      m_clock(io),
      m_reload_debounce(m_settings.reload_quiet, m_settings.reload_max),
      m_command_debounce(m_settings.command_quiet, m_settings.command_max),
      m_status(m_settings.status_interval),
      m_reload_timer(io),
      m_command_timer(io),
      m_status_timer(io),
      m_watchdog_timer(io),
      m_poll_timer(io),
      m_stop_wait(io) {}

Supervisor::~Supervisor() = default;

asio::awaitable<int> Supervisor::run() {
  arm_signals();  // before start(): a SIGTERM during recovery stops right after it
  send(status_message(k_starting_status));
  auto started = co_await m_scheduler.start();
  if (!started) {
    spdlog::critical("daemon.start_failed error=\"{}\"", started.error().message);
    boost::system::error_code ignored;
    m_signals.cancel(ignored);
    co_return 1;
  }
  m_started = true;
  release_free_memory();
  if (!m_stopping) {
    if (m_settings.watch_files) start_watchers();
    auto line = status_line(m_scheduler.stats(), m_note);
    send(ready_message(line));
    m_status.mark_sent(line, std::chrono::steady_clock::now());
    spdlog::info("daemon.ready pid={} jobs={} config={} db={}", ::getpid(), m_config->jobs.size(),
                 m_settings.config_path, m_settings.db_path);
    start_watchdog();
    if (m_settings.command_poll > Millis::zero()) poll_commands();
    m_stop_wait.expires_at(asio::steady_timer::time_point::max());
    co_await m_stop_wait.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  // Stopping: no new work from signals, files or timers; the scheduler finishes its
  // transactions; the caller closes the store.
  m_files.stop();
  m_clock.stop();
  for (auto* t : {&m_reload_timer, &m_command_timer, &m_status_timer, &m_watchdog_timer,
                  &m_poll_timer}) {
    t->cancel();
  }
  co_await m_scheduler.stop();
  boost::system::error_code ignored;
  m_signals.cancel(ignored);
  spdlog::info("daemon.stopped");
  co_return 0;
}

void Supervisor::request_stop(const std::string& why) {
  if (m_stopping) return;
  m_stopping = true;
  m_deadline.arm(m_settings.stop_bound);
  spdlog::info("daemon.stopping reason={}", why);
  m_note.stopping = true;
  send(std::string(k_stopping_message) + "\n" + status_message(status_line(
                                                     m_scheduler.stats(), m_note)));
  m_stop_wait.cancel();
}

void Supervisor::arm_signals() {
  m_signals.add(SIGTERM);
  m_signals.add(SIGINT);
  m_signals.add(SIGHUP);
  m_signals.async_wait([this](boost::system::error_code ec, int sig) {
    if (ec) return;
    if (sig == SIGHUP) {
      if (m_started && !m_stopping) reload("sighup");
    } else {
      request_stop(sig == SIGTERM ? "sigterm" : "sigint");
    }
    arm_signals();
  });
}

void Supervisor::reload(const std::string& why) {
  send(reloading_message(monotonic_now()));
  auto loaded = config::load_config(m_settings.config_path, m_settings.load_options);
  ReloadOutcome outcome;
  if (!loaded) {
    for (const auto& d : loaded.error()) {
      if (!d.warning && outcome.errors++ == 0) outcome.first_error = d.to_string();
      spdlog::error("config.reload_failed reason={} problem=\"{}\"", why, esc(d.to_string()));
    }
    outcome.failed = true;
    spdlog::error("config.reload_failed reason={} errors={} action=keep_previous_config", why,
                  outcome.errors);
    m_note.reload_failed = true;
    m_note.reload_errors = outcome.errors;
  } else {
    for (const auto& w : loaded->warnings) {
      spdlog::warn("config.warning problem=\"{}\"", esc(w.to_string()));
    }
    m_note.reload_failed = false;
    apply(loaded->config, why);
  }
  if (m_outcome_hook) m_outcome_hook(outcome);
  loaded = {};  // the previous configuration too, unless runs in flight still hold it
  release_free_memory();
  auto line = status_line(m_scheduler.stats(), m_note);
  send(ready_message(line));
  m_status.mark_sent(line, std::chrono::steady_clock::now());
}

bool Supervisor::apply(std::shared_ptr<const config::Config> next, const std::string& why) {
  if (next->fingerprint == m_config->fingerprint) {
    spdlog::info("config.unchanged reason={}", why);
    return false;
  }
  if (next->storage.path != m_config->storage.path) {
    spdlog::warn("config.restart_needed setting=storage.path running={} configured={}",
                 m_config->storage.path, next->storage.path);
  }
  auto old = m_config;
  m_config = next;
  m_scheduler.reload(next);
  if (m_reload_hook) m_reload_hook(*old, *next);
  spdlog::info("config.reloaded reason={} jobs={} fingerprint={}", why, next->jobs.size(),
               next->fingerprint.substr(0, 12));
  return true;
}

void Supervisor::start_watchers() {
  if (auto r = m_files.start(); !r) {
    spdlog::warn("watch.unavailable error=\"{}\" effect=\"reload with SIGHUP; commands wait\"",
                 r.error().message);
  } else {
    watch_config_dir();
    watch_jobs_dir();
    if (m_settings.command_poll == Millis::zero()) watch_database();
  }
  auto r = m_clock.start([this] {
    spdlog::warn("clock.stepped now={}", format_utc_ms(std::chrono::time_point_cast<Millis>(
                                             std::chrono::system_clock::now())));
    m_scheduler.on_clock_step();
    refresh_status();
  });
  if (!r) spdlog::warn("clock.watch_unavailable error=\"{}\"", r.error().message);
}

void Supervisor::watch_config_dir() {
  auto main = fs::absolute(m_settings.config_path);
  auto name = main.filename().string();
  auto r = m_files.watch_directory(
      main.parent_path().string(), k_watch_changes,
      [name](std::string_view n) { return n == name || n == "jobs.d"; },
      [this](std::string_view n) {
        if (n == "jobs.d" || n.empty()) watch_jobs_dir();  // created, replaced or removed
        config_event();
      });
  if (!r) spdlog::warn("watch.failed what=config error=\"{}\"", r.error().message);
}

void Supervisor::watch_jobs_dir() {
  auto dir = fs::absolute(m_settings.config_path).parent_path() / "jobs.d";
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return;  // watched through its parent until it appears
  auto r = m_files.watch_directory(
      dir.string(), k_watch_changes,
      [](std::string_view n) { return n.size() > 5 && n.substr(n.size() - 5) == ".yaml"; },
      [this](std::string_view) { config_event(); });
  if (!r) spdlog::warn("watch.failed what=jobs.d error=\"{}\"", r.error().message);
}

void Supervisor::watch_database() {
  auto db = fs::absolute(m_settings.db_path);
  auto name = db.filename().string();
  auto r = m_files.watch_directory(
      db.parent_path().string(), 0x00000002 /*IN_MODIFY*/ | 0x00000100 /*IN_CREATE*/,
      [name](std::string_view n) { return n == name || n == name + "-wal"; },
      [this](std::string_view) { command_event(); });
  if (!r) spdlog::warn("watch.failed what=database error=\"{}\"", r.error().message);
}

void Supervisor::config_event() {
  if (m_stopping) return;
  m_reload_debounce.note(std::chrono::steady_clock::now());
  run_debounced(m_reload_debounce, m_reload_timer, &Supervisor::reload_from_files);
}

void Supervisor::command_event() {
  if (m_stopping) return;
  m_command_debounce.note(std::chrono::steady_clock::now());
  run_debounced(m_command_debounce, m_command_timer, &Supervisor::take_commands);
}

void Supervisor::run_debounced(Debouncer& d, asio::steady_timer& t, void (Supervisor::*action)()) {
  auto due = d.due();
  if (!due) return;
  t.expires_at(*due);
  t.async_wait([this, &d, &t, action](boost::system::error_code ec) {
    if (ec || m_stopping) return;
    if (d.fire(std::chrono::steady_clock::now())) (this->*action)();
    else run_debounced(d, t, action);
  });
}

void Supervisor::reload_from_files() { reload("file_changed"); }

void Supervisor::take_commands() {
  m_scheduler.check_commands();
  refresh_status();
}

void Supervisor::refresh_status() {
  auto now = std::chrono::steady_clock::now();
  auto line = m_status.offer(status_line(m_scheduler.stats(), m_note), now);
  if (line) {
    send(status_message(*line));
    return;
  }
  auto due = m_status.due();
  if (!due) return;
  m_status_timer.expires_at(*due);
  m_status_timer.async_wait([this](boost::system::error_code ec) {
    if (ec || m_stopping) return;
    if (auto l = m_status.flush(std::chrono::steady_clock::now())) send(status_message(*l));
  });
}

void Supervisor::start_watchdog() {
  auto timeout = m_notifier.watchdog_timeout();
  if (!timeout) return;
  auto period = watchdog_period(*timeout);
  m_watchdog_timer.expires_after(period);
  m_watchdog_timer.async_wait([this](boost::system::error_code ec) {
    if (ec || m_stopping) return;
    send(k_watchdog_message);
    refresh_status();  // also catches changes no file event announced (platform state)
    start_watchdog();
  });
}

void Supervisor::poll_commands() {
  m_poll_timer.expires_after(m_settings.command_poll);
  m_poll_timer.async_wait([this](boost::system::error_code ec) {
    if (ec || m_stopping) return;
    take_commands();
    poll_commands();
  });
}

}  // namespace bsched::runtime
