// `boomi-sched exec JOB [--wait] [--config PATH]` (product.md §1): submits one run of a job
// directly (no daemon, no database), prints its requestId, and with --wait polls it to a
// terminal status. Exit 0 only for COMPLETE / COMPLETE_WARN (or a plain submit that was
// accepted), else 1.
//
// Retries: permanent errors never; a 401 never (platform-api.md: never retry quickly on 401,
// repeated failures can lock the account; exec ends and names the credentials to check);
// throttled and retry_later triggers (nothing was accepted) within the job's submit_retry
// policy; an uncertain trigger is never resent.
#include "config/escape.h"
#include "config/loader.h"
#include "daemon/cli/command.h"
#include "daemon/platform/boomi_client.h"
#include "daemon/platform/classify.h"
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
#include <string>

// GCC 12 reports a false -Wmismatched-new-delete on Asio's coroutine frames (GCC bug 109224).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace bsched::cli {

namespace {

namespace asio = boost::asio;
using asio::awaitable;
using platform::CallError;
using platform::FailureKind;
using std::chrono::sys_seconds;

struct ExecOptions {
  std::string job;
  bool wait = false;
  std::optional<std::string> config;
};

awaitable<void> sleep_for(Millis d) {
  asio::steady_timer t(co_await asio::this_coro::executor, d);
  co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
}

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
  }
  return what;
}

// Submits with the retry rules of the file comment.
awaitable<platform::CallResult<platform::SubmitResult>> submit_with_retries(
    platform::PlatformClient& client, const platform::ExecutionRequest& req,
    const config::RetryPolicy& policy) {
  Millis delay = policy.initial;
  for (int attempt = 1;; ++attempt) {
    auto r = co_await client.submit(req);
    if (r) co_return r;
    const auto& e = r.error();
    bool transient = e.kind == FailureKind::throttled || e.kind == FailureKind::retry_later;
    if (!transient || attempt >= policy.attempts) co_return r;
    auto wait = std::max(delay, e.retry_after.value_or(Millis{0}));
    fmt::print(stderr, "exec: {}; trying again in {}\n", describe(e), format_duration(wait));
    co_await sleep_for(wait);
    delay = std::min(delay * 2, policy.max);
  }
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

bool terminal(const platform::ExecutionRecord& r) {
  return platform::classify_status(r.status) != platform::RemoteStatus::in_progress;
}

// After the async result expired: find the run through the query API, by executionId when
// one was seen, else the first run of the job that started at or after the submit.
awaitable<std::optional<platform::ExecutionRecord>> find_by_query(
    platform::PlatformClient& client, const config::Job& job, sys_seconds submitted,
    const std::string& execution_id) {
  auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  platform::RecordQuery q{job.process_id, job.settings->atom_id,
                          submitted - std::chrono::minutes{1}, now + std::chrono::minutes{1}};
  auto r = co_await client.query(q);
  if (!r) {
    fmt::print(stderr, "exec: query fallback failed: {}\n", describe(r.error()));
    co_return std::nullopt;
  }
  for (const auto& rec : *r) {
    if (!execution_id.empty() ? rec.execution_id == execution_id
                              : rec.execution_time && *rec.execution_time >= submitted)
      co_return rec;
  }
  co_return std::nullopt;
}

struct WaitState {
  std::string execution_id;
  std::string last_status;
  int failures = 0;  // consecutive failed polls
  bool gone = false;
};

// One poll (or query, once the async result is gone). Returns an exit code when done.
awaitable<std::optional<int>> wait_step(platform::PlatformClient& client, const config::Job& job,
                                        const std::string& request_id, sys_seconds submitted,
                                        WaitState& st) {
  std::optional<platform::ExecutionRecord> record;
  if (st.gone) {
    record = co_await find_by_query(client, job, submitted, st.execution_id);
  } else {
    auto r = co_await client.poll(request_id);
    if (!r) {
      const auto& e = r.error();
      fmt::print(stderr, "exec: poll failed: {}\n", describe(e));
      // The run was started; a 401 now ends the wait rather than polling on (see above).
      if (e.kind == FailureKind::permanent || e.kind == FailureKind::auth) {
        if (e.kind == FailureKind::auth)
          fmt::print(stderr, "exec: stopped waiting; the run was started (requestId {}): look "
                             "it up on the platform once the credentials are fixed\n",
                     request_id);
        co_return k_exit_failure;
      }
      if (++st.failures >= 10) co_return k_exit_failure;
      co_return std::nullopt;
    }
    st.failures = 0;
    if (r->kind == platform::PollResult::Kind::gone) {
      fmt::print(stderr, "exec: the async result expired; looking the run up by query\n");
      st.gone = true;
    }
    if (r->kind == platform::PollResult::Kind::record) record = r->record;
  }
  if (!record) co_return std::nullopt;
  if (!record->execution_id.empty()) st.execution_id = record->execution_id;
  if (record->status != st.last_status) fmt::print(stderr, "exec: status {}\n", escape_text(record->status));
  st.last_status = record->status;
  if (!terminal(*record)) co_return std::nullopt;
  print_record(*record);
  auto s = platform::classify_status(record->status);
  co_return s == platform::RemoteStatus::complete || s == platform::RemoteStatus::complete_warn
      ? k_exit_ok
      : k_exit_failure;
}

awaitable<int> wait_for_end(platform::PlatformClient& client, const config::Job& job,
                            const std::string& request_id, sys_seconds submitted) {
  WaitState st;
  Millis interval = job.settings->poll.initial;
  auto deadline = std::chrono::steady_clock::now() + job.settings->run_timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    co_await sleep_for(interval);
    if (auto code = co_await wait_step(client, job, request_id, submitted, st)) co_return *code;
    interval = std::min(interval * 2, job.settings->poll.max);
  }
  fmt::print(stderr, "exec: no terminal status within run_timeout {} (requestId {})\n",
             format_duration(job.settings->run_timeout), request_id);
  co_return k_exit_failure;
}

awaitable<int> exec_job(platform::PlatformClient& client, const config::Job& job, bool wait) {
  config::PlaceholderContext ctx;
  ctx.job = job.name;
  ctx.run_id = platform::make_run_id();
  ctx.scheduled = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  ctx.zone = job.settings->zone;
  auto req = platform::make_execution_request(job, ctx);
  auto r = co_await submit_with_retries(client, req, job.settings->submit_retry);
  if (!r) {
    fmt::print(stderr, "exec: job '{}' was not started: {}\n", job.name, describe(r.error()));
    co_return k_exit_failure;
  }
  fmt::print("requestId: {}\nrunId: {}\n", escape_text(r->request_id), ctx.run_id);
  std::fflush(stdout);
  if (!wait) co_return k_exit_ok;
  co_return co_await wait_for_end(client, job, r->request_id, ctx.scheduled);
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
  asio::io_context io;
  auto client = platform::make_platform_client(io, cfg.platform);
  int code = k_exit_failure;
  asio::co_spawn(io, exec_job(*client, *job, o.wait), [&](std::exception_ptr e, int c) {
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
