// PgConnection: libpq's asynchronous interface on an Asio loop (see pg_connection.h).
#include "storage/pg/pg_connection.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <fmt/core.h>
#include <libpq-fe.h>

#include <poll.h>

#include <algorithm>

namespace bsched::storage::pg {

namespace asio = boost::asio;
using asio::awaitable;
using Steady = std::chrono::steady_clock;

namespace {

constexpr auto k_use = asio::as_tuple(asio::use_awaitable);

// libpq's messages end with a newline and may span lines; one line for logs and errors.
std::string one_line(const char* text) {
  std::string s = text ? text : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  for (auto& c : s)
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  return s;
}

std::string printable(std::string s) {
  for (auto& c : s)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  return s;
}

Steady::time_point deadline_from(Millis d) {
  return Steady::now() + d;
}

// True when `fd` is ready now: covers readiness the loop's edge-triggered epoll already
// reported before a wait was queued.
bool ready_now(int fd, short events) {
  pollfd p{fd, events, 0};
  return ::poll(&p, 1, 0) > 0;
}

// The answer of one PGresult appended to `out`, or its error.
Result<void> take_result(PGresult* r, PgRows& out) {
  switch (PQresultStatus(r)) {
    case PGRES_TUPLES_OK:
    case PGRES_SINGLE_TUPLE: {
      int cols = PQnfields(r);
      out.columns.clear();
      for (int c = 0; c < cols; ++c) out.columns.emplace_back(PQfname(r, c));
      for (int i = 0; i < PQntuples(r); ++i) {
        auto& row = out.rows.emplace_back();
        for (int c = 0; c < cols; ++c)
          row.push_back(PQgetisnull(r, i, c) ? std::nullopt
                                             : std::optional<std::string>(PQgetvalue(r, i, c)));
      }
      return {};
    }
    case PGRES_COMMAND_OK: {
      std::string n = PQcmdTuples(r);
      out.affected = n.empty() ? 0 : std::stoll(n);
      return {};
    }
    case PGRES_EMPTY_QUERY:
      return {};
    default: {
      const char* state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
      return make_error(fmt::format("PostgreSQL error {}: {}", state ? state : "(none)",
                                    one_line(PQresultErrorMessage(r))));
    }
  }
}

bool valid_channel(std::string_view channel) {
  return !channel.empty() && channel.size() < 64 &&
         std::all_of(channel.begin(), channel.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
         });
}

}  // namespace

std::optional<std::string> PgRows::at(std::size_t row, std::size_t column) const {
  if (row >= rows.size() || column >= rows[row].size()) return std::nullopt;
  return rows[row][column];
}

Result<std::string> conninfo_target(const std::string& conninfo) {
  char* err = nullptr;
  PQconninfoOption* opts = PQconninfoParse(conninfo.c_str(), &err);
  if (!opts) {
    // libpq's message can quote the text around the fault, which may be the password.
    if (err) PQfreemem(err);
    return make_error(
        "the PostgreSQL connection string cannot be parsed: write key=value "
        "pairs (host=… dbname=… user=…) or a postgresql:// URI");
  }
  std::string out;
  for (std::string_view k : {"host", "hostaddr", "port", "dbname", "user"}) {
    for (auto* o = opts; o->keyword; ++o) {
      if (k != o->keyword || !o->val || !*o->val) continue;
      if (!out.empty()) out += ' ';
      out += fmt::format("{}={}", k, printable(o->val));
    }
  }
  PQconninfoFree(opts);
  return out.empty() ? std::string("(libpq defaults)") : out;
}

PgConnection::PgConnection(Executor ex, pg_conn* conn, std::string target)
    : m_ex(std::move(ex)), m_conn(conn), m_target(std::move(target)) {}

PgConnection::~PgConnection() {
  close();
}

void PgConnection::close() {
  if (m_socket) {
    m_socket->release();  // libpq closes its own socket
    m_socket.reset();
  }
  if (m_conn) PQfinish(m_conn);
  m_conn = nullptr;
}

int PgConnection::backend_pid() const {
  return m_conn ? PQbackendPID(m_conn) : 0;
}

Error PgConnection::fail(std::string what) {
  close();
  return make_error(std::move(what));
}

Result<void> PgConnection::rebind_socket() {
  if (m_socket) {
    m_socket->release();
    m_socket.reset();
  }
  int fd = PQsocket(m_conn);
  if (fd < 0) return fail(fmt::format("PostgreSQL ({}): the connection has no socket", m_target));
  boost::system::error_code ec;
  m_socket.emplace(m_ex);
  m_socket->assign(fd, ec);
  if (ec)
    return fail(
        fmt::format("PostgreSQL ({}): cannot watch the socket: {}", m_target, ec.message()));
  return {};
}

