// Retired and deprecated platform objects (platform-api.md "Errors"): a 3xx is never followed
// and names the Location; Deprecation / Sunset headers are warned about once per endpoint.
#include "daemon/platform/classify.h"
#include "tests/platform/client_fixture.h"

#include <doctest/doctest.h>

using namespace bsched;
using namespace bsched::platform;
using namespace bsched::platform::test;

TEST_SUITE("platform::redirects") {
  TEST_CASE("a 301 or 308 is a permanent error naming the new Location, never followed") {
    for (int status : {301, 302, 307, 308}) {
      ClientFixture f;
      f.fake->push(response(status, "", {{"Location", "https://api.example/v2/ExecutionRequest"}}));
      auto r = f.run(f.client->submit(sample_request()));
      REQUIRE_FALSE(r.has_value());
      CHECK(r.error().kind == FailureKind::permanent);
      CHECK(r.error().http_status == status);
      CHECK(r.error().message.find("https://api.example/v2/ExecutionRequest") != std::string::npos);
      CHECK(r.error().message.find("POST ExecutionRequest") != std::string::npos);
      CHECK(r.error().message.find("not followed") != std::string::npos);
      CHECK(f.fake->sent.size() == 1);  // nothing went to the new Location
    }
  }

  TEST_CASE("a redirected poll is not retried and does not follow either") {
    ClientFixture f;
    f.fake->push(response(308, "", {{"Location", "https://elsewhere.example/x"}}));
    auto r = f.run(f.client->poll("executionrecord-1"));
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().kind == FailureKind::permanent);
    CHECK(f.fake->sent.size() == 1);
  }

  TEST_CASE("a hostile Location is capped, stripped of control characters and of the token") {
    auto e = classify_redirect(301, std::string(5000, 'x') + "\x01\x1b[31m", "GET a");
    CHECK(e.message.size() < 1000);
    CHECK(e.message.find('\x1b') == std::string::npos);
    CHECK(classify_redirect(301, "", "GET a").message.find("no Location") != std::string::npos);

    ClientFixture f;
    f.fake->push(response(301, "", {{"Location", "https://u:tok-SECRET-4711@evil.example/"}}));
    auto r = f.run(f.client->submit(sample_request()));
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().message.find("tok-SECRET-4711") == std::string::npos);
  }
}

TEST_SUITE("platform::deprecation") {
  TEST_CASE("Deprecation and Sunset headers are kept once per endpoint, the call still succeeds") {
    ClientFixture f;
    Headers deprecated = {{"Deprecation", "Sun, 01 Nov 2026 00:00:00 GMT"},
                          {"Sunset", "Mon, 01 Mar 2027 00:00:00 GMT"},
                          {"Link", "<https://developer.boomi.com/x>; rel=\"deprecation\""}};
    f.fake->push(response(200, R"({"requestId":"executionrecord-1"})", deprecated));
    f.fake->push(response(200, R"({"requestId":"executionrecord-2"})", deprecated));
    f.fake->push(response(202, "", deprecated));
    REQUIRE(f.run(f.client->submit(sample_request())).has_value());
    REQUIRE(f.run(f.client->submit(sample_request())).has_value());
    REQUIRE(f.run(f.client->poll("executionrecord-1")).has_value());
    auto notices = f.client->deprecations();
    REQUIRE(notices.size() == 2);  // two endpoints, each once
    CHECK(notices[0].endpoint == "POST ExecutionRequest");
    CHECK(notices[0].sunset == "Mon, 01 Mar 2027 00:00:00 GMT");
    CHECK(notices[0].deprecation == "Sun, 01 Nov 2026 00:00:00 GMT");
    CHECK(notices[0].link.find("developer.boomi.com") != std::string::npos);
    CHECK(notices[1].endpoint == "GET ExecutionRecord/async");
  }

  TEST_CASE("an answer without those headers adds no notice, hostile values are made printable") {
    ClientFixture f;
    f.fake->push(response(200, R"({"requestId":"executionrecord-1"})"));
    f.fake->push(response(404, "", {{"Sunset", std::string(1000, 's') + "\x07"}}));
    REQUIRE(f.run(f.client->submit(sample_request())).has_value());
    CHECK(f.client->deprecations().empty());
    (void)f.run(f.client->poll("executionrecord-1"));
    auto notices = f.client->deprecations();
    REQUIRE(notices.size() == 1);
    CHECK(notices[0].sunset.size() < 300);
    CHECK(notices[0].sunset.find('\x07') == std::string::npos);
  }
}
