// The transport and the client against a scripted hostile server on loopback (issue 24, items
// 1, 8, 9 and 10): interim answers, trailing bytes, endless chunk extensions, oversized
// headers and bodies, garbled status lines, gateway errors, resets, far-future Retry-After and
// megabyte strings. Real sockets, deadlines of 2 s; every case ends by itself within seconds.
#include "daemon/platform/beast_transport.h"
#include "daemon/platform/boomi_client.h"
#include "tests/platform/client_fixture.h"
#include "tests/platform/hostile_server.h"
#include "tests/platform/printers.h"
#include "tests/platform/run_real.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include <doctest/doctest.h>

#include <fstream>

using namespace bsched;
using namespace bsched::platform;
using namespace bsched::platform::test;
using namespace std::chrono_literals;
using Kind = TransportError::Kind;
using SendResult = Result<HttpResponse, TransportError>;

namespace {

TransportOptions fast_options() {
  TransportOptions o;
  o.timeout = 2s;
  return o;
}

HttpRequest trigger(std::string url) {
  HttpRequest r;
  r.method = "POST";
  r.url = std::move(url);
  r.body = "{}";
  r.idempotent = false;
  return r;
}

// A BoomiClient over a real BeastTransport to the hostile server, unpaced, no retries with
// real sleeps (one attempt per poll or query).
struct HostileClient {
  explicit HostileClient(const HostileServer& server) {
    auto p = test_platform();
    p.base_url = server.url("/api/rest/v1");
    p.timeout = 2s;
    ClientOptions o;
    o.max_attempts = 1;
    o.seed = 7;
    client = make_platform_client(io, p, std::make_unique<BeastTransport>(io, fast_options()),
                                  clock, timers, o);
  }
  boost::asio::io_context io;
  SystemClock clock;
  SteadyTimerFactory timers{io};
  std::unique_ptr<PlatformClient> client;
};

std::string accepted(std::string_view id) {
  return raw_answer(200, "OK", R"({"@type":"ExecutionRequest","requestId":")" + std::string(id) +
                                   R"("})");
}

// The process's peak resident size, reset first when the kernel allows (clear_refs 5).
bool reset_peak_rss() {
  std::ofstream f("/proc/self/clear_refs");
  f << "5";
  f.flush();
  return f.good();
}
long peak_rss_kib() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

}  // namespace

