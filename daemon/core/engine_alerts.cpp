// The engine's side of the alert outbox (docs/operations.md "Alerts"): which events a run
// change, a missed range, a late first request, a run still in flight or an opened auth
// circuit writes to the store, and pause_after_failures. A run's `failed` / `recovered`
// event and its pause are written in the savepoint of the terminal transition itself
// (terminal_writes), a gap's `missed` event in the fire transaction that records the gap;
// the dispatcher (daemon/alerts) delivers them.
#include "daemon/core/engine_impl.h"

#include "config/escape.h"

#include <fmt/core.h>
#include <spdlog/spdlog.h>

namespace bsched::core {

using storage::AlertKind;
using storage::RunState;
using storage::StoreResult;

std::vector<std::string> Engine::Impl::alert_sinks(AlertKind kind, std::string_view job) const {
  std::vector<std::string> sinks;
  for (const auto& a : jobs.config()->alerts) {
    if (a.wants(storage::to_string(kind)) && (job.empty() || a.matches_job(job))) {
      sinks.push_back(a.name);
    }
  }
  return sinks;
}

void Engine::Impl::alerts_written() {
  if (options.on_alert) options.on_alert();
}

namespace {

std::string run_message(const storage::RunRow& r) {
  if (!r.message.empty()) return r.message;
  if (!r.last_error.empty()) return r.last_error;
  return r.remote_status;
}

storage::NewAlert run_alert(AlertKind kind, const storage::RunRow& r, SysMillis now) {
  storage::NewAlert a;
  a.kind = kind;
  a.job = r.job;
  a.run = r.id;
  a.slot = r.slot;
  a.state = std::string(storage::to_string(r.state));
  a.execution_id = r.execution_id;
  a.message = run_message(r);
  a.created_at = now;
  return a;
}

}  // namespace

// Null when the transition writes nothing more: no sink wants the job's failed / recovered
// events and it has no pause_after_failures (then no query is added to the commit).
std::function<StoreResult<void>(const storage::RunRow&)> Engine::Impl::terminal_writes(
    const Tracked& t, RunState to, SysMillis now, std::shared_ptr<TerminalOutcome> out) {
  if (to == RunState::missed) {  // a run that never left: its slot's deadline passed
    auto sinks = alert_sinks(AlertKind::missed, t.row.job);
    if (sinks.empty()) return nullptr;
    return [this, now, out, sinks](const storage::RunRow& row) -> StoreResult<void> {
      auto a = run_alert(AlertKind::missed, row, now);
      a.message = "slot missed: " + (row.last_error.empty() ? "deadline passed" : row.last_error);
      a.sinks = sinks;
      out->alerted = true;
      return store.record_alert(a);
    };
  }
  bool failure = storage::is_failure(to);
  if (!failure && !storage::is_success(to)) return nullptr;
  int pause_after = t.job ? t.job->settings->pause_after_failures : 0;
  auto failed_sinks = alert_sinks(AlertKind::failed, t.row.job);
  auto recovered_sinks = alert_sinks(AlertKind::recovered, t.row.job);
  if (failure ? (failed_sinks.empty() && pause_after == 0) : recovered_sinks.empty()) {
    return nullptr;
  }
  const auto* jr = jobs.find(t.row.job);
  bool paused = jr && jr->paused;
  // The streak counts the run just made terminal (same transaction).
  return [this, failure, pause_after, paused, now, out, failed = std::move(failed_sinks),
          recovered = std::move(recovered_sinks)](const storage::RunRow& row) -> StoreResult<void> {
    BSCHED_TRY_ASSIGN(streak, store.failure_streak(row.job, std::nullopt));
    if (!failure) {
      // A success: it recovers when the runs before it (by slot) failed.
      BSCHED_TRY_ASSIGN(before, store.failure_streak(row.job, row.slot));
      if (before == 0) return {};
      auto a = run_alert(AlertKind::recovered, row, now);
      a.message = fmt::format("succeeded after {} failed run{}", before, before == 1 ? "" : "s");
      a.sinks = recovered;
      out->alerted = true;
      return store.record_alert(a);
    }
    out->streak = streak;
    auto a = run_alert(AlertKind::failed, row, now);
    if (pause_after > 0 && streak >= pause_after && !paused) {
      auto note = fmt::format("paused after {} consecutive failures; last: run {} {}", streak,
                              row.id, storage::to_string(row.state));
      BSCHED_TRY(store.set_paused(row.job, true, note, "boomi-sched", now));
      out->paused = true;
      out->note = note;
      a.message += fmt::format("{}the job was paused after {} consecutive failures",
                               a.message.empty() ? "" : "; ", streak);
    }
    a.sinks = failed;
    out->alerted = !failed.empty();
    return store.record_alert(a);
  };
}

// After the commit: the pause takes effect in memory as `boomi-sched pause` does.
void Engine::Impl::terminal_committed(const Tracked& t, const TerminalOutcome& out, SysMillis now) {
  if (out.paused) {
    if (auto* jr = jobs.find(t.row.job)) {
      jr->paused = true;
      jr->paused_at = now;
    }
    spdlog::warn("job.paused job={} by=\"boomi-sched\" note=\"{}\"", t.row.job, esc(out.note));
  }
  if (out.alerted) alerts_written();
}

std::optional<storage::NewAlert> Engine::Impl::gap_alert(const storage::SlotGap& gap) const {
  // Slots of a paused job are the operator's choice, not an incident.
  if (gap.kind != RunState::missed || gap.reason.starts_with("paused")) return std::nullopt;
  auto sinks = alert_sinks(AlertKind::missed, gap.job);
  if (sinks.empty()) return std::nullopt;
  storage::NewAlert a;
  a.kind = AlertKind::missed;
  a.job = gap.job;
  a.slot = gap.last;
  a.state = "missed";
  a.message = gap.count == 1 ? fmt::format("slot missed: {}", gap.reason)
                             : fmt::format("{} slots missed from {}: {}", gap.count,
                                           format_utc(gap.first), gap.reason);
  a.created_at = gap.recorded_at;
  a.sinks = std::move(sinks);
  return a;
}

// The run's first request left at `sent`: `late` for each sink whose late_after it passed.
void Engine::Impl::check_late(const Tracked& t, SysMillis sent) {
  auto late = sent - SysMillis(t.row.slot);
  storage::NewAlert a = run_alert(AlertKind::late, t.row, sent);
  for (const auto& s : jobs.config()->alerts) {
    if (s.wants("late") && s.matches_job(t.row.job) && late > s.late_after) a.sinks.push_back(s.name);
  }
  if (a.sinks.empty()) return;
  a.message = fmt::format("first request sent {} after the slot",
                          format_duration(std::chrono::duration_cast<Millis>(late)));
  write_alert(a);
}

// Maintenance: runs still in flight after half their run_timeout, once per run and start.
void Engine::Impl::check_stuck(SysMillis now) {
  for (auto& [id, t] : runs) {
    if (t->stuck_alerted || !t->job || !t->row.submitting_at) continue;
    auto since = now - *t->row.submitting_at;
    if (since <= t->job->settings->run_timeout / 2) continue;
    t->stuck_alerted = true;
    auto a = run_alert(AlertKind::stuck, t->row, now);
    a.sinks = alert_sinks(AlertKind::stuck, t->row.job);
    if (a.sinks.empty()) continue;
    a.message = fmt::format("still {} after {}", storage::to_string(t->row.state),
                            format_duration(std::chrono::duration_cast<Millis>(since)));
    write_alert(a);
  }
}

// The auth circuit opened: one daemon-wide event.
void Engine::Impl::auth_opened(SysMillis now) {
  storage::NewAlert a;
  a.kind = AlertKind::auth;
  a.state = "auth_failed";
  a.message = platform.describe();
  a.created_at = now;
  a.slot = std::chrono::floor<std::chrono::seconds>(now);
  a.sinks = alert_sinks(AlertKind::auth, "");
  if (!a.sinks.empty()) write_alert(a);
}

// Written by a coroutine of its own, on the commit thread when there is one.
void Engine::Impl::write_alert(storage::NewAlert a) { spawn(record_alert(std::move(a)), "alert"); }

boost::asio::awaitable<void> Engine::Impl::record_alert(storage::NewAlert a) {
  std::function<StoreResult<void>(storage::RunStore&)> write =
      [a = std::move(a)](storage::RunStore& s) { return s.record_alert(a); };
  if (auto r = co_await call_store(std::move(write)); !r) {
    store_error("record_alert", r.error());
    co_return;
  }
  alerts_written();
}

}  // namespace bsched::core
