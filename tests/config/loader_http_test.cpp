// The `http` section: the listener's address, its token, and the refusal of a listener
// other hosts can reach without one.
#include "config/listen_address.h"
#include "config/loader.h"
#include "tests/support/config_test_util.h"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include <string>

using namespace bsched::config;
using bsched::test::ConfigTempDir;

namespace {

std::string config_with(const std::string& http) {
  return "platform:\n  account_id: a\n  username: u\n  token_env: BSCHED_HTTP_TEST_TOKEN\n" + http +
         "jobs:\n  j:\n    schedule: \"0 * * * *\"\n    process_id: p\n    atom_id: a\n";
}

bsched::Result<Loaded, std::vector<Diagnostic>> load_text(const std::string& text,
                                                          const std::string& path = "/etc/b.yaml") {
  return load_config_from_sources({{path, text}}, {.read_secret = false});
}

std::string messages(const bsched::Result<Loaded, std::vector<Diagnostic>>& r) {
  std::string out;
  if (!r)
    for (const auto& d : r.error()) out += d.to_string() + "\n";
  return out;
}

}  // namespace

TEST_SUITE("config::http") {
  TEST_CASE("without an http section the listener is on loopback at the default port") {
    auto r = load_text(config_with(""));
    REQUIRE_MESSAGE(r.has_value(), messages(r));
    CHECK(r->config->http.listen == "127.0.0.1:9089");
    CHECK(r->config->http.listen.ends_with(std::to_string(k_default_http_port)));
    CHECK(r->config->http.token.empty());
  }

  TEST_CASE("an empty listen turns the listener off, IPv6 is written in brackets") {
    auto off = load_text(config_with("http:\n  listen: \"\"\n"));
    REQUIRE_MESSAGE(off.has_value(), messages(off));
    CHECK(off->config->http.listen.empty());
    auto v6 = load_text(config_with("http:\n  listen: \"[::1]:9200\"\n"));
    REQUIRE_MESSAGE(v6.has_value(), messages(v6));
    CHECK(v6->config->http.listen == "[::1]:9200");
  }

  TEST_CASE("a non-loopback listen without a token refuses to load, with file:line:col") {
    auto r = load_text(config_with("http:\n  listen: 0.0.0.0:9089\n"));
    REQUIRE_FALSE(r.has_value());
    auto text = messages(r);
    CHECK(text.find("/etc/b.yaml:6:11: http.listen: 0.0.0.0:9089 is not a loopback address") !=
          std::string::npos);
    CHECK(text.find("token_file") != std::string::npos);
    CHECK(text.find("allow_unauthenticated: true") != std::string::npos);
  }

  TEST_CASE("allow_unauthenticated written out serves a non-loopback address without a token") {
    auto r = load_text(config_with("http:\n  listen: 0.0.0.0:9089\n  allow_unauthenticated: true\n"));
    REQUIRE_MESSAGE(r.has_value(), messages(r));
    CHECK(r->config->http.allow_unauthenticated);
  }

  TEST_CASE("a listen that is not an IP address and port is refused") {
    for (const char* bad : {"localhost:9089", "127.0.0.1", "127.0.0.1:99999", "::1:9089",
                            "[::1]9089", "127.0.0.1:-1", "1.2.3:80"}) {
      CAPTURE(bad);
      auto r = load_text(config_with(std::string("http:\n  listen: \"") + bad + "\"\n"));
      CHECK_FALSE(r.has_value());
      CHECK(messages(r).find("http.listen") != std::string::npos);
    }
  }

  TEST_CASE("the token is read from token_file and never printed") {
    ConfigTempDir dir;
    auto token = dir.write("http-token", "web-token-never-shown\n");
    ::chmod(token.c_str(), 0600);
    auto text = config_with("http:\n  listen: 0.0.0.0:9089\n  token_file: http-token\n"
                            "  public_url: https://sched.example.com/\n");
    auto path = (dir.path() / "b.yaml").string();
    auto r = load_config_from_sources({{path, text}}, {.read_secret = false});
    REQUIRE_MESSAGE(r.has_value(), messages(r));
    CHECK(r->config->http.token.empty());  // read_secret off: not read
    bsched::test::ScopedEnv env("BSCHED_HTTP_TEST_TOKEN", "platform-token");
    auto full = load_config_from_sources({{path, text}});
    REQUIRE_MESSAGE(full.has_value(), messages(full));
    CHECK(full->config->http.token.reveal() == "web-token-never-shown");
    CHECK(full->config->http.public_url == "https://sched.example.com/");
    auto dump = dump_config(*full->config);
    CHECK(dump.find("web-token-never-shown") == std::string::npos);
    CHECK(dump.find("http-token") != std::string::npos);
  }

  TEST_CASE("an http section in a jobs.d file is refused") {
    auto r = load_config_from_sources(
        {{"/etc/b.yaml", config_with("")},
         {"/etc/jobs.d/x.yaml", "http:\n  listen: \"\"\njobs:\n  k:\n    schedule: \"0 * * * *\"\n"
                                "    process_id: p\n    atom_id: a\n"}},
        {.read_secret = false});
    REQUIRE_FALSE(r.has_value());
    CHECK(messages(r).find("'http' belongs in the main file") != std::string::npos);
  }
}

TEST_SUITE("config::listen_address") {
  TEST_CASE("loopback addresses are told from the others") {
    CHECK(parse_listen_address("127.0.0.1:9089")->loopback);
    CHECK(parse_listen_address("127.3.2.1:1")->loopback);
    CHECK(parse_listen_address("[::1]:9089")->loopback);
    CHECK_FALSE(parse_listen_address("0.0.0.0:9089")->loopback);
    CHECK_FALSE(parse_listen_address("[::]:9089")->loopback);
    CHECK_FALSE(parse_listen_address("10.0.0.1:9089")->loopback);
    CHECK(parse_listen_address("[::1]:9089")->ipv6);
    CHECK(parse_listen_address("127.0.0.1:0")->port == 0);
  }
}
