// A small RAII layer over the SQLite C API: a connection (Db) with a cache of prepared
// statements, a borrowed statement (Query) that binds, steps and reads columns, and a
// Transaction that nests through savepoints. Every failure is a StoreError carrying SQLite's
// own message; SQLITE_BUSY / SQLITE_LOCKED map to StoreErrorKind::busy, SQLITE_FULL to full.
// Nothing here throws. A Db is used from one thread at a time.
#pragma once

#include "storage/run_store.h"

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace bsched::storage::sqlite {

// The error for a failed SQLite call: `what` says what we were doing, `rc` is the result code.
StoreError make_store_error(sqlite3* db, int rc, std::string_view what);

class Db;

// A cached prepared statement on loan: bind parameters (1-based), step through rows, read
// columns (0-based). Resets the statement and clears its bindings when it goes out of scope,
// so no read transaction outlives the Query.
class Query {
 public:
  Query(Db* db, sqlite3_stmt* stmt) : m_db(db), m_stmt(stmt) {}
  ~Query();
  Query(Query&& other) noexcept : m_db(other.m_db), m_stmt(other.m_stmt) { other.m_stmt = nullptr; }
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;
  Query& operator=(Query&&) = delete;

  Query& bind(int index, std::int64_t value);
  Query& bind(int index, int value) { return bind(index, static_cast<std::int64_t>(value)); }
  Query& bind(int index, std::string_view value);
  Query& bind(int index, const std::string& value) { return bind(index, std::string_view(value)); }
  Query& bind(int index, const char* value) { return bind(index, std::string_view(value)); }
  Query& bind_null(int index);
  template <class T>
  Query& bind(int index, const std::optional<T>& value) {
    return value ? bind(index, *value) : bind_null(index);
  }

  // Rewinds the statement and clears its bindings, to run it again.
  Query& reset();

  // true: a row is available; false: done. Errors name the statement.
  StoreResult<bool> step();
  // Steps to completion, expecting no rows (INSERT / UPDATE / DELETE / DDL).
  StoreResult<void> run();

  bool is_null(int column) const;
  std::int64_t int64(int column) const;
  std::string text(int column) const;
  std::optional<std::int64_t> opt_int64(int column) const;

 private:
  Db* m_db;
  sqlite3_stmt* m_stmt;
};

enum class OpenFlags { read_write_create, read_write, read_only };

class Db {
 public:
  static StoreResult<std::unique_ptr<Db>> open(const std::string& path, OpenFlags flags);
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  // Borrows the cached statement for `sql`, preparing it on first use. A statement is lent to
  // one Query at a time: do not prepare the same SQL again while its Query is alive.
  StoreResult<Query> prepare(std::string_view sql);
  // Runs one or more statements without caching (pragmas, schema changes).
  StoreResult<void> exec(const std::string& sql);
  // Runs one statement through the cache (transaction control: parsed once, not per call).
  StoreResult<void> run(std::string_view sql);
  // The single integer a pragma / query such as "PRAGMA user_version" returns.
  StoreResult<std::int64_t> query_int(const std::string& sql);

  std::int64_t last_insert_rowid() const;
  int changes() const;
  bool in_transaction() const;  // an explicit transaction is open on the connection
  sqlite3* handle() const { return m_db; }
  const std::string& path() const { return m_path; }

  // Transaction bookkeeping (see Transaction).
  int& depth() { return m_depth; }

 private:
  Db(sqlite3* db, std::string path) : m_db(db), m_path(std::move(path)) {}

  sqlite3* m_db;
  std::string m_path;
  std::map<std::string, sqlite3_stmt*, std::less<>> m_cache;
  int m_depth = 0;  // open Transactions
};

// BEGIN IMMEDIATE at the outermost level, a SAVEPOINT inside another Transaction. Rolls back
// unless commit() succeeded. An inner rollback undoes only its own part.
class Transaction {
 public:
  static StoreResult<Transaction> begin(Db& db);
  ~Transaction();
  Transaction(Transaction&& other) noexcept : m_db(other.m_db), m_level(other.m_level) {
    other.m_db = nullptr;
  }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  Transaction& operator=(Transaction&&) = delete;

  StoreResult<void> commit();

 private:
  Transaction(Db* db, int level) : m_db(db), m_level(level) {}
  void rollback();

  Db* m_db;
  int m_level;  // 1 = outermost
};

// Runs `fn` inside a Transaction; commits when it succeeds.
template <class T, class Fn>
StoreResult<T> transact(Db& db, Fn&& fn) {
  auto tx = Transaction::begin(db);
  if (!tx) return tx.error();
  auto r = fn();
  if (!r) return r.error();
  auto c = tx->commit();
  if (!c) return c.error();
  return r;
}

}  // namespace bsched::storage::sqlite
