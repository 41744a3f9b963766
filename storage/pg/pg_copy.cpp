// Copying a SQLite state file into PostgreSQL (see pg_copy.h).
#include "storage/pg/pg_copy.h"

#include "storage/pg/pg_connection.h"
#include "storage/pg/pg_migrations.h"
#include "storage/sqlite.h"
#include "storage/sqlite_run_store.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <fmt/core.h>

#include <algorithm>
#include <exception>
#include <optional>

namespace bsched::storage::pg {

namespace {

namespace asio = boost::asio;
using asio::awaitable;

// One table to copy: its rows in `order`, those matching `where`; `keep_ids`: the id column
// is copied (the target must be empty), else it is left to the target's sequence.
struct TableSpec {
  const char* name;
  const char* order;
  const char* where;
  bool keep_ids;
};

constexpr TableSpec k_tables[] = {
    {"runs", "id", "", true},
    {"slot_gaps", "id", "", true},
    {"job_state", "job", "", true},
    {"alert_events", "id", "", true},
    {"alert_deliveries", "id", "", true},
    {"commands", "id", "taken_at IS NULL", false},  // only those not yet taken
};

// The tables copied with their ids: refused when not empty, emptied by --force.
constexpr const char* k_kept_tables = "runs, slot_gaps, job_state, alert_deliveries, alert_events";

// A column of a PostgreSQL table: its name and type (information_schema udt_name: int8,
// int4, text, bool), which the parameters are cast to.
struct Column {
  std::string name;
  std::string type;
};

std::string where_clause(const TableSpec& t) {
  return *t.where ? fmt::format(" WHERE {}", t.where) : std::string();
}

class Copier {
 public:
  Copier(sqlite::Db& db, PgConnection& pg, const CopyOptions& o) : m_db(db), m_pg(pg), m_o(o) {}

  awaitable<Result<std::vector<CopiedTable>>> run() {
    auto migrated = co_await run_migrations(m_pg, m_o.statement_deadline);
    if (!migrated) co_return fail("migrating the schema", migrated.error());
    auto begun = co_await q("BEGIN", {}, "starting the transaction");
    if (!begun) co_return begun.error();
    auto copied = co_await copy_all();
    if (!copied) {
      if (m_pg.connected()) (void)co_await m_pg.query("ROLLBACK", {}, m_o.statement_deadline);
      co_return copied.error();
    }
    auto committed = co_await q("COMMIT", {}, "committing the copy");
    if (!committed) co_return committed.error();
    co_return std::move(*copied);
  }

 private:
  awaitable<Result<std::vector<CopiedTable>>> copy_all() {
    auto emptied = co_await make_room();
    if (!emptied) co_return emptied.error();
    std::vector<CopiedTable> out;
    for (const auto& t : k_tables) {
      auto cols = co_await columns(t);
      if (!cols) co_return cols.error();
      auto rows = co_await copy_table(t, *cols);
      if (!rows) co_return rows.error();
      auto checked = co_await verify(t, *rows);
      if (!checked) co_return checked.error();
      out.push_back({t.name, *rows});
    }
    co_return out;
  }

  // The target's copied tables must be empty; with force they are emptied here.
  awaitable<Result<void>> make_room() {
    if (m_o.force) {
      auto r = co_await q(fmt::format("TRUNCATE {}", k_kept_tables), {}, "emptying the target");
      if (!r) co_return r.error();
      co_return Result<void>{};
    }
    for (const auto& t : k_tables) {
      if (!t.keep_ids) continue;
      auto r = co_await q(fmt::format("SELECT EXISTS (SELECT 1 FROM {})", t.name), {},
                          fmt::format("reading {}", t.name));
      if (!r) co_return r.error();
      if (r->at(0, 0).value_or("f") == "t")
        co_return make_error(fmt::format(
            "PostgreSQL ({}): the target is not empty (table {} has rows); nothing was copied. "
            "Copy into an empty database, or add --force to replace its runs, gaps, job state "
            "and alerts",
            m_pg.target(), t.name));
    }
    co_return Result<void>{};
  }

