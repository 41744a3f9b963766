// The daemon's process shell around the scheduler (product.md §5): it starts the scheduler,
// tells systemd (READY=1, STATUS=, RELOADING=1/READY=1, WATCHDOG=1, STOPPING=1), answers
// signals (SIGTERM/SIGINT stop, SIGHUP reloads), reloads the configuration when its files
// change, passes wall-clock steps and operator commands to the scheduler, and stops within
// a hard bound.
//
// Everything runs on the single-threaded io_context given; only StopDeadline has a thread.
#pragma once

#include "config/config.h"
#include "config/loader.h"
#include "daemon/runtime/clock_watch.h"
#include "daemon/runtime/debounce.h"
#include "daemon/runtime/file_watch.h"
#include "daemon/runtime/notify.h"
#include "daemon/runtime/scheduler.h"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace bsched::runtime {

using namespace std::chrono_literals;

// The hard bound on stopping: once armed, the process exits with status 1 (and a log line)
// unless disarm() comes first. A thread, so that it also fires when the event loop is stuck.
class StopDeadline {
 public:
  StopDeadline() = default;
  ~StopDeadline() { disarm(); }
  StopDeadline(const StopDeadline&) = delete;
  StopDeadline& operator=(const StopDeadline&) = delete;

  void arm(std::chrono::milliseconds bound);
  void disarm();

 private:
  std::mutex m_mutex;
  std::condition_variable m_cv;
  bool m_disarmed = false;
  std::thread m_thread;
};

struct SupervisorSettings {
  std::string config_path;  // the main configuration file (reloads, watching)
  std::string db_path;      // the state database: operator commands arrive through its WAL
  Millis reload_quiet = 200ms;   // a config edit is read once its files were quiet this long
  Millis reload_max = 2s;        // … but at most this long after the first event
  Millis command_quiet = 20ms;   // database writes coalesce into one check_commands()
  Millis command_max = 200ms;
  Millis status_interval = 1s;   // STATUS= at most this often
  Millis stop_bound = 5s;        // SIGTERM to exit, hard bound
  bool watch_files = true;       // inotify on the configuration and the database
  // Nonzero: operator commands are looked for this often instead of on the database file's
  // changes (a PostgreSQL store has no file to watch).
  Millis command_poll{0};
  config::LoadOptions load_options;  // for reloads (its env_tokens outlive the supervisor)
};

// What a reload ended in (written to the state database for `status`).
struct ReloadOutcome {
  bool failed = false;      // the new configuration was refused; the previous one runs on
  int errors = 0;           // its errors (warnings not counted)
  std::string first_error;  // the first one, as `validate` prints it
};

class Supervisor {
 public:
  // Called after a valid, changed configuration was swapped in (e.g. to give the platform
  // client new credentials).
  using ReloadHook = std::function<void(const config::Config& old, const config::Config& next)>;

  Supervisor(boost::asio::io_context& io, Scheduler& scheduler, Notifier& notifier,
             StopDeadline& deadline, SupervisorSettings settings,
             std::shared_ptr<const config::Config> config);
  ~Supervisor();
  Supervisor(const Supervisor&) = delete;
  Supervisor& operator=(const Supervisor&) = delete;

  void set_reload_hook(ReloadHook hook) { m_reload_hook = std::move(hook); }
  // Called after every reload attempt, accepted or refused.
  using ReloadOutcomeHook = std::function<void(const ReloadOutcome&)>;
  void set_reload_outcome_hook(ReloadOutcomeHook hook) { m_outcome_hook = std::move(hook); }

  // Starts the scheduler and runs until a stop signal; returns the exit code (0 after a
  // clean stop, 1 when the scheduler failed to start). Never throws.
  boost::asio::awaitable<int> run();

  // What SIGTERM / SIGHUP do (tests and the signal handler).
  void request_stop(const std::string& why);
  void reload(const std::string& why);

  std::shared_ptr<const config::Config> config() const { return m_config; }

 private:
  void arm_signals();
  void start_watchers();
  void watch_config_dir();
  void watch_jobs_dir();
  void watch_database();
  void config_event();
  void command_event();
  void run_debounced(Debouncer& d, boost::asio::steady_timer& t, void (Supervisor::*action)());
  void reload_from_files();
  void take_commands();
  void refresh_status();
  void start_watchdog();
  void poll_commands();
  void send(const std::string& message) { m_notifier.send(message); }
  bool apply(std::shared_ptr<const config::Config> next, const std::string& why);

  boost::asio::io_context& m_io;
  Scheduler& m_scheduler;
  Notifier& m_notifier;
  StopDeadline& m_deadline;
  SupervisorSettings m_settings;
  std::shared_ptr<const config::Config> m_config;
  ReloadHook m_reload_hook;
  ReloadOutcomeHook m_outcome_hook;

  boost::asio::signal_set m_signals;
  FileWatcher m_files;
  ClockStepWatcher m_clock;
  Debouncer m_reload_debounce;
  Debouncer m_command_debounce;
  StatusThrottle m_status;
  RuntimeNote m_note;
  boost::asio::steady_timer m_reload_timer;
  boost::asio::steady_timer m_command_timer;
  boost::asio::steady_timer m_status_timer;
  boost::asio::steady_timer m_watchdog_timer;
  boost::asio::steady_timer m_poll_timer;
  boost::asio::steady_timer m_stop_wait;  // cancelled to wake run() for the stop
  bool m_started = false;
  bool m_stopping = false;
};

// True when the settings the platform client was built from are unchanged.
bool same_platform(const config::Platform& a, const config::Platform& b);

}  // namespace bsched::runtime
