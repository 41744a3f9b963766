// Opening the PostgreSQL store, its transactions and the life of runs: create_run,
// transition, update, find_run.
#include "storage/pg/pg_run_store.h"

#include "storage/new_run_row.h"
#include "storage/pg/pg_migrations.h"
#include "storage/pg/pg_worker.h"

#include <fmt/core.h>

#include <algorithm>
#include <array>

namespace bsched::storage::pg {

namespace {

// One run per (job, slot) of schedule and catch-up runs: a second one inserts nothing (and
// leaves the caller's transaction usable). The horizon moves in the same statement.
constexpr const char* k_insert_run = R"(
WITH r AS (
  INSERT INTO runs (run_id, job, trigger, slot, state, attempts, properties_json, created_at,
                    submitting_at, last_sent_at, maybe_accepted)
  VALUES ($1, $2, $3, $4::bigint, $5, $6::integer, $7, $8::bigint, $9::bigint, $10::bigint,
          $11::boolean)
  ON CONFLICT (job, slot) WHERE trigger IN ('schedule', 'catchup') DO NOTHING
  RETURNING id, job, slot),
h AS (
  INSERT INTO job_state AS j (job, horizon) SELECT job, slot FROM r WHERE $12::boolean
  ON CONFLICT (job) DO UPDATE SET
    horizon = greatest(coalesce(j.horizon, excluded.horizon), excluded.horizon))
SELECT id FROM r)";

constexpr const char* k_write_run = R"(
UPDATE runs SET state = $1, attempts = $2::integer, request_id = $3, execution_id = $4,
  remote_status = $5, message = $6, last_error = $7, properties_json = $8,
  submitting_at = $9::bigint, submitted_at = $10::bigint, running_at = $11::bigint,
  finished_at = $12::bigint, last_sent_at = $13::bigint, next_action_at = $14::bigint,
  execution_time = $15::bigint, duration_ms = $16::bigint, inbound_documents = $17::bigint,
  outbound_documents = $18::bigint, inbound_error_documents = $19::bigint,
  maybe_accepted = $20::boolean, matched_by = $21
WHERE id = $22::bigint)";

constexpr const char* k_note_success = R"(
INSERT INTO job_state AS j (job, last_success_slot) VALUES ($1, $2::bigint)
ON CONFLICT (job) DO UPDATE SET
  last_success_slot = greatest(coalesce(j.last_success_slot, excluded.last_success_slot),
                               excluded.last_success_slot))";

// SendFence's check, the last statement in the transaction of the write it guards: the
// lease row's share lock is then held only from here to the commit (a renewal or a standby's
// claim waits for no slower statement), and clock_timestamp() judges the margin at that
// moment, not at the start of the transaction as now() would.
awaitable<StoreResult<void>> check_fence(PgSession& s, const std::optional<SendFence>& f) {
  if (!f) co_return StoreResult<void>{};
  PgParams ps{p(f->lease_name), p(f->node), p(f->epoch), p(std::int64_t{f->margin.count()})};
  BSCHED_CO_TRY_ASSIGN(r, s.query("SELECT 1 FROM leader_lease WHERE name = $1 AND holder = $2 "
                                  "AND epoch = $3::bigint AND expires_at > clock_timestamp() + "
                                  "$4::bigint * interval '1 millisecond' FOR SHARE",
                                  std::move(ps)));
  if (r.rows.empty())
    co_return StoreError{StoreErrorKind::io,
                         fmt::format("node {} does not hold the leader lease under epoch {} with "
                                     "{} ms left: the request is not sent",
                                     f->node, f->epoch, f->margin.count())};
  co_return StoreResult<void>{};
}

// Whether a write of `update` lets a request leave: one more attempt, possibly accepted.
bool sends(const RunUpdate& update) { return update.maybe_accepted.value_or(false); }

awaitable<StoreResult<RunRow>> load_run(PgSession& s, std::int64_t id) {
  PgParams ps{p(id)};
  BSCHED_CO_TRY_ASSIGN(
      r, s.query("SELECT " BSCHED_PG_RUN_COLUMNS " FROM runs WHERE id = $1::bigint FOR UPDATE",
                 std::move(ps)));
  if (r.rows.empty())
    co_return StoreError{StoreErrorKind::not_found, fmt::format("no run with id {}", id)};
  co_return read_run(r, 0);
}

