// One libpq connection driven from an Asio event loop without blocking it: the connection is
// opened with PQconnectStart/PQconnectPoll and statements go through PQsendQueryParams, the
// loop waiting on libpq's socket in between. Every call carries a deadline.
//
// Executor: all calls on one single-threaded io_context, one call at a time per connection
// (a second call while one is in progress fails at once). A statement that misses its
// deadline, or a broken connection, closes the connection: it is not usable afterwards
// (connected() is false) and the caller opens a new one.
//
// Secrets: the connection string is never logged or put in an error; errors name the server
// by target() (host, port, dbname, user), never the password.
#pragma once

#include "base/result.h"
#include "base/time_util.h"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct pg_conn;

namespace bsched::storage::pg {

// A statement's answer in text form: a null column is std::nullopt.
struct PgRows {
  std::vector<std::string> columns;
  std::vector<std::vector<std::optional<std::string>>> rows;
  std::int64_t affected = 0;  // PQcmdTuples: rows inserted, updated or deleted (0 for others)

  // The value of (row, column) or nullopt when null or out of range.
  std::optional<std::string> at(std::size_t row, std::size_t column) const;
};

// One NOTIFY received on a channel this connection LISTENs to.
struct PgNotification {
  std::string channel;
  std::string payload;
  int sender_pid = 0;  // the backend that sent it
};

// $1..$n, in text form; std::nullopt is SQL NULL.
using PgParams = std::vector<std::optional<std::string>>;

// The server a connection string names, for logs and errors: "host=/run/pg port=5432
// dbname=x user=y". Never the password or other options. An error when libpq cannot parse
// the string (the message does not quote the string, which may hold a password).
Result<std::string> conninfo_target(const std::string& conninfo);

class PgConnection {
 public:
  using Executor = boost::asio::any_io_executor;

  // Opens a connection to `conninfo` (a libpq connection string or postgresql:// URI) within
  // `deadline`. Errors say which server and why (unreachable, refused, authentication, time).
  // A host name (not an address or a socket directory) is resolved by libpq synchronously.
  static boost::asio::awaitable<Result<std::unique_ptr<PgConnection>>> connect(Executor ex,
                                                                               std::string conninfo,
                                                                               Millis deadline);

  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // Runs one statement with parameters $1..$n (never spliced into the text) and returns its
  // rows, or the server's error (SQLSTATE and message), or a time-out after `deadline` (the
  // connection is then closed: the statement may still run on the server until it notices).
  boost::asio::awaitable<Result<PgRows>> query(std::string_view sql, PgParams params,
                                               Millis deadline);

  // Makes the server end what the client has given up on: a statement running longer than
  // `statement` (statement_timeout) and a session idle inside a transaction longer than
  // `idle_in_transaction`. Without them a statement whose client timed out, or the open
  // transaction of a client cut off by the network, keeps its locks until TCP notices — and a
  // lock on a run or on the lease row stalls the other node.
  boost::asio::awaitable<Result<void>> bound_server_waits(Millis statement,
                                                          Millis idle_in_transaction,
                                                          Millis deadline);

  // LISTEN on `channel` (letters, digits and '_' only; anything else is refused).
  boost::asio::awaitable<Result<void>> listen(std::string_view channel, Millis deadline);

  // The next notification on `channel` (one queued meanwhile comes at once), or nullopt when
  // `wait` passes first or wake() is called. Notifications on other channels are kept for
  // their own callers. An error only when the connection fails (it is then closed).
  boost::asio::awaitable<Result<std::optional<PgNotification>>> next_notification(
      std::string_view channel, Millis wait);

  // Ends a next_notification wait early (it returns nullopt). Does nothing to a statement in
  // progress. Safe to call at any time from the connection's executor.
  void wake();

  bool connected() const { return m_conn != nullptr; }
  // "host=… port=… dbname=… user=…" for logs (see conninfo_target).
  const std::string& target() const { return m_target; }
  // The server's process id for this session (0 when closed).
  int backend_pid() const;
  // Closes the connection; later calls fail with "connection closed".
  void close();

 private:
  enum class Wait { read, write };
  PgConnection(Executor ex, pg_conn* conn, std::string target);

  boost::asio::awaitable<Result<void>> drive_connect(Millis deadline);
  boost::asio::awaitable<Result<void>> flush(std::chrono::steady_clock::time_point until);
  boost::asio::awaitable<Result<PgRows>> collect(std::chrono::steady_clock::time_point until,
                                                 Millis deadline);
  // Waits until the socket is ready for `w` or `until` passes (false) or wake() (false).
  boost::asio::awaitable<Result<bool>> wait_socket(Wait w,
                                                   std::chrono::steady_clock::time_point until);
  Result<void> rebind_socket();
  Result<void> consume();
  void drain_notifications();
  Error fail(std::string what);

  Executor m_ex;
  pg_conn* m_conn = nullptr;
  std::string m_target;
  std::optional<boost::asio::posix::stream_descriptor> m_socket;  // libpq owns the fd
  std::deque<PgNotification> m_notifications;
  bool m_busy = false;
  bool m_in_notification_wait = false;
  bool m_woken = false;  // wake() ended the notification wait
};

}  // namespace bsched::storage::pg
