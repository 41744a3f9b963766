// The listener on a real loopback socket: limits, deadlines and hostile requests.
#include "tests/web/web_test_util.h"

#include "daemon/web/status_reader.h"
#include "storage/sqlite_run_store.h"

#include <sys/resource.h>

#include <atomic>
#include <future>
#include <vector>

using namespace bsched;
using namespace bsched::webtest;
using namespace std::chrono_literals;

namespace {

web::Sources plain_sources() {
  web::Sources s;
  s.metrics = [] { return std::string("# TYPE x gauge\nx 1\n"); };
  s.health = [] { return web::Health{}; };
  return s;
}

// A status reader whose database connection is made only once the test opens the gate (a
// database that does not answer yet), then on an empty in-memory store. The gate opens by
// itself when the test ends, and a connection waits for it at most 10 s.
struct GatedReader {
  std::promise<void> gate;
  std::shared_future<void> opened = gate.get_future().share();
  std::promise<void> entered;  // the first connection attempt has begun
  std::future<void> entered_future = entered.get_future();
  std::atomic<int> waiting{0};
  bool open_called = false;
  web::StatusReader reader{"boomi-sched.yaml", ":memory:",
                           [this](const config::Config*, const std::string&)
                               -> storage::StoreResult<std::unique_ptr<storage::StateStore>> {
                             if (++waiting == 1) entered.set_value();
                             if (opened.wait_for(10s) != std::future_status::ready)
                               return storage::StoreError{storage::StoreErrorKind::io,
                                                          "the test's gate stayed shut"};
                             auto s = storage::SqliteRunStore::open(":memory:");
                             if (!s) return s.error();
                             return std::unique_ptr<storage::StateStore>(std::move(*s));
                           }};
  void open() {
    if (open_called) return;
    open_called = true;
    gate.set_value();
  }
  ~GatedReader() { open(); }
};

// A GET /api/status on a new connection, once its read waits at the reader's gate; its socket.
int status_request_held(unsigned short port, GatedReader& gated) {
  int fd = connect_to(port);
  REQUIRE(fd >= 0);
  send_text(fd, "GET /api/status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  REQUIRE(gated.entered_future.wait_for(10s) == std::future_status::ready);
  return fd;
}

// Raises the soft limit of open files to at least `n` (within the hard limit).
void want_files(rlim_t n) {
  rlimit r{};
  ::getrlimit(RLIMIT_NOFILE, &r);
  if (r.rlim_cur >= n) return;
  r.rlim_cur = std::min(n, r.rlim_max);
  ::setrlimit(RLIMIT_NOFILE, &r);
}

}  // namespace

TEST_SUITE("web::http_server") {
  TEST_CASE("GET /healthz answers ok and HEAD the same headers without the body") {
    TestServer server(plain_sources());
    auto r = get(server.port, "/healthz");
    CHECK(r.starts_with("HTTP/1.1 200 OK\r\n"));
    CHECK(body_of(r) == "ok\n");
    auto head = http_exchange(server.port, "HEAD /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    CHECK(head.starts_with("HTTP/1.1 200 OK\r\n"));
    CHECK(head.find("Content-Length: 3\r\n") != std::string::npos);
    CHECK(body_of(head).empty());
  }

  TEST_CASE("/metrics has the Prometheus text content type") {
    TestServer server(plain_sources());
    auto r = get(server.port, "/metrics");
    CHECK(r.find("Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n") != std::string::npos);
    CHECK(body_of(r) == "# TYPE x gauge\nx 1\n");
  }

  TEST_CASE("an unhealthy daemon answers 503 with its reason") {
    auto s = plain_sources();
    s.health = [] { return web::Health{false, "store not writable: disk full"}; };
    TestServer server(s);
    auto r = get(server.port, "/healthz");
    CHECK(r.starts_with("HTTP/1.1 503 "));
    CHECK(body_of(r) == "store not writable: disk full\n");
  }

  TEST_CASE("two requests share one keep-alive connection") {
    TestServer server(plain_sources());
    int fd = connect_to(server.port);
    REQUIRE(fd >= 0);
    send_text(fd, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n"
                  "Connection: close\r\n\r\n");
    auto r = read_all(fd);
    ::close(fd);
    std::size_t answers = 0;
    for (auto at = r.find("HTTP/1.1 200"); at != std::string::npos; at = r.find("HTTP/1.1 200", at + 1))
      ++answers;
    CHECK(answers == 2);
  }

  TEST_CASE("POST and other methods answer 405 with Allow") {
    TestServer server(plain_sources());
    auto r = http_exchange(server.port, "POST /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    CHECK(r.starts_with("HTTP/1.1 405 "));
    CHECK(r.find("Allow: GET, HEAD\r\n") != std::string::npos);
    CHECK(http_exchange(server.port, "DELETE / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
              .starts_with("HTTP/1.1 405 "));
  }

  TEST_CASE("a request with a body is refused with 413 and the connection closed") {
    TestServer server(plain_sources());
    bool closed = false;
    int fd = connect_to(server.port);
    send_text(fd, "GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello");
    auto r = read_all(fd, &closed);
    ::close(fd);
    CHECK(r.starts_with("HTTP/1.1 413 "));
    CHECK(closed);
    auto chunked = http_exchange(server.port, "GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked"
                                         "\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
    CHECK(chunked.starts_with("HTTP/1.1 413 "));
  }

  TEST_CASE("a header over 8 KiB answers 431 and closes") {
    TestServer server(plain_sources());
    bool closed = false;
    int fd = connect_to(server.port);
    send_text(fd, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(9000, 'a') +
                      "\r\n\r\n");
    auto r = read_all(fd, &closed);
    ::close(fd);
    CHECK(r.starts_with("HTTP/1.1 431 "));
    CHECK(closed);
  }

  TEST_CASE("a malformed request line answers 400 and closes") {
    TestServer server(plain_sources());
    CHECK(http_exchange(server.port, "GARBAGE\r\n\r\n").starts_with("HTTP/1.1 400 "));
    CHECK(http_exchange(server.port, "GET /healthz HTTP/9.9\r\n\r\n").starts_with("HTTP/1.1 400 "));
    CHECK(http_exchange(server.port, "GET  HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 400 "));
    CHECK(http_exchange(server.port, std::string("GET /\0 HTTP/1.1\r\n\r\n", 20))
              .starts_with("HTTP/1.1 400 "));
  }

  TEST_CASE("a truncated request gets no answer and the server goes on") {
    TestServer server(plain_sources());
    int fd = connect_to(server.port);
    send_text(fd, "GET /healthz HTTP/1.1\r\nHo");
    ::shutdown(fd, SHUT_WR);
    CHECK(read_all(fd).empty());
    ::close(fd);
    CHECK(body_of(get(server.port, "/healthz")) == "ok\n");
  }

  TEST_CASE("a client slower than the read deadline is dropped") {
    web::ServerOptions o;
    o.read_timeout = 200ms;
    TestServer server(plain_sources(), {}, o);
    int fd = connect_to(server.port, 3000);
    auto start = std::chrono::steady_clock::now();
    send_text(fd, "GET /healthz HTTP/1.1\r\n");  // and nothing more
    bool closed = false;
    auto r = read_all(fd, &closed);
    auto waited = std::chrono::steady_clock::now() - start;
    ::close(fd);
    CHECK(r.empty());
    CHECK(closed);
    CHECK(waited < 2s);
  }

  TEST_CASE("1,000 idle connections do not keep /healthz from answering") {
    want_files(4096);
    TestServer server(plain_sources());
    std::vector<int> idle;
    for (int i = 0; i < 1000; ++i) {
      int fd = connect_to(server.port);
      if (fd < 0) break;
      idle.push_back(fd);
    }
    CHECK(idle.size() == 1000);
    auto start = std::chrono::steady_clock::now();
    auto r = get(server.port, "/healthz");
    auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - start);
    MESSAGE("GET /healthz beside 1,000 idle connections took " << took.count() << " ms");
    CHECK(body_of(r) == "ok\n");
    CHECK(took < 1000ms);
    CHECK(server.connections() <= 257);  // the limit (256), plus the one just closed
    for (int fd : idle) ::close(fd);
  }

  TEST_CASE("a missing or wrong bearer token answers 401 with a Bearer challenge") {
    TestServer server(plain_sources(), config::Secret("the-token"));
    auto none = get(server.port, "/healthz");
    CHECK(none.starts_with("HTTP/1.1 401 "));
    CHECK(none.find("WWW-Authenticate: Bearer") != std::string::npos);
    CHECK(none.find("the-token") == std::string::npos);
    CHECK(get(server.port, "/metrics", "Authorization: Bearer wrong\r\n").starts_with("HTTP/1.1 401 "));
    CHECK(get(server.port, "/metrics", "Authorization: Bearer the-token\r\n")
              .starts_with("HTTP/1.1 200 "));
  }

  TEST_CASE("a port in use is an error value naming the address") {
    TestServer first(plain_sources());
    boost::asio::io_context io;
    web::Router router(plain_sources(), {});
    web::HttpServer second(io, router);
    auto r = second.listen({"127.0.0.1", first.port, false, true});
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().message.find("127.0.0.1:" + std::to_string(first.port)) != std::string::npos);
    CHECK(r.error().message.find("in use") != std::string::npos);
  }

  TEST_CASE("a database read that does not answer holds up only the pages: /healthz answers meanwhile") {
    GatedReader gated;
    auto sources = plain_sources();
    sources.status = &gated.reader;
    TestServer server(sources);
    int page = status_request_held(server.port, gated);
    // The read waits for the database; the loop goes on answering what the engine knows.
    auto health = get(server.port, "/healthz");
    CHECK(health.starts_with("HTTP/1.1 200 OK\r\n"));
    CHECK(get(server.port, "/metrics").starts_with("HTTP/1.1 200 OK\r\n"));
    char byte = 0;
    CHECK(::recv(page, &byte, 1, MSG_DONTWAIT) == -1);  // the page has no answer yet
    gated.open();
    auto answer = read_all(page);
    ::close(page);
    CHECK(answer.starts_with("HTTP/1.1 200 OK\r\n"));
    CHECK(body_of(answer).find("\"jobs\"") != std::string::npos);
    CHECK(gated.waiting == 1);
  }

  TEST_CASE("database reads queued past the limit answer 503 with Retry-After at once") {
    GatedReader gated;
    auto sources = plain_sources();
    sources.status = &gated.reader;
    web::ServerOptions options;
    options.max_queued_reads = 1;
    TestServer server(sources, {}, options);
    // Once the first read waits on the reader thread, a second finds the queue full.
    int first = status_request_held(server.port, gated);
    auto busy = get(server.port, "/jobs/nightly");
    CHECK(busy.starts_with("HTTP/1.1 503 "));
    CHECK(busy.find("Retry-After: 1\r\n") != std::string::npos);
    gated.open();
    auto answer = read_all(first);
    ::close(first);
    CHECK(answer.starts_with("HTTP/1.1 200 OK\r\n"));
    CHECK(get(server.port, "/api/status").starts_with("HTTP/1.1 200 OK\r\n"));  // room again
  }
}
