// The daemon's HTTP listener in the real binary: it answers beside the scheduler, its scrape
// passes promtool, a port in use and an exposed address without a token stop the start.
#include "tests/e2e/e2e_support.h"
#include "tests/web/web_test_util.h"

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>

using namespace bsched::e2e;
using bsched::webtest::body_of;

namespace {

// The configuration of write_e2e_config with its http section replaced.
std::string with_http(const std::string& config_path, const std::string& http) {
  auto text = bsched::test::read_text(config_path);
  auto at = text.find("http:\n  listen: 127.0.0.1:0\n");
  REQUIRE(at != std::string::npos);
  text.replace(at, 28, http);
  std::ofstream(config_path, std::ios::trunc) << text;
  return config_path;
}

bool have_promtool() { return std::system("command -v promtool >/dev/null 2>&1") == 0; }

}  // namespace

TEST_SUITE("e2e::http") {
  TEST_CASE("the daemon answers /healthz, /metrics and /api/status on its listener") {
    ConfigTempDir dir;
    SimProcess sim(dir);
    auto config = write_e2e_config(dir, sim, e2e_job("nightly", "0 3 * * *"));
    DaemonProcess daemon(dir, config);
    REQUIRE(daemon.wait_ready());
    auto port = daemon.http_port();
    REQUIRE(port != 0);
    CHECK(body_of(bsched::webtest::get(port, "/healthz")) == "ok\n");
    auto metrics = body_of(bsched::webtest::get(port, "/metrics"));
    CHECK(metrics.find("boomi_sched_build_info{version=\"") != std::string::npos);
    CHECK(metrics.find("boomi_sched_store_healthy 1") != std::string::npos);
    auto status = boost::json::parse(body_of(bsched::webtest::get(port, "/api/status")));
    CHECK(status.at("jobs").as_array().size() == 1);
    CHECK(daemon.log().find("http.listening address=127.0.0.1:") != std::string::npos);

    // promtool (Debian's prometheus package) checks a live scrape; CI must have it.
    if (!have_promtool()) {
      CHECK_MESSAGE(std::getenv("CI") == nullptr, "promtool is missing (install prometheus)");
      MESSAGE("promtool not installed: the scrape is not checked");
      return;
    }
    auto scrape = dir.write("scrape.txt", metrics);
    auto r = bsched::test::run_command("promtool check metrics < '" + scrape + "'", dir);
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
  }

  TEST_CASE("a port in use stops a production daemon with a clear message") {
    ConfigTempDir dir;
    SimProcess sim(dir);
    auto config = write_e2e_config(dir, sim, e2e_job("nightly", "0 3 * * *"));
    DaemonProcess first(dir, config);
    REQUIRE(first.wait_ready());
    ConfigTempDir dir2;
    auto config2 = write_e2e_config(dir2, sim, e2e_job("nightly", "0 3 * * *"));
    with_http(config2, "http:\n  listen: 127.0.0.1:" + std::to_string(first.http_port()) + "\n");
    DaemonProcess second(dir2, config2);
    auto code = second.child().exit_code(10s);
    auto log = second.log();
    INFO(log);
    CHECK(code == 1);
    CHECK(log.find("http.bind_failed listen=127.0.0.1:") != std::string::npos);
    CHECK(log.find("daemon.start_failed") != std::string::npos);
    CHECK(log.find("http.listen: \"\" to run without the listener") != std::string::npos);
  }

  TEST_CASE("a non-loopback listen without a token refuses to start, naming file:line:col") {
    ConfigTempDir dir;
    SimProcess sim(dir);
    auto config = write_e2e_config(dir, sim, e2e_job("nightly", "0 3 * * *"));
    with_http(config, "http:\n  listen: 0.0.0.0:0\n");
    DaemonProcess daemon(dir, config);
    auto code = daemon.child().exit_code(10s);
    auto err = daemon.log();
    INFO(err);
    CHECK(code == 1);
    CHECK(err.find(config + ":") != std::string::npos);
    CHECK(err.find("http.listen: 0.0.0.0:0 is not a loopback address") != std::string::npos);
  }

  TEST_CASE("with a token file the daemon's listener wants the bearer token") {
    ConfigTempDir dir;
    SimProcess sim(dir);
    auto config = write_e2e_config(dir, sim, e2e_job("nightly", "0 3 * * *"));
    auto token = dir.write("http-token", "listener-token-never-logged\n");
    ::chmod(token.c_str(), 0600);
    with_http(config, "http:\n  listen: 127.0.0.1:0\n  token_file: " + token + "\n");
    DaemonProcess daemon(dir, config);
    REQUIRE(daemon.wait_ready());
    auto port = daemon.http_port();
    CHECK(bsched::webtest::get(port, "/healthz").starts_with("HTTP/1.1 401 "));
    CHECK(bsched::webtest::get(port, "/healthz",
                               "Authorization: Bearer listener-token-never-logged\r\n")
              .starts_with("HTTP/1.1 200 "));
    CHECK(daemon.log().find("listener-token-never-logged") == std::string::npos);
    CHECK(daemon.log().find("auth=bearer") != std::string::npos);
  }
}
