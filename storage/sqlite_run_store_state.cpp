// The missed-slot ledger, job state, operator commands, the heartbeat and pruning.
#include "storage/sqlite_run_store.h"

#include "storage/sqlite.h"
#include "storage/sqlite_rows.h"

#include <fmt/core.h>

namespace bsched::storage {

using namespace sqlite;

StoreResult<void> SqliteRunStore::record_gap(const SlotGap& gap) {
  if (gap.kind != RunState::missed && gap.kind != RunState::skipped) {
    return StoreError{StoreErrorKind::io, "a slot gap is either missed or skipped"};
  }
  return transact<void>(*m_db, [&]() -> StoreResult<void> {
    auto latest = read_gaps("SELECT " BSCHED_GAP_COLUMNS
                            " FROM slot_gaps WHERE job = ? ORDER BY last DESC LIMIT ?",
                            gap.job, 1);
    if (!latest) return latest.error();
    bool merge = false;
    if (!latest->empty()) {
      const auto& prev = latest->front();
      merge = prev.kind == gap.kind && prev.reason == gap.reason && gap.first > prev.last;
      if (merge) {
        // Consecutive only when no run of the job took a slot in between.
        BSCHED_TRY_ASSIGN(q, m_db->prepare("SELECT 1 FROM runs WHERE job = ? AND slot > ? "
                                           "AND slot < ? LIMIT 1"));
        q.bind(1, gap.job).bind(2, to_db(prev.last)).bind(3, to_db(gap.first));
        BSCHED_TRY_ASSIGN(between, q.step());
        merge = !between;
      }
    }
    if (merge) {
      BSCHED_TRY_ASSIGN(q, m_db->prepare("UPDATE slot_gaps SET last = ?, count = count + ?, "
                                         "recorded_at = ? WHERE id = ?"));
      q.bind(1, to_db(gap.last)).bind(2, gap.count).bind(3, to_db(gap.recorded_at));
      BSCHED_TRY(q.bind(4, latest->front().id).run());
    } else {
      BSCHED_TRY_ASSIGN(q, m_db->prepare("INSERT INTO slot_gaps (job, kind, first, last, count, "
                                         "reason, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)"));
      q.bind(1, gap.job).bind(2, to_string(gap.kind)).bind(3, to_db(gap.first));
      q.bind(4, to_db(gap.last)).bind(5, gap.count).bind(6, gap.reason);
      BSCHED_TRY(q.bind(7, to_db(gap.recorded_at)).run());
    }
    return advance_horizon(gap.job, gap.last);
  });
}

StoreResult<std::vector<SlotGap>> SqliteRunStore::read_gaps(const std::string& sql,
                                                            const std::string& job, int limit) {
  BSCHED_TRY_ASSIGN(q, m_db->prepare(sql));
  q.bind(1, job).bind(2, limit);
  std::vector<SlotGap> gaps;
  for (;;) {
    BSCHED_TRY_ASSIGN(more, q.step());
    if (!more) break;
    gaps.push_back(read_gap(q));
  }
  return gaps;
}

StoreResult<JobState> SqliteRunStore::job_state(const std::string& job) {
  BSCHED_TRY_ASSIGN(q, m_db->prepare("SELECT paused, pause_note, paused_by, paused_at, "
                                     "last_success_slot, horizon FROM job_state WHERE job = ?"));
  q.bind(1, job);
  JobState s;
  s.job = job;
  BSCHED_TRY_ASSIGN(found, q.step());
  if (!found) return s;
  s.paused = q.int64(0) != 0;
  s.pause_note = q.text(1);
  s.paused_by = q.text(2);
  s.paused_at = opt_millis(q, 3);
  s.last_success_slot = opt_seconds(q, 4);
  s.horizon = opt_seconds(q, 5);
  return s;
}

StoreResult<void> SqliteRunStore::set_paused(const std::string& job, bool paused,
                                             const std::string& note, const std::string& who,
                                             SysMillis now) {
  BSCHED_TRY_ASSIGN(
      q, m_db->prepare("INSERT INTO job_state (job, paused, pause_note, paused_by, paused_at) "
                       "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (job) DO UPDATE SET "
                       "paused = ?2, pause_note = ?3, paused_by = ?4, paused_at = ?5"));
  q.bind(1, job).bind(2, paused ? 1 : 0);
  // Resuming clears the pause's description; who resumed is in the command log.
  q.bind(3, paused ? note : "").bind(4, paused ? who : "");
  if (paused) q.bind(5, to_db(now));
  else q.bind_null(5);
  return q.run();
}

StoreResult<void> SqliteRunStore::set_horizon(const std::string& job, sys_seconds horizon) {
  BSCHED_TRY_ASSIGN(q, m_db->prepare("INSERT INTO job_state (job, horizon) VALUES (?1, ?2) "
                                     "ON CONFLICT (job) DO UPDATE SET horizon = ?2"));
  return q.bind(1, job).bind(2, to_db(horizon)).run();
}

StoreResult<void> SqliteRunStore::advance_horizon(const std::string& job, sys_seconds to) {
  BSCHED_TRY_ASSIGN(q, m_db->prepare("INSERT INTO job_state (job, horizon) VALUES (?1, ?2) "
                                     "ON CONFLICT (job) DO UPDATE SET "
                                     "horizon = max(coalesce(horizon, ?2), ?2)"));
  return q.bind(1, job).bind(2, to_db(to)).run();
}

StoreResult<void> SqliteRunStore::note_success(const std::string& job, sys_seconds slot) {
  BSCHED_TRY_ASSIGN(q, m_db->prepare("INSERT INTO job_state (job, last_success_slot) "
                                     "VALUES (?1, ?2) ON CONFLICT (job) DO UPDATE SET "
                                     "last_success_slot = max(coalesce(last_success_slot, ?2), ?2)"));
  return q.bind(1, job).bind(2, to_db(slot)).run();
}

StoreResult<std::int64_t> SqliteRunStore::enqueue_command(const Command& c) {
  BSCHED_TRY_ASSIGN(q, m_db->prepare("INSERT INTO commands (kind, job, args_json, requested_by, "
                                     "requested_at) VALUES (?, ?, ?, ?, ?)"));
  q.bind(1, to_string(c.kind)).bind(2, c.job).bind(3, c.args_json.empty() ? "{}" : c.args_json);
  BSCHED_TRY(q.bind(4, c.requested_by).bind(5, to_db(c.requested_at)).run());
  return m_db->last_insert_rowid();
}

StoreResult<std::vector<Command>> SqliteRunStore::take_commands(SysMillis now) {
  return transact<std::vector<Command>>(*m_db, [&]() -> StoreResult<std::vector<Command>> {
    BSCHED_TRY_ASSIGN(q, m_db->prepare("SELECT id, kind, job, args_json, requested_by, "
                                       "requested_at FROM commands WHERE taken_at IS NULL "
                                       "ORDER BY id"));
    std::vector<Command> commands;
    for (;;) {
      BSCHED_TRY_ASSIGN(more, q.step());
      if (!more) break;
      auto kind = command_kind_from_string(q.text(1));
      if (!kind) continue;  // written by a newer version; left for it
      commands.push_back(Command{q.int64(0), *kind, q.text(2), q.text(3), q.text(4),
                                 millis_from_db(q.int64(5))});
    }
    BSCHED_TRY_ASSIGN(mark, m_db->prepare("UPDATE commands SET taken_at = ? WHERE id = ?"));
    for (const auto& c : commands) {
      BSCHED_TRY(mark.bind(1, to_db(now)).bind(2, c.id).run());
      mark.reset();
    }
    return commands;
  });
}

StoreResult<void> SqliteRunStore::write_heartbeat(const Heartbeat& h) {
  BSCHED_TRY_ASSIGN(q, m_db->prepare("INSERT OR REPLACE INTO heartbeat (id, pid, started_at, "
                                     "updated_at, config_loaded_at, config_fingerprint, "
                                     "platform_state, store_state) VALUES (1, ?, ?, ?, ?, ?, ?, ?)"));
  q.bind(1, h.pid).bind(2, to_db(h.started_at)).bind(3, to_db(h.updated_at));
  q.bind(4, to_db(h.config_loaded_at)).bind(5, h.config_fingerprint).bind(6, h.platform_state);
  q.bind(7, h.store_state.empty() ? std::string("ok") : h.store_state);
  return q.run();
}

StoreResult<std::optional<Heartbeat>> SqliteRunStore::read_heartbeat() {
  BSCHED_TRY_ASSIGN(q, m_db->prepare("SELECT pid, started_at, updated_at, config_loaded_at, "
                                     "config_fingerprint, platform_state, store_state "
                                     "FROM heartbeat"));
  BSCHED_TRY_ASSIGN(found, q.step());
  if (!found) return std::optional<Heartbeat>();
  Heartbeat h;
  h.pid = static_cast<int>(q.int64(0));
  h.started_at = millis_from_db(q.int64(1));
  h.updated_at = millis_from_db(q.int64(2));
  h.config_loaded_at = millis_from_db(q.int64(3));
  h.config_fingerprint = q.text(4);
  h.platform_state = q.text(5);
  h.store_state = q.text(6);
  return std::optional<Heartbeat>(std::move(h));
}

StoreResult<void> SqliteRunStore::write_daemon_notes(const DaemonNotes& n) {
  BSCHED_TRY_ASSIGN(q, m_db->prepare("INSERT OR REPLACE INTO daemon_notes (id, pid, stopped_at, "
                                     "reload_failed_at, reload_errors, reload_error) "
                                     "VALUES (1, ?, ?, ?, ?, ?)"));
  q.bind(1, n.pid);
  if (n.stopped_at) q.bind(2, to_db(*n.stopped_at));
  else q.bind_null(2);
  if (n.reload_failed_at) q.bind(3, to_db(*n.reload_failed_at));
  else q.bind_null(3);
  q.bind(4, n.reload_errors).bind(5, n.reload_error);
  return q.run();
}

StoreResult<std::optional<DaemonNotes>> SqliteRunStore::read_daemon_notes() {
  BSCHED_TRY_ASSIGN(q, m_db->prepare("SELECT pid, stopped_at, reload_failed_at, reload_errors, "
                                     "reload_error FROM daemon_notes"));
  BSCHED_TRY_ASSIGN(found, q.step());
  if (!found) return std::optional<DaemonNotes>();
  DaemonNotes n;
  n.pid = static_cast<int>(q.int64(0));
  if (!q.is_null(1)) n.stopped_at = millis_from_db(q.int64(1));
  if (!q.is_null(2)) n.reload_failed_at = millis_from_db(q.int64(2));
  n.reload_errors = static_cast<int>(q.int64(3));
  n.reload_error = q.text(4);
  return std::optional<DaemonNotes>(std::move(n));
}

StoreResult<std::int64_t> SqliteRunStore::prune(SysMillis before, int batch) {
  auto cutoff = std::chrono::floor<std::chrono::seconds>(before);
  return transact<std::int64_t>(*m_db, [&]() -> StoreResult<std::int64_t> {
    std::int64_t removed = 0;
    // Runs by slot (terminal only), then gaps by their last slot, then taken commands, then
    // the alert outbox.
    const char* const steps[] = {
        "DELETE FROM runs WHERE id IN (SELECT id FROM runs WHERE slot < ?1 AND "
        "finished_at IS NOT NULL LIMIT ?2)",
        "DELETE FROM slot_gaps WHERE id IN (SELECT id FROM slot_gaps WHERE last < ?1 LIMIT ?2)",
        "DELETE FROM commands WHERE id IN (SELECT id FROM commands WHERE taken_at IS NOT NULL "
        "AND requested_at < ?3 LIMIT ?2)",
        // Alert deliveries settled (delivered or given up), then events left without one.
        "DELETE FROM alert_deliveries WHERE id IN (SELECT id FROM alert_deliveries WHERE "
        "(delivered_at IS NOT NULL OR failed_at IS NOT NULL) AND next_attempt_at < ?3 LIMIT ?2)",
        "DELETE FROM alert_events WHERE id IN (SELECT e.id FROM alert_events e WHERE "
        "e.created_at < ?3 AND NOT EXISTS (SELECT 1 FROM alert_deliveries d WHERE "
        "d.event = e.id) LIMIT ?2)"};
    for (const char* sql : steps) {
      if (removed >= batch) break;
      BSCHED_TRY_ASSIGN(q, m_db->prepare(sql));
      q.bind(1, to_db(cutoff)).bind(2, batch - removed).bind(3, to_db(before));
      BSCHED_TRY(q.run());
      removed += m_db->changes();
    }
    return removed;
  });
}

namespace sqlite {

SlotGap read_gap(const Query& q) {
  SlotGap g;
  g.id = q.int64(0);
  g.job = q.text(1);
  g.kind = q.text(2) == "skipped" ? RunState::skipped : RunState::missed;
  g.first = seconds_from_db(q.int64(3));
  g.last = seconds_from_db(q.int64(4));
  g.count = q.int64(5);
  g.reason = q.text(6);
  g.recorded_at = millis_from_db(q.int64(7));
  return g;
}

}  // namespace sqlite

}  // namespace bsched::storage
