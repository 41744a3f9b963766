// `boomi-sched exec JOB [--wait] [--config PATH]` (product.md §1): submits one run of a job
// directly (no daemon), prints its requestId, and with --wait polls it to a terminal status.
// Exit 0 only for COMPLETE / COMPLETE_WARN (or a plain submit that was accepted), else 1.
//
// The run is tracked with the daemon's decisions (daemon/core/decisions.h): submit retries,
// poll pacing, the async result's expiry, timeouts and the terminal mapping of the platform's
// status. It is recorded in the state database (trigger exec) when that opens for writing, so
// `history` and `status` show it; otherwise exec warns once and runs unrecorded. A run left in
// flight (no --wait, an uncertain trigger, a wait cut short) is tracked to its end by the
// daemon's recovery at its next start.
//
// Retries: permanent errors never; a 401 never (platform-api.md: never retry quickly on 401,
// repeated failures can lock the account; exec ends and names the credentials to check);
// throttled and retry_later triggers (nothing was accepted) within the job's submit_retry
// policy and submit deadline; an uncertain trigger is never resent.
#include "base/clock.h"
#include "base/timers.h"
#include "config/escape.h"
#include "config/loader.h"
#include "daemon/cli/command.h"
#include "daemon/cli/exec_record.h"
#include "daemon/cli/open_state.h"
#include "daemon/core/decisions.h"
#include "daemon/platform/boomi_client.h"
#include "daemon/platform/request_builder.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <random>
#include <string>