awaitable<StoreResult<void>> write_run(PgSession& s, const RunRow& r) {
  PgParams ps{p(to_string(r.state)), p(r.attempts), p(r.request_id), p(r.execution_id),
              p(r.remote_status), p(r.message), p(r.last_error), p(r.properties_json),
              p(r.submitting_at), p(r.submitted_at), p(r.running_at), p(r.finished_at),
              p(r.last_sent_at), p(r.next_action_at), p(r.execution_time), p(r.duration_ms),
              p(r.inbound_documents), p(r.outbound_documents), p(r.inbound_error_documents),
              p(r.maybe_accepted), p(r.matched_by), p(r.id)};
  BSCHED_CO_TRY(s.query(k_write_run, std::move(ps)));
  co_return StoreResult<void>{};
}

awaitable<StoreResult<RunRow>> change_run(PgSession& s, std::int64_t id,
                                          std::optional<RunState> to, SysMillis now,
                                          const RunUpdate& update) {
  BSCHED_CO_TRY_ASSIGN(row, load_run(s, id));
  if (to) {
    auto entered = enter_state(row, *to, now, update);
    if (!entered) co_return entered.error();
  } else {
    apply_update(row, update);
  }
  BSCHED_CO_TRY(write_run(s, row));
  if (to && is_success(*to)) {
    PgParams ps{p(row.job), p(row.slot)};
    BSCHED_CO_TRY(s.query(k_note_success, std::move(ps)));
  }
  co_return row;
}

constexpr std::array<std::string_view, 8> k_tables = {
    "runs",      "slot_gaps",    "job_state",    "commands",
    "heartbeat", "daemon_notes", "alert_events", "alert_deliveries"};

// The end of an in_transaction level: commit (or release) when `ok` and nothing inside
// failed, else roll back.
awaitable<StoreResult<void>> end_transaction(PgSession& s, int level, bool ok) {
  auto& w = s.worker();
  if (level > 1) {
    bool failed_before = w.m_savepoint_failed.empty() ? false : w.m_savepoint_failed.back();
    if (!w.m_savepoint_failed.empty()) w.m_savepoint_failed.pop_back();
    if (ok && !w.m_tx_failed) {
      BSCHED_CO_TRY(s.query(fmt::format("RELEASE SAVEPOINT s{}", level)));
      co_return StoreResult<void>{};
    }
    auto why = w.m_tx_error;
    BSCHED_CO_TRY(s.query(fmt::format("ROLLBACK TO SAVEPOINT s{}", level)));
    w.m_tx_failed = failed_before;
    BSCHED_CO_TRY(s.query(fmt::format("RELEASE SAVEPOINT s{}", level)));
    if (ok)
      co_return StoreError{StoreErrorKind::io,
                           fmt::format("rolled back: a statement inside failed ({})", why)};
    co_return StoreResult<void>{};
  }
  bool commit = ok && !w.m_tx_failed;
  auto why = w.m_tx_error;
  // While m_in_tx holds, a lost connection is not silently replaced: a COMMIT on a new one
  // would succeed without committing anything.
  StoreResult<void> out;
  if (commit) {
    auto c = co_await s.query("COMMIT");
    if (!c) out = c.error();
  } else if (s.connected()) {
    auto r = co_await s.query("ROLLBACK");
    if (!r && s.connected()) w.close_connection();
  }
  w.m_in_tx = false;
  w.m_tx_failed = false;
  w.m_tx_error.clear();
  w.m_savepoint_failed.clear();
  if (commit || !ok) co_return out;
  co_return StoreError{StoreErrorKind::io,
                       fmt::format("the transaction was rolled back: a statement inside it "
                                   "failed ({})",
                                   why)};
}

}  // namespace

PgRunStore::PgRunStore(std::unique_ptr<PgWorker> worker) : m_worker(std::move(worker)) {}
PgRunStore::~PgRunStore() = default;

