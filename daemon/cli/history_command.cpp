// `boomi-sched history [JOB] [--limit N] [--json] [--config P]` (product.md §6): past runs,
// newest first, with every timestamp, the state, requestId, executionId, remote status and
// message; missed and skipped slots appear as ranges with their reason.
#include "config/escape.h"
#include "daemon/cli/command.h"
#include "daemon/cli/open_state.h"
#include "daemon/status/status_format.h"
#include "daemon/status/status_json.h"
#include "daemon/status/status_support.h"

#include <fmt/core.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace bsched::cli {

using namespace status;  // the status readers and formatters (daemon/status/)

namespace {

struct HistoryOptions {
  std::string job;
  std::optional<std::string> config;
  int limit = 20;
  bool json = false;
};

// An event time: the clock alone when on the slot's UTC day, else the full instant.
std::string event_time(SysMillis t, std::chrono::sys_seconds slot) {
  auto full = format_utc_ms(t);
  auto same_day = format_utc(slot).substr(0, 11) == full.substr(0, 11);
  return same_day ? full.substr(11) : full;
}

std::string run_text(const storage::RunRow& r) {
  std::string out = fmt::format("{}  {}  {}  ({}, run {})\n", format_utc(r.slot), r.job,
                                upper_state(r.state), storage::to_string(r.trigger), r.run_id);
  std::string times = "created " + event_time(r.created_at, r.slot);
  auto add = [&](const char* name, const std::optional<SysMillis>& t) {
    if (t) times += fmt::format("  {} {}", name, event_time(*t, r.slot));
  };
  add("submitting", r.submitting_at);
  add("submitted", r.submitted_at);
  add("running", r.running_at);
  add("finished", r.finished_at);
  out += "    " + times + "\n";
  std::string ids;
  if (!r.request_id.empty()) ids += "request " + escape_text(r.request_id) + "  ";
  if (!r.execution_id.empty()) {
    // A record found by reconciling is a match on process, runtime and time, not on our
    // requestId: say so.
    ids += "execution " + escape_text(r.execution_id) + (r.matched_by == "query" ? " (matched by query)" : "") +
           "  ";
  }
  if (!r.remote_status.empty()) ids += "status " + escape_text(r.remote_status) + "  ";
  if (r.duration_ms) ids += "duration " + format_compact(Millis{*r.duration_ms}) + "  ";
  if (r.attempts > 1) ids += fmt::format("attempts {}  ", r.attempts);
  if (!ids.empty()) out += "    " + ids.substr(0, ids.size() - 2) + "\n";
  if (!r.message.empty()) out += "    message: " + escape_text(r.message) + "\n";
  if (!r.last_error.empty()) out += "    last error: " + escape_text(r.last_error) + "\n";
  return out;
}

std::string gap_text(const storage::SlotGap& g) {
  auto range = g.count == 1 ? format_utc(g.first)
                            : format_utc(g.first) + " .. " + format_utc(g.last);
  return fmt::format("{}  {}  {} {} slot{}  ({})\n", range, g.job, upper_state(g.kind), g.count,
                     g.count == 1 ? "" : "s", g.reason);
}

// A job given to history must be configured or have a history; else it is a typo: say so
// and list the jobs there are.
bool known_job(StateContext& ctx, const std::string& job) {
  if (ctx.config && ctx.config->find_job(job)) return true;
  std::vector<std::string> names;
  if (ctx.config) {
    for (const auto& j : ctx.config->jobs) names.push_back(j.name);
  }
  if (ctx.store) {
    auto stored = ctx.store->known_jobs();
    if (!stored) {
      fmt::print(stderr, "history: {}\n", stored.error().message);
      return false;
    }
    if (std::find(stored->begin(), stored->end(), job) != stored->end()) return true;
    names.insert(names.end(), stored->begin(), stored->end());
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  std::string list;
  for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
  fmt::print(stderr, "history: no job '{}' in the configuration or in the history (jobs: {})\n",
             escape_text(job), list.empty() ? "none" : list);
  return false;
}

int run_history(const HistoryOptions& o) {
  if (o.limit < 1) {
    fmt::print(stderr, "history: --limit must be at least 1\n");
    return k_exit_usage;
  }
  auto ctx = open_state("history", o.config, {.broken_config_ok = true, .missing_db_ok = true});
  if (!ctx) return k_exit_failure;
  if (!o.job.empty() && !known_job(*ctx, o.job)) return k_exit_failure;
  if (!ctx->store) {
    if (o.json) fmt::print("[]\n");
    else fmt::print(stderr, "history: no runs yet: no state database at {} (the daemon creates "
                            "it when it first starts)\n", ctx->db_path);
    return k_exit_ok;
  }
  auto entries = ctx->store->history(o.job, o.limit);
  if (!entries) {
    fmt::print(stderr, "history: {}\n", entries.error().message);
    return k_exit_failure;
  }
  if (o.json) {
    boost::json::array list;
    for (const auto& e : *entries) list.push_back(history_entry_json(e));
    fmt::print("{}\n", boost::json::serialize(list));
    return k_exit_ok;
  }
  if (entries->empty()) {
    fmt::print(stderr, "history: no runs recorded{}\n", o.job.empty() ? "" : " for " + o.job);
  }
  for (const auto& e : *entries) {
    if (const auto* run = std::get_if<storage::RunRow>(&e)) fmt::print("{}", run_text(*run));
    else fmt::print("{}", gap_text(std::get<storage::SlotGap>(e)));
  }
  return k_exit_ok;
}

}  // namespace

void add_history_command(CLI::App& root, Action& chosen) {
  auto opts = std::make_shared<HistoryOptions>();
  auto* cmd = root.add_subcommand(
      "history", "Past runs, newest first, with every timestamp, state, requestId, executionId "
                 "and message; missed and skipped slots with their reason");
  cmd->add_option("job", opts->job, "only this job (default: every job)");
  cmd->add_option("--limit,-n", opts->limit, "at most this many entries (default 20)");
  cmd->add_option("--config", opts->config,
                  k_config_help);
  cmd->add_flag("--json", opts->json, "print one JSON array of run objects");
  cmd->callback([&chosen, opts] { chosen = [opts] { return run_history(*opts); }; });
}

}  // namespace bsched::cli