awaitable<Result<std::unique_ptr<PgConnection>>> PgConnection::connect(Executor ex,
                                                                       std::string conninfo,
                                                                       Millis deadline) {
  auto target = conninfo_target(conninfo);
  if (!target) co_return target.error();
  pg_conn* raw = PQconnectStart(conninfo.c_str());
  if (!raw) co_return make_error("PostgreSQL: out of memory opening a connection");
  std::unique_ptr<PgConnection> conn(new PgConnection(ex, raw, *target));
  // The server's notices (e.g. "relation already exists, skipping") would go to stderr
  // outside the log's format; nothing here needs them.
  PQsetNoticeProcessor(
      raw, [](void*, const char*) {}, nullptr);
  if (PQstatus(raw) == CONNECTION_BAD)
    co_return conn->fail(fmt::format("cannot connect to PostgreSQL ({}): {}", *target,
                                     one_line(PQerrorMessage(raw))));
  auto done = co_await conn->drive_connect(deadline);
  if (!done) co_return done.error();
  if (PQsetnonblocking(raw, 1) != 0)
    co_return conn->fail(fmt::format("PostgreSQL ({}): cannot switch to non-blocking mode: {}",
                                     *target, one_line(PQerrorMessage(raw))));
  co_return conn;
}

// PQconnectPoll's state machine: each step says whether to wait for reading or writing; the
// socket may change between steps (libpq tries the next address), so it is watched anew.
awaitable<Result<void>> PgConnection::drive_connect(Millis deadline) {
  auto until = deadline_from(deadline);
  PostgresPollingStatusType st = PGRES_POLLING_WRITING;
  while (st != PGRES_POLLING_OK) {
    if (st == PGRES_POLLING_FAILED)
      co_return fail(fmt::format("cannot connect to PostgreSQL ({}): {}", m_target,
                                 one_line(PQerrorMessage(m_conn))));
    auto bound = rebind_socket();
    if (!bound) co_return bound.error();
    auto ready =
        co_await wait_socket(st == PGRES_POLLING_READING ? Wait::read : Wait::write, until);
    if (!ready) co_return ready.error();
    if (!*ready)
      co_return fail(fmt::format("cannot connect to PostgreSQL ({}): no answer within {}", m_target,
                                 format_duration(deadline)));
    st = PQconnectPoll(m_conn);
  }
  co_return rebind_socket();
}

awaitable<Result<bool>> PgConnection::wait_socket(Wait w, Steady::time_point until) {
  using namespace asio::experimental::awaitable_operators;
  if (m_woken) co_return false;
  if (ready_now(m_socket->native_handle(), w == Wait::read ? POLLIN : POLLOUT)) co_return true;
  if (Steady::now() >= until) co_return false;
  asio::steady_timer timer(m_ex, until);
  auto type = w == Wait::read ? asio::posix::stream_descriptor::wait_read
                              : asio::posix::stream_descriptor::wait_write;
  auto r = co_await (m_socket->async_wait(type, k_use) || timer.async_wait(k_use));
  if (r.index() == 1) co_return false;  // the deadline
  auto [ec] = std::get<0>(r);
  if (ec == asio::error::operation_aborted) co_return false;  // wake()
  if (ec)
    co_return fail(
        fmt::format("PostgreSQL ({}): waiting on the socket: {}", m_target, ec.message()));
  co_return true;
}

Result<void> PgConnection::consume() {
  if (PQconsumeInput(m_conn) == 0)
    return fail(fmt::format("PostgreSQL ({}): the connection failed: {}", m_target,
                            one_line(PQerrorMessage(m_conn))));
  drain_notifications();
  return {};
}

void PgConnection::drain_notifications() {
  while (PGnotify* n = PQnotifies(m_conn)) {
    m_notifications.push_back({n->relname, n->extra ? n->extra : "", n->be_pid});
    PQfreemem(n);
  }
}

awaitable<Result<void>> PgConnection::flush(Steady::time_point until) {
  for (;;) {
    int f = PQflush(m_conn);
    if (f == 0) co_return Result<void>{};
    if (f < 0)
      co_return fail(fmt::format("PostgreSQL ({}): cannot send: {}", m_target,
                                 one_line(PQerrorMessage(m_conn))));
    auto ready = co_await wait_socket(Wait::write, until);
    if (!ready) co_return ready.error();
    if (!*ready)
      co_return fail(
          fmt::format("PostgreSQL ({}): the statement could not be sent "
                      "in time; the connection was closed",
                      m_target));
    // The server may be waiting for us to read before it accepts more.
    auto c = consume();
    if (!c) co_return c.error();
  }
}

