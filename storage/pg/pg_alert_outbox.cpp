// The alert outbox on PostgreSQL: alert_events and alert_deliveries, the meaning of
// sqlite_alert_outbox.cpp.
#include "storage/pg/pg_run_store.h"

#include "storage/pg/pg_worker.h"

#include <limits>

namespace bsched::storage::pg {

namespace {

// {"a","b"}: text values as one text[] parameter, each quoted.
std::string text_array(const std::vector<std::string>& values) {
  std::string out = "{";
  for (const auto& v : values) {
    if (out.size() > 1) out += ',';
    out += '"';
    for (char c : v) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

// The event and one delivery per sink, in the sinks' order: one statement.
constexpr const char* k_record_alert = R"(
WITH e AS (
  INSERT INTO alert_events (kind, job, run, slot, state, execution_id, message, created_at)
  VALUES ($1, $2, $3::bigint, $4::bigint, $5, $6, $7, $8::bigint) RETURNING id)
INSERT INTO alert_deliveries (event, sink, next_attempt_at)
SELECT e.id, x.sink, $8::bigint FROM e, unnest($9::text[]) WITH ORDINALITY AS x(sink, n)
ORDER BY x.n)";

constexpr const char* k_due_alerts = R"(
SELECT d.id, e.id, d.sink, e.kind, e.job, e.run, e.slot, e.state, e.execution_id,
  e.message, e.created_at, d.attempts, d.next_attempt_at, d.folded, d.last_error
FROM alert_deliveries d JOIN alert_events e ON e.id = d.event
WHERE d.delivered_at IS NULL AND d.failed_at IS NULL AND d.next_attempt_at <= $1::bigint
ORDER BY d.next_attempt_at, d.id LIMIT $2::bigint)";

AlertDelivery read_delivery(const PgRows& q, std::size_t i) {
  AlertDelivery a;
  a.id = i64(q, i, 0);
  a.event_id = i64(q, i, 1);
  a.sink = text(q, i, 2);
  a.kind = alert_kind_from_string(text(q, i, 3)).value_or(AlertKind::failed);
  a.job = text(q, i, 4);
  a.run = opt_i64(q, i, 5);
  a.slot = secs(q, i, 6);
  a.state = text(q, i, 7);
  a.execution_id = text(q, i, 8);
  a.message = text(q, i, 9);
  a.created_at = millis(q, i, 10);
  a.attempts = static_cast<int>(i64(q, i, 11));
  a.next_attempt_at = millis(q, i, 12);
  a.folded = boolean(q, i, 13);
  a.last_error = text(q, i, 14);
  return a;
}

}  // namespace

StoreResult<void> PgRunStore::record_alert(const NewAlert& a) {
  if (a.sinks.empty()) return {};
  PgParams ps{p(to_string(a.kind)), p(a.job),          p(a.run),
              p(a.slot),            p(a.state),        p(a.execution_id),
              p(a.message),         p(a.created_at),   text_array(a.sinks)};
  return m_worker->call<void>([ps](PgSession& s) -> awaitable<StoreResult<void>> {
    BSCHED_CO_TRY(s.query(k_record_alert, ps));
    co_return StoreResult<void>{};
  });
}

StoreResult<std::vector<AlertDelivery>> PgRunStore::due_alerts(SysMillis now, int limit) {
  PgParams ps{p(now), p(limit)};
  return m_worker->call<std::vector<AlertDelivery>>(
      [ps](PgSession& s) -> awaitable<StoreResult<std::vector<AlertDelivery>>> {
        BSCHED_CO_TRY_ASSIGN(r, s.query(k_due_alerts, ps));
        std::vector<AlertDelivery> out;
        for (std::size_t i = 0; i < r.rows.size(); ++i) out.push_back(read_delivery(r, i));
        co_return out;
      });
}

StoreResult<std::optional<SysMillis>> PgRunStore::next_alert_at() {
  return m_worker->call<std::optional<SysMillis>>(
      [](PgSession& s) -> awaitable<StoreResult<std::optional<SysMillis>>> {
        BSCHED_CO_TRY_ASSIGN(r, s.query("SELECT min(next_attempt_at) FROM alert_deliveries "
                                        "WHERE delivered_at IS NULL AND failed_at IS NULL"));
        co_return opt_millis(r, 0, 0);
      });
}

StoreResult<void> PgRunStore::settle_alerts(const std::vector<std::int64_t>& ids,
                                            const AlertOutcome& o) {
  if (ids.empty()) return {};
  using Kind = AlertOutcome::Kind;
  std::string sql;
  PgParams ps{id_array(ids)};
  switch (o.kind) {
    case Kind::delivered:
      sql = "UPDATE alert_deliveries SET attempts = attempts + 1, delivered_at = $2::bigint, "
            "last_error = '' WHERE id = ANY($1::bigint[])";
      ps.push_back(p(o.at));
      break;
    case Kind::retry:
      sql = "UPDATE alert_deliveries SET attempts = attempts + 1, next_attempt_at = $2::bigint, "
            "last_error = $3 WHERE id = ANY($1::bigint[])";
      ps.push_back(p(o.next));
      ps.push_back(p(o.error));
      break;
    case Kind::folded:
      sql = "UPDATE alert_deliveries SET folded = true, next_attempt_at = $2::bigint "
            "WHERE id = ANY($1::bigint[])";
      ps.push_back(p(o.next));
      break;
    case Kind::given_up:
      sql = "UPDATE alert_deliveries SET attempts = attempts + 1, failed_at = $2::bigint, "
            "last_error = $3 WHERE id = ANY($1::bigint[])";
      ps.push_back(p(o.at));
      ps.push_back(p(o.error));
      break;
  }
  return m_worker->call<void>([sql, ps](PgSession& s) -> awaitable<StoreResult<void>> {
    BSCHED_CO_TRY(s.query(sql, ps));
    co_return StoreResult<void>{};
  });
}

StoreResult<std::optional<SysMillis>> PgRunStore::last_alert_sent(const std::string& sink,
                                                                  const std::string& job,
                                                                  AlertKind kind) {
  PgParams ps{p(job), p(to_string(kind)), p(sink)};
  return m_worker->call<std::optional<SysMillis>>(
      [ps](PgSession& s) -> awaitable<StoreResult<std::optional<SysMillis>>> {
        BSCHED_CO_TRY_ASSIGN(
            r, s.query("SELECT max(d.delivered_at) FROM alert_events e JOIN alert_deliveries d "
                       "ON d.event = e.id WHERE e.job = $1 AND e.kind = $2 AND d.sink = $3",
                       ps));
        co_return opt_millis(r, 0, 0);
      });
}

StoreResult<std::int64_t> PgRunStore::failure_streak(const std::string& job,
                                                     std::optional<sys_seconds> before) {
  PgParams ps{p(job), before ? p(*before) : p(std::numeric_limits<std::int64_t>::max())};
  return m_worker->call<std::int64_t>([ps](PgSession& s) -> awaitable<StoreResult<std::int64_t>> {
    BSCHED_CO_TRY_ASSIGN(
        r, s.query("SELECT count(*) FROM runs WHERE job = $1 AND slot < $2::bigint AND state IN "
                   "('error', 'aborted', 'rejected', 'submit_failed', 'unknown', 'lost', "
                   "'timed_out') AND slot > COALESCE((SELECT max(slot) FROM runs WHERE job = $1 "
                   "AND slot < $2::bigint AND state IN ('complete', 'complete_warn')), "
                   "-9223372036854775807)",
                   ps));
    co_return i64(r, 0, 0);
  });
}

}  // namespace bsched::storage::pg
