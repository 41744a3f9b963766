// Opening the store and the life of runs: create_run, transition, update, find_run.
#include "storage/sqlite_run_store.h"

#include "storage/new_run_row.h"
#include "storage/sqlite.h"
#include "storage/sqlite_rows.h"
#include "storage/sqlite_schema.h"

#include <fcntl.h>
#include <fmt/core.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <algorithm>
#include <filesystem>
#include <stdexcept>

namespace bsched::storage {

using namespace sqlite;

void throw_exception_from_error(const StoreError& e, const boost::source_location&) {
  throw std::runtime_error(e.message);
}

namespace {

bool is_memory(const std::string& path) { return path == ":memory:" || path.empty(); }

// Creates a missing database file with mode 0600 so that SQLite never creates it with the
// umask's wider permissions (the -wal and -shm files copy the main file's mode).
StoreResult<void> create_private_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return {};
    return StoreError{StoreErrorKind::io,
                      fmt::format("cannot create {}: {}; check that the directory exists and is "
                                  "writable by this user",
                                  path, std::strerror(errno))};
  }
  ::close(fd);
  return {};
}

StoreResult<void> configure(Db& db, const OpenOptions& o) {
  BSCHED_TRY(db.exec(fmt::format("PRAGMA busy_timeout = {}", o.busy_timeout.count())));
  BSCHED_TRY(db.exec("PRAGMA foreign_keys = ON"));
  if (o.mode == OpenMode::read_only) return {};
  BSCHED_TRY(db.exec("PRAGMA journal_mode = WAL"));
  // Savepoint (statement) journals in memory: a burst's savepointed writes would otherwise
  // go through a temporary file page by page. They are rolled back or discarded with their
  // transaction, never needed after a crash.
  BSCHED_TRY(db.exec("PRAGMA temp_store = MEMORY"));
  return db.exec("PRAGMA synchronous = FULL");
}

StoreResult<void> verify(Db& db) {
  auto q = db.prepare("PRAGMA quick_check(5)");
  if (!q) return q.error();
  // quick_check's rows hold several lines each ("*** in database main ***\nPage 4: …"):
  // keep the problems, one short list, so the refusal stays one line of the log.
  std::vector<std::string> problems;
  for (;;) {
    BSCHED_TRY_ASSIGN(row, q->step());
    if (!row) break;
    std::string text = q->text(0);
    if (text == "ok") continue;
    for (size_t start = 0; start <= text.size();) {
      auto end = std::min(text.find('\n', start), text.size());
      auto line = text.substr(start, end - start);
      if (!line.empty() && !line.starts_with("*** ")) problems.push_back(line);
      start = end + 1;
    }
  }
  if (problems.empty()) return {};
  std::string list;
  for (size_t i = 0; i < problems.size() && i < 2; ++i) list += (i ? "; " : "") + problems[i];
  if (problems.size() > 2) list += fmt::format("; {} more", problems.size() - 2);
  return StoreError{StoreErrorKind::io,
                    fmt::format("{}: the database is damaged ({}); it was left untouched: restore "
                                "it from a backup or move it away",
                                db.path(), list)};
}

}  // namespace

SqliteRunStore::SqliteRunStore(std::unique_ptr<Db> db) : m_db(std::move(db)) {}
SqliteRunStore::~SqliteRunStore() = default;

StoreResult<std::unique_ptr<SqliteRunStore>> SqliteRunStore::open(const std::string& path,
                                                                  OpenMode mode) {
  return open(path, OpenOptions{.mode = mode});
}

