// Running coroutines and the io_context on the real clock, bounded: for the tests that talk to
// the private PostgreSQL cluster (tests/support/pg_cluster.h).
#pragma once

#include "storage/pg/pg_connection.h"
#include "tests/support/pg_cluster.h"

#include <doctest/doctest.h>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <ostream>

namespace bsched::storage::pg {
// For doctest's messages about a Result<PgRows>.
inline std::ostream& operator<<(std::ostream& os, const PgRows& r) {
  return os << r.rows.size() << " row(s)";
}
}  // namespace bsched::storage::pg

namespace bsched::test {

// Runs `a` to its end, at most `bound` on the real clock.
template <class T>
T run_pg(boost::asio::io_context& io, boost::asio::awaitable<T> a,
         std::chrono::milliseconds bound = std::chrono::milliseconds(10000)) {
  std::optional<T> out;
  boost::asio::co_spawn(
      io, [&]() -> boost::asio::awaitable<void> { out.emplace(co_await std::move(a)); },
      boost::asio::detached);
  auto deadline = std::chrono::steady_clock::now() + bound;
  while (!out && std::chrono::steady_clock::now() < deadline) {
    io.restart();
    io.run_one_for(std::chrono::milliseconds(20));
  }
  REQUIRE_MESSAGE(out.has_value(), "the coroutine did not finish in time");
  return std::move(*out);
}

// Runs the loop until `done()` holds or `bound` passes; true when it held.
inline bool run_until(boost::asio::io_context& io, const std::function<bool()>& done,
                      std::chrono::milliseconds bound) {
  auto deadline = std::chrono::steady_clock::now() + bound;
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    io.restart();
    io.run_one_for(std::chrono::milliseconds(5));
  }
  return done();
}

// A connection to `conninfo`, or a failed test.
inline std::unique_ptr<storage::pg::PgConnection> pg_connect(boost::asio::io_context& io,
                                                             const std::string& conninfo) {
  auto c = run_pg(io, storage::pg::PgConnection::connect(io.get_executor(), conninfo,
                                                         std::chrono::milliseconds(5000)));
  REQUIRE_MESSAGE(c, (c ? std::string() : c.error().message));
  return std::move(*c);
}

// A second session holding an ACCESS EXCLUSIVE lock on `table` until release(): statements
// on it wait without an answer, like a database that went silent.
class TableLock {
 public:
  TableLock(const std::string& conninfo, const std::string& table)
      : m_conn(pg_connect(m_io, conninfo)) {
    REQUIRE(run_pg(m_io, m_conn->query("BEGIN", {}, std::chrono::seconds(2))));
    auto locked = run_pg(m_io, m_conn->query("LOCK TABLE " + table + " IN ACCESS EXCLUSIVE MODE",
                                             {}, std::chrono::seconds(2)));
    REQUIRE_MESSAGE(locked, (locked ? "" : locked.error().message));
  }
  void release() { REQUIRE(run_pg(m_io, m_conn->query("ROLLBACK", {}, std::chrono::seconds(2)))); }

 private:
  boost::asio::io_context m_io;
  std::unique_ptr<storage::pg::PgConnection> m_conn;
};

}  // namespace bsched::test
