// The PostgreSQL store's missed-slot ledger, job state, operator commands, heartbeat, daemon
// notes and pruning: the meaning of SqliteRunStore's (sqlite_run_store_state.cpp).
#include "storage/pg/pg_run_store.h"

#include "storage/pg/pg_lease.h"
#include "storage/pg/pg_worker.h"

#include <fmt/core.h>

#include <algorithm>
#include <chrono>

namespace bsched::storage::pg {

namespace {

// Merges with the job's latest range when kind and reason match, the new range follows it
// and no run of the job took a slot in between; else a new row. Moves the horizon to the
// range's last slot. One statement: atomic without a transaction of its own. The row is
// updated by its ctid: a batch merging thousands of slots into one range leaves as many dead
// versions of it in the id index until it commits, which a lookup by id would walk each time.
constexpr const char* k_record_gap = R"(
WITH prev AS (
  SELECT ctid, kind, reason, last FROM slot_gaps WHERE job = $1 ORDER BY last DESC LIMIT 1),
merge AS (
  SELECT ctid FROM prev WHERE kind = $2 AND reason = $6 AND $3::bigint > last
    AND NOT EXISTS (SELECT 1 FROM runs r WHERE r.job = $1 AND r.slot > prev.last
                    AND r.slot < $3::bigint)),
grown AS (
  UPDATE slot_gaps g SET last = $4::bigint, count = g.count + $5::bigint,
    recorded_at = $7::bigint
  FROM merge WHERE g.ctid = merge.ctid RETURNING g.id),
added AS (
  INSERT INTO slot_gaps (job, kind, first, last, count, reason, recorded_at)
  SELECT $1, $2, $3::bigint, $4::bigint, $5::bigint, $6, $7::bigint
  WHERE NOT EXISTS (SELECT 1 FROM merge) RETURNING id),
horizon AS (
  INSERT INTO job_state AS j (job, horizon) VALUES ($1, $4::bigint)
  ON CONFLICT (job) DO UPDATE SET
    horizon = greatest(coalesce(j.horizon, excluded.horizon), excluded.horizon)
  RETURNING 1)
SELECT (SELECT count(*) FROM grown) + (SELECT count(*) FROM added) + (SELECT count(*) FROM horizon))";

// Marks every command not yet taken and returns them; a second node's concurrent take skips
// the rows this one holds.
constexpr const char* k_take_commands = R"(
UPDATE commands SET taken_at = $1::bigint WHERE id IN (
  SELECT id FROM commands WHERE taken_at IS NULL AND kind IN ('trigger', 'pause', 'resume')
  ORDER BY id FOR UPDATE SKIP LOCKED)
RETURNING id, kind, job, args_json, requested_by, requested_at)";

// Runs by slot (terminal only), gaps by their last slot, taken commands, settled alert
// deliveries, then events left without one. The parameters each uses: the cut-off in
// seconds or in ms, and the batch left.
struct PruneStep {
  const char* sql;
  bool millis;
};
constexpr PruneStep k_prune_steps[] = {
    {"DELETE FROM runs WHERE id IN (SELECT id FROM runs WHERE slot < $1::bigint AND "
     "finished_at IS NOT NULL LIMIT $2::bigint)",
     false},
    {"DELETE FROM slot_gaps WHERE id IN (SELECT id FROM slot_gaps WHERE last < $1::bigint "
     "LIMIT $2::bigint)",
     false},
    {"DELETE FROM commands WHERE id IN (SELECT id FROM commands WHERE taken_at IS NOT NULL "
     "AND requested_at < $1::bigint LIMIT $2::bigint)",
     true},
    {"DELETE FROM alert_deliveries WHERE id IN (SELECT id FROM alert_deliveries WHERE "
     "(delivered_at IS NOT NULL OR failed_at IS NOT NULL) AND next_attempt_at < $1::bigint "
     "LIMIT $2::bigint)",
     true},
    {"DELETE FROM alert_events WHERE id IN (SELECT e.id FROM alert_events e WHERE "
     "e.created_at < $1::bigint AND NOT EXISTS (SELECT 1 FROM alert_deliveries d WHERE "
     "d.event = e.id) LIMIT $2::bigint)",
     true},
};

}  // namespace