awaitable<Result<PgRows>> PgConnection::collect(Steady::time_point until, Millis deadline) {
  PgRows out;
  std::optional<Error> first_error;
  for (;;) {
    while (PQisBusy(m_conn)) {
      auto ready = co_await wait_socket(Wait::read, until);
      if (!ready) co_return ready.error();
      if (!*ready)
        co_return fail(
            fmt::format("PostgreSQL ({}): no answer within {}; the connection was "
                        "closed",
                        m_target, format_duration(deadline)));
      auto c = consume();
      if (!c) co_return c.error();
    }
    PGresult* r = PQgetResult(m_conn);
    if (!r) break;
    auto taken = take_result(r, out);
    PQclear(r);
    if (!taken && !first_error) first_error = taken.error();
  }
  drain_notifications();
  if (first_error) co_return *first_error;
  co_return out;
}

awaitable<Result<void>> PgConnection::bound_server_waits(Millis statement,
                                                         Millis idle_in_transaction,
                                                         Millis deadline) {
  PgParams ps{std::to_string(statement.count()), std::to_string(idle_in_transaction.count())};
  auto r = co_await query("SELECT set_config('statement_timeout', $1, false), "
                          "set_config('idle_in_transaction_session_timeout', $2, false)",
                          std::move(ps), deadline);
  if (!r) co_return r.error();
  co_return Result<void>{};
}

awaitable<Result<PgRows>> PgConnection::query(std::string_view sql, PgParams params,
                                              Millis deadline) {
  if (!m_conn) co_return make_error(fmt::format("PostgreSQL ({}): connection closed", m_target));
  if (m_busy) co_return make_error("PostgreSQL: a statement is already running on this connection");
  m_busy = true;
  m_woken = false;
  std::vector<const char*> values;
  for (auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  std::string text(sql);
  auto until = deadline_from(deadline);
  Result<PgRows> out = PgRows{};
  if (!PQsendQueryParams(m_conn, text.c_str(), static_cast<int>(values.size()), nullptr,
                         values.data(), nullptr, nullptr, 0)) {
    out = fail(fmt::format("PostgreSQL ({}): cannot send the statement: {}", m_target,
                           one_line(PQerrorMessage(m_conn))));
  } else if (auto sent = co_await flush(until); !sent) {
    out = sent.error();
  } else {
    out = co_await collect(until, deadline);
  }
  m_busy = false;
  co_return out;
}

awaitable<Result<void>> PgConnection::listen(std::string_view channel, Millis deadline) {
  if (!valid_channel(channel))
    co_return make_error(
        fmt::format("PostgreSQL: '{}' is not a usable channel name "
                    "(a-z, 0-9 and _ only)",
                    printable(std::string(channel))));
  auto r = co_await query(fmt::format("LISTEN \"{}\"", channel), {}, deadline);
  if (!r) co_return r.error();
  co_return Result<void>{};
}

awaitable<Result<std::optional<PgNotification>>> PgConnection::next_notification(
    std::string_view channel, Millis wait) {
  using Out = Result<std::optional<PgNotification>>;
  if (!m_conn) co_return make_error(fmt::format("PostgreSQL ({}): connection closed", m_target));
  if (m_busy) co_return make_error("PostgreSQL: a statement is already running on this connection");
  m_busy = true;
  m_in_notification_wait = true;
  m_woken = false;
  auto until = deadline_from(wait);
  Out out = std::optional<PgNotification>{};
  for (;;) {
    if (auto c = consume(); !c) {
      out = c.error();
      break;
    }
    auto it = std::find_if(m_notifications.begin(), m_notifications.end(),
                           [&](const PgNotification& n) { return n.channel == channel; });
    if (it != m_notifications.end()) {
      out = std::optional<PgNotification>(std::move(*it));
      m_notifications.erase(it);
      break;
    }
    auto ready = co_await wait_socket(Wait::read, until);
    if (!ready) {
      out = ready.error();
      break;
    }
    if (!*ready) break;  // the wait passed or wake()
  }
  m_busy = false;
  m_in_notification_wait = false;
  m_woken = false;
  co_return out;
}

void PgConnection::wake() {
  if (!m_in_notification_wait || !m_socket) return;
  m_woken = true;
  m_socket->cancel();
}

}  // namespace bsched::storage::pg
