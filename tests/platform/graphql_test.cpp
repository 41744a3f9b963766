#include "tests/platform/client_fixture.h"

#include <doctest/doctest.h>

using namespace bsched;
using namespace bsched::platform;
using namespace bsched::platform::test;

namespace {

config::Platform graphql_platform() {
  auto p = test_platform();
  p.api = config::ApiKind::graphql;
  return p;
}

const char* k_execute_answer =
    R"({"data":{"processExecute":"{\"@type\":\"ExecutionRequest\",\"requestId\":\"executionrecord-g\"}"}})";

std::string header_of(const HttpRequest& r, std::string_view name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return "<absent>";
}

}  // namespace

TEST_SUITE("platform::graphql") {
  TEST_CASE("a GraphQL submit fetches a JWT with Basic auth, then calls processExecute") {
    ClientFixture f(graphql_platform());
    f.fake->push(response(200, "eyJ.jwt.one"));
    f.fake->push(response(200, k_execute_answer));
    auto r = f.run(f.client->submit(sample_request()));
    REQUIRE(r);
    CHECK(r->request_id == "executionrecord-g");
    REQUIRE(f.fake->sent.size() == 2);
    CHECK(f.fake->sent[0].request.url == "https://api.test/auth/jwt/generate/acc-1");
    CHECK(header_of(f.fake->sent[0].request, "Authorization").rfind("Basic ", 0) == 0);
    const auto& gql = f.fake->sent[1].request;
    CHECK(gql.url == "https://gql.test/graphql");
    CHECK(header_of(gql, "Authorization") == "Bearer eyJ.jwt.one");
    CHECK(header_of(gql, "SPACE_GUID") == "space-9");
    CHECK(gql.body.find("processExecute") != std::string::npos);
  }

  TEST_CASE("the JWT is reused within its life and renewed before it ends") {
    ClientFixture f(graphql_platform());
    f.fake->push(response(200, "eyJ.jwt.one"));
    f.fake->push(response(200, k_execute_answer));
    f.fake->push(response(200, k_execute_answer));
    REQUIRE(f.run(f.client->submit(sample_request())));
    f.clock->advance(std::chrono::minutes{3});
    REQUIRE(f.run(f.client->submit(sample_request())));
    CHECK(f.fake->sent.size() == 3);
    f.clock->advance(std::chrono::minutes{2});
    f.fake->push(response(200, "eyJ.jwt.two"));
    f.fake->push(response(200, k_execute_answer));
    REQUIRE(f.run(f.client->submit(sample_request())));
    REQUIRE(f.fake->sent.size() == 5);
    CHECK(f.fake->sent[3].request.url == "https://api.test/auth/jwt/generate/acc-1");
    CHECK(header_of(f.fake->sent[4].request, "Authorization") == "Bearer eyJ.jwt.two");
  }

  TEST_CASE("GraphQL error codes classify: UNAUTHORIZED opens the circuit, FORBIDDEN is permanent") {
    ClientFixture f(graphql_platform());
    f.fake->push(response(200, "eyJ.jwt.one"));
    f.fake->push(response(200, R"({"errors":[{"message":"nope","extensions":{"code":"FORBIDDEN"}}]})"));
    auto forbidden = f.run(f.client->submit(sample_request()));
    REQUIRE_FALSE(forbidden);
    CHECK(forbidden.error().kind == FailureKind::permanent);
    f.fake->push(response(200, R"({"errors":[{"message":"who","extensions":{"code":"UNAUTHORIZED"}}]})"));
    auto unauthorized = f.run(f.client->submit(sample_request()));
    REQUIRE_FALSE(unauthorized);
    CHECK(unauthorized.error().kind == FailureKind::auth);
    CHECK(f.client->health().auth_failed);
    auto blocked = f.run(f.client->submit(sample_request()));
    REQUIRE_FALSE(blocked);
    CHECK(f.fake->sent.size() == 3);
  }

  TEST_CASE("a GraphQL 429 is throttled") {
    ClientFixture f(graphql_platform());
    f.fake->push(response(200, "eyJ.jwt.one"));
    f.fake->push(response(429, "", {{"Retry-After", "4"}}));
    auto r = f.run(f.client->submit(sample_request()));
    REQUIRE_FALSE(r);
    CHECK(r.error().kind == FailureKind::throttled);
    CHECK(r.error().retry_after == Millis{4000});
  }

  TEST_CASE("a GraphQL query asks executionHistory per status and keeps the window") {
    ClientFixture f(graphql_platform());
    f.fake->push(response(200, "eyJ.jwt.one"));
    f.fake->fallback = [](const HttpRequest& r) {
      if (r.body.find("status: ERROR}") != std::string::npos)
        return SendResult(response(200, R"({"data":{"executionHistory":[
            {"executionId":"in","status":"ERROR","executionTime":"2026-01-01T00:30:00Z"},
            {"executionId":"out","status":"ERROR","executionTime":"2026-01-02T00:30:00Z"}]}})"));
      return SendResult(response(200, R"({"data":{"executionHistory":[]}})"));
    };
    RecordQuery q{"proc-1", "atom-1", *parse_instant("2026-01-01T00:00:00Z"),
                  *parse_instant("2026-01-01T01:00:00Z")};
    auto r = f.run(f.client->query(q));
    REQUIRE(r);
    REQUIRE(r->size() == 1);
    CHECK((*r)[0].execution_id == "in");
    CHECK(f.fake->sent.size() == 8);  // the JWT + seven statuses
  }

  // The JWT went into error messages and bodies (and so into logs and history) unredacted,
  // unlike the API token.
  TEST_CASE("a GraphQL error that echoes the JWT is logged with the JWT redacted") {
    const std::string jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJzY2hlZCJ9.c2lnbmF0dXJlLXNlY3JldA";
    ClientFixture f(graphql_platform());
    f.fake->push(response(200, jwt));
    f.fake->push(response(200, R"({"errors":[{"message":"token )" + jwt +
                                   R"( expired","extensions":{"code":"UNAUTHORIZED"}}]})"));
    auto r = f.run(f.client->submit(sample_request()));
    REQUIRE_FALSE(r);
    CHECK(r.error().kind == FailureKind::auth);
    CHECK(r.error().message.find(jwt) == std::string::npos);
    CHECK(r.error().body.find(jwt) == std::string::npos);
    CHECK(r.error().body.find("<redacted>") != std::string::npos);
    CHECK(f.client->health().last_error.find(jwt) == std::string::npos);
  }

  TEST_CASE("a 500 answer quoting the Bearer header keeps the JWT out of the error") {
    const std::string jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJzY2hlZCJ9.c2lnbmF0dXJlLXNlY3JldA";
    ClientFixture f(graphql_platform());
    f.fake->push(response(200, jwt));
    f.fake->push(response(400, "bad request; Authorization: Bearer " + jwt));
    auto r = f.run(f.client->submit(sample_request()));
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find(jwt) == std::string::npos);
    CHECK(r.error().body == "bad request; Authorization: Bearer <redacted>");
  }

  TEST_CASE("a JWT answer that is not a token keeps a JWT-shaped body out of the error") {
    ClientFixture f(graphql_platform());
    f.fake->push(response(200, R"({"unexpected":"eyJraWQiOiIxIn0.eyJleHAiOjF9.sig-nature_x"})"));
    auto r = f.run(f.client->submit(sample_request()));
    REQUIRE_FALSE(r);
    CHECK(r.error().body.find("eyJraWQiOiIxIn0") == std::string::npos);
  }
}
