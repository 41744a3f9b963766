// The two RunStores the contract tests run on (TEST_CASE_TEMPLATE(…, F, SqliteFixture,
// PgFixture)): SqliteRunStore on ":memory:", PgRunStore on a fresh database of the private
// PostgreSQL cluster. Each gives `store` and the row count of a table.
#pragma once

#include "storage/sqlite.h"
#include "tests/storage/pg_store_test_util.h"
#include "tests/storage/store_test_util.h"

#include <doctest/doctest.h>

#include <memory>
#include <string>

namespace bsched::test {

// k_single_gaps: one-slot gaps merged inside one transaction by the month-of-gaps case.
// PostgreSQL keeps every version of the merged row until the commit and each merge walks
// them, so a transaction merging n slots one by one costs O(n^2) there; the daemon records
// ranges, a few single slots per transaction.
struct SqliteFixture {
  static constexpr int k_single_gaps = 19000;
  std::unique_ptr<storage::SqliteRunStore> store = memory_store();
  std::int64_t count(const char* table) {
    return store->db().query_int(std::string("SELECT count(*) FROM ") + table).value();
  }
};

struct PgFixture {
  static constexpr int k_single_gaps = 2000;
  std::unique_ptr<storage::pg::PgRunStore> store = pg_store();
  std::int64_t count(const char* table) { return store->row_count(table).value(); }
};

}  // namespace bsched::test

TYPE_TO_STRING_AS("sqlite", bsched::test::SqliteFixture);
TYPE_TO_STRING_AS("postgres", bsched::test::PgFixture);
