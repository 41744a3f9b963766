// The alert outbox on SQLite: alert_events and alert_deliveries (schema version 6).
#include "storage/sqlite_run_store.h"

#include "storage/sqlite.h"
#include "storage/sqlite_rows.h"

#include <array>
#include <limits>

namespace bsched::storage {

using namespace sqlite;

namespace {

constexpr std::array<std::string_view, k_alert_kind_count> k_kind_names = {
    "failed", "missed", "late", "stuck", "auth", "recovered"};

}  // namespace

std::string_view to_string(AlertKind kind) { return k_kind_names[static_cast<int>(kind)]; }

std::optional<AlertKind> alert_kind_from_string(std::string_view s) {
  for (int i = 0; i < k_alert_kind_count; ++i) {
    if (k_kind_names[i] == s) return static_cast<AlertKind>(i);
  }
  return std::nullopt;
}

StoreResult<void> SqliteRunStore::record_alert(const NewAlert& a) {
  if (a.sinks.empty()) return {};
  return transact<void>(*m_db, [&]() -> StoreResult<void> {
    BSCHED_TRY_ASSIGN(q, m_db->prepare("INSERT INTO alert_events (kind, job, run, slot, state, "
                                       "execution_id, message, created_at) "
                                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"));
    q.bind(1, to_string(a.kind)).bind(2, a.job).bind(3, a.run).bind(4, to_db(a.slot));
    q.bind(5, a.state).bind(6, a.execution_id).bind(7, a.message).bind(8, to_db(a.created_at));
    BSCHED_TRY(q.run());
    auto event = m_db->last_insert_rowid();
    BSCHED_TRY_ASSIGN(d, m_db->prepare("INSERT INTO alert_deliveries (event, sink, "
                                       "next_attempt_at) VALUES (?, ?, ?)"));
    for (const auto& sink : a.sinks) {
      d.reset().bind(1, event).bind(2, sink).bind(3, to_db(a.created_at));
      BSCHED_TRY(d.run());
    }
    return {};
  });
}

StoreResult<std::vector<AlertDelivery>> SqliteRunStore::due_alerts(SysMillis now, int limit) {
  BSCHED_TRY_ASSIGN(q, m_db->prepare(
      "SELECT d.id, e.id, d.sink, e.kind, e.job, e.run, e.slot, e.state, e.execution_id, "
      "e.message, e.created_at, d.attempts, d.next_attempt_at, d.folded, d.last_error "
      "FROM alert_deliveries d JOIN alert_events e ON e.id = d.event "
      "WHERE d.delivered_at IS NULL AND d.failed_at IS NULL AND d.next_attempt_at <= ? "
      "ORDER BY d.next_attempt_at, d.id LIMIT ?"));
  q.bind(1, to_db(now)).bind(2, limit);
  std::vector<AlertDelivery> out;
  for (;;) {
    BSCHED_TRY_ASSIGN(more, q.step());
    if (!more) break;
    AlertDelivery a;
    a.id = q.int64(0);
    a.event_id = q.int64(1);
    a.sink = q.text(2);
    a.kind = alert_kind_from_string(q.text(3)).value_or(AlertKind::failed);
    a.job = q.text(4);
    a.run = q.opt_int64(5);
    a.slot = seconds_from_db(q.int64(6));
    a.state = q.text(7);
    a.execution_id = q.text(8);
    a.message = q.text(9);
    a.created_at = millis_from_db(q.int64(10));
    a.attempts = static_cast<int>(q.int64(11));
    a.next_attempt_at = millis_from_db(q.int64(12));
    a.folded = q.int64(13) != 0;
    a.last_error = q.text(14);
    out.push_back(std::move(a));
  }
  return out;
}

StoreResult<std::optional<SysMillis>> SqliteRunStore::next_alert_at() {
  BSCHED_TRY_ASSIGN(q, m_db->prepare("SELECT MIN(next_attempt_at) FROM alert_deliveries "
                                     "WHERE delivered_at IS NULL AND failed_at IS NULL"));
  BSCHED_TRY(q.step());
  return opt_millis(q, 0);
}

StoreResult<void> SqliteRunStore::settle_alerts(const std::vector<std::int64_t>& ids,
                                                const AlertOutcome& o) {
  using Kind = AlertOutcome::Kind;
  const char* sql = nullptr;
  switch (o.kind) {
    case Kind::delivered:
      sql = "UPDATE alert_deliveries SET attempts = attempts + 1, delivered_at = ?1, "
            "last_error = '' WHERE id = ?4";
      break;
    case Kind::retry:
      sql = "UPDATE alert_deliveries SET attempts = attempts + 1, next_attempt_at = ?2, "
            "last_error = ?3 WHERE id = ?4";
      break;
    case Kind::folded:
      sql = "UPDATE alert_deliveries SET folded = 1, next_attempt_at = ?2 WHERE id = ?4";
      break;
    case Kind::given_up:
      sql = "UPDATE alert_deliveries SET attempts = attempts + 1, failed_at = ?1, "
            "last_error = ?3 WHERE id = ?4";
      break;
  }
  return transact<void>(*m_db, [&]() -> StoreResult<void> {
    BSCHED_TRY_ASSIGN(q, m_db->prepare(sql));
    for (auto id : ids) {
      q.reset().bind(1, to_db(o.at)).bind(2, to_db(o.next)).bind(3, o.error).bind(4, id);
      BSCHED_TRY(q.run());
    }
    return {};
  });
}

StoreResult<std::optional<SysMillis>> SqliteRunStore::last_alert_sent(const std::string& sink,
                                                                      const std::string& job,
                                                                      AlertKind kind) {
  BSCHED_TRY_ASSIGN(q, m_db->prepare(
      "SELECT MAX(d.delivered_at) FROM alert_events e JOIN alert_deliveries d ON d.event = e.id "
      "WHERE e.job = ? AND e.kind = ? AND d.sink = ?"));
  q.bind(1, job).bind(2, to_string(kind)).bind(3, sink);
  BSCHED_TRY(q.step());
  return opt_millis(q, 0);
}

StoreResult<std::int64_t> SqliteRunStore::failure_streak(const std::string& job,
                                                         std::optional<sys_seconds> before) {
  BSCHED_TRY_ASSIGN(q, m_db->prepare(
      "SELECT count(*) FROM runs WHERE job = ?1 AND slot < ?2 AND state IN ('error', "
      "'aborted', 'rejected', 'submit_failed', 'unknown', 'lost', 'timed_out') AND slot > "
      "COALESCE((SELECT MAX(slot) FROM runs WHERE job = ?1 AND slot < ?2 AND state IN "
      "('complete', 'complete_warn')), -9223372036854775807)"));
  q.bind(1, job).bind(2, before ? to_db(*before) : std::numeric_limits<std::int64_t>::max());
  BSCHED_TRY(q.step());
  return q.int64(0);
}

}  // namespace bsched::storage
