// The real webhook and command sinks (daemon/alerts/sink_sender.h) against hostile receivers
// on loopback and small programs, bounded in time.
#include "daemon/alerts/sink_sender.h"
#include "tests/platform/hostile_server.h"
#include "tests/platform/run_real.h"
#include "tests/platform/test_server.h"
#include "tests/support/config_test_util.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

namespace bsched::test {

using platform::test::HostileServer;
using platform::test::HostileStep;
using platform::test::run_real;

namespace {

config::AlertSink hook(const std::string& url) {
  config::AlertSink s;
  s.name = "hook";
  s.webhook = url;
  s.timeout = std::chrono::milliseconds(700);
  return s;
}

alerts::SendOutcome send(const config::AlertSink& sink, std::string json = "{\"text\":\"x\"}") {
  boost::asio::io_context io;
  alerts::SinkSender sender(io);
  return run_real(io, sender.send(sink, std::move(json)));
}

}  // namespace

TEST_SUITE("alerts::sink_sender") {
  TEST_CASE("a 2xx answer delivers, the body is the JSON posted") {
    HostileServer server({{{.bytes = "HTTP/1.1 204 No Content\r\n\r\n", .close = true}}});
    auto out = send(hook(server.url("/T000/SECRET")));
    CHECK(out.delivered);
  }

  TEST_CASE("an https webhook is verified: the system CAs refuse a private CA, the sink's ca_file trusts it") {
    ConfigTempDir dir;
    REQUIRE(platform::test::make_self_signed(dir.path(), "hook"));
    auto cert = (dir.path() / "hook.cert.pem").string();
    boost::asio::io_context io;
    platform::test::TestServer server(
        io, [](const platform::test::ServerRequest&) { return platform::test::ServerReply{204, ""}; },
        cert, (dir.path() / "hook.key.pem").string());
    auto sink = hook(server.url("/T000/SECRET"));
    alerts::SinkSender untrusting(io);
    auto refused = run_real(io, untrusting.send(sink, "{}"));
    CHECK(!refused.delivered);
    CHECK(refused.error.find("SECRET") == std::string::npos);
    sink.ca_file = cert;
    alerts::SinkSender trusting(io);
    CHECK(run_real(io, trusting.send(sink, "{}")).delivered);
  }

  TEST_CASE("a 500 is not delivered and the error names the status only") {
    HostileServer server({{{.bytes = "HTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\n", .close = true}}});
    auto out = send(hook(server.url("/T000/SECRET")));
    CHECK(!out.delivered);
    CHECK(out.error == "HTTP 500");
  }

  TEST_CASE("hostile: a redirect is not followed") {
    HostileServer target({{{.bytes = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", .close = true}}});
    HostileServer server({{{.bytes = "HTTP/1.1 307 Temporary Redirect\r\nLocation: " +
                                     target.url("/elsewhere") + "\r\nContent-Length: 0\r\n\r\n",
                            .close = true}}});
    auto out = send(hook(server.url("/T000/SECRET")));
    CHECK(!out.delivered);
    CHECK(out.error == "HTTP 307 (a redirect is not followed)");
    CHECK(target.connections() == 0);
  }

  TEST_CASE("hostile: garbage instead of HTTP is a failed send, without the path") {
    HostileServer server({{{.bytes = "\x16\x03\x01 garbage\r\n\r\n", .close = true}}});
    auto out = send(hook(server.url("/T000/SECRET")));
    CHECK(!out.delivered);
    CHECK(!out.error.empty());
    CHECK(out.error.find("SECRET") == std::string::npos);
  }

  TEST_CASE("hostile: a receiver that never answers is cut at the sink's timeout") {
    HostileServer server({{{.bytes = ""}}});
    auto start = std::chrono::steady_clock::now();
    auto out = send(hook(server.url("/T000/SECRET")));
    auto took = std::chrono::steady_clock::now() - start;
    CHECK(!out.delivered);
    CHECK(took < std::chrono::seconds(3));
    CHECK(out.error.find("SECRET") == std::string::npos);
  }

  TEST_CASE("a transport message holding the URL is cut to scheme://host/…") {
    auto s = hook("https://hooks.example.com/T000/SECRET");
    CHECK(alerts::webhook_error(s, "failed to reach https://hooks.example.com/T000/SECRET now") ==
          "failed to reach https://hooks.example.com/\u2026 now");
    CHECK(alerts::webhook_error(s, "bad target /T000/SECRET") == "bad target /\u2026");
  }

  TEST_CASE("a command gets the JSON on stdin, exit 0 delivers, others do not") {
    auto dir = std::filesystem::temp_directory_path() /
               ("bsched-alert-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    auto out = (dir / "got.json").string();
    config::AlertSink s;
    s.name = "cmd";
    s.timeout = std::chrono::seconds(5);
    s.command = {"/bin/sh", "-c", "cat > '" + out + "'"};
    CHECK(send(s, "{\"text\":\"hello\"}").delivered);
    std::ifstream in(out);
    std::string got((std::istreambuf_iterator<char>(in)), {});
    CHECK(got == "{\"text\":\"hello\"}");
    s.command = {"/bin/sh", "-c", "cat >/dev/null; exit 3"};
    auto failed = send(s);
    CHECK(!failed.delivered);
    CHECK(failed.error == "exit status 3");
    s.command = {"/nonexistent/page-oncall"};
    CHECK(send(s).error == "the command could not be run (exit status 127)");
    std::filesystem::remove_all(dir);
  }

  TEST_CASE("hostile: a command that exits without reading a large input does not end the daemon") {
    config::AlertSink s;
    s.name = "cmd";
    s.timeout = std::chrono::seconds(5);
    s.command = {"/bin/true"};
    auto out = send(s, "{\"text\":\"" + std::string(4 << 20, 'x') + "\"}");
    CHECK(out.delivered);  // exit status 0; the unread input is no SIGPIPE
  }

  TEST_CASE("a command that outlives its timeout is killed") {
    config::AlertSink s;
    s.name = "cmd";
    s.timeout = std::chrono::milliseconds(300);
    s.command = {"/bin/sleep", "30"};
    auto start = std::chrono::steady_clock::now();
    auto out = send(s);
    CHECK(!out.delivered);
    CHECK(out.error == "the command ran past its timeout and was killed");
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(3));
  }
}

}  // namespace bsched::test