StoreResult<std::unique_ptr<SqliteRunStore>> SqliteRunStore::open(const std::string& path,
                                                                  const OpenOptions& o) {
  bool writable = o.mode == OpenMode::read_write;
  if (!is_memory(path) && !std::filesystem::exists(path)) {
    if (!writable || !o.create) {
      return StoreError{StoreErrorKind::not_found,
                        fmt::format("no state database at {} (the daemon creates it when it "
                                    "first starts)",
                                    path)};
    }
    BSCHED_TRY(create_private_file(path));
  }
  if (!is_memory(path)) BSCHED_TRY(check_file_header(path));
  auto flags = is_memory(path) ? OpenFlags::read_write_create
               : writable      ? OpenFlags::read_write
                               : OpenFlags::read_only;
  BSCHED_TRY_ASSIGN(db, Db::open(is_memory(path) ? ":memory:" : path, flags));
  BSCHED_TRY(db->exec(fmt::format("PRAGMA busy_timeout = {}", o.busy_timeout.count())));
  // Identify the file before anything writes to it.
  BSCHED_TRY_ASSIGN(version, check_database(*db, writable));
  if (o.verify && version > 0) BSCHED_TRY(verify(*db));
  BSCHED_TRY(configure(*db, o));
  if (writable) BSCHED_TRY(migrate(*db, version));
  return std::unique_ptr<SqliteRunStore>(new SqliteRunStore(std::move(db)));
}

StoreResult<void> SqliteRunStore::in_transaction(const std::function<StoreResult<void>()>& fn) {
  return transact<void>(*m_db, fn);
}

StoreResult<RunRow> SqliteRunStore::create_run(const NewRun& run, SysMillis now) {
  // Inside a caller's open transaction (a batch of slots) no savepoint of its own: a refused
  // INSERT is undone by SQLite as one statement, and any later failure fails the caller's
  // transaction, which rolls back as a whole. (A savepoint per run made a batch about a
  // quarter dearer.) When SQLite has rolled the caller's transaction back, transact refuses.
  if (m_db->depth() > 0 && m_db->in_transaction()) return insert_run(run, now);
  return transact<RunRow>(*m_db, [&] { return insert_run(run, now); });
}

StoreResult<RunRow> SqliteRunStore::insert_run(const NewRun& run, SysMillis now) {
  BSCHED_TRY_ASSIGN(q, m_db->prepare(
                           "INSERT INTO runs (run_id, job, trigger, slot, state, attempts, "
                           "properties_json, created_at, submitting_at, last_sent_at, "
                           "maybe_accepted) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9, ?10)"));
  RunRow row = new_run_row(run, now);
  q.bind(1, row.run_id).bind(2, row.job).bind(3, to_string(row.trigger));
  q.bind(4, to_db(row.slot)).bind(5, to_string(row.state)).bind(6, row.attempts);
  q.bind(7, row.properties_json).bind(8, to_db(now)).bind(9, to_db(row.submitting_at));
  q.bind(10, row.maybe_accepted ? 1 : 0);
  auto r = q.run();
  if (!r) {
    auto e = r.error();
    if (e.message.find("UNIQUE constraint failed: runs.job, runs.slot") != std::string::npos) {
      e.kind = StoreErrorKind::duplicate_slot;
      e.message = fmt::format("job {} already has a run for slot {}", run.job,
                              format_utc(run.slot));
    }
    return e;
  }
  row.id = m_db->last_insert_rowid();
  if (run.submitting) {
    BSCHED_TRY(enter_state(row, RunState::submitting, now, first_send(now)));
    BSCHED_TRY(write_run(row));
  }
  if (is_slot_trigger(run.trigger)) BSCHED_TRY(advance_horizon(run.job, run.slot));
  return row;
}

StoreResult<RunRow> SqliteRunStore::transition(std::int64_t id, RunState to, SysMillis now,
                                               const RunUpdate& update) {
  return transact<RunRow>(*m_db, [&]() -> StoreResult<RunRow> {
    BSCHED_TRY_ASSIGN(row, load_run(id));
    BSCHED_TRY(enter_state(row, to, now, update));
    BSCHED_TRY(write_run(row));
    if (is_success(to)) BSCHED_TRY(note_success(row.job, row.slot));
    return row;
  });
}

StoreResult<void> SqliteRunStore::update(std::int64_t id, const RunUpdate& update) {
  return transact<void>(*m_db, [&]() -> StoreResult<void> {
    BSCHED_TRY_ASSIGN(row, load_run(id));
    apply_update(row, update);
    return write_run(row);
  });
}

StoreResult<std::optional<RunRow>> SqliteRunStore::find_run(std::int64_t id) {
  BSCHED_TRY_ASSIGN(q, m_db->prepare("SELECT " BSCHED_RUN_COLUMNS " FROM runs WHERE id = ?"));
  q.bind(1, id);
  BSCHED_TRY_ASSIGN(found, q.step());
  if (!found) return std::optional<RunRow>();
  return std::optional<RunRow>(read_run(q));
}

