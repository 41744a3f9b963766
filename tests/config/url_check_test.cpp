// The platform URL rules shared by `validate` and the transport (config/url_check.h).
#include "config/loader.h"
#include "config/url_check.h"

#include <doctest/doctest.h>

#include <string>

using namespace bsched::config;

namespace {

std::string errors_of(const std::string& base_url) {
  std::string text = "platform:\n  account_id: a\n  username: u\n  token_env: T\n  base_url: " +
                     base_url + "\njobs:\n  j:\n    schedule: \"0 * * * *\"\n    process_id: p\n"
                     "    atom_id: a\n";
  auto r = load_config_from_sources({{"main.yaml", text}}, {.read_secret = false});
  if (r) return "(loaded)";
  std::string out;
  for (const auto& d : r.error())
    if (!d.warning) out += d.to_string() + "\n";
  return out;
}

}  // namespace

TEST_SUITE("config::url_check") {
  // Boost.URL 1.81 reads the host as the address 10.0.0.1 and ".example.com" as the path.
  TEST_CASE("an IPv4 address followed by a domain is that host name, not the address") {
    auto u = parse_url_parts("https://10.0.0.1.example.com/api?x=1");
    REQUIRE(u.has_value());
    CHECK(u->host == "10.0.0.1.example.com");
    CHECK(u->port == "443");
    CHECK(u->target == "/api?x=1");
  }

  TEST_CASE("http to 127.0.0.1 followed by a domain is not loopback and is refused") {
    CHECK_FALSE(plain_http_candidate("127.0.0.1.evil.example"));
    auto u = parse_platform_url("http://127.0.0.1.evil.example/x");
    REQUIRE_FALSE(u.has_value());
    CHECK(u.error().message.find("plain http is allowed only to a loopback address") !=
          std::string::npos);
  }

  TEST_CASE("an IPv4 literal is only four decimal numbers up to 255") {
    CHECK(is_ipv4_literal("10.0.0.1"));
    CHECK(is_ipv4_literal("255.255.255.255"));
    for (auto bad : {"10.1", "10.0.0.1.2", "256.0.0.1", "0x7f.0.0.1", "010.0.0.1", "1..2.3", ""})
      CHECK_FALSE(is_ipv4_literal(bad));
  }

  TEST_CASE("host names are labels of letters, digits and hyphens within DNS limits") {
    CHECK(is_dns_name("api.boomi.com"));
    CHECK(is_dns_name("a-b.x1"));
    CHECK(is_dns_name(std::string(63, 'a') + ".com"));
    CHECK_FALSE(is_dns_name(std::string(64, 'a') + ".com"));
    auto label = std::string(63, 'a');
    CHECK(is_dns_name(label + "." + label + "." + label + "." + std::string(61, 'b')));  // 253
    CHECK_FALSE(is_dns_name(label + "." + label + "." + label + "." + label));         // 255
    for (auto bad : {"-api.boomi.com", "api-.boomi.com", "api..boomi.com", "api.boomi.com.",
                     "api_x.boomi.com", "ex%41mple.com", "10.1", "1.2.0x3", "127.1"})
      CHECK_FALSE(is_dns_name(bad));
  }

  TEST_CASE("plain http is only a candidate for loopback literals and localhost names") {
    CHECK(plain_http_candidate("127.0.0.1"));
    CHECK(plain_http_candidate("[::1]"));
    CHECK(plain_http_candidate("localhost"));
    CHECK(plain_http_candidate("sim.localhost"));
    CHECK_FALSE(plain_http_candidate("10.0.0.1"));
    CHECK_FALSE(plain_http_candidate("localhost.evil.com"));
    CHECK_FALSE(plain_http_candidate("127.1"));
  }

  TEST_CASE("ports outside 1 to 65535 are refused") {
    CHECK(parse_url_parts("https://h.example:8443/")->port == "8443");
    CHECK_FALSE(parse_url_parts("https://h.example:0/").has_value());
    CHECK_FALSE(parse_url_parts("https://h.example:65536/").has_value());
    CHECK_FALSE(parse_url_parts("https://h.example:12ab/").has_value());
  }

  TEST_CASE("user information is refused without echoing the password") {
    auto u = parse_url_parts("https://ops:hunter2-secret@api.boomi.com/api");
    REQUIRE_FALSE(u.has_value());
    CHECK(u.error().message.find("hunter2-secret") == std::string::npos);
    CHECK(u.error().message.find("user information") != std::string::npos);
  }

  // validate said ok to URLs the daemon then refused at the first call.
  TEST_CASE("validate refuses plain http to a remote host, user information and bad hosts") {
    CHECK(errors_of("http://api.boomi.com/api/rest/v1") ==
          "main.yaml:5:13: platform.base_url: 'http://api.boomi.com/api/rest/v1': plain http is "
          "allowed only to a loopback address (127.0.0.1, [::1], localhost); use https\n");
    CHECK(errors_of("https://u:pw@api.boomi.com/x").find("user information") != std::string::npos);
    CHECK(errors_of("https://u:pw@api.boomi.com/x").find("pw@") == std::string::npos);
    CHECK(errors_of("https://api_boomi.com/x").find("is neither a host name") !=
          std::string::npos);
    CHECK(errors_of("http://127.0.0.1:9090/api/rest/v1") == "(loaded)");
    CHECK(errors_of("https://10.0.0.1.example.com/api") == "(loaded)");
  }
}