StoreResult<void> PgRunStore::record_gap(const SlotGap& gap) {
  if (gap.kind != RunState::missed && gap.kind != RunState::skipped)
    return StoreError{StoreErrorKind::io, "a slot gap is either missed or skipped"};
  PgParams ps{p(gap.job),   p(to_string(gap.kind)), p(gap.first), p(gap.last),
              p(gap.count), p(gap.reason),          p(gap.recorded_at)};
  return m_worker->call<void>([ps](PgSession& s) -> awaitable<StoreResult<void>> {
    BSCHED_CO_TRY(s.query(k_record_gap, ps));
    co_return StoreResult<void>{};
  });
}

StoreResult<std::vector<SlotGap>> PgRunStore::read_gaps(std::string sql, PgParams params) {
  return m_worker->call<std::vector<SlotGap>>(
      [sql, params](PgSession& s) -> awaitable<StoreResult<std::vector<SlotGap>>> {
        BSCHED_CO_TRY_ASSIGN(r, s.query(sql, params));
        std::vector<SlotGap> out;
        for (std::size_t i = 0; i < r.rows.size(); ++i) out.push_back(read_gap(r, i));
        co_return out;
      });
}

StoreResult<JobState> PgRunStore::job_state(const std::string& job) {
  PgParams ps{p(job)};
  return m_worker->call<JobState>([ps, job](PgSession& s) -> awaitable<StoreResult<JobState>> {
    BSCHED_CO_TRY_ASSIGN(r, s.query("SELECT paused, pause_note, paused_by, paused_at, "
                                    "last_success_slot, horizon FROM job_state WHERE job = $1",
                                    ps));
    JobState st;
    st.job = job;
    if (r.rows.empty()) co_return st;
    st.paused = boolean(r, 0, 0);
    st.pause_note = text(r, 0, 1);
    st.paused_by = text(r, 0, 2);
    st.paused_at = opt_millis(r, 0, 3);
    st.last_success_slot = opt_seconds(r, 0, 4);
    st.horizon = opt_seconds(r, 0, 5);
    co_return st;
  });
}

namespace {

// One statement whose answer is not needed.
StoreResult<void> run_one(PgWorker& w, std::string sql, PgParams params) {
  return w.call<void>([sql, params](PgSession& s) -> awaitable<StoreResult<void>> {
    BSCHED_CO_TRY(s.query(sql, params));
    co_return StoreResult<void>{};
  });
}

}  // namespace

StoreResult<void> PgRunStore::set_paused(const std::string& job, bool paused,
                                         const std::string& note, const std::string& who,
                                         SysMillis now) {
  // Resuming clears the pause's description; who resumed is in the command log.
  PgParams ps{p(job), p(paused), p(paused ? note : std::string()),
              p(paused ? who : std::string()),
              paused ? p(now) : std::optional<std::string>()};
  return run_one(*m_worker,
                 "INSERT INTO job_state (job, paused, pause_note, paused_by, paused_at) "
                 "VALUES ($1, $2::boolean, $3, $4, $5::bigint) ON CONFLICT (job) DO UPDATE SET "
                 "paused = excluded.paused, pause_note = excluded.pause_note, "
                 "paused_by = excluded.paused_by, paused_at = excluded.paused_at",
                 std::move(ps));
}

StoreResult<void> PgRunStore::set_horizon(const std::string& job, sys_seconds horizon) {
  return run_one(*m_worker,
                 "INSERT INTO job_state (job, horizon) VALUES ($1, $2::bigint) "
                 "ON CONFLICT (job) DO UPDATE SET horizon = excluded.horizon",
                 PgParams{p(job), p(horizon)});
}