  // The columns both sides have, matched by name; any difference is an error. Only names of
  // the PostgreSQL schema (ours) ever reach a statement's text: a SQLite column named
  // otherwise is refused, so a hostile file cannot put SQL into the copy.
  awaitable<Result<std::vector<Column>>> columns(const TableSpec& t) {
    PgParams name{std::string(t.name)};
    auto pg = co_await q(
        "SELECT column_name, udt_name FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND table_name = $1",
        std::move(name), fmt::format("reading the columns of {}", t.name));
    if (!pg) co_return pg.error();
    std::vector<std::string> lite;
    {
      auto st = m_db.prepare("SELECT name FROM pragma_table_info(?1) ORDER BY cid");
      if (!st) co_return make_error(st.error().message);
      st->bind(1, t.name);
      for (;;) {
        auto more = st->step();
        if (!more) co_return make_error(more.error().message);
        if (!*more) break;
        lite.push_back(st->text(0));
      }
    }
    co_return match_columns(t, lite, *pg);
  }

  Result<std::vector<Column>> match_columns(const TableSpec& t,
                                            const std::vector<std::string>& lite,
                                            const PgRows& pg) const {
    std::vector<Column> out;
    for (const auto& name : lite) {
      if (!t.keep_ids && name == "id") continue;
      auto it = std::find_if(pg.rows.begin(), pg.rows.end(),
                             [&](const auto& row) { return row[0].value_or("") == name; });
      if (it == pg.rows.end())
        return make_error(
            fmt::format("table {}: column {} of the SQLite file is missing in "
                        "PostgreSQL ({}); nothing was copied",
                        t.name, name, m_pg.target()));
      out.push_back({name, (*it)[1].value_or("text")});
    }
    if (lite.empty() || pg.rows.size() != lite.size())
      return make_error(
          fmt::format("table {}: the SQLite file has {} column(s), PostgreSQL ({}) "
                      "{}; the schemas differ and nothing was copied",
                      t.name, lite.size(), m_pg.target(), pg.rows.size()));
    return out;
  }

  // Streams the rows in batches of multi-row INSERTs; the rows written.
  awaitable<Result<std::int64_t>> copy_table(const TableSpec& t, const std::vector<Column>& cols) {
    std::string list;
    for (const auto& c : cols) list += (list.empty() ? "" : ", ") + c.name;
    auto st = m_db.prepare(
        fmt::format("SELECT {} FROM {}{} ORDER BY {}", list, t.name, where_clause(t), t.order));
    if (!st) co_return make_error(st.error().message);
    std::int64_t done = 0;
    for (;;) {
      PgParams params;
      int rows = 0;
      while (rows < m_o.batch_rows) {
        auto more = st->step();
        if (!more) co_return make_error(more.error().message);
        if (!*more) break;
        for (std::size_t i = 0; i < cols.size(); ++i) params.push_back(cell(*st, i, cols[i]));
        ++rows;
      }
      if (rows == 0) break;
      auto sql = insert_sql(t, list, cols, rows);
      auto r = co_await q(sql, std::move(params),
                          fmt::format("writing rows {}-{} of {}", done + 1, done + rows, t.name));
      if (!r) co_return r.error();
      done += r->affected;
      if (rows < m_o.batch_rows) break;
    }
    co_return done;
  }

  static std::optional<std::string> cell(const sqlite::Query& st, std::size_t i, const Column& c) {
    int col = static_cast<int>(i);
    if (st.is_null(col)) return std::nullopt;
    if (c.type == "bool") return std::string(st.int64(col) != 0 ? "true" : "false");
    return st.text(col);
  }

  static std::string insert_sql(const TableSpec& t, const std::string& list,
                                const std::vector<Column>& cols, int rows) {
    std::string sql = fmt::format("INSERT INTO {} ({}) VALUES ", t.name, list);
    sql.reserve(sql.size() + static_cast<std::size_t>(rows) * cols.size() * 12);
    std::size_t n = 0;
    for (int r = 0; r < rows; ++r) {
      sql += r == 0 ? "(" : ", (";
      for (std::size_t i = 0; i < cols.size(); ++i)
        sql += fmt::format("{}${}::{}", i == 0 ? "" : ", ", ++n, cols[i].type);
      sql += ")";
    }
    return sql;
  }

