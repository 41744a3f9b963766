#include "daemon/platform/classify.h"

#include "tests/platform/printers.h"

#include <doctest/doctest.h>

using namespace bsched;
using namespace bsched::platform;
using Kind = TransportError::Kind;
using Sent = TransportError::Sent;

namespace {

SysMillis at(const char* text) { return SysMillis{*parse_instant(text)}; }

FailureKind http_kind(int status, bool trigger = false) {
  return classify_http_failure(status, "", "", trigger, at("2026-01-01T00:00:00Z")).kind;
}

}  // namespace

TEST_SUITE("platform::classify") {
  TEST_CASE("HTTP statuses map to the error table of platform-api.md") {
    CHECK(http_kind(400) == FailureKind::permanent);
    CHECK(http_kind(403) == FailureKind::permanent);
    CHECK(http_kind(404) == FailureKind::permanent);
    CHECK(http_kind(401) == FailureKind::auth);
    CHECK(http_kind(410, true) == FailureKind::retry_later);
    CHECK(http_kind(500) == FailureKind::retry_later);
    CHECK(http_kind(502) == FailureKind::retry_later);
    CHECK(http_kind(504) == FailureKind::retry_later);
    CHECK(http_kind(500, true) == FailureKind::retry_later);
    CHECK(http_kind(503) == FailureKind::throttled);
    CHECK(http_kind(429) == FailureKind::throttled);
    CHECK(http_kind(302) == FailureKind::bad_response);
  }

  TEST_CASE("the platform's message is extracted and the raw body kept") {
    auto e = classify_http_failure(404, "", R"({"@type":"Error","message":"Process p not deployed"})",
                                   true, at("2026-01-01T00:00:00Z"));
    CHECK(e.http_status == 404);
    CHECK(e.message == "Process p not deployed");
    CHECK(e.body.find("not deployed") != std::string::npos);
    auto plain = classify_http_failure(503, "", "", false, at("2026-01-01T00:00:00Z"));
    CHECK(plain.message.find("rate limit") != std::string::npos);
  }

  TEST_CASE("Retry-After is honoured as seconds or as an HTTP date") {
    auto now = at("2026-10-21T07:28:00Z");
    CHECK(parse_retry_after("120", now) == Millis{120000});
    CHECK(parse_retry_after(" 0 ", now) == Millis{0});
    CHECK(parse_retry_after("Wed, 21 Oct 2026 07:28:30 GMT", now) == Millis{30000});
    CHECK(parse_retry_after("Wed, 21 Oct 2026 07:00:00 GMT", now) == Millis{0});
    CHECK_FALSE(parse_retry_after("soon", now).has_value());
    CHECK_FALSE(parse_retry_after("12s", now).has_value());
    auto e = classify_http_failure(429, "7", "", false, now);
    CHECK(e.kind == FailureKind::throttled);
    CHECK(e.retry_after == Millis{7000});
  }

  TEST_CASE("a Retry-After in the year 9999 waits the one-hour maximum, not an overflowed instant") {
    auto now = at("2026-10-21T07:28:00Z");
    auto far = parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT", now);
    REQUIRE(far.has_value());
    CHECK(*far == k_retry_after_max);
    CHECK(k_retry_after_max == std::chrono::hours{1});
    // What a steady timer gets: still positive as nanoseconds, no wrap into the past.
    auto as_timer = std::chrono::duration_cast<std::chrono::steady_clock::duration>(*far);
    CHECK(as_timer > std::chrono::steady_clock::duration::zero());
    CHECK(parse_retry_after("Wed, 21 Oct 2026 09:28:00 GMT", now) == k_retry_after_max);
    CHECK(parse_retry_after("Wed, 21 Oct 2026 08:27:59 GMT", now) == Millis{3599000});
  }

  TEST_CASE("Retry-After values that are huge, negative, past or garbage never mean a long wait") {
    auto now = at("2026-10-21T07:28:00Z");
    // Huge delay-seconds: valid, and cut to the maximum.
    CHECK(parse_retry_after("86400", now) == k_retry_after_max);
    CHECK(parse_retry_after("3600", now) == Millis{3600000});
    CHECK(parse_retry_after("9223372036854775807", now) == k_retry_after_max);
    CHECK(parse_retry_after("99999999999999999999999999999999", now) == k_retry_after_max);
    // Past dates: no wait.
    CHECK(parse_retry_after("Thu, 01 Jan 1970 00:00:00 GMT", now) == Millis{0});
    CHECK(parse_retry_after("Mon, 01 Jan 0001 00:00:00 GMT", now) == Millis{0});
    // Negative and garbage: absent.
    CHECK_FALSE(parse_retry_after("-1", now).has_value());
    CHECK_FALSE(parse_retry_after("-9223372036854775808", now).has_value());
    CHECK_FALSE(parse_retry_after("+5", now).has_value());
    CHECK_FALSE(parse_retry_after("1.5", now).has_value());
    CHECK_FALSE(parse_retry_after("0x10", now).has_value());
    CHECK_FALSE(parse_retry_after("Fri, 31 Dec 9999", now).has_value());
    CHECK_FALSE(parse_retry_after(std::string(100000, '9') + "x", now).has_value());
    CHECK_FALSE(parse_retry_after(std::string("\x1b[31m"), now).has_value());
    // Not an IMF-fixdate's fixed shape: absent, never handed to the date parser (which
    // turns a malformed seconds field into NaN; fuzz_platform_json found this one).
    CHECK_FALSE(parse_retry_after("sat,2auG01\t\t00:00::0", now).has_value());
    CHECK_FALSE(parse_retry_after("Wed, 21 Oct 2026 07:28: 0 GMT", now).has_value());
    CHECK_FALSE(parse_retry_after("Wed, 21 Oct 2026 07:28:3 GMT", now).has_value());
    CHECK_FALSE(parse_retry_after("Wed,21 Oct 2026 07:28:30 GMT ", now).has_value());
    CHECK_FALSE(parse_retry_after("Wed, 21 Oct 2026 07:28:30 UTC", now).has_value());
    CHECK_FALSE(parse_retry_after("Wed, 21 Oct 2026 07:28:99 GMT", now).has_value());
    CHECK_FALSE(parse_retry_after("Wed, 21 Foo 2026 07:28:30 GMT", now).has_value());
    // Surrounding blanks are still trimmed.
    CHECK(parse_retry_after(" Wed, 21 Oct 2026 07:28:30 GMT\t", now) == Millis{30000});
    // As a throttled answer's retry_after.
    auto e = classify_http_failure(503, "Fri, 31 Dec 9999 23:59:59 GMT", "", false, now);
    CHECK(e.kind == FailureKind::throttled);
    CHECK(e.retry_after == k_retry_after_max);
  }

  TEST_CASE("a gateway's 502 or 504 to a trigger is uncertain, to a poll or query retry_later") {
    CHECK(http_kind(502, true) == FailureKind::uncertain);
    CHECK(http_kind(504, true) == FailureKind::uncertain);
    CHECK(http_kind(502, false) == FailureKind::retry_later);
    CHECK(http_kind(504, false) == FailureKind::retry_later);
    auto e = classify_http_failure(502, "", "<html>Bad Gateway</html>", true,
                                   at("2026-01-01T00:00:00Z"));
    CHECK(e.http_status == 502);
    CHECK(e.message.find("reconcile") != std::string::npos);
  }

  TEST_CASE("a trigger broken after it was written is uncertain, before it retry_later") {
    auto sent = classify_transport_failure({Kind::timeout, Sent::fully, "no answer"}, true);
    CHECK(sent.kind == FailureKind::uncertain);
    CHECK(sent.http_status == 0);
    CHECK(classify_transport_failure({Kind::io, Sent::partly, "reset"}, true).kind ==
          FailureKind::uncertain);
    CHECK(classify_transport_failure({Kind::io, Sent::no, "reset"}, true).kind ==
          FailureKind::retry_later);
    CHECK(classify_transport_failure({Kind::connect, Sent::no, "refused"}, true).kind ==
          FailureKind::retry_later);
    CHECK(classify_transport_failure({Kind::timeout, Sent::fully, "x"}, false).kind ==
          FailureKind::retry_later);
    CHECK(classify_transport_failure({Kind::insecure, Sent::no, "x"}, true).kind ==
          FailureKind::permanent);
    CHECK(classify_transport_failure({Kind::too_large, Sent::fully, "x"}, false).kind ==
          FailureKind::bad_response);
  }

  TEST_CASE("status words classify, unknown ones as still in progress") {
    CHECK(classify_status("COMPLETE") == RemoteStatus::complete);
    CHECK(classify_status("COMPLETE_WARN") == RemoteStatus::complete_warn);
    CHECK(classify_status("ERROR") == RemoteStatus::error);
    CHECK(classify_status("ABORTED") == RemoteStatus::aborted);
    CHECK(classify_status("DISCARDED") == RemoteStatus::discarded);
    CHECK(classify_status("INPROCESS") == RemoteStatus::in_progress);
    CHECK(classify_status("ABORTED_RECOVERING") == RemoteStatus::in_progress);
    CHECK(classify_status("SOMETHING_NEW") == RemoteStatus::in_progress);
  }

  // The engine and exec read status words through this one mapping; they once disagreed on
  // letter case (exec waited forever on "complete" while the engine ended the run).
  TEST_CASE("status words classify in any letter case") {
    CHECK(classify_status("complete") == RemoteStatus::complete);
    CHECK(classify_status("Complete_Warn") == RemoteStatus::complete_warn);
    CHECK(classify_status("error") == RemoteStatus::error);
    CHECK(classify_status("COMPLETEX") == RemoteStatus::in_progress);
    CHECK(classify_status("") == RemoteStatus::in_progress);
    CHECK(classify_status("") == RemoteStatus::in_progress);
  }
}