const std::string& PgRunStore::target() const { return m_worker->target(); }

StoreResult<std::unique_ptr<PgRunStore>> PgRunStore::open(const std::string& conninfo,
                                                          const PgStoreOptions& o) {
  auto target = conninfo_target(conninfo);
  if (!target) return StoreError{StoreErrorKind::io, target.error().message};
  auto worker = std::make_unique<PgWorker>(conninfo, *target, o.statement_deadline);
  auto migrated = worker->call<void>([](PgSession& s) -> awaitable<StoreResult<void>> {
    BSCHED_CO_TRY(s.query("SELECT 1"));  // connects
    auto done = co_await run_migrations(*s.worker().connection(), s.worker().deadline());
    if (!done)
      co_return StoreError{StoreErrorKind::io,
                           fmt::format("PostgreSQL ({}): {}", s.worker().target(),
                                       done.error().message)};
    co_return StoreResult<void>{};
  });
  if (!migrated) return migrated.error();
  return std::unique_ptr<PgRunStore>(new PgRunStore(std::move(worker)));
}

void PgRunStore::set_send_fence(std::optional<SendFence> fence) {
  std::lock_guard lock(m_worker->callers());
  m_fence = std::move(fence);
}

std::optional<SendFence> PgRunStore::fence_if(bool sends) {
  std::lock_guard lock(m_worker->callers());
  return sends ? m_fence : std::nullopt;
}

StoreResult<void> PgRunStore::in_transaction(const std::function<StoreResult<void>()>& fn) {
  std::lock_guard lock(m_worker->callers());  // no other thread's call joins the transaction
  int level = ++m_depth;
  struct Leave {
    int& depth;
    ~Leave() { --depth; }
  } leave{m_depth};
  auto begun = m_worker->call<void>([level](PgSession& s) -> awaitable<StoreResult<void>> {
    auto& w = s.worker();
    if (level == 1) {
      BSCHED_CO_TRY(s.query("BEGIN"));
      w.m_in_tx = true;
      w.m_tx_failed = false;
      w.m_tx_error.clear();
      w.m_savepoint_failed.clear();
      co_return StoreResult<void>{};
    }
    if (!w.m_in_tx)
      co_return StoreError{StoreErrorKind::io, "the enclosing transaction was lost"};
    BSCHED_CO_TRY(s.query(fmt::format("SAVEPOINT s{}", level)));
    w.m_savepoint_failed.push_back(w.m_tx_failed);
    co_return StoreResult<void>{};
  });
  auto end = [&](bool ok) {
    return m_worker->call<void>([level, ok](PgSession& s) -> awaitable<StoreResult<void>> {
      co_return co_await end_transaction(s, level, ok);
    });
  };
  if (!begun) {
    // A BEGIN whose answer came too late may still open the transaction after this call
    // gave up on it: the rollback queued behind it closes it.
    if (level == 1) (void)end(false);
    return begun.error();
  }
  auto r = fn();
  auto ended = end(r.has_value());
  if (!r) return r;
  return ended;
}

StoreResult<RunRow> PgRunStore::create_run(const NewRun& run, SysMillis now) {
  RunRow row = new_run_row(run, now);
  if (run.submitting) (void)enter_state(row, RunState::submitting, now, first_send(now));
  bool advance = is_slot_trigger(run.trigger);
  PgParams ps{p(row.run_id), p(row.job), p(to_string(row.trigger)), p(row.slot),
              p(to_string(row.state)), p(row.attempts), p(row.properties_json), p(now),
              p(row.submitting_at), p(row.last_sent_at), p(row.maybe_accepted), p(advance)};
  auto duplicate = fmt::format("job {} already has a run for slot {}", run.job,
                               format_utc(run.slot));
  auto fence = fence_if(run.submitting);
  return m_worker->call<RunRow>(
      [ps, row, duplicate, fence](PgSession& s) -> awaitable<StoreResult<RunRow>> {
        co_return co_await s.atomically<RunRow>([&]() -> awaitable<StoreResult<RunRow>> {
          BSCHED_CO_TRY_ASSIGN(r, s.query(k_insert_run, ps));
          if (r.rows.empty()) co_return StoreError{StoreErrorKind::duplicate_slot, duplicate};
          BSCHED_CO_TRY(check_fence(s, fence));
          auto out = row;
          out.id = i64(r, 0, 0);
          co_return out;
        });
      });
}

