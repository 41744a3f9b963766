// PgRunStore on a fresh database of the private PostgreSQL cluster (tests/support/pg_cluster.h).
#pragma once

#include "storage/pg/pg_run_store.h"
#include "tests/support/pg_cluster.h"

#include <doctest/doctest.h>

#include <memory>
#include <string>

namespace bsched::test {

// A new empty database of the private cluster, named after `prefix`; its conninfo.
inline std::string pg_test_database(const std::string& prefix = "store") {
  static int counter = 0;
  return PgCluster::get().new_database(prefix + "_" + std::to_string(++counter));
}

inline std::unique_ptr<storage::pg::PgRunStore> pg_store(const std::string& conninfo,
                                                         storage::pg::PgStoreOptions o = {}) {
  auto s = storage::pg::PgRunStore::open(conninfo, o);
  REQUIRE_MESSAGE(s.has_value(), (s ? "" : s.error().message));
  return std::move(*s);
}

inline std::unique_ptr<storage::pg::PgRunStore> pg_store() { return pg_store(pg_test_database()); }

}  // namespace bsched::test
