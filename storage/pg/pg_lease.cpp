// The leader lease's statements (see pg_lease.h).
#include "storage/pg/pg_lease.h"

#include <fmt/core.h>

namespace bsched::storage::pg {

using boost::asio::awaitable;

namespace {

// Acquire or renew, and in the same statement (when the claim made no row) who holds it.
// `running` is true when the row's holder is the claimant and its lease has not expired:
// only then is the epoch kept.
constexpr const char* k_claim_sql = R"(
WITH claim AS (
  INSERT INTO leader_lease AS l (name, holder, epoch, acquired_at, renewed_at, expires_at)
  VALUES ($1, $2, 1, now(), now(), now() + $3::bigint * interval '1 millisecond')
  ON CONFLICT (name) DO UPDATE SET
    holder = excluded.holder,
    epoch = CASE WHEN l.holder = excluded.holder AND l.expires_at >= now()
                 THEN l.epoch ELSE l.epoch + 1 END,
    acquired_at = CASE WHEN l.holder = excluded.holder AND l.expires_at >= now()
                       THEN l.acquired_at ELSE now() END,
    renewed_at = now(),
    expires_at = excluded.expires_at
  WHERE l.holder = excluded.holder OR l.expires_at < now()
  RETURNING holder, epoch, expires_at)
SELECT true, epoch, holder, (extract(epoch FROM expires_at - now()) * 1000)::bigint FROM claim
UNION ALL
SELECT false, epoch, holder, (extract(epoch FROM expires_at - now()) * 1000)::bigint
  FROM leader_lease WHERE name = $1 AND NOT EXISTS (SELECT 1 FROM claim))";

constexpr const char* k_resign_sql = R"(
WITH gone AS (
  UPDATE leader_lease SET expires_at = now() - interval '1 millisecond'
   WHERE name = $1 AND holder = $2 AND epoch = $3::bigint
  RETURNING name)
SELECT pg_notify($4, name) FROM gone)";

constexpr const char* k_node_sql = R"(
INSERT INTO nodes (name, version, role, last_seen, epoch) VALUES ($1, $2, $3, now(), $4::bigint)
ON CONFLICT (name) DO UPDATE SET version = excluded.version, role = excluded.role,
  last_seen = excluded.last_seen, epoch = excluded.epoch)";

Result<LeaseClaim> read_claim(const PgRows& rows) {
  if (rows.rows.empty()) return LeaseClaim{};  // a concurrent delete of the row: nobody holds it
  try {
    LeaseClaim c;
    c.held = rows.at(0, 0).value_or("f") == "t";
    c.epoch = std::stoll(rows.at(0, 1).value_or("0"));
    c.holder = rows.at(0, 2).value_or("");
    c.remaining = Millis(std::stoll(rows.at(0, 3).value_or("0")));
    return c;
  } catch (const std::exception&) {
    return make_error("the leader lease row holds an unreadable epoch or expiry");
  }
}

}  // namespace

awaitable<Result<LeaseClaim>> claim_lease(PgConnection& c, const std::string& name,
                                          const std::string& node, Millis lease, Millis deadline) {
  // (Parameters built before co_await: g++ 12 miscompiles a braced list inside it.)
  PgParams params{name, node, std::to_string(lease.count())};
  auto r = co_await c.query(k_claim_sql, std::move(params), deadline);
  if (!r) co_return make_error(fmt::format("claiming the leader lease: {}", r.error().message));
  co_return read_claim(*r);
}

awaitable<Result<bool>> resign_lease(PgConnection& c, const std::string& name,
                                     const std::string& node, std::int64_t epoch, Millis deadline) {
  PgParams params{name, node, std::to_string(epoch), std::string(k_leader_channel)};
  auto r = co_await c.query(k_resign_sql, std::move(params), deadline);
  if (!r) co_return make_error(fmt::format("resigning the leader lease: {}", r.error().message));
  co_return !r->rows.empty();
}

awaitable<Result<void>> record_node(PgConnection& c, const NodeRow& row, Millis deadline) {
  PgParams params{row.name, row.version, row.role, std::to_string(row.epoch)};
  auto r = co_await c.query(k_node_sql, std::move(params), deadline);
  if (!r) co_return make_error(fmt::format("recording the node row: {}", r.error().message));
  co_return Result<void>{};
}

}  // namespace bsched::storage::pg
