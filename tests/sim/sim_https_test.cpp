// The simulator over HTTPS (a self-signed certificate made with the openssl command), and
// the start-up errors of bad certificate paths and busy ports.
#include "tests/sim/sim_test_support.h"

#include <boost/asio/ssl.hpp>
#include <boost/beast/ssl.hpp>

#include <cstdlib>
#include <filesystem>

namespace bsched::sim::test {

namespace fs = std::filesystem;
namespace ssl = asio::ssl;

namespace {

// A temporary directory holding cert.pem and key.pem for 127.0.0.1.
struct CertDir {
  CertDir() {
    dir = fs::temp_directory_path() / ("bsched-sim-tls-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    const std::string cmd =
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 "
        "-subj /CN=127.0.0.1 -keyout '" + (dir / "key.pem").string() + "' -out '" +
        (dir / "cert.pem").string() + "' >/dev/null 2>&1";
    REQUIRE_MESSAGE(std::system(cmd.c_str()) == 0, "the openssl command (Debian package openssl) failed");
  }
  ~CertDir() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  std::string cert() const { return (dir / "cert.pem").string(); }
  std::string key() const { return (dir / "key.pem").string(); }
  fs::path dir;
};

// One HTTPS request (no certificate verification: this tests the server side).
HttpAnswer https_request(unsigned short port, http::request<http::string_body> req) {
  asio::io_context io;
  ssl::context ctx(ssl::context::tls_client);
  ctx.set_verify_mode(ssl::verify_none);
  HttpAnswer answer;
  auto exchange = [&]() -> asio::awaitable<void> {
    constexpr auto tuple = asio::as_tuple(asio::use_awaitable);
    beast::ssl_stream<beast::tcp_stream> stream(io, ctx);
    beast::get_lowest_layer(stream).expires_after(2s);
    auto [cec] = co_await beast::get_lowest_layer(stream).async_connect(
        asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), tuple);
    if (cec) co_return;
    auto [hec] = co_await stream.async_handshake(ssl::stream_base::client, tuple);
    if (hec) {
      answer.error = hec;
      co_return;
    }
    auto [wec, wn] = co_await http::async_write(stream, req, tuple);
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    auto [rec, rn] = co_await http::async_read(stream, buffer, res, tuple);
    if (wec || rec) co_return;
    answer.status = static_cast<int>(res.result_int());
    answer.body = res.body();
  };
  asio::co_spawn(io, exchange(), asio::detached);
  io.run();
  return answer;
}

}  // namespace

TEST_SUITE("sim::https") {

TEST_CASE("with a certificate and key the simulator speaks HTTPS") {
  CertDir certs;
  SimOptions o = fast_options();
  o.cert_file = certs.cert();
  o.key_file = certs.key();
  SimFixture fx(o);
  CHECK(fx.sim().base_url().starts_with("https://127.0.0.1:"));
  http::request<http::string_body> req{http::verb::post, rest_path("ExecutionRequest"), 11};
  req.set(http::field::host, "127.0.0.1");
  req.set(http::field::accept, "application/json");
  req.set(http::field::content_type, "application/json");
  req.set(http::field::authorization, basic_auth(SimOptions{}.username, SimOptions{}.token));
  req.body() = submit_body();
  req.prepare_payload();
  HttpAnswer a = https_request(fx.port(), req);
  CHECK(a.status == 200);
  CHECK(a.body.find("executionrecord-") != std::string::npos);
  TestClient plain(fx.port(), 500ms);
  CHECK(plain.post_json(rest_path("ExecutionRequest"), submit_body()).status == 0);
  CHECK(fx.sim().run_count() == 1);
}

TEST_CASE("start() names the file when the certificate or key cannot be loaded") {
  CertDir certs;
  asio::io_context io;
  bsched::test::FakeClock clock{sim_start()};
  SimOptions o;
  o.cert_file = (certs.dir / "missing.pem").string();
  o.key_file = certs.key();
  Simulator missing_cert(io, clock, o);
  auto r = missing_cert.start();
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().message.find("missing.pem") != std::string::npos);
  o.cert_file = certs.cert();
  o.key_file = certs.cert();  // a certificate is not a key
  Simulator bad_key(io, clock, o);
  CHECK_FALSE(bad_key.start().has_value());
  o.key_file.reset();
  Simulator half(io, clock, o);
  CHECK_FALSE(half.start().has_value());
}

TEST_CASE("start() reports a busy port and an address that is not an IP") {
  asio::io_context io;
  bsched::test::FakeClock clock{sim_start()};
  Simulator first(io, clock, SimOptions{});
  REQUIRE(first.start().has_value());
  SimOptions same;
  same.port = first.port();
  Simulator second(io, clock, same);
  auto r = second.start();
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().message.find(std::to_string(first.port())) != std::string::npos);
  SimOptions named;
  named.listen_address = "not-an-address";
  Simulator third(io, clock, named);
  CHECK_FALSE(third.start().has_value());
}

}  // TEST_SUITE

}  // namespace bsched::sim::test