StoreResult<RunRow> PgRunStore::transition(std::int64_t id, RunState to, SysMillis now,
                                           const RunUpdate& update) {
  auto fence = fence_if(to == RunState::submitting || sends(update));
  return m_worker->call<RunRow>(
      [id, to, now, update, fence](PgSession& s) -> awaitable<StoreResult<RunRow>> {
        co_return co_await s.atomically<RunRow>([&]() -> awaitable<StoreResult<RunRow>> {
          BSCHED_CO_TRY_ASSIGN(row, change_run(s, id, std::optional<RunState>(to), now, update));
          BSCHED_CO_TRY(check_fence(s, fence));
          co_return row;
        });
      });
}

StoreResult<void> PgRunStore::update(std::int64_t id, const RunUpdate& update) {
  auto fence = fence_if(sends(update));
  return m_worker->call<void>([id, update, fence](PgSession& s) -> awaitable<StoreResult<void>> {
    auto r = co_await s.atomically<RunRow>([&]() -> awaitable<StoreResult<RunRow>> {
      BSCHED_CO_TRY_ASSIGN(row, change_run(s, id, std::nullopt, SysMillis{}, update));
      BSCHED_CO_TRY(check_fence(s, fence));
      co_return row;
    });
    if (!r) co_return r.error();
    co_return StoreResult<void>{};
  });
}

StoreResult<std::optional<RunRow>> PgRunStore::find_run(std::int64_t id) {
  BSCHED_TRY_ASSIGN(rows, read_runs("SELECT " BSCHED_PG_RUN_COLUMNS
                                    " FROM runs WHERE id = $1::bigint",
                                    PgParams{p(id)}));
  if (rows.empty()) return std::optional<RunRow>();
  return std::optional<RunRow>(std::move(rows.front()));
}

StoreResult<std::vector<RunRow>> PgRunStore::non_terminal_runs() {
  return read_runs("SELECT " BSCHED_PG_RUN_COLUMNS
                   " FROM runs WHERE finished_at IS NULL ORDER BY id",
                   {});
}

StoreResult<std::vector<RunRow>> PgRunStore::read_runs(std::string sql, PgParams params) {
  return m_worker->call<std::vector<RunRow>>(
      [sql, params](PgSession& s) -> awaitable<StoreResult<std::vector<RunRow>>> {
        BSCHED_CO_TRY_ASSIGN(r, s.query(sql, params));
        std::vector<RunRow> out;
        out.reserve(r.rows.size());
        for (std::size_t i = 0; i < r.rows.size(); ++i) out.push_back(read_run(r, i));
        co_return out;
      });
}

StoreResult<std::vector<std::string>> PgRunStore::read_texts(std::string sql, PgParams params) {
  return m_worker->call<std::vector<std::string>>(
      [sql, params](PgSession& s) -> awaitable<StoreResult<std::vector<std::string>>> {
        BSCHED_CO_TRY_ASSIGN(r, s.query(sql, params));
        std::vector<std::string> out;
        for (std::size_t i = 0; i < r.rows.size(); ++i) out.push_back(text(r, i, 0));
        co_return out;
      });
}

StoreResult<std::int64_t> PgRunStore::row_count(std::string_view table) {
  if (std::find(k_tables.begin(), k_tables.end(), table) == k_tables.end())
    return StoreError{StoreErrorKind::not_found, "not a table of the run store"};
  auto sql = fmt::format("SELECT count(*) FROM {}", table);
  return m_worker->call<std::int64_t>([sql](PgSession& s) -> awaitable<StoreResult<std::int64_t>> {
    BSCHED_CO_TRY_ASSIGN(r, s.query(sql));
    co_return i64(r, 0, 0);
  });
}

}  // namespace bsched::storage::pg