StoreResult<RunRow> SqliteRunStore::load_run(std::int64_t id) {
  BSCHED_TRY_ASSIGN(row, find_run(id));
  if (!row) {
    return StoreError{StoreErrorKind::not_found, fmt::format("no run with id {}", id)};
  }
  return std::move(*row);
}

StoreResult<void> SqliteRunStore::write_run(const RunRow& r) {
  BSCHED_TRY_ASSIGN(
      q, m_db->prepare("UPDATE runs SET state = ?, attempts = ?, request_id = ?, "
                       "execution_id = ?, remote_status = ?, message = ?, last_error = ?, "
                       "properties_json = ?, submitting_at = ?, submitted_at = ?, running_at = ?, "
                       "finished_at = ?, last_sent_at = ?, next_action_at = ?, "
                       "execution_time = ?, duration_ms = ?, inbound_documents = ?, "
                       "outbound_documents = ?, inbound_error_documents = ?, maybe_accepted = ?, "
                       "matched_by = ? WHERE id = ?"));
  q.bind(1, to_string(r.state)).bind(2, r.attempts).bind(3, r.request_id);
  q.bind(4, r.execution_id).bind(5, r.remote_status).bind(6, r.message).bind(7, r.last_error);
  q.bind(8, r.properties_json).bind(9, to_db(r.submitting_at)).bind(10, to_db(r.submitted_at));
  q.bind(11, to_db(r.running_at)).bind(12, to_db(r.finished_at)).bind(13, to_db(r.last_sent_at));
  q.bind(14, to_db(r.next_action_at)).bind(15, to_db(r.execution_time));
  q.bind(16, r.duration_ms).bind(17, r.inbound_documents).bind(18, r.outbound_documents);
  q.bind(19, r.inbound_error_documents).bind(20, r.maybe_accepted ? 1 : 0);
  q.bind(21, r.matched_by).bind(22, r.id);
  return q.run();
}

StoreResult<std::vector<RunRow>> SqliteRunStore::non_terminal_runs() {
  BSCHED_TRY_ASSIGN(q, m_db->prepare("SELECT " BSCHED_RUN_COLUMNS
                                     " FROM runs WHERE finished_at IS NULL ORDER BY id"));
  std::vector<RunRow> rows;
  for (;;) {
    BSCHED_TRY_ASSIGN(more, q.step());
    if (!more) break;
    rows.push_back(read_run(q));
  }
  return rows;
}

namespace sqlite {

RunRow read_run(const Query& q) {
  RunRow r;
  r.id = q.int64(0);
  r.run_id = q.text(1);
  r.job = q.text(2);
  r.trigger = trigger_from_string(q.text(3)).value_or(Trigger::schedule);
  r.slot = seconds_from_db(q.int64(4));
  // An unknown name (a newer writer) reads as a terminal state so nothing acts on it.
  r.state = run_state_from_string(q.text(5)).value_or(RunState::unknown);
  r.attempts = static_cast<int>(q.int64(6));
  r.request_id = q.text(7);
  r.execution_id = q.text(8);
  r.remote_status = q.text(9);
  r.message = q.text(10);
  r.last_error = q.text(11);
  r.properties_json = q.text(12);
  r.created_at = millis_from_db(q.int64(13));
  r.submitting_at = opt_millis(q, 14);
  r.submitted_at = opt_millis(q, 15);
  r.running_at = opt_millis(q, 16);
  r.finished_at = opt_millis(q, 17);
  r.last_sent_at = opt_millis(q, 18);
  r.next_action_at = opt_millis(q, 19);
  r.execution_time = opt_seconds(q, 20);
  r.duration_ms = q.opt_int64(21);
  r.inbound_documents = q.opt_int64(22);
  r.outbound_documents = q.opt_int64(23);
  r.inbound_error_documents = q.opt_int64(24);
  r.maybe_accepted = q.int64(25) != 0;
  r.matched_by = q.text(26);
  return r;
}

}  // namespace sqlite

}  // namespace bsched::storage
