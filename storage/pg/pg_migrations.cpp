// Migrations of the PostgreSQL schema (see pg_migrations.h).
#include "storage/pg/pg_migrations.h"

#include <fmt/core.h>

#include <array>
#include <string_view>
#include <vector>

namespace bsched::storage::pg {

using boost::asio::awaitable;

namespace {

// Migration n (1-based) is k_migrations[n - 1]: statements run in order.
const std::array<std::vector<std::string_view>, k_pg_schema_version> k_migrations{{
    {
        R"(CREATE TABLE leader_lease (
             name text PRIMARY KEY,
             holder text NOT NULL,
             epoch bigint NOT NULL,
             acquired_at timestamptz,
             renewed_at timestamptz,
             expires_at timestamptz NOT NULL))",
        R"(CREATE TABLE nodes (
             name text PRIMARY KEY,
             version text,
             role text,
             last_seen timestamptz,
             epoch bigint))",
    },
}};

awaitable<Result<void>> run(PgConnection& c, std::string_view sql, PgParams params,
                            Millis deadline) {
  auto r = co_await c.query(sql, std::move(params), deadline);
  if (!r)
    co_return make_error(fmt::format("migrating the PostgreSQL schema: {}", r.error().message));
  co_return Result<void>{};
}

// Inside the open transaction: the version found, after applying the missing migrations.
awaitable<Result<int>> migrate_locked(PgConnection& c, Millis d) {
  // (Parameters built before co_await: g++ 12 miscompiles a braced list inside it.)
  PgParams key{std::to_string(k_pg_migration_lock)};
  auto locked = co_await run(c, "SELECT pg_advisory_xact_lock($1::bigint)", std::move(key), d);
  if (!locked) co_return locked.error();
  auto made = co_await run(c,
                           "CREATE TABLE IF NOT EXISTS schema_version (version integer PRIMARY "
                           "KEY, applied_at timestamptz NOT NULL DEFAULT now())",
                           {}, d);
  if (!made) co_return made.error();
  auto found = co_await c.query("SELECT coalesce(max(version), 0) FROM schema_version", {}, d);
  if (!found)
    co_return make_error(fmt::format("reading the schema version: {}", found.error().message));
  int before = std::stoi(found->at(0, 0).value_or("0"));
  if (before > k_pg_schema_version)
    co_return make_error(fmt::format(
        "the PostgreSQL schema is version {}, newer than this program knows ({}): run the same "
        "boomi-sched version on every node",
        before, k_pg_schema_version));
  for (int v = before + 1; v <= k_pg_schema_version; ++v) {
    for (auto sql : k_migrations[static_cast<std::size_t>(v - 1)]) {
      auto step = co_await run(c, sql, {}, d);
      if (!step) co_return step.error();
    }
    PgParams version{std::to_string(v)};
    auto noted = co_await run(c, "INSERT INTO schema_version (version) VALUES ($1::integer)",
                              std::move(version), d);
    if (!noted) co_return noted.error();
  }
  co_return before;
}

}  // namespace

awaitable<Result<int>> run_migrations(PgConnection& c, Millis statement_deadline) {
  auto begun = co_await run(c, "BEGIN", {}, statement_deadline);
  if (!begun) co_return begun.error();
  auto before = co_await migrate_locked(c, statement_deadline);
  if (!before) {
    if (c.connected()) (void)co_await c.query("ROLLBACK", {}, statement_deadline);
    co_return before.error();
  }
  auto committed = co_await run(c, "COMMIT", {}, statement_deadline);
  if (!committed) co_return committed.error();
  co_return *before;
}

}  // namespace bsched::storage::pg
