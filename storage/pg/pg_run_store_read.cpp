// The PostgreSQL store's reads: recovery's, the command line's (`status`, `history`) and the
// totals the metrics start from; the meaning of sqlite_run_store_read.cpp.
#include "storage/pg/pg_run_store.h"

#include "storage/pg/pg_worker.h"

#include <algorithm>
#include <climits>

namespace bsched::storage::pg {

namespace {

sys_seconds entry_instant(const HistoryEntry& e) {
  if (const auto* run = std::get_if<RunRow>(&e)) return run->slot;
  return std::get<SlotGap>(e).last;
}

// Runs and gaps, both newest first: merged, the newest `limit` kept.
std::vector<HistoryEntry> merge_newest(std::vector<RunRow> runs, std::vector<SlotGap> gaps,
                                       int limit) {
  std::vector<HistoryEntry> out;
  out.reserve(runs.size() + gaps.size());
  for (auto& r : runs) out.emplace_back(std::move(r));
  for (auto& g : gaps) out.emplace_back(std::move(g));
  std::stable_sort(out.begin(), out.end(), [](const HistoryEntry& a, const HistoryEntry& b) {
    return entry_instant(a) > entry_instant(b);
  });
  if (out.size() > static_cast<size_t>(std::max(limit, 0))) out.resize(std::max(limit, 0));
  return out;
}

const std::string k_min_slot = std::to_string(LLONG_MIN);

}  // namespace

StoreResult<std::vector<std::string>> PgRunStore::finished_execution_ids(
    const std::string& job, sys_seconds slot_since, SysMillis finished_since) {
  return read_texts("SELECT execution_id FROM runs WHERE job = $1 AND slot >= $2::bigint "
                    "AND finished_at >= $3::bigint AND execution_id <> ''",
                    PgParams{p(job), p(slot_since), p(finished_since)});
}

// Through runs_execution (migration 3); the ids travel as one JSON array.
StoreResult<std::vector<std::string>> PgRunStore::held_execution_ids(
    const std::vector<std::string>& execution_ids) {
  if (execution_ids.empty()) return std::vector<std::string>{};
  return read_texts("SELECT DISTINCT execution_id FROM runs WHERE execution_id IN "
                    "(SELECT jsonb_array_elements_text($1::jsonb)) AND execution_id <> ''",
                    PgParams{json_text_array(execution_ids)});
}

StoreResult<std::vector<RunRow>> PgRunStore::recent_runs(const std::string& job, int limit) {
  return read_runs("SELECT " BSCHED_PG_RUN_COLUMNS " FROM runs WHERE job = $1 "
                   "ORDER BY slot DESC, id DESC LIMIT $2::bigint",
                   PgParams{p(job), p(limit)});
}

StoreResult<std::vector<std::string>> PgRunStore::in_flight_jobs() {
  return read_texts("SELECT DISTINCT job FROM runs WHERE finished_at IS NULL ORDER BY job", {});
}

// A loose index scan of runs_job_slot: one lookup per job, however many runs each has.
StoreResult<std::vector<std::string>> PgRunStore::known_jobs() {
  return read_texts(
      "WITH RECURSIVE names(job) AS (SELECT min(job) FROM runs UNION ALL "
      "SELECT (SELECT min(job) FROM runs WHERE job > names.job) FROM names "
      "WHERE names.job IS NOT NULL) "
      "SELECT job FROM names WHERE job IS NOT NULL UNION SELECT job FROM job_state ORDER BY 1",
      {});
}

StoreResult<std::vector<SlotGap>> PgRunStore::gaps(const std::string& job, int limit) {
  return read_gaps("SELECT " BSCHED_PG_GAP_COLUMNS " FROM slot_gaps WHERE job = $1 "
                   "ORDER BY last DESC, id DESC LIMIT $2::bigint",
                   PgParams{p(job), p(limit)});
}

StoreResult<std::vector<HistoryEntry>> PgRunStore::history(const std::string& job, int limit) {
  if (!job.empty()) {
    BSCHED_TRY_ASSIGN(runs, recent_runs(job, limit));
    BSCHED_TRY_ASSIGN(job_gaps, gaps(job, limit));
    return merge_newest(std::move(runs), std::move(job_gaps), limit);
  }
  BSCHED_TRY_ASSIGN(runs, read_runs("SELECT " BSCHED_PG_RUN_COLUMNS
                                    " FROM runs ORDER BY slot DESC, id DESC LIMIT $1::bigint",
                                    PgParams{p(limit)}));
  BSCHED_TRY_ASSIGN(all_gaps, read_gaps("SELECT " BSCHED_PG_GAP_COLUMNS " FROM slot_gaps "
                                        "ORDER BY last DESC, id DESC LIMIT $1::bigint",
                                        PgParams{p(limit)}));
  return merge_newest(std::move(runs), std::move(all_gaps), limit);
}

StoreResult<std::vector<HistoryEntry>> PgRunStore::history_before(const std::string& job,
                                                                  sys_seconds before,
                                                                  int limit) {
  BSCHED_TRY_ASSIGN(runs, read_runs("SELECT " BSCHED_PG_RUN_COLUMNS " FROM runs WHERE job = $1 "
                                    "AND slot < $2::bigint ORDER BY slot DESC, id DESC "
                                    "LIMIT $3::bigint",
                                    PgParams{p(job), p(before), p(limit)}));
  BSCHED_TRY_ASSIGN(older, read_gaps("SELECT " BSCHED_PG_GAP_COLUMNS " FROM slot_gaps WHERE "
                                     "job = $1 AND last < $2::bigint ORDER BY last DESC, "
                                     "id DESC LIMIT $3::bigint",
                                     PgParams{p(job), p(before), p(limit)}));
  return merge_newest(std::move(runs), std::move(older), limit);
}

StoreResult<JobSummary> PgRunStore::job_summary(const std::string& job) {
  JobSummary s;
  BSCHED_TRY_ASSIGN(state, job_state(job));
  s.state = std::move(state);
  BSCHED_TRY_ASSIGN(last, recent_runs(job, 1));
  if (!last.empty()) s.last_run = std::move(last.front());
  // Missed slots after the last success: ranges of the ledger plus single runs that ended
  // missed. Without a success yet, every missed slot counts.
  auto since = s.state.last_success_slot ? p(*s.state.last_success_slot)
                                            : std::optional<std::string>(k_min_slot);
  PgParams ps{p(job), since};
  auto counts = m_worker->call<std::pair<std::int64_t, std::int64_t>>(
      [ps](PgSession& q) -> awaitable<StoreResult<std::pair<std::int64_t, std::int64_t>>> {
        BSCHED_CO_TRY_ASSIGN(
            r, q.query("SELECT (SELECT count(*) FROM runs WHERE job = $1 AND finished_at IS NULL), "
                       "(SELECT coalesce(sum(count), 0) FROM slot_gaps WHERE job = $1 AND "
                       "last > $2::bigint AND kind = 'missed') + (SELECT count(*) FROM runs "
                       "WHERE job = $1 AND state = 'missed' AND slot > $2::bigint)",
                       ps));
        co_return std::pair<std::int64_t, std::int64_t>{i64(r, 0, 0), i64(r, 0, 1)};
      });
  if (!counts) return counts.error();
  s.in_flight = counts->first;
  s.missed_since_success = counts->second;
  return s;
}

// Whole-table aggregates, read once when the daemon starts (its metrics go on from them).
StoreResult<StoreTotals> PgRunStore::totals() {
  return m_worker->call<StoreTotals>([](PgSession& s) -> awaitable<StoreResult<StoreTotals>> {
    StoreTotals t;
    BSCHED_CO_TRY_ASSIGN(r, s.query("SELECT job, trigger, state, attempts > 0, count(*), "
                                    "max(slot) FROM runs GROUP BY 1, 2, 3, 4"));
    for (std::size_t i = 0; i < r.rows.size(); ++i) {
      auto trigger = trigger_from_string(text(r, i, 1));
      auto state = run_state_from_string(text(r, i, 2));
      if (!trigger || !state) continue;  // a value this version does not know: not counted
      t.runs.push_back({text(r, i, 0), *trigger, *state, boolean(r, i, 3), i64(r, i, 4),
                        secs(r, i, 5)});
    }
    BSCHED_CO_TRY_ASSIGN(g, s.query("SELECT job, kind, reason, sum(count) FROM slot_gaps "
                                    "GROUP BY 1, 2, 3"));
    for (std::size_t i = 0; i < g.rows.size(); ++i) {
      auto kind = run_state_from_string(text(g, i, 1));
      if (!kind) continue;
      t.gaps.push_back({text(g, i, 0), *kind, text(g, i, 2), i64(g, i, 3)});
    }
    PgParams ps{k_min_slot};
    BSCHED_CO_TRY_ASSIGN(
        j, s.query("SELECT j.job, "
                   "(SELECT coalesce(sum(count), 0) FROM slot_gaps g WHERE g.job = j.job "
                   " AND g.kind = 'missed' AND g.last > coalesce(j.last_success_slot, $1::bigint)) + "
                   "(SELECT count(*) FROM runs r WHERE r.job = j.job AND r.state = 'missed' "
                   " AND r.slot > coalesce(j.last_success_slot, $1::bigint)) "
                   "FROM job_state j",
                   std::move(ps)));
    for (std::size_t i = 0; i < j.rows.size(); ++i) t.jobs.push_back({text(j, i, 0), i64(j, i, 1)});
    co_return t;
  });
}

}  // namespace bsched::storage::pg
