// Internal to PgRunStore: the database thread, the calls forwarded to it, and the helpers
// its statements share (parameters, reading rows, error kinds).
//
// PgWorker owns one thread running its own io_context, and the one PgConnection, touched only
// on that thread. call() queues a job and waits for its answer until the call's deadline (plus
// a short grace for the hand-over); jobs run one after another in the order they were queued,
// each with a PgSession whose statements share the call's deadline. A closed connection is
// opened again by the next statement, except inside a transaction (whose work it lost).
#pragma once

#include "storage/pg/pg_connection.h"
#include "storage/run_store.h"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <atomic>
#include <charconv>
#include <chrono>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace bsched::storage::pg {

using boost::asio::awaitable;
using Steady = std::chrono::steady_clock;

class PgWorker;

// One call's use of the connection, on the database thread.
class PgSession {
 public:
  PgSession(PgWorker& worker, Steady::time_point until) : m_worker(worker), m_until(until) {}

  // Runs one statement within what is left of the call's deadline, connecting first when
  // the connection is closed. Errors are StoreErrors of the right kind (to_store_error).
  awaitable<StoreResult<PgRows>> query(std::string_view sql, PgParams params = {});

  // Runs `body` in a transaction of its own, or in the caller's open one (in_transaction).
  template <class T, class F>
  awaitable<StoreResult<T>> atomically(F body);

  bool in_transaction() const;
  bool connected() const;
  PgWorker& worker() { return m_worker; }

 private:
  PgWorker& m_worker;
  Steady::time_point m_until;
};

class PgWorker {
 public:
  using Job = std::function<awaitable<void>(PgSession&)>;

  // Starts the thread; connects on the first statement.
  PgWorker(std::string conninfo, std::string target, Millis deadline);
  // Closes the connection on the database thread and joins it.
  ~PgWorker();

  // Queues `f` (PgSession& -> awaitable<StoreResult<T>>) and waits for its answer. `f` owns
  // everything it uses: when the wait gives up, the job may still run later. Callers on other
  // threads wait for the caller that holds callers() (a call, or a whole transaction).
  template <class T, class F>
  StoreResult<T> call(F f);
  // Held for each call and for the whole of PgRunStore::in_transaction, so the calls of one
  // caller thread never interleave with another's transaction.
  std::recursive_mutex& callers() { return m_callers; }

  const std::string& target() const { return m_target; }
  Millis deadline() const { return m_deadline; }
  // The connection (database thread only; null before the first statement).
  PgConnection* connection() { return m_conn.get(); }
  void close_connection() {
    if (m_conn) m_conn->close();
  }

  // Database-thread state of the caller's transaction (see PgRunStore::in_transaction).
  bool m_in_tx = false;
  bool m_tx_failed = false;            // a statement failed inside it: COMMIT must refuse
  std::string m_tx_error;              // that statement's error
  std::vector<bool> m_savepoint_failed;  // m_tx_failed when each open savepoint began

 private:
  friend class PgSession;
  struct Queued {
    Job job;
    Steady::time_point until;
  };
  void post(Job job, Steady::time_point until);
  awaitable<void> pump();

  std::string m_conninfo;
  std::string m_target;
  Millis m_deadline;
  boost::asio::io_context m_io;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> m_guard;
  std::unique_ptr<PgConnection> m_conn;  // database thread only
  std::deque<Queued> m_queue;            // database thread only
  bool m_pumping = false;                // database thread only
  std::thread m_thread;
  std::recursive_mutex m_callers;
};

// The StoreError of a failed statement: its SQLSTATE decides the kind.
StoreError to_store_error(const Error& e);
StoreError no_answer(const std::string& target, Millis deadline);

template <class T, class F>
StoreResult<T> PgWorker::call(F f) {
  std::lock_guard lock(m_callers);
  auto until = Steady::now() + m_deadline;
  auto done = std::make_shared<std::promise<StoreResult<T>>>();
  auto answer = done->get_future();
  post(
      [done, f = std::move(f)](PgSession& s) -> awaitable<void> {
        std::optional<StoreResult<T>> r;
        try {
          r.emplace(co_await f(s));
        } catch (const std::exception& e) {
          r.emplace(StoreError{StoreErrorKind::io, std::string("PostgreSQL store: ") + e.what()});
        }
        done->set_value(std::move(*r));
      },
      until);
  // The job's own statements end by `until`; the grace covers the hand-over between threads
  // on a loaded host (giving up too early would report a write that committed as failed).
  if (answer.wait_until(until + std::chrono::seconds(1)) != std::future_status::ready)
    return no_answer(m_target, m_deadline);
  return answer.get();
}