TEST_SUITE("platform::http_url") {
  TEST_CASE("URLs split into scheme, host, port and target") {
    auto u = parse_http_url("https://api.boomi.com/api/rest/v1/acc?x=1");
    REQUIRE(u);
    CHECK(u->tls);
    CHECK(u->host == "api.boomi.com");
    CHECK(u->port == "443");
    CHECK(u->target == "/api/rest/v1/acc?x=1");
    auto v6 = parse_http_url("http://[::1]:8080");
    REQUIRE(v6);
    CHECK_FALSE(v6->tls);
    CHECK(v6->host == "::1");
    CHECK(v6->port == "8080");
    CHECK(v6->target == "/");
    CHECK_FALSE(parse_http_url("ftp://x/"));
    CHECK_FALSE(parse_http_url("api.boomi.com/x"));
    CHECK_FALSE(parse_http_url("https://user:pw@host/"));
  }

  // Boost.URL 1.81 alone made the host 10.0.0.1 and the path ".example.com/x".
  TEST_CASE("an IPv4 address followed by a domain is parsed as that host name") {
    auto u = parse_http_url("https://10.0.0.1.example.com/x");
    REQUIRE(u);
    CHECK(u->host == "10.0.0.1.example.com");
    CHECK(u->target == "/x");
    auto evil = parse_http_url("http://127.0.0.1.evil.example");
    REQUIRE(evil);
    CHECK(evil->host == "127.0.0.1.evil.example");
    CHECK_FALSE(is_loopback_host(evil->host));
  }

  // A *.localhost name was trusted by its name; what it resolves to decides.
  TEST_CASE("plain http to a localhost name that resolves to a remote address is refused") {
    HttpUrl plain{false, "evil.localhost", "80", "/"};
    auto remote = plain_http_refusal(plain, boost::asio::ip::make_address("10.0.0.1"));
    REQUIRE(remote.has_value());
    CHECK(*remote == "refusing plain http to evil.localhost: it resolves to 10.0.0.1, which is "
                     "not a loopback address (use https)");
    CHECK_FALSE(plain_http_refusal(plain, boost::asio::ip::make_address("127.0.0.1")).has_value());
    CHECK_FALSE(plain_http_refusal(plain, boost::asio::ip::make_address("::1")).has_value());
    HttpUrl tls{true, "api.example.com", "443", "/"};
    CHECK_FALSE(plain_http_refusal(tls, boost::asio::ip::make_address("10.0.0.1")).has_value());
  }

  TEST_CASE("only loopback hosts count as loopback") {
    CHECK(is_loopback_host("127.0.0.1"));
    CHECK(is_loopback_host("127.8.9.10"));
    CHECK(is_loopback_host("::1"));
    CHECK(is_loopback_host("[::1]"));
    CHECK(is_loopback_host("localhost"));
    CHECK(is_loopback_host("LocalHost"));
    CHECK_FALSE(is_loopback_host("128.0.0.1"));
    CHECK_FALSE(is_loopback_host("api.boomi.com"));
    CHECK_FALSE(is_loopback_host("localhost.evil.com"));
    CHECK_FALSE(is_loopback_host("10.0.0.1"));
    CHECK_FALSE(is_loopback_host("127.1"));
    CHECK_FALSE(is_loopback_host("127.0.0.1.evil.example"));
  }
}
