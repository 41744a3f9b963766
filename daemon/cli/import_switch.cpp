// Switching platform schedules off and on, with a record that is true at every step.
#include "daemon/cli/import_switch.h"

#include "config/escape.h"
#include "daemon/platform/classify.h"

#include <fmt/core.h>

#include <map>

namespace bsched::cli {

using boost::asio::awaitable;

namespace {

std::string describe(const platform::CallError& e) {
  auto what = escape_text(e.message);
  return e.http_status ? fmt::format("{} (HTTP {}: {})", platform::failure_kind_name(e.kind),
                                     e.http_status, what)
                       : fmt::format("{} ({})", platform::failure_kind_name(e.kind), what);
}

bool save(const SwitchContext& ctx, const SwitchRecord& record) {
  auto w = write_file_atomically(ctx.record_path, record_json(record));
  if (!w) fmt::print(stderr, "import: {}\n", w.error().message);
  return static_cast<bool>(w);
}

void mark(const SwitchContext& ctx, RecordEntry& e, SwitchState s, std::string error = {}) {
  e.state = s;
  e.error = std::move(error);
  e.at = ctx.now ? ctx.now() : std::string();
  fmt::print(stderr, "import.{} job={} process={} status={}{}\n", switch_state_name(s), e.job,
             e.process_id, e.status_id, e.error.empty() ? "" : " error=\"" + e.error + "\"");
}

platform::ScheduleStatus status_of(const RecordEntry& e) {
  return platform::ScheduleStatus{e.status_id, e.atom_id, e.process_id, false};
}

// After the switches: reads the uncertain entries back; what the platform holds decides.
awaitable<void> settle_uncertain(const SwitchContext& ctx, SwitchRecord& record) {
  std::vector<std::string> ids;
  for (const auto& e : record.entries)
    if (e.state == SwitchState::uncertain) ids.push_back(e.status_id);
  if (ids.empty()) co_return;
  auto read = co_await ctx.client.get_statuses(ids);
  if (!read) {
    fmt::print(stderr, "import: the uncertain switches could not be read back: {}\n",
               describe(read.error()));
    co_return;
  }
  for (const auto& item : *read)
    for (auto& e : record.entries)
      if (e.status_id == item.id && e.state == SwitchState::uncertain && item.value)
        mark(ctx, e, item.value->enabled ? SwitchState::failed : SwitchState::disabled,
            item.value->enabled ? "still switched on after the failed update: " + e.error : "");
  save(ctx, record);
}

}  // namespace

SwitchRecord plan_disable(const ImportOutput& imported, std::vector<std::string>& left) {
  SwitchRecord r;
  for (const auto& j : imported.jobs) {
    if (j.job.empty()) continue;
    const auto& s = j.schedules;
    if (!j.complete()) {
      left.push_back(fmt::format("job '{}': left switched on: not everything converted", j.job));
    } else if (!j.platform_enabled || !plain_id(j.status_id)) {
      left.push_back(fmt::format("job '{}': left alone: no ProcessScheduleStatus found", j.job));
    } else if (!*j.platform_enabled) {
      left.push_back(fmt::format("job '{}': already switched off on the platform", j.job));
    } else {
      r.entries.push_back(RecordEntry{j.job, s.process_id, s.atom_id, j.status_id,
                                      SwitchState::pending, {}, {}});
    }
  }
  return r;
}

awaitable<bool> disable_on_platform(SwitchContext ctx, SwitchRecord record) {
  std::vector<std::string> ids;
  for (const auto& e : record.entries) ids.push_back(e.status_id);
  if (ids.empty()) co_return true;
  if (!save(ctx, record)) co_return false;  // no switch without a record
  auto fresh = co_await ctx.client.get_statuses(ids);
  if (!fresh) {
    fmt::print(stderr, "import: the statuses could not be read; nothing was switched: {}\n",
               describe(fresh.error()));
    co_return false;
  }
  std::map<std::string, const platform::BulkItem<platform::ScheduleStatus>*> by_id;
  for (const auto& item : *fresh) by_id[item.id] = &item;
  for (auto& e : record.entries) {
    const auto* item = by_id[e.status_id];
    if (!item || !item->value) {
      mark(ctx, e, SwitchState::failed,
          escape_text(item ? item->error_message : "absent from the bulk answer"));
    } else if (item->value->process_id != e.process_id || item->value->atom_id != e.atom_id) {
      mark(ctx, e, SwitchState::failed, "the status object names another process or runtime");
    } else if (!item->value->enabled) {
      mark(ctx, e, SwitchState::already_disabled);
    } else {
      auto r = co_await ctx.client.set_enabled(status_of(e), false);
      if (r && !r->enabled) mark(ctx, e, SwitchState::disabled);
      else if (r) mark(ctx, e, SwitchState::uncertain, "the platform answered enabled=true");
      // An HTTP error answer was not acted on; without an answer the switch may have happened.
      else if (r.error().http_status != 0) mark(ctx, e, SwitchState::failed, describe(r.error()));
      else mark(ctx, e, SwitchState::uncertain, describe(r.error()));
    }
    if (!save(ctx, record)) co_return false;
  }
  co_await settle_uncertain(ctx, record);
  bool all = true;
  for (const auto& e : record.entries)
    all = all && (e.state == SwitchState::disabled || e.state == SwitchState::already_disabled);
  co_return all;
}

awaitable<bool> enable_on_platform(SwitchContext ctx, SwitchRecord record) {
  bool all = true;
  for (auto& e : record.entries) {
    if (e.state != SwitchState::disabled && e.state != SwitchState::uncertain) continue;
    if (ctx.dry_run) {
      fmt::print("would switch on: job {} (process {}, status {})\n", e.job, e.process_id,
                 e.status_id);
      continue;
    }
    auto r = co_await ctx.client.set_enabled(status_of(e), true);
    if (r && r->enabled) {
      mark(ctx, e, SwitchState::enabled);
    } else {
      all = false;
      e.error = r ? "the platform answered enabled=false" : describe(r.error());
      fmt::print(stderr, "import.enable_failed job={} process={} status={} error=\"{}\"\n", e.job,
                 e.process_id, e.status_id, e.error);
    }
    if (!save(ctx, record)) co_return false;
  }
  co_return all;
}

}  // namespace bsched::cli
