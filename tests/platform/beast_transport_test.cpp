// BeastTransport against a loopback test server (real sockets, short real deadlines).
#include "daemon/platform/beast_transport.h"
#include "tests/platform/printers.h"
#include "tests/platform/test_server.h"
#include "tests/support/config_test_util.h"

#include <doctest/doctest.h>

#include <algorithm>

using namespace bsched;
using namespace bsched::platform;
using namespace bsched::platform::test;
using namespace std::chrono_literals;
using Kind = TransportError::Kind;
using Sent = TransportError::Sent;
using SendResult = Result<HttpResponse, TransportError>;

namespace {

// Runs the io_context until `done()` holds, on the real clock, for at most 10 s.
template <class Pred>
void run_until(boost::asio::io_context& io, Pred done) {
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    io.restart();
    io.run_one_for(100ms);
  }
}

// Runs one send to completion on the real clock (bounded at 10 s).
SendResult send_now(boost::asio::io_context& io, BeastTransport& t, HttpRequest req) {
  std::optional<SendResult> out;
  boost::asio::co_spawn(
      io, [&]() -> boost::asio::awaitable<void> { out.emplace(co_await t.send(req)); },
      boost::asio::detached);
  run_until(io, [&] { return out.has_value(); });
  REQUIRE(out.has_value());
  return std::move(*out);
}

HttpRequest get(std::string url) {
  HttpRequest r;
  r.url = std::move(url);
  r.idempotent = true;
  return r;
}

TransportOptions fast_options() {
  TransportOptions o;
  o.timeout = 2s;
  return o;
}

}  // namespace