TEST_SUITE("platform::hostile_server") {
  TEST_CASE("a 102 Processing before the 200 yields exactly one accepted trigger") {
    HostileServer server({{
        {.bytes = "HTTP/1.1 102 Processing\r\n\r\n" + accepted("executionrecord-1")},
        {.bytes = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\n\r\n" +
                  accepted("executionrecord-2")},
    }});
    HostileClient c(server);
    auto first = run_real(c.io, c.client->submit(sample_request()));
    REQUIRE(first.has_value());
    CHECK(first->request_id == "executionrecord-1");
    auto second = run_real(c.io, c.client->submit(sample_request()));
    REQUIRE(second.has_value());
    CHECK(second->request_id == "executionrecord-2");
    // One request per trigger, both on the one kept-alive connection.
    CHECK(server.requests() == 2);
    CHECK(server.connections() == 1);
  }

  TEST_CASE("more interim answers than the limit make a trigger uncertain, never resent") {
    std::string interims;
    for (int i = 0; i <= k_max_interim_answers; ++i) interims += "HTTP/1.1 102 Processing\r\n\r\n";
    HostileServer server({{{.bytes = interims + accepted("executionrecord-1")}}});
    HostileClient c(server);
    auto r = run_real(c.io, c.client->submit(sample_request()));
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().kind == FailureKind::uncertain);
    CHECK(r.error().message.find("interim") != std::string::npos);
    CHECK(server.requests() == 1);
  }

  TEST_CASE("bytes after an answer close the connection instead of answering the next request") {
    // The first answer is followed by a forged second one; a reused connection would hand it
    // to the next trigger.
    HostileServer server({
        {{.bytes = accepted("executionrecord-1") + accepted("executionrecord-forged")}},
        {{.bytes = accepted("executionrecord-2")}},
    });
    boost::asio::io_context io;
    BeastTransport t(io, fast_options());
    auto first = run_real(io, t.send(trigger(server.url("/x"))));
    REQUIRE(first.has_value());
    CHECK(first->body.find("executionrecord-1") != std::string::npos);
    CHECK(t.idle_connections() == 0);
    auto second = run_real(io, t.send(trigger(server.url("/x"))));
    REQUIRE(second.has_value());
    CHECK(second->body.find("executionrecord-2") != std::string::npos);
    CHECK(second->body.find("forged") == std::string::npos);
    CHECK(server.connections() == 2);
    CHECK(server.requests() == 2);
  }

  TEST_CASE("a garbled status line or a gateway's 502 / 504 to a trigger is uncertain") {
    for (std::string answer :
         {std::string("HTTP/1.1 2OO OK\r\nContent-Length: 0\r\n\r\n"),
          std::string("HTTQ/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
          std::string("<html>not http</html>\r\n\r\n"),
          raw_answer(502, "Bad Gateway", "<html>upstream</html>"),
          raw_answer(504, "Gateway Timeout", ""),
          raw_answer(200, "OK", "{\"requestId\":")}) {
      CAPTURE(answer);
      HostileServer server({{{.bytes = answer, .close = true}}});
      HostileClient c(server);
      auto r = run_real(c.io, c.client->submit(sample_request()));
      REQUIRE_FALSE(r.has_value());
      CHECK(r.error().kind == FailureKind::uncertain);
      CHECK(server.requests() == 1);
    }
  }

  TEST_CASE("a gateway's 502 to a poll stays retry_later") {
    HostileServer server({{{.bytes = raw_answer(502, "Bad Gateway", ""), .close = true}}});
    HostileClient c(server);
    auto r = run_real(c.io, c.client->poll("executionrecord-1"));
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().kind == FailureKind::retry_later);
    CHECK(r.error().http_status == 502);
  }

  TEST_CASE("a reset after the server read the trigger makes it uncertain, sent once") {
    HostileServer server({HostileScript{{.reset = true}}});
    HostileClient c(server);
    auto r = run_real(c.io, c.client->submit(sample_request()));
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().kind == FailureKind::uncertain);
    CHECK(server.requests() == 1);
    CHECK(server.connections() == 1);
  }

  TEST_CASE("an endless chunk extension fails as too large without reading it into memory") {
    // 128 MiB of extension on the first chunk's line: the old transport buffered all of it
    // (512 MiB took 1 GiB). Now the read stops at the read-buffer limit.
    constexpr std::size_t k_total = 128u * 1024 * 1024;
    HostileServer server({{{.bytes = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                                     "10;ext=",
                            .filler = std::string(64 * 1024, 'x'),
                            .filler_total = k_total}}});
    boost::asio::io_context io;
    BeastTransport t(io, fast_options());
    bool measured = reset_peak_rss();
    auto before = peak_rss_kib();
    auto r = run_real(io, t.send(trigger(server.url("/x"))));
    auto growth_kib = peak_rss_kib() - before;
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().kind == Kind::too_large);
    CHECK(r.error().maybe_sent());
    // The client hung up long before the server got rid of 128 MiB (socket buffers hold a few).
    CHECK(server.filler_written() < k_total / 4);
    MESSAGE("filler taken before the hang-up: " << server.filler_written()
                                                << " bytes; peak RSS growth: " << growth_kib
                                                << " KiB");
    if (measured) CHECK(growth_kib < 16 * 1024);
  }

  TEST_CASE("a chunk extension over its limit fails as too large") {
    std::string ext(2 * k_chunk_extension_limit, 'e');
    HostileServer server({{{.bytes = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                                     "2;x=" + ext + "\r\nok\r\n0\r\n\r\n"}}});
    boost::asio::io_context io;
    BeastTransport t(io, fast_options());
    auto r = run_real(io, t.send(trigger(server.url("/x"))));
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().kind == Kind::too_large);
    CHECK(r.error().message.find("chunk extensions") != std::string::npos);
  }

  TEST_CASE("a short chunk extension is read as usual") {
    HostileServer server({{{.bytes = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                                     "2;name=value\r\nok\r\n0\r\n\r\n"}}});
    boost::asio::io_context io;
    BeastTransport t(io, fast_options());
    auto r = run_real(io, t.send(trigger(server.url("/x"))));
    REQUIRE(r.has_value());
    CHECK(r->body == "ok");
  }

  TEST_CASE("an oversized header block fails as too large and a trigger is uncertain") {
    std::string big = "X-Big: " + std::string(k_header_limit, 'h') + "\r\n";
    HostileServer server({{{.bytes = raw_answer(200, "OK", "{}", big)}}});
    HostileClient c(server);
    auto r = run_real(c.io, c.client->submit(sample_request()));
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().kind == FailureKind::uncertain);
    CHECK(r.error().message.find("header") != std::string::npos);
  }

  TEST_CASE("an oversized body fails as too large, with a Content-Length or chunked") {
    auto o = fast_options();
    o.body_limit = 256 * 1024;
    constexpr std::size_t k_total = 128u * 1024 * 1024;
    std::string chunk = "8000\r\n" + std::string(0x8000, 'b') + "\r\n";
    for (auto head : {"HTTP/1.1 200 OK\r\nContent-Length: 134217728\r\n\r\n",
                      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"}) {
      CAPTURE(head);
      bool chunked = std::string_view(head).find("chunked") != std::string_view::npos;
      HostileServer server({{{.bytes = head,
                              .filler = chunked ? chunk : std::string(0x8000, 'b'),
                              .filler_total = k_total}}});
      boost::asio::io_context io;
      BeastTransport t(io, o);
      auto r = run_real(io, t.send(trigger(server.url("/x"))));
      REQUIRE_FALSE(r.has_value());
      CHECK(r.error().kind == Kind::too_large);
      CHECK(server.filler_written() < k_total / 4);
    }
  }

  TEST_CASE("a Retry-After in the year 9999 on a poll waits an hour, not a wrapped timer") {
    HostileServer server({{{.bytes = raw_answer(503, "Service Unavailable", "",
                                                "Retry-After: Fri, 31 Dec 9999 23:59:59 GMT\r\n"),
                            .close = true}}});
    HostileClient c(server);
    auto r = run_real(c.io, c.client->poll("executionrecord-1"));
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().kind == FailureKind::throttled);
    REQUIRE(r.error().retry_after.has_value());
    CHECK(*r.error().retry_after == k_retry_after_max);
    // As a steady timer's duration it is an hour ahead, not an overflow into the past.
    auto timer = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
        *r.error().retry_after);
    CHECK(timer == std::chrono::hours{1});
    CHECK(server.requests() == 1);
  }

  TEST_CASE("a 3 MiB message in a record arrives cut, marked with its size") {
    std::string message(3 * 1024 * 1024, 'm');
    std::string record = R"({"@type":"AsyncOperationResult","responseStatusCode":200,)"
                         R"("result":[{"executionId":"execution-1","status":"ERROR","message":")" +
                         message + R"("}]})";
    HostileServer server({{{.bytes = raw_answer(200, "OK", record)}}});
    HostileClient c(server);
    auto r = run_real(c.io, c.client->poll("executionrecord-1"));
    REQUIRE(r.has_value());
    REQUIRE(r->kind == PollResult::Kind::record);
    CHECK(r->record.execution_id == "execution-1");
    CHECK(r->record.message.size() <= k_message_cap + 40);
    CHECK(r->record.message.find("… [cut, 3145728 bytes]") != std::string::npos);
  }

  TEST_CASE("a 3 MiB error message is cut in the CallError and its body") {
    std::string body = R"({"@type":"Error","message":")" + std::string(3 * 1024 * 1024, 'e') + "\"}";
    HostileServer server({{{.bytes = raw_answer(400, "Bad Request", body), .close = true}}});
    HostileClient c(server);
    auto r = run_real(c.io, c.client->submit(sample_request()));
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().kind == FailureKind::permanent);
    CHECK(r.error().message.size() <= k_error_message_cap + 40);
    CHECK(r.error().message.find("[cut, 3145728 bytes]") != std::string::npos);
    CHECK(r.error().body.size() <= k_body_cap + 40);
  }
}
