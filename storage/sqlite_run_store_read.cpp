// Read queries behind `status`, `history` and the daemon's recovery. Each one walks an index
// (from its newest end, or from a bound), so its cost does not grow with the runs stored.
#include "storage/sqlite_run_store.h"

#include "storage/sqlite.h"
#include "storage/sqlite_rows.h"

#include <algorithm>
#include <cstdint>

namespace bsched::storage {

using namespace sqlite;

namespace {

StoreResult<std::vector<RunRow>> collect_runs(Query& q) {
  std::vector<RunRow> rows;
  for (;;) {
    BSCHED_TRY_ASSIGN(more, q.step());
    if (!more) break;
    rows.push_back(read_run(q));
  }
  return rows;
}

StoreResult<std::vector<std::string>> collect_texts(Query& q) {
  std::vector<std::string> texts;
  for (;;) {
    BSCHED_TRY_ASSIGN(more, q.step());
    if (!more) break;
    texts.push_back(q.text(0));
  }
  return texts;
}

sys_seconds entry_instant(const HistoryEntry& e) {
  if (const auto* run = std::get_if<RunRow>(&e)) return run->slot;
  return std::get<SlotGap>(e).last;
}

}  // namespace

StoreResult<std::vector<RunRow>> SqliteRunStore::recent_runs(const std::string& job, int limit) {
  BSCHED_TRY_ASSIGN(q, m_db->prepare("SELECT " BSCHED_RUN_COLUMNS " FROM runs WHERE job = ? "
                                     "ORDER BY slot DESC, id DESC LIMIT ?"));
  q.bind(1, job).bind(2, limit);
  return collect_runs(q);
}

StoreResult<std::vector<std::string>> SqliteRunStore::in_flight_jobs() {
  BSCHED_TRY_ASSIGN(q, m_db->prepare("SELECT DISTINCT job FROM runs WHERE finished_at IS NULL "
                                     "ORDER BY job"));
  return collect_texts(q);
}

// A loose index scan of runs_job_slot: one lookup per job, however many runs each has.
StoreResult<std::vector<std::string>> SqliteRunStore::known_jobs() {
  BSCHED_TRY_ASSIGN(q, m_db->prepare(
                           "WITH RECURSIVE names(job) AS (SELECT min(job) FROM runs UNION ALL "
                           "SELECT (SELECT min(job) FROM runs WHERE job > names.job) FROM names "
                           "WHERE names.job IS NOT NULL) "
                           "SELECT job FROM names WHERE job IS NOT NULL UNION "
                           "SELECT job FROM job_state ORDER BY 1"));
  return collect_texts(q);
}

// Through runs_job_slot (job, slot): only the job's rows from `slot_since` on are read.
StoreResult<std::vector<std::string>> SqliteRunStore::finished_execution_ids(
    const std::string& job, sys_seconds slot_since, SysMillis finished_since) {
  BSCHED_TRY_ASSIGN(q, m_db->prepare("SELECT execution_id FROM runs WHERE job = ?1 AND slot >= ?2 "
                                     "AND finished_at >= ?3 AND execution_id <> ''"));
  q.bind(1, job).bind(2, to_db(slot_since)).bind(3, to_db(finished_since));
  return collect_texts(q);
}

// Through runs_execution (version 8); the ids travel as one JSON array, escaped whatever they
// hold.
StoreResult<std::vector<std::string>> SqliteRunStore::held_execution_ids(
    const std::vector<std::string>& execution_ids) {
  if (execution_ids.empty()) return std::vector<std::string>{};
  BSCHED_TRY_ASSIGN(q, m_db->prepare("SELECT DISTINCT execution_id FROM runs WHERE execution_id "
                                     "IN (SELECT value FROM json_each(?1)) AND execution_id <> ''"));
  q.bind(1, json_text_array(execution_ids));
  return collect_texts(q);
}

StoreResult<std::vector<SlotGap>> SqliteRunStore::gaps(const std::string& job, int limit) {
  return read_gaps("SELECT " BSCHED_GAP_COLUMNS
                   " FROM slot_gaps WHERE job = ? ORDER BY last DESC, id DESC LIMIT ?",
                   job, limit);
}

StoreResult<std::vector<HistoryEntry>> SqliteRunStore::history(const std::string& job,
                                                               int limit) {
  std::vector<RunRow> runs;
  std::vector<SlotGap> gap_rows;
  if (job.empty()) {
    BSCHED_TRY_ASSIGN(q, m_db->prepare("SELECT " BSCHED_RUN_COLUMNS
                                       " FROM runs ORDER BY slot DESC, id DESC LIMIT ?"));
    q.bind(1, limit);
    BSCHED_TRY_ASSIGN(all_runs, collect_runs(q));
    runs = std::move(all_runs);
    BSCHED_TRY_ASSIGN(g, m_db->prepare("SELECT " BSCHED_GAP_COLUMNS
                                       " FROM slot_gaps ORDER BY last DESC, id DESC LIMIT ?"));
    g.bind(1, limit);
    for (;;) {
      BSCHED_TRY_ASSIGN(more, g.step());
      if (!more) break;
      gap_rows.push_back(read_gap(g));
    }
  } else {
    BSCHED_TRY_ASSIGN(job_runs, recent_runs(job, limit));
    runs = std::move(job_runs);
    BSCHED_TRY_ASSIGN(job_gaps, gaps(job, limit));
    gap_rows = std::move(job_gaps);
  }
  // Both lists are newest first; merge them and keep the newest `limit`.
  std::vector<HistoryEntry> out;
  out.reserve(runs.size() + gap_rows.size());
  for (auto& r : runs) out.emplace_back(std::move(r));
  for (auto& g : gap_rows) out.emplace_back(std::move(g));
  std::stable_sort(out.begin(), out.end(), [](const HistoryEntry& a, const HistoryEntry& b) {
    return entry_instant(a) > entry_instant(b);
  });
  if (out.size() > static_cast<size_t>(std::max(limit, 0))) out.resize(std::max(limit, 0));
  return out;
}

StoreResult<std::vector<HistoryEntry>> SqliteRunStore::history_before(const std::string& job,
                                                                      sys_seconds before,
                                                                      int limit) {
  BSCHED_TRY_ASSIGN(q, m_db->prepare("SELECT " BSCHED_RUN_COLUMNS " FROM runs WHERE job = ? "
                                     "AND slot < ? ORDER BY slot DESC, id DESC LIMIT ?"));
  q.bind(1, job).bind(2, to_db(before)).bind(3, limit);
  BSCHED_TRY_ASSIGN(runs, collect_runs(q));
  BSCHED_TRY_ASSIGN(g, m_db->prepare("SELECT " BSCHED_GAP_COLUMNS " FROM slot_gaps WHERE job = ? "
                                     "AND last < ? ORDER BY last DESC, id DESC LIMIT ?"));
  g.bind(1, job).bind(2, to_db(before)).bind(3, limit);
  std::vector<HistoryEntry> out;
  for (auto& r : runs) out.emplace_back(std::move(r));
  for (;;) {
    BSCHED_TRY_ASSIGN(more, g.step());
    if (!more) break;
    out.emplace_back(read_gap(g));
  }
  std::stable_sort(out.begin(), out.end(), [](const HistoryEntry& a, const HistoryEntry& b) {
    return entry_instant(a) > entry_instant(b);
  });
  if (out.size() > static_cast<size_t>(std::max(limit, 0))) out.resize(std::max(limit, 0));
  return out;
}

StoreResult<JobSummary> SqliteRunStore::job_summary(const std::string& job) {
  JobSummary s;
  BSCHED_TRY_ASSIGN(state, job_state(job));
  s.state = std::move(state);
  BSCHED_TRY_ASSIGN(last, recent_runs(job, 1));
  if (!last.empty()) s.last_run = std::move(last.front());

  BSCHED_TRY_ASSIGN(q, m_db->prepare("SELECT count(*) FROM runs WHERE job = ? AND "
                                     "finished_at IS NULL"));
  q.bind(1, job);
  BSCHED_TRY(q.step());
  s.in_flight = q.int64(0);

  // Missed slots after the last success: ranges of the ledger plus single runs that ended
  // missed. Without a success yet, every missed slot counts.
  std::int64_t since = s.state.last_success_slot ? to_db(*s.state.last_success_slot) : INT64_MIN;
  BSCHED_TRY_ASSIGN(g, m_db->prepare("SELECT coalesce(sum(count), 0) FROM slot_gaps WHERE "
                                     "job = ? AND last > ? AND kind = 'missed'"));
  g.bind(1, job).bind(2, since);
  BSCHED_TRY(g.step());
  s.missed_since_success = g.int64(0);
  BSCHED_TRY_ASSIGN(m, m_db->prepare("SELECT count(*) FROM runs WHERE job = ? AND "
                                     "state = 'missed' AND slot > ?"));
  m.bind(1, job).bind(2, since);
  BSCHED_TRY(m.step());
  s.missed_since_success += m.int64(0);
  return s;
}

// Whole-table aggregates, read once when the daemon starts (its metrics go on from them).
StoreResult<StoreTotals> SqliteRunStore::totals() {
  StoreTotals t;
  BSCHED_TRY_ASSIGN(r, m_db->prepare("SELECT job, trigger, state, attempts > 0, count(*), max(slot) "
                                     "FROM runs GROUP BY 1, 2, 3, 4"));
  for (;;) {
    BSCHED_TRY_ASSIGN(more, r.step());
    if (!more) break;
    auto trigger = trigger_from_string(r.text(1));
    auto state = run_state_from_string(r.text(2));
    if (!trigger || !state) continue;  // a value this version does not know: not counted
    t.runs.push_back({r.text(0), *trigger, *state, r.int64(3) != 0, r.int64(4),
                      sys_seconds(std::chrono::seconds(r.int64(5)))});
  }
  BSCHED_TRY_ASSIGN(g, m_db->prepare("SELECT job, kind, reason, sum(count) FROM slot_gaps "
                                     "GROUP BY 1, 2, 3"));
  for (;;) {
    BSCHED_TRY_ASSIGN(more, g.step());
    if (!more) break;
    auto kind = run_state_from_string(g.text(1));
    if (!kind) continue;
    t.gaps.push_back({g.text(0), *kind, g.text(2), g.int64(3)});
  }
  // Missed slots after each job's last success, as job_summary counts them.
  BSCHED_TRY_ASSIGN(j, m_db->prepare(
                           "SELECT j.job, "
                           "(SELECT coalesce(sum(count), 0) FROM slot_gaps g WHERE g.job = j.job "
                           " AND g.kind = 'missed' AND g.last > coalesce(j.last_success_slot, ?1)) + "
                           "(SELECT count(*) FROM runs r WHERE r.job = j.job AND r.state = 'missed' "
                           " AND r.slot > coalesce(j.last_success_slot, ?1)) "
                           "FROM job_state j"));
  j.bind(1, INT64_MIN);
  for (;;) {
    BSCHED_TRY_ASSIGN(more, j.step());
    if (!more) break;
    t.jobs.push_back({j.text(0), j.int64(1)});
  }
  return t;
}

}  // namespace bsched::storage