namespace bsched::cli {

namespace {

namespace asio = boost::asio;
using asio::awaitable;
using platform::CallError;
using platform::FailureKind;

struct ExecOptions {
  std::string job;
  bool wait = false;
  std::optional<std::string> config;
};

std::string describe(const CallError& e) {
  auto message = escape_text(e.message);  // the platform's words, printed to a terminal
  auto what = e.http_status ? fmt::format("HTTP {}: {}", e.http_status, message) : message;
  switch (e.kind) {
    case FailureKind::permanent: return "the platform rejected the call (" + what + ")";
    case FailureKind::auth:
      return "authentication failed (" + what +
             "); check platform.username and the API token (token_file / token_env)";
    case FailureKind::throttled: return "the platform is throttling calls (" + what + ")";
    case FailureKind::retry_later: return "the platform is unavailable (" + what + ")";
    case FailureKind::uncertain: return what;
    case FailureKind::bad_response: return "the platform's answer was not understood (" + what + ")";
    case FailureKind::withheld: return what;
  }
  return what;
}

std::string count(const std::optional<std::int64_t>& n) { return n ? std::to_string(*n) : "-"; }

void print_record(const platform::ExecutionRecord& r) {
  fmt::print("executionId: {}\n", r.execution_id.empty() ? "-" : escape_text(r.execution_id));
  fmt::print("status: {}\n", escape_text(r.status));
  std::optional<Millis> duration;
  if (r.execution_duration_ms) duration = Millis{*r.execution_duration_ms};
  else if (r.execution_time && r.recorded_date)
    duration = std::chrono::duration_cast<Millis>(*r.recorded_date - *r.execution_time);
  fmt::print("duration: {}\n", duration ? format_duration(*duration) : "-");
  fmt::print("documents: inbound {}, inbound errors {}, outbound {}\n",
             count(r.inbound_document_count), count(r.inbound_error_document_count),
             count(r.outbound_document_count));
  if (!r.message.empty()) fmt::print("message: {}\n", escape_text(r.message));
}

SysMillis wall_now() {
  return std::chrono::time_point_cast<Millis>(std::chrono::system_clock::now());
}

double random01() {
  static std::mt19937_64 engine{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
}

awaitable<void> sleep_until(SysMillis at) {
  asio::steady_timer t(co_await asio::this_coro::executor, std::max(at - wall_now(), Millis{0}));
  co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
}

// One exec run: the platform, the job, and its record (memory and, when open, the store).
struct ExecRun {
  platform::PlatformClient& client;
  const config::Job& job;
  ExecRecord& record;
};

// Sends the request until it is accepted, refused or uncertain (core::on_submit_answer).
// nullopt once a requestId came back (the run is `submitted`), else the exit code.
awaitable<std::optional<int>> submit(ExecRun& x, const platform::ExecutionRequest& req) {
  for (;;) {
    auto answer = co_await x.client.submit(req);
    auto now = wall_now();
    if (answer) {
      x.record.apply(core::on_submit_answer(x.record.row(), x.job, answer, now, random01()), now);
      co_return std::nullopt;
    }
    const auto& e = answer.error();
    auto step = e.kind == FailureKind::auth
                    ? core::on_auth_refused(e, now)
                    : core::on_submit_answer(x.record.row(), x.job, answer, now, random01());
    x.record.apply(step, now);
    if (step.kind != core::RunStep::Kind::resend) {
      // Refused, retries spent, or an uncertain outcome (reconciled by the daemon later).
      fmt::print(stderr, "exec: job '{}' was not started: {}\n", x.job.name, describe(e));
      co_return k_exit_failure;
    }
    fmt::print(stderr, "exec: {}; trying again in {}\n", describe(e),
               format_duration(std::max(step.at - now, Millis{0})));
    co_await sleep_until(step.at);
    x.record.resend(wall_now());
  }
}

// Consecutive failed polls after which exec stops waiting (the run stays in flight).
inline constexpr int k_max_failed_polls = 10;

struct WaitState {
  bool query = false;  // the async result expired: the run is looked up by query
  int polls = 0;       // answered polls and queries (drives the poll delay)
  int failures = 0;    // consecutive failed polls
  std::string last_status;
  std::optional<platform::ExecutionRecord> record;  // the latest record seen
};

// One poll. An exit code when exec stops waiting before the run ends.
awaitable<std::optional<int>> poll_once(ExecRun& x, WaitState& st) {
  const auto& row = x.record.row();
  auto answer = co_await x.client.poll(row.request_id);
  auto now = wall_now();
  auto step = core::on_poll_answer(row, x.job, answer, now, st.polls, random01());
  if (answer) {
    ++st.polls;
    st.failures = 0;
    if (answer->kind == platform::PollResult::Kind::record) st.record = answer->record;
    if (answer->kind == platform::PollResult::Kind::gone) {
      fmt::print(stderr, "exec: the async result expired; looking the run up by query\n");
      st.query = true;
    }
    x.record.apply(step, now);
    co_return std::nullopt;
  }
  const auto& e = answer.error();
  fmt::print(stderr, "exec: poll failed: {}\n", describe(e));
  x.record.apply(step, now);
  if (e.kind == FailureKind::auth) {
    // The run was started; a 401 now ends the wait rather than polling on (see above).
    fmt::print(stderr, "exec: stopped waiting; the run was started (requestId {}): look it up "
                       "on the platform once the credentials are fixed\n",
               row.request_id);
    co_return k_exit_failure;
  }
  if (++st.failures >= k_max_failed_polls) co_return k_exit_failure;
  co_return std::nullopt;
}

// One query for the run (core::on_reconcile_answer).
awaitable<void> query_once(ExecRun& x, WaitState& st) {
  const auto& row = x.record.row();
  auto answer = co_await x.client.query(core::reconcile_query(row, x.job, wall_now()));
  auto now = wall_now();
  if (!answer) fmt::print(stderr, "exec: query fallback failed: {}\n", describe(answer.error()));
  auto step = core::on_reconcile_answer(row, x.job, answer, x.record.claimed(x.job), now,
                                        st.polls++, random01());
  if (answer && step.update.execution_id) {
    for (const auto& r : *answer) {
      if (r.execution_id == *step.update.execution_id) st.record = r;
    }
  }
  x.record.apply(step, now);
}

// Polls (then queries, once the async result expired) until the run ends.
awaitable<int> wait_for_end(ExecRun& x) {
  WaitState st;
  for (;;) {
    const auto& row = x.record.row();
    co_await sleep_until(row.next_action_at.value_or(wall_now()));
    if (st.query) {
      co_await query_once(x, st);
    } else if (auto code = co_await poll_once(x, st)) {
      co_return *code;
    }
    if (st.record && st.record->status != st.last_status) {
      fmt::print(stderr, "exec: status {}\n", escape_text(st.record->status));
      st.last_status = st.record->status;
    }
    if (!storage::is_terminal(row.state)) continue;
    if (st.record && core::terminal_state_for(st.record->status)) {
      print_record(*st.record);
    } else {
      // Ended without a terminal record: lost, timed out, unknown, or the poll refused.
      fmt::print(stderr, "exec: {} (requestId {})\n", escape_text(row.last_error), row.request_id);
    }
    co_return storage::is_success(row.state) ? k_exit_ok : k_exit_failure;
  }
}

awaitable<int> exec_job(ExecRun& x, bool wait) {
  auto now = wall_now();
  config::PlaceholderContext ctx;
  ctx.job = x.job.name;
  ctx.run_id = platform::make_run_id();
  ctx.scheduled = std::chrono::floor<std::chrono::seconds>(now);
  ctx.zone = x.job.settings->zone;
  auto req = platform::make_execution_request(x.job, ctx);
  storage::NewRun run{ctx.run_id, x.job.name, storage::Trigger::exec, ctx.scheduled,
                      platform::properties_json(req)};
  run.submitting = true;
  x.record.begin(run, now);
  if (auto code = co_await submit(x, req)) co_return *code;
  const auto& row = x.record.row();
  fmt::print("requestId: {}\nrunId: {}\n", escape_text(row.request_id), ctx.run_id);
  std::fflush(stdout);
  if (!wait) co_return k_exit_ok;
  co_return co_await wait_for_end(x);
}

// The state database of `cfg`, opened as `trigger` / `pause` / `resume` open it; null after
// one warning line when it cannot be (the run then goes unrecorded).
std::unique_ptr<storage::RunStore> open_record_store(const config::Config& cfg) {
  auto store = open_configured_store(
      "exec", cfg, {.mode = storage::OpenMode::read_write, .create_db = true});
  if (store) return std::move(*store);
  fmt::print(stderr, "exec: warning: this run is not recorded in the state database, so history "
                     "and status will not show it: {}\n",
             store.error().message);
  return nullptr;
}

int run_exec(const ExecOptions& o) {
  auto path = config::resolve_config_path(o.config);
  auto loaded = config::load_config(path);
  if (!loaded) {
    config::print_diagnostics(stderr, loaded.error());
    fmt::print(stderr, "exec: the configuration {} is not valid (see `boomi-sched validate`)\n", path);
    return k_exit_failure;
  }
  const auto& cfg = *loaded->config;
  const auto* job = cfg.find_job(o.job);
  if (!job) {
    std::string names;
    for (const auto& j : cfg.jobs) names += (names.empty() ? "" : ", ") + j.name;
    fmt::print(stderr, "exec: no job named '{}' in {} (jobs: {})\n", o.job, path, names);
    return k_exit_failure;
  }
  ExecRecord record(open_record_store(cfg));
  asio::io_context io;
  SystemClock clock;
  SteadyTimerFactory timers(io);
  auto client = platform::make_platform_client(io, cfg.platform, clock, timers);
  ExecRun run{*client, *job, record};
  int code = k_exit_failure;
  asio::co_spawn(io, exec_job(run, o.wait), [&](std::exception_ptr e, int c) {
    if (e) fmt::print(stderr, "exec: unexpected internal error; please report it\n");
    else code = c;
  });
  io.run();
  return code;
}

}  // namespace

void add_exec_command(CLI::App& root, Action& chosen) {
  auto opts = std::make_shared<ExecOptions>();
  auto* cmd = root.add_subcommand(
      "exec", "Submit one run of a job now (without the daemon); print its requestId");
  cmd->add_option("job", opts->job, "the job to run")->required();
  cmd->add_flag("--wait", opts->wait,
                "poll the run to its end and print the outcome; exit 0 only for COMPLETE / "
                "COMPLETE_WARN");
  cmd->add_option("--config", opts->config,
                  k_config_help);
  cmd->callback([&chosen, opts] { chosen = [opts] { return run_exec(*opts); }; });
}

}  // namespace bsched::cli
