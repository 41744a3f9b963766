// PgConnection against the private cluster: parameters, errors, deadlines, hostile connection
// strings and LISTEN/NOTIFY; the loop keeps running while a statement waits.
#include "storage/pg/pg_connection.h"
#include "tests/support/pg_test_util.h"

#include <doctest/doctest.h>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>

#include <filesystem>

using namespace std::chrono_literals;
using namespace bsched;
using bsched::storage::pg::PgConnection;
using bsched::test::pg_connect;
using bsched::test::PgCluster;
using bsched::test::run_pg;

namespace {

std::string database(const char* name) {
  return PgCluster::get().new_database(name);
}

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

}  // namespace

TEST_SUITE("storage::pg_connection") {
  TEST_CASE("a statement takes its parameters as $1..$n and answers rows with nulls") {
    boost::asio::io_context io;
    auto c = pg_connect(io, database("conn_rows"));
    auto r = run_pg(
        io, c->query("SELECT $1::text AS a, $2::int + 1 AS b, NULL::text AS c", {"x y", "41"}, 2s));
    REQUIRE(r);
    CHECK(r->columns == std::vector<std::string>{"a", "b", "c"});
    REQUIRE(r->rows.size() == 1);
    CHECK(r->at(0, 0) == "x y");
    CHECK(r->at(0, 1) == "42");
    CHECK_FALSE(r->at(0, 2).has_value());
    CHECK_FALSE(r->at(5, 0).has_value());
  }

  TEST_CASE("a parameter that looks like SQL is stored as data") {
    boost::asio::io_context io;
    auto c = pg_connect(io, database("conn_inject"));
    REQUIRE(run_pg(io, c->query("CREATE TABLE t (v text)", {}, 2s)));
    std::string hostile = "x'); DROP TABLE t; --";
    auto ins = run_pg(io, c->query("INSERT INTO t VALUES ($1)", {hostile}, 2s));
    REQUIRE(ins);
    CHECK(ins->affected == 1);
    auto r = run_pg(io, c->query("SELECT v FROM t", {}, 2s));
    REQUIRE(r);
    CHECK(r->at(0, 0) == hostile);
  }

  // A statement waiting on a lock (or sleeping) past the client's bound is ended by the server
  // too, so it holds no lock after the client gave up; the transaction left open by a client
  // is ended as well.
  TEST_CASE("bound_server_waits makes the server end a statement and an idle transaction") {
    boost::asio::io_context io;
    auto info = database("conn_bounds");
    auto c = pg_connect(io, info);
    REQUIRE(run_pg(io, c->bound_server_waits(300ms, 600ms, 2s)));
    auto start = std::chrono::steady_clock::now();
    auto slept = run_pg(io, c->query("SELECT pg_sleep(5)", {}, 4s));
    auto took = std::chrono::steady_clock::now() - start;
    REQUIRE_FALSE(slept);
    CHECK(contains(slept.error().message, "57014"));  // canceled by statement_timeout
    CHECK(took < 3s);
    CHECK(c->connected());
    auto settings = run_pg(io, c->query("SELECT current_setting('statement_timeout'), "
                                        "current_setting('idle_in_transaction_session_timeout')",
                                        {}, 2s));
    REQUIRE(settings);
    CHECK(settings->at(0, 0) == "300ms");
    CHECK(settings->at(0, 1) == "600ms");

    // A transaction left open: the server ends the session, and its lock goes with it.
    REQUIRE(run_pg(io, c->query("CREATE TABLE t (v int)", {}, 2s)));
    REQUIRE(run_pg(io, c->query("BEGIN", {}, 2s)));
    REQUIRE(run_pg(io, c->query("LOCK TABLE t IN ACCESS EXCLUSIVE MODE", {}, 2s)));
    auto other = pg_connect(io, info);
    auto locked = run_pg(io, other->query("SELECT count(*) FROM t", {}, 5s));
    CHECK(locked);  // answered once the idle session was ended (about 600 ms)
  }

  TEST_CASE("a server error gives its SQLSTATE and the connection stays usable") {
    boost::asio::io_context io;
    auto c = pg_connect(io, database("conn_error"));
    auto r = run_pg(io, c->query("SELECT 1 / $1::int", {"0"}, 2s));
    REQUIRE_FALSE(r);
    CHECK(contains(r.error().message, "22012"));
    CHECK(contains(r.error().message, "division by zero"));
    CHECK(c->connected());
    CHECK(run_pg(io, c->query("SELECT 1", {}, 2s)));
  }

  TEST_CASE(
      "a statement past its deadline fails clearly, closes the connection, and never "
      "stalls the loop") {
    boost::asio::io_context io;
    auto c = pg_connect(io, database("conn_deadline"));
    int ticks = 0;
    bool ticking = true;
    boost::asio::steady_timer tick(io);
    std::function<void()> arm = [&] {
      tick.expires_after(20ms);
      tick.async_wait([&](auto ec) {
        if (!ec && ticking) {
          ++ticks;
          arm();
        }
      });
    };
    arm();
    auto start = std::chrono::steady_clock::now();
    auto r = run_pg(io, c->query("SELECT pg_sleep(5)", {}, 300ms));
    auto took = std::chrono::steady_clock::now() - start;
    ticking = false;
    tick.cancel();
    REQUIRE_FALSE(r);
    CHECK(contains(r.error().message, "no answer within 300ms"));
    CHECK(took < 1500ms);
    CHECK(ticks >= 8);  // the loop ran other work while the statement waited
    CHECK_FALSE(c->connected());
    auto again = run_pg(io, c->query("SELECT 1", {}, 1s));
    REQUIRE_FALSE(again);
    CHECK(contains(again.error().message, "connection closed"));
  }

  TEST_CASE(
      "an unreachable socket gives a clear error at once, naming the server without "
      "the password") {
    boost::asio::io_context io;
    auto start = std::chrono::steady_clock::now();
    auto r = run_pg(io, PgConnection::connect(io.get_executor(),
                                              "host=/nonexistent/bsched dbname=jobs "
                                              "user=sched password=hunter2",
                                              2s));
    REQUIRE_FALSE(r);
    CHECK(std::chrono::steady_clock::now() - start < 1s);
    auto m = r.error().message;
    CHECK(contains(m,
                   "cannot connect to PostgreSQL (host=/nonexistent/bsched dbname=jobs "
                   "user=sched)"));
    CHECK_FALSE(contains(m, "hunter2"));
  }

  TEST_CASE("a server that accepts and never answers times out at the connect deadline") {
    boost::asio::io_context io;
    auto dir = PgCluster::get().socket_dir() + "/silent";
    std::filesystem::create_directories(dir);
    boost::asio::local::stream_protocol::acceptor silent(
        io, boost::asio::local::stream_protocol::endpoint(dir + "/.s.PGSQL.5432"));
    boost::asio::local::stream_protocol::socket held(io);
    silent.async_accept(held, [](auto) {});
    auto start = std::chrono::steady_clock::now();
    auto r = run_pg(
        io, PgConnection::connect(io.get_executor(), "host=" + dir + " dbname=x user=y", 300ms));
    REQUIRE_FALSE(r);
    CHECK(std::chrono::steady_clock::now() - start < 1500ms);
    CHECK(contains(r.error().message, "no answer within 300ms"));
  }

  TEST_CASE("a connection string that cannot be parsed is refused without quoting it") {
    auto t = storage::pg::conninfo_target("host=/tmp password=s3cret dbname");
    REQUIRE_FALSE(t);
    CHECK_FALSE(contains(t.error().message, "s3cret"));
    CHECK(contains(t.error().message, "key=value"));
    CHECK_FALSE(storage::pg::conninfo_target("postgresql://u:s3cret@[bad"));
    CHECK_FALSE(storage::pg::conninfo_target("nokey"));
  }

  TEST_CASE("the target of a connection string keeps host, port, dbname and user only") {
    auto t = storage::pg::conninfo_target(
        "host=db1 port=5433 dbname=boomi user=sched password=s3cret sslmode=require");
    REQUIRE(t);
    CHECK(*t == "host=db1 port=5433 dbname=boomi user=sched");
    auto uri = storage::pg::conninfo_target("postgresql://sched:s3cret@db2/boomi");
    REQUIRE(uri);
    CHECK(*uri == "host=db2 dbname=boomi user=sched");
    auto nl = storage::pg::conninfo_target("host='a\nb' dbname=x");
    REQUIRE(nl);
    CHECK_FALSE(contains(*nl, "\n"));
  }

  TEST_CASE("a notification on a listened channel arrives, a wait without one ends on time") {
    boost::asio::io_context io;
    auto info = database("conn_notify");
    auto listener = pg_connect(io, info);
    auto sender = pg_connect(io, info);
    REQUIRE(run_pg(io, listener->listen("bsched_test", 2s)));
    auto start = std::chrono::steady_clock::now();
    auto none = run_pg(io, listener->next_notification("bsched_test", 150ms));
    REQUIRE(none.has_value());
    CHECK_FALSE(none->has_value());
    CHECK(std::chrono::steady_clock::now() - start >= 150ms);
    REQUIRE(run_pg(io, sender->query("SELECT pg_notify('other', 'x'), pg_notify($1, $2)",
                                     {"bsched_test", "hello"}, 2s)));
    auto got = run_pg(io, listener->next_notification("bsched_test", 2s));
    REQUIRE(got.has_value());
    REQUIRE(got->has_value());
    CHECK((*got)->payload == "hello");
    CHECK((*got)->sender_pid == sender->backend_pid());
  }

  TEST_CASE("wake() ends a notification wait early") {
    boost::asio::io_context io;
    auto c = pg_connect(io, database("conn_wake"));
    REQUIRE(run_pg(io, c->listen("bsched_test", 2s)));
    boost::asio::steady_timer later(io, 50ms);
    later.async_wait([&](auto) { c->wake(); });
    auto start = std::chrono::steady_clock::now();
    auto r = run_pg(io, c->next_notification("bsched_test", 5s));
    REQUIRE(r.has_value());
    CHECK_FALSE(r->has_value());
    CHECK(std::chrono::steady_clock::now() - start < 1s);
    CHECK(c->connected());
  }

  TEST_CASE("a channel name that is not a plain identifier is refused") {
    boost::asio::io_context io;
    auto c = pg_connect(io, database("conn_channel"));
    auto r = run_pg(io, c->listen("x\"; DROP TABLE y; --", 2s));
    REQUIRE_FALSE(r);
    CHECK(contains(r.error().message, "not a usable channel name"));
  }
}