  // SQLite's count == the rows written == PostgreSQL's count; then the id sequence is set
  // past the largest id, so the pair's new rows do not collide with the copied ones.
  awaitable<Result<void>> verify(const TableSpec& t, std::int64_t written) {
    auto lite = m_db.query_int(fmt::format("SELECT count(*) FROM {}{}", t.name, where_clause(t)));
    if (!lite) co_return make_error(lite.error().message);
    if (!t.keep_ids) {
      if (*lite != written) co_return mismatch(t, *lite, written);
      co_return Result<void>{};
    }
    auto pg = co_await q(fmt::format("SELECT count(*) FROM {}", t.name), {},
                         fmt::format("counting {}", t.name));
    if (!pg) co_return pg.error();
    auto counted = std::stoll(pg->at(0, 0).value_or("0"));
    if (*lite != written || counted != *lite) co_return mismatch(t, *lite, counted);
    if (std::string_view(t.order) != "id") co_return Result<void>{};
    auto seq = co_await q(fmt::format("SELECT setval(pg_get_serial_sequence('{0}', 'id'), "
                                      "coalesce((SELECT max(id) FROM {0}), 0) + 1, false)",
                                      t.name),
                          {}, fmt::format("setting the id sequence of {}", t.name));
    if (!seq) co_return seq.error();
    co_return Result<void>{};
  }

  Error mismatch(const TableSpec& t, std::int64_t lite, std::int64_t pg) const {
    return make_error(
        fmt::format("table {}: {} row(s) in the SQLite file but {} in PostgreSQL "
                    "({}); nothing was committed",
                    t.name, lite, pg, m_pg.target()));
  }

  awaitable<Result<PgRows>> q(std::string_view sql, PgParams params, std::string what) {
    auto r = co_await m_pg.query(sql, std::move(params), m_o.statement_deadline);
    if (!r) co_return fail(what, r.error());
    co_return r;
  }

  Error fail(const std::string& what, const Error& e) const {
    if (e.message.find(m_pg.target()) != std::string::npos)
      return make_error(fmt::format("{}: {}", what, e.message));
    return make_error(fmt::format("PostgreSQL ({}), {}: {}", m_pg.target(), what, e.message));
  }

  sqlite::Db& m_db;
  PgConnection& m_pg;
  const CopyOptions& m_o;
};

awaitable<Result<std::vector<CopiedTable>>> copy_flow(sqlite::Db& db, std::string conninfo,
                                                      const CopyOptions& o) {
  auto ex = co_await asio::this_coro::executor;
  auto pg = co_await PgConnection::connect(ex, std::move(conninfo), o.connect_deadline);
  if (!pg) co_return pg.error();
  Copier copier(db, **pg, o);
  co_return co_await copier.run();
}

}  // namespace

Result<std::vector<CopiedTable>> copy_sqlite_to_pg(const std::string& sqlite_path,
                                                   const std::string& conninfo,
                                                   const CopyOptions& options) {
  auto target = conninfo_target(conninfo);
  if (!target) return target.error();
  OpenOptions oo;
  oo.mode = OpenMode::read_only;
  oo.create = false;
  auto store = SqliteRunStore::open(sqlite_path, oo);
  if (!store) return make_error(store.error().message);
  auto& db = (*store)->db();
  // One read transaction: every table and count is read from the same snapshot.
  if (auto begun = db.run("BEGIN DEFERRED"); !begun) return make_error(begun.error().message);
  asio::io_context io;
  std::optional<Result<std::vector<CopiedTable>>> out;
  asio::co_spawn(io, copy_flow(db, conninfo, options),
                 [&out](std::exception_ptr e, Result<std::vector<CopiedTable>> r) {
                   if (!e) {
                     out.emplace(std::move(r));
                     return;
                   }
                   try {
                     std::rethrow_exception(e);
                   } catch (const std::exception& ex) {
                     out.emplace(make_error(fmt::format("copying: {}", ex.what())));
                   } catch (...) {
                     out.emplace(make_error("copying: an unknown error"));
                   }
                 });
  io.run();
  (void)db.run("ROLLBACK");
  if (!out) return make_error("copying: the copy did not finish");
  return std::move(*out);
}

}  // namespace bsched::storage::pg
