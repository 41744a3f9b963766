// `trigger JOB [--property NAME=VALUE]...`, `pause JOB [--note TEXT]`, `resume JOB`
// (product.md §1): each writes a command the running daemon takes within a second. Pause and
// resume also record the job's state directly, so they hold even when no daemon runs. Before
// the daemon's first start they create the state database as the daemon would.
#include "daemon/cli/command.h"
#include "daemon/cli/open_state.h"
#include "daemon/status/status_support.h"

#include <boost/json.hpp>
#include <fmt/core.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace bsched::cli {

using namespace status;  // the status readers and formatters (daemon/status/)

namespace {

struct ControlOptions {
  storage::CommandKind kind = storage::CommandKind::trigger;
  std::string job;
  std::vector<std::string> properties;  // NAME=VALUE
  std::string note;
  std::optional<std::string> config;
};

const char* name_of(storage::CommandKind kind) {
  switch (kind) {
    case storage::CommandKind::trigger: return "trigger";
    case storage::CommandKind::pause: return "pause";
    case storage::CommandKind::resume: return "resume";
  }
  return "?";
}

// {"properties": {...}} for trigger, {"note": "..."} for pause, {} for resume; nullopt (after
// a message) when a property is not NAME=VALUE.
std::optional<std::string> command_args(const ControlOptions& o) {
  boost::json::object args;
  if (o.kind == storage::CommandKind::trigger) {
    boost::json::object props;
    for (const auto& p : o.properties) {
      auto eq = p.find('=');
      if (eq == std::string::npos || eq == 0) {
        fmt::print(stderr, "trigger: --property '{}' is not NAME=VALUE\n", p);
        return std::nullopt;
      }
      props[p.substr(0, eq)] = p.substr(eq + 1);
    }
    args["properties"] = std::move(props);
  } else if (o.kind == storage::CommandKind::pause && !o.note.empty()) {
    args["note"] = o.note;
  }
  return boost::json::serialize(args);
}

std::string known_jobs(const config::Config& c) {
  std::string names;
  for (const auto& j : c.jobs) names += (names.empty() ? "" : ", ") + j.name;
  return names;
}

// Writes the command (and for pause / resume the job's state) in one transaction.
storage::StoreResult<void> record(storage::StateStore& store, const ControlOptions& o,
                                  const std::string& args, SysMillis now) {
  auto who = login_user();
  return store.in_transaction([&]() -> storage::StoreResult<void> {
    if (o.kind != storage::CommandKind::trigger) {
      BSCHED_TRY(store.set_paused(o.job, o.kind == storage::CommandKind::pause, o.note, who, now));
    }
    BSCHED_TRY(store.enqueue_command(storage::Command{0, o.kind, o.job, args, who, now}));
    return {};
  });
}

std::string outcome(const ControlOptions& o, const DaemonState& d) {
  auto what = fmt::format("{} {}", name_of(o.kind), o.job);
  if (d.running) {
    return fmt::format("{}: queued; the running daemon (pid {}) takes it within a second", what,
                       d.heartbeat->pid);
  }
  switch (o.kind) {
    case storage::CommandKind::trigger:
      return fmt::format("{}: recorded; no daemon is running, so the run starts when the daemon "
                         "starts (boomi-sched exec {} runs it now without a daemon)",
                         what, o.job);
    case storage::CommandKind::pause:
      return what + ": recorded; no daemon is running (the job stays paused when it starts)";
    case storage::CommandKind::resume:
      return what + ": recorded; no daemon is running (the job fires again when it starts)";
  }
  return what;
}

int run_control(const ControlOptions& o) {
  const char* name = name_of(o.kind);
  auto args = command_args(o);
  if (!args) return k_exit_usage;
  auto ctx = open_state(name, o.config,
                        {.mode = storage::OpenMode::read_write, .create_db = true});
  if (!ctx) return k_exit_failure;
  if (!ctx->config->find_job(o.job)) {
    fmt::print(stderr, "{}: no job named '{}' in the configuration (jobs: {})\n", name, o.job,
               known_jobs(*ctx->config));
    return k_exit_failure;
  }
  if (!o.properties.empty() && ctx->config->platform.api == config::ApiKind::graphql) {
    fmt::print(stderr, "{}: api graphql sends only atomId and processId (processExecute takes "
                       "no properties), so --property would never reach the process; nothing "
                       "was queued\n", name);
    return k_exit_usage;
  }
  auto now = now_millis();
  if (auto r = record(*ctx->store, o, *args, now); !r) {
    fmt::print(stderr, "{}: {}\n", name, r.error().message);
    return k_exit_failure;
  }
  auto heartbeat = ctx->store->read_heartbeat();
  auto daemon = daemon_state(heartbeat ? *heartbeat : std::nullopt, now);
  fmt::print("{}\n", outcome(o, daemon));
  return k_exit_ok;
}

CLI::App* add_control(CLI::App& root, Action& chosen, storage::CommandKind kind,
                      const char* help) {
  auto opts = std::make_shared<ControlOptions>();
  opts->kind = kind;
  auto* cmd = root.add_subcommand(name_of(kind), help);
  cmd->add_option("job", opts->job, "the job's name")->required();
  cmd->add_option("--config", opts->config,
                  k_config_help);
  if (kind == storage::CommandKind::trigger) {
    cmd->add_option("--property,-p", opts->properties,
                    "NAME=VALUE: a dynamic process property for this run (repeatable)");
  }
  if (kind == storage::CommandKind::pause) {
    cmd->add_option("--note", opts->note, "why the job is paused (shown by status)");
  }
  cmd->callback([&chosen, opts] { chosen = [opts] { return run_control(*opts); }; });
  return cmd;
}

}  // namespace

void add_control_commands(CLI::App& root, Action& chosen) {
  add_control(root, chosen, storage::CommandKind::trigger,
              "Run a job now (a manual run, carried out by the running daemon)");
  add_control(root, chosen, storage::CommandKind::pause,
              "Stop firing a job's schedule; persisted across restarts and reloads");
  add_control(root, chosen, storage::CommandKind::resume, "Fire a paused job's schedule again");
}

}  // namespace bsched::cli
