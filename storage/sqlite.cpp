#include "storage/sqlite.h"

#include <fmt/core.h>
#include <sqlite3.h>

namespace bsched::storage::sqlite {

StoreError make_store_error(sqlite3* db, int rc, std::string_view what) {
  StoreErrorKind kind = StoreErrorKind::io;
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      kind = StoreErrorKind::busy;
      break;
    case SQLITE_FULL:
      kind = StoreErrorKind::full;
      break;
    default:
      break;
  }
  // The connection's message is only meaningful when it belongs to this result code.
  const char* detail = (db && sqlite3_extended_errcode(db) == rc) ? sqlite3_errmsg(db)
                                                                   : sqlite3_errstr(rc);
  return StoreError{kind, fmt::format("{}: {}", what, detail)};
}

Query::~Query() {
  if (!m_stmt) return;
  sqlite3_reset(m_stmt);
  sqlite3_clear_bindings(m_stmt);
}

Query& Query::reset() {
  sqlite3_reset(m_stmt);
  sqlite3_clear_bindings(m_stmt);
  return *this;
}

Query& Query::bind(int index, std::int64_t value) {
  sqlite3_bind_int64(m_stmt, index, value);
  return *this;
}

Query& Query::bind(int index, std::string_view value) {
  sqlite3_bind_text(m_stmt, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
  return *this;
}

Query& Query::bind_null(int index) {
  sqlite3_bind_null(m_stmt, index);
  return *this;
}

StoreResult<bool> Query::step() {
  int rc = sqlite3_step(m_stmt);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  // Extended codes are on (Db::open), so rc carries e.g. SQLITE_CONSTRAINT_UNIQUE.
  std::string sql = sqlite3_sql(m_stmt);
  if (sql.size() > 60) sql = sql.substr(0, 57) + "...";
  return make_store_error(m_db->handle(), rc, fmt::format("{} ({})", m_db->path(), sql));
}

StoreResult<void> Query::run() {
  for (;;) {
    auto r = step();
    if (!r) return r.error();
    if (!*r) return {};
  }
}

bool Query::is_null(int column) const { return sqlite3_column_type(m_stmt, column) == SQLITE_NULL; }

std::int64_t Query::int64(int column) const { return sqlite3_column_int64(m_stmt, column); }

std::string Query::text(int column) const {
  const auto* p = sqlite3_column_text(m_stmt, column);
  if (!p) return {};
  return std::string(reinterpret_cast<const char*>(p),
                     static_cast<size_t>(sqlite3_column_bytes(m_stmt, column)));
}

std::optional<std::int64_t> Query::opt_int64(int column) const {
  if (is_null(column)) return std::nullopt;
  return int64(column);
}

StoreResult<std::unique_ptr<Db>> Db::open(const std::string& path, OpenFlags flags) {
  int f = SQLITE_OPEN_NOMUTEX;
  switch (flags) {
    case OpenFlags::read_write_create:
      f |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
      break;
    case OpenFlags::read_write:
      f |= SQLITE_OPEN_READWRITE;
      break;
    case OpenFlags::read_only:
      f |= SQLITE_OPEN_READONLY;
      break;
  }
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, f, nullptr);
  if (rc != SQLITE_OK) {
    auto err = make_store_error(raw, rc, fmt::format("cannot open {}", path));
    sqlite3_close_v2(raw);
    return err;
  }
  sqlite3_extended_result_codes(raw, 1);
  return std::unique_ptr<Db>(new Db(raw, path));
}

Db::~Db() {
  for (auto& [sql, stmt] : m_cache) sqlite3_finalize(stmt);
  sqlite3_close_v2(m_db);
}

StoreResult<Query> Db::prepare(std::string_view sql) {
  auto it = m_cache.find(sql);
  if (it == m_cache.end()) {
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v3(m_db, sql.data(), static_cast<int>(sql.size()),
                                SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) {
      return make_store_error(m_db, rc, fmt::format("{}: preparing a statement", m_path));
    }
    it = m_cache.emplace(std::string(sql), stmt).first;
  }
  return Query(this, it->second);
}

StoreResult<void> Db::exec(const std::string& sql) {
  char* msg = nullptr;
  int rc = sqlite3_exec(m_db, sql.c_str(), nullptr, nullptr, &msg);
  if (rc == SQLITE_OK) return {};
  std::string text = msg ? msg : sqlite3_errstr(rc);
  sqlite3_free(msg);
  auto err = make_store_error(nullptr, rc, m_path);
  err.message = fmt::format("{}: {}", m_path, text);
  return err;
}

StoreResult<void> Db::run(std::string_view sql) {
  auto q = prepare(sql);
  if (!q) return q.error();
  return q->run();
}

StoreResult<std::int64_t> Db::query_int(const std::string& sql) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(m_db, sql.c_str(), -1, &stmt, nullptr);
  if (rc != SQLITE_OK) return make_store_error(m_db, rc, m_path);
  rc = sqlite3_step(stmt);
  std::int64_t value = rc == SQLITE_ROW ? sqlite3_column_int64(stmt, 0) : 0;
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
    auto err = make_store_error(m_db, rc, m_path);
    sqlite3_finalize(stmt);
    return err;
  }
  sqlite3_finalize(stmt);
  return value;
}

std::int64_t Db::last_insert_rowid() const { return sqlite3_last_insert_rowid(m_db); }

int Db::changes() const { return sqlite3_changes(m_db); }

bool Db::in_transaction() const { return sqlite3_get_autocommit(m_db) == 0; }

StoreResult<Transaction> Transaction::begin(Db& db) {
  int level = db.depth() + 1;
  if (level > 1 && !db.in_transaction()) {
    // SQLite rolled the enclosing transaction back (SQLITE_FULL, I/O error): writing on would
    // commit piecemeal.
    return StoreError{StoreErrorKind::io, fmt::format("{}: the enclosing transaction was "
                                                      "rolled back by an earlier error",
                                                      db.path())};
  }
  auto r = level == 1 ? db.run("BEGIN IMMEDIATE") : db.run(fmt::format("SAVEPOINT s{}", level));
  if (!r) return r.error();
  db.depth() = level;
  return Transaction(&db, level);
}

Transaction::~Transaction() {
  if (m_db) rollback();
}

StoreResult<void> Transaction::commit() {
  Db* db = m_db;
  m_db = nullptr;
  db->depth() = m_level - 1;
  if (m_level > 1) return db->run(fmt::format("RELEASE s{}", m_level));
  auto r = db->run("COMMIT");
  // A failed COMMIT (e.g. SQLITE_FULL, SQLITE_BUSY) may leave the transaction open.
  if (!r && db->in_transaction()) (void)db->exec("ROLLBACK");
  return r;
}

void Transaction::rollback() {
  Db* db = m_db;
  m_db = nullptr;
  db->depth() = m_level - 1;
  // SQLite may already have rolled the whole transaction back itself (SQLITE_FULL, I/O errors).
  if (!db->in_transaction()) return;
  if (m_level > 1) {
    (void)db->exec(fmt::format("ROLLBACK TO s{0}; RELEASE s{0}", m_level));
  } else {
    (void)db->exec("ROLLBACK");
  }
}

}  // namespace bsched::storage::sqlite