StoreResult<std::int64_t> PgRunStore::enqueue_command(const Command& c) {
  PgParams ps{p(to_string(c.kind)), p(c.job), p(c.args_json.empty() ? "{}" : c.args_json),
              p(c.requested_by), p(c.requested_at)};
  return m_worker->call<std::int64_t>([ps](PgSession& s) -> awaitable<StoreResult<std::int64_t>> {
    BSCHED_CO_TRY_ASSIGN(r, s.query("INSERT INTO commands (kind, job, args_json, requested_by, "
                                    "requested_at) VALUES ($1, $2, $3, $4, $5::bigint) "
                                    "RETURNING id",
                                    ps));
    co_return i64(r, 0, 0);
  });
}

StoreResult<std::vector<Command>> PgRunStore::take_commands(SysMillis now) {
  PgParams ps{p(now)};
  return m_worker->call<std::vector<Command>>(
      [ps](PgSession& s) -> awaitable<StoreResult<std::vector<Command>>> {
        BSCHED_CO_TRY_ASSIGN(r, s.query(k_take_commands, ps));
        std::vector<Command> out;
        for (std::size_t i = 0; i < r.rows.size(); ++i) {
          auto kind = command_kind_from_string(text(r, i, 1));
          if (!kind) continue;
          out.push_back(Command{i64(r, i, 0), *kind, text(r, i, 2), text(r, i, 3),
                                text(r, i, 4), millis(r, i, 5)});
        }
        std::sort(out.begin(), out.end(),
                  [](const Command& a, const Command& b) { return a.id < b.id; });
        co_return out;
      });
}

StoreResult<void> PgRunStore::write_heartbeat(const Heartbeat& h) {
  PgParams ps{p(h.pid),
              p(h.started_at),
              p(h.updated_at),
              p(h.config_loaded_at),
              p(h.config_fingerprint),
              p(h.platform_state),
              p(h.store_state.empty() ? std::string("ok") : h.store_state)};
  return run_one(*m_worker,
                 "INSERT INTO heartbeat (id, pid, started_at, updated_at, config_loaded_at, "
                 "config_fingerprint, platform_state, store_state) VALUES (1, $1::integer, "
                 "$2::bigint, $3::bigint, $4::bigint, $5, $6, $7) ON CONFLICT (id) DO UPDATE SET "
                 "pid = excluded.pid, started_at = excluded.started_at, "
                 "updated_at = excluded.updated_at, config_loaded_at = excluded.config_loaded_at, "
                 "config_fingerprint = excluded.config_fingerprint, "
                 "platform_state = excluded.platform_state, store_state = excluded.store_state",
                 std::move(ps));
}

StoreResult<std::optional<Heartbeat>> PgRunStore::read_heartbeat() {
  return m_worker->call<std::optional<Heartbeat>>(
      [](PgSession& s) -> awaitable<StoreResult<std::optional<Heartbeat>>> {
        BSCHED_CO_TRY_ASSIGN(r, s.query("SELECT pid, started_at, updated_at, config_loaded_at, "
                                        "config_fingerprint, platform_state, store_state "
                                        "FROM heartbeat"));
        if (r.rows.empty()) co_return std::optional<Heartbeat>();
        Heartbeat h;
        h.pid = static_cast<int>(i64(r, 0, 0));
        h.started_at = millis(r, 0, 1);
        h.updated_at = millis(r, 0, 2);
        h.config_loaded_at = millis(r, 0, 3);
        h.config_fingerprint = text(r, 0, 4);
        h.platform_state = text(r, 0, 5);
        h.store_state = text(r, 0, 6);
        co_return std::optional<Heartbeat>(std::move(h));
      });
}