template <class T, class F>
awaitable<StoreResult<T>> PgSession::atomically(F body) {
  if (in_transaction()) co_return co_await body();
  auto begun = co_await query("BEGIN");
  if (!begun) co_return begun.error();
  auto r = co_await body();
  if (!r) {
    if (connected()) (void)co_await query("ROLLBACK");
    co_return r;
  }
  auto committed = co_await query("COMMIT");
  if (!committed) co_return committed.error();
  co_return r;
}

// Parameters in text form.
inline std::optional<std::string> p(std::int64_t v) { return std::to_string(v); }
inline std::optional<std::string> p(int v) { return std::to_string(v); }
inline std::optional<std::string> p(const std::string& s) { return s; }
inline std::optional<std::string> p(std::string_view s) { return std::string(s); }
inline std::optional<std::string> p(const char* s) { return std::string(s); }
inline std::optional<std::string> p(bool b) { return std::string(b ? "true" : "false"); }
inline std::optional<std::string> p(SysMillis t) { return p(std::int64_t{t.time_since_epoch().count()}); }
inline std::optional<std::string> p(sys_seconds t) { return p(std::int64_t{t.time_since_epoch().count()}); }
template <class T>
std::optional<std::string> p(const std::optional<T>& v) {
  return v ? p(*v) : std::nullopt;
}

// Reading a cell of an answer (columns written by this store: well-formed).
inline std::optional<std::int64_t> opt_i64(const PgRows& r, std::size_t row, std::size_t col) {
  auto v = r.at(row, col);
  if (!v) return std::nullopt;
  std::int64_t out = 0;
  std::from_chars(v->data(), v->data() + v->size(), out);
  return out;
}
inline std::int64_t i64(const PgRows& r, std::size_t row, std::size_t col) {
  return opt_i64(r, row, col).value_or(0);
}
inline std::string text(const PgRows& r, std::size_t row, std::size_t col) {
  return r.at(row, col).value_or("");
}
inline bool boolean(const PgRows& r, std::size_t row, std::size_t col) {
  return r.at(row, col).value_or("f") == "t";
}
inline SysMillis millis(const PgRows& r, std::size_t row, std::size_t col) {
  return SysMillis{Millis{i64(r, row, col)}};
}
inline sys_seconds secs(const PgRows& r, std::size_t row, std::size_t col) {
  return sys_seconds{std::chrono::seconds{i64(r, row, col)}};
}
inline std::optional<SysMillis> opt_millis(const PgRows& r, std::size_t row, std::size_t col) {
  auto v = opt_i64(r, row, col);
  return v ? std::optional<SysMillis>(SysMillis{Millis{*v}}) : std::nullopt;
}
inline std::optional<sys_seconds> opt_seconds(const PgRows& r, std::size_t row, std::size_t col) {
  auto v = opt_i64(r, row, col);
  return v ? std::optional<sys_seconds>(sys_seconds{std::chrono::seconds{*v}}) : std::nullopt;
}

// "{1,2,3}": a list of ids as one bigint[] parameter.
std::string id_array(const std::vector<std::int64_t>& ids);

// Every column of `runs`, in the order read_run() expects.
#define BSCHED_PG_RUN_COLUMNS                                                                \
  "id, run_id, job, trigger, slot, state, attempts, request_id, execution_id, remote_status, " \
  "message, last_error, properties_json, created_at, submitting_at, submitted_at, running_at, " \
  "finished_at, last_sent_at, next_action_at, execution_time, duration_ms, inbound_documents, " \
  "outbound_documents, inbound_error_documents, maybe_accepted, matched_by"

#define BSCHED_PG_GAP_COLUMNS "id, job, kind, first, last, count, reason, recorded_at"

RunRow read_run(const PgRows& r, std::size_t row);
SlotGap read_gap(const PgRows& r, std::size_t row);

// Declares `var` = the value of the awaited StoreResult `expr`, or co_returns its error.
#define BSCHED_CO_TRY_ASSIGN(var, expr)            \
  auto var##_result_ = co_await (expr);            \
  if (!var##_result_) co_return var##_result_.error(); \
  auto var = std::move(*var##_result_)

#define BSCHED_CO_TRY(expr)                                  \
  do {                                                       \
    auto bsched_co_try_r_ = co_await (expr);                 \
    if (!bsched_co_try_r_) co_return bsched_co_try_r_.error(); \
  } while (false)

}  // namespace bsched::storage::pg