TEST_SUITE("platform::beast_transport") {
  TEST_CASE("a plain http exchange to loopback carries headers and body both ways") {
    boost::asio::io_context io;
    TestServer server(io, [](const ServerRequest& r) {
      return ServerReply{201, "echo:" + r.body, {{"X-Answer", "yes"}}};
    });
    BeastTransport t(io, fast_options());
    HttpRequest req;
    req.method = "POST";
    req.url = server.url("/api/x?y=1");
    req.headers = {{"Accept", "application/json"}, {"Content-Type", "text/plain"}};
    req.body = "hello";
    auto r = send_now(io, t, req);
    REQUIRE(r.has_value());
    CHECK(r->status == 201);
    CHECK(r->body == "echo:hello");
    CHECK(r->header("x-answer") == "yes");
    REQUIRE(server.received.size() == 1);
    CHECK(server.received[0].method == "POST");
    CHECK(server.received[0].target == "/api/x?y=1");
  }

  TEST_CASE("keep-alive connections are reused, and closed ones are not") {
    boost::asio::io_context io;
    int n = 0;
    TestServer server(io, [&](const ServerRequest&) {
      ++n;
      return ServerReply{200, "ok", {}, 0ms, false, false, /*close_after=*/n == 3};
    });
    BeastTransport t(io, fast_options());
    for (int i = 0; i < 3; ++i) REQUIRE(send_now(io, t, get(server.url("/a"))).has_value());
    CHECK(t.connections_opened() == 1);
    CHECK(server.connections == 1);
    // The server closed the connection after the third answer: the next send notices.
    auto r = send_now(io, t, get(server.url("/a")));
    REQUIRE(r.has_value());
    CHECK(server.connections == 2);
    CHECK(server.received.size() == 4);
  }

  TEST_CASE("concurrent sends beyond the per-host limit wait their turn on the same connections") {
    boost::asio::io_context io;
    TestServer server(io, [](const ServerRequest& r) { return ServerReply{200, "ok:" + r.body}; });
    auto o = fast_options();
    o.max_connections_per_host = 2;
    BeastTransport t(io, o);
    std::vector<std::optional<SendResult>> out(8);
    for (std::size_t i = 0; i < out.size(); ++i) {
      boost::asio::co_spawn(
          io,
          [&, i]() -> boost::asio::awaitable<void> {
            auto req = get(server.url("/a"));
            req.method = "POST";
            req.body = std::to_string(i);
            out[i].emplace(co_await t.send(req));
          },
          boost::asio::detached);
    }
    auto done = [&] { return std::all_of(out.begin(), out.end(), [](auto& r) { return r.has_value(); }); };
    run_until(io, done);
    REQUIRE(done());
    for (std::size_t i = 0; i < out.size(); ++i) {
      REQUIRE(out[i]->has_value());
      CHECK((*out[i])->body == "ok:" + std::to_string(i));
    }
    CHECK(t.connections_opened() == 2);
    CHECK(server.connections == 2);
    CHECK(t.idle_connections() == 2);
  }

  TEST_CASE("sends to a host name go through the kept lookup and reuse one connection") {
    boost::asio::io_context io;
    TestServer server(io, [](const ServerRequest&) { return ServerReply{200, "ok"}; });
    BeastTransport t(io, fast_options());
    for (int i = 0; i < 3; ++i) REQUIRE(send_now(io, t, get(server.url("/a", "localhost"))).has_value());
    CHECK(server.received.size() == 3);
    CHECK(t.connections_opened() == 1);
  }

  TEST_CASE("each send to a known origin carries its own path and query, bad ones are refused") {
    boost::asio::io_context io;
    TestServer server(io, [](const ServerRequest&) { return ServerReply{200, "ok"}; });
    BeastTransport t(io, fast_options());
    REQUIRE(send_now(io, t, get(server.url("/a?x=1"))).has_value());
    REQUIRE(send_now(io, t, get(server.url("/b/c"))).has_value());
    REQUIRE(send_now(io, t, get(server.url("?q=2"))).has_value());
    auto spaced = send_now(io, t, get(server.url("/bad path")));
    REQUIRE_FALSE(spaced.has_value());
    CHECK(spaced.error().kind == Kind::bad_url);
    REQUIRE(server.received.size() == 3);
    CHECK(server.received[0].target == "/a?x=1");
    CHECK(server.received[1].target == "/b/c");
    CHECK(server.received[2].target == "/?q=2");
    for (int i = 0; i < 2; ++i) {
      auto r = send_now(io, t, get("http://api.boomi.com/api/rest/v1/x" + std::to_string(i)));
      REQUIRE_FALSE(r.has_value());
      CHECK(r.error().kind == Kind::insecure);
    }
  }

  TEST_CASE("plain http to a host that is not loopback is refused without a connection") {
    boost::asio::io_context io;
    BeastTransport t(io, fast_options());
    auto r = send_now(io, t, get("http://api.boomi.com/api/rest/v1/x"));
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().kind == Kind::insecure);
    CHECK(r.error().sent == Sent::no);
    CHECK(t.connections_opened() == 0);
  }

  TEST_CASE("a refused connection has sent nothing") {
    boost::asio::io_context io;
    unsigned short port;
    {
      TestServer closed(io, [](const ServerRequest&) { return ServerReply{}; });
      port = closed.port();
    }
    BeastTransport t(io, fast_options());
    auto r = send_now(io, t, get("http://127.0.0.1:" + std::to_string(port) + "/"));
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().kind == Kind::connect);
    CHECK_FALSE(r.error().maybe_sent());
  }

  TEST_CASE("a slow answer times out after the request was fully sent") {
    boost::asio::io_context io;
    TestServer server(io, [](const ServerRequest&) { return ServerReply{200, "late", {}, 1500ms}; });
    auto o = fast_options();
    o.timeout = 200ms;
    BeastTransport t(io, o);
    auto r = send_now(io, t, get(server.url("/slow")));
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().kind == Kind::timeout);
    CHECK(r.error().sent == Sent::fully);
  }

  TEST_CASE("a reset after the server read a trigger is reported as sent, never resent") {
    boost::asio::io_context io;
    TestServer server(io, [](const ServerRequest&) {
      ServerReply r;
      r.reset = true;
      return r;
    });
    BeastTransport t(io, fast_options());
    HttpRequest trigger;
    trigger.method = "POST";
    trigger.url = server.url("/ExecutionRequest");
    trigger.body = "{}";
    auto r = send_now(io, t, trigger);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().kind == Kind::io);
    CHECK(r.error().sent == Sent::fully);
    CHECK(server.received.size() == 1);
  }

  TEST_CASE("an answer over the body limit fails as too large") {
    boost::asio::io_context io;
    TestServer server(io, [](const ServerRequest&) { return ServerReply{200, std::string(5000, 'x')}; });
    auto o = fast_options();
    o.body_limit = 1024;
    BeastTransport t(io, o);
    auto r = send_now(io, t, get(server.url("/big")));
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().kind == Kind::too_large);
  }

  TEST_CASE("https verifies the certificate: unknown CA fails, ca_file succeeds") {
    bsched::test::ConfigTempDir dir;
    REQUIRE(make_self_signed(dir.path(), "good"));
    auto cert = (dir.path() / "good.cert.pem").string();
    auto key = (dir.path() / "good.key.pem").string();
    boost::asio::io_context io;
    TestServer server(io, [](const ServerRequest&) { return ServerReply{200, "secure"}; }, cert, key);

    BeastTransport system_store(io, fast_options());
    auto refused = send_now(io, system_store, get(server.url("/x")));
    REQUIRE_FALSE(refused.has_value());
    CHECK(refused.error().kind == Kind::tls);
    CHECK(refused.error().message.find("ca_file") != std::string::npos);
    CHECK(server.received.empty());

    auto o = fast_options();
    o.ca_file = cert;
    BeastTransport trusted(io, o);
    auto ok = send_now(io, trusted, get(server.url("/x")));
    REQUIRE(ok.has_value());
    CHECK(ok->body == "secure");
    auto by_name = send_now(io, trusted, get(server.url("/x", "localhost")));
    REQUIRE(by_name.has_value());
    REQUIRE(send_now(io, trusted, get(server.url("/x"))).has_value());
    CHECK(trusted.connections_opened() == 2);  // one per host name, each reused
  }

  TEST_CASE("https checks the host name even when the CA is trusted") {
    bsched::test::ConfigTempDir dir;
    REQUIRE(make_self_signed(dir.path(), "other", "DNS:other.example"));
    auto cert = (dir.path() / "other.cert.pem").string();
    boost::asio::io_context io;
    TestServer server(io, [](const ServerRequest&) { return ServerReply{200, "x"}; }, cert,
                      (dir.path() / "other.key.pem").string());
    auto o = fast_options();
    o.ca_file = cert;
    BeastTransport t(io, o);
    auto r = send_now(io, t, get(server.url("/x")));
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().kind == Kind::tls);
    CHECK(server.received.empty());
  }

  TEST_CASE("an unreadable ca_file fails every https send with a message naming it") {
    boost::asio::io_context io;
    auto o = fast_options();
    o.ca_file = "/nonexistent/ca.pem";
    BeastTransport t(io, o);
    auto r = send_now(io, t, get("https://127.0.0.1:1/"));
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().kind == Kind::tls);
    CHECK(r.error().message.find("/nonexistent/ca.pem") != std::string::npos);
  }
}