StoreResult<void> PgRunStore::write_daemon_notes(const DaemonNotes& n) {
  PgParams ps{p(n.pid), p(n.stopped_at), p(n.reload_failed_at), p(n.reload_errors),
              p(n.reload_error)};
  return run_one(*m_worker,
                 "INSERT INTO daemon_notes (id, pid, stopped_at, reload_failed_at, "
                 "reload_errors, reload_error) VALUES (1, $1::integer, $2::bigint, $3::bigint, "
                 "$4::integer, $5) ON CONFLICT (id) DO UPDATE SET pid = excluded.pid, "
                 "stopped_at = excluded.stopped_at, reload_failed_at = excluded.reload_failed_at, "
                 "reload_errors = excluded.reload_errors, reload_error = excluded.reload_error",
                 std::move(ps));
}

StoreResult<std::optional<DaemonNotes>> PgRunStore::read_daemon_notes() {
  return m_worker->call<std::optional<DaemonNotes>>(
      [](PgSession& s) -> awaitable<StoreResult<std::optional<DaemonNotes>>> {
        BSCHED_CO_TRY_ASSIGN(r, s.query("SELECT pid, stopped_at, reload_failed_at, "
                                        "reload_errors, reload_error FROM daemon_notes"));
        if (r.rows.empty()) co_return std::optional<DaemonNotes>();
        DaemonNotes n;
        n.pid = static_cast<int>(i64(r, 0, 0));
        n.stopped_at = opt_millis(r, 0, 1);
        n.reload_failed_at = opt_millis(r, 0, 2);
        n.reload_errors = static_cast<int>(i64(r, 0, 3));
        n.reload_error = text(r, 0, 4);
        co_return std::optional<DaemonNotes>(std::move(n));
      });
}

StoreResult<std::vector<NodeInfo>> PgRunStore::nodes() {
  return m_worker->call<std::vector<NodeInfo>>(
      [](PgSession& s) -> awaitable<StoreResult<std::vector<NodeInfo>>> {
        PgParams ps{p(k_lease_name)};
        BSCHED_CO_TRY_ASSIGN(
            r, s.query("SELECT n.name, coalesce(n.version, ''), coalesce(n.role, ''), "
                       "coalesce(n.epoch, 0), "
                       "coalesce((extract(epoch FROM n.last_seen) * 1000)::bigint, 0), "
                       "coalesce(l.holder = n.name AND l.expires_at > now(), false) "
                       "FROM nodes n LEFT JOIN leader_lease l ON l.name = $1 "
                       "ORDER BY n.name COLLATE \"C\"",
                       std::move(ps)));
        std::vector<NodeInfo> out;
        for (std::size_t i = 0; i < r.rows.size(); ++i) {
          NodeInfo n;
          n.name = text(r, i, 0);
          n.version = text(r, i, 1);
          n.role = text(r, i, 2);
          n.epoch = i64(r, i, 3);
          n.last_seen = SysMillis{Millis{i64(r, i, 4)}};
          n.leads = text(r, i, 5) == "t";
          out.push_back(std::move(n));
        }
        co_return out;
      });
}

StoreResult<std::int64_t> PgRunStore::prune(SysMillis before, int batch) {
  auto cutoff = std::chrono::floor<std::chrono::seconds>(before);
  return m_worker->call<std::int64_t>(
      [cutoff, before, batch](PgSession& s) -> awaitable<StoreResult<std::int64_t>> {
        co_return co_await s.atomically<std::int64_t>(
            [&]() -> awaitable<StoreResult<std::int64_t>> {
              std::int64_t removed = 0;
              for (const auto& step : k_prune_steps) {
                if (removed >= batch) break;
                PgParams ps{step.millis ? p(before) : p(cutoff), p(batch - removed)};
                BSCHED_CO_TRY_ASSIGN(r, s.query(step.sql, std::move(ps)));
                removed += r.affected;
              }
              co_return removed;
            });
      });
}

}  // namespace bsched::storage::pg
