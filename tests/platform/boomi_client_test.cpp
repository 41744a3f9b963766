#include "tests/platform/client_fixture.h"

#include <doctest/doctest.h>

using namespace bsched;
using namespace bsched::platform;
using namespace bsched::platform::test;
using Kind = TransportError::Kind;
using Sent = TransportError::Sent;

namespace {

std::string header_of(const HttpRequest& r, std::string_view name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return "<absent>";
}

}  // namespace

TEST_SUITE("platform::client") {
  TEST_CASE("a submit posts the ExecutionRequest with Basic auth and returns the requestId") {
    ClientFixture f;
    f.fake->push(response(200, R"({"@type":"ExecutionRequest","requestId":"executionrecord-7"})"));
    auto r = f.run(f.client->submit(sample_request()));
    REQUIRE(r);
    CHECK(r->request_id == "executionrecord-7");
    REQUIRE(f.fake->sent.size() == 1);
    const auto& req = f.fake->sent[0].request;
    CHECK(req.method == "POST");
    CHECK(req.url == "https://api.test/api/rest/v1/acc-1/ExecutionRequest");
    CHECK_FALSE(req.idempotent);
    CHECK(header_of(req, "Accept") == "application/json");
    CHECK(header_of(req, "Content-Type") == "application/json");
    // base64("BOOMI_TOKEN.user@example.com:tok-SECRET-4711")
    CHECK(header_of(req, "Authorization") ==
          "Basic Qk9PTUlfVE9LRU4udXNlckBleGFtcGxlLmNvbTp0b2stU0VDUkVULTQ3MTE=");
    CHECK(req.body.find(R"("processId":"proc-1")") != std::string::npos);
  }

  TEST_CASE("submit failures are classified and never retried inside the client") {
    struct Case {
      int status;
      FailureKind kind;
    };
    for (auto c : {Case{400, FailureKind::permanent}, Case{403, FailureKind::permanent},
                   Case{404, FailureKind::permanent}, Case{410, FailureKind::retry_later},
                   Case{500, FailureKind::retry_later}, Case{502, FailureKind::uncertain},
                   Case{504, FailureKind::uncertain}, Case{503, FailureKind::throttled},
                   Case{429, FailureKind::throttled}}) {
      CAPTURE(c.status);
      ClientFixture f;
      f.fake->push(response(c.status, R"({"@type":"Error","message":"platform says no"})"));
      auto r = f.run(f.client->submit(sample_request()));
      REQUIRE_FALSE(r);
      CHECK(r.error().kind == c.kind);
      CHECK(r.error().http_status == c.status);
      CHECK(r.error().message.rfind("platform says no", 0) == 0);
      CHECK(f.fake->sent.size() == 1);
    }
  }

  TEST_CASE("a throttled submit reports Retry-After to the caller") {
    ClientFixture f;
    f.fake->push(response(503, "rate exceeded", {{"Retry-After", "3"}}));
    auto r = f.run(f.client->submit(sample_request()));
    REQUIRE_FALSE(r);
    CHECK(r.error().kind == FailureKind::throttled);
    CHECK(r.error().retry_after == Millis{3000});
    CHECK(r.error().message == "rate exceeded");
  }

  TEST_CASE("a non-JSON 200 to a trigger is uncertain and keeps the body") {
    ClientFixture f;
    f.fake->push(response(200, "<html>maintenance</html>"));
    auto r = f.run(f.client->submit(sample_request()));
    REQUIRE_FALSE(r);
    CHECK(r.error().kind == FailureKind::uncertain);
    CHECK(r.error().http_status == 200);
    CHECK(r.error().body == "<html>maintenance</html>");
  }

  TEST_CASE("a trigger that timed out after it was written is uncertain and not resent") {
    ClientFixture f;
    f.fake->push(transport_error(Kind::timeout, Sent::fully, "no answer within 30s"));
    auto r = f.run(f.client->submit(sample_request()));
    REQUIRE_FALSE(r);
    CHECK(r.error().kind == FailureKind::uncertain);
    CHECK(f.fake->sent.size() == 1);
  }

  TEST_CASE("a refused connection before sending is retry_later") {
    ClientFixture f;
    f.fake->push(transport_error(Kind::connect, Sent::no, "connection refused"));
    auto r = f.run(f.client->submit(sample_request()));
    REQUIRE_FALSE(r);
    CHECK(r.error().kind == FailureKind::retry_later);
  }

  TEST_CASE("poll answers: 202 pending, 200 record, 204/404/410 gone") {
    ClientFixture f;
    f.fake->push(response(202, ""));
    f.fake->push(response(200, k_record_answer));
    f.fake->push(response(404, R"({"@type":"Error","message":"expired"})"));
    f.fake->push(response(410, ""));
    f.fake->push(response(204, ""));
    f.fake->push(response(200, R"({"responseStatusCode":"202"})"));
    CHECK(f.run(f.client->poll("executionrecord-1"))->kind == PollResult::Kind::pending);
    auto rec = f.run(f.client->poll("executionrecord-1"));
    REQUIRE(rec);
    CHECK(rec->kind == PollResult::Kind::record);
    CHECK(rec->record.status == "COMPLETE");
    CHECK(f.run(f.client->poll("executionrecord-1"))->kind == PollResult::Kind::gone);
    CHECK(f.run(f.client->poll("executionrecord-1"))->kind == PollResult::Kind::gone);
    CHECK(f.run(f.client->poll("executionrecord-1"))->kind == PollResult::Kind::gone);
    CHECK(f.run(f.client->poll("executionrecord-1"))->kind == PollResult::Kind::pending);
    CHECK(f.fake->sent[0].request.url ==
          "https://api.test/api/rest/v1/acc-1/ExecutionRecord/async/executionrecord-1");
    CHECK(f.fake->sent[0].request.method == "GET");
    CHECK(f.fake->sent[0].request.idempotent);
  }

  TEST_CASE("an envelope error status fails the poll") {
    ClientFixture f;
    f.fake->push(response(200, R"({"responseStatusCode":403,"message":"no VIEW_RESULT"})"));
    auto r = f.run(f.client->poll("executionrecord-1"));
    REQUIRE_FALSE(r);
    CHECK(r.error().kind == FailureKind::permanent);
    CHECK(r.error().http_status == 403);
  }

  TEST_CASE("a throttled poll is retried after Retry-After, then succeeds") {
    ClientFixture f;
    f.fake->push(response(503, "", {{"Retry-After", "5"}}));
    f.fake->push(response(429, "", {{"Retry-After", "2"}}));
    f.fake->push(response(200, k_record_answer));
    auto r = f.run(f.client->poll("executionrecord-1"));
    REQUIRE(r);
    CHECK(r->kind == PollResult::Kind::record);
    REQUIRE(f.fake->sent.size() == 3);
    CHECK(f.fake->sent[1].at - f.fake->sent[0].at >= std::chrono::seconds{5});
    CHECK(f.fake->sent[2].at - f.fake->sent[1].at >= std::chrono::seconds{2});
  }

  TEST_CASE("poll retries stop after max_attempts with the last error") {
    ClientOptions o;
    o.max_attempts = 3;
    ClientFixture f(test_platform(), o);
    f.fake->fallback = [](const HttpRequest&) { return SendResult(response(504, "")); };
    auto r = f.run(f.client->poll("executionrecord-1"));
    REQUIRE_FALSE(r);
    CHECK(r.error().kind == FailureKind::retry_later);
    CHECK(r.error().http_status == 504);
    CHECK(f.fake->sent.size() == 3);
  }

  TEST_CASE("a poll whose answer broke after sending is retried (polls are idempotent)") {
    ClientFixture f;
    f.fake->push(transport_error(Kind::io, Sent::fully, "connection reset"));
    f.fake->push(response(200, k_record_answer));
    auto r = f.run(f.client->poll("executionrecord-1"));
    REQUIRE(r);
    CHECK(f.fake->sent.size() == 2);
  }

  TEST_CASE("query follows queryToken through queryMore with a text/plain body") {
    ClientFixture f;
    f.fake->push(response(200, R"({"@type":"QueryResult","result":[{"executionId":"a"}],"queryToken":"T1"})"));
    f.fake->push(response(200, R"({"@type":"QueryResult","result":[{"executionId":"b"}]})"));
    RecordQuery q{"proc-1", "atom-1", *parse_instant("2026-01-01T00:00:00Z"),
                  *parse_instant("2026-01-01T01:00:00Z")};
    auto r = f.run(f.client->query(q));
    REQUIRE(r);
    REQUIRE(r->size() == 2);
    CHECK((*r)[1].execution_id == "b");
    REQUIRE(f.fake->sent.size() == 2);
    CHECK(f.fake->sent[0].request.url == "https://api.test/api/rest/v1/acc-1/ExecutionRecord/query");
    CHECK(f.fake->sent[1].request.url ==
          "https://api.test/api/rest/v1/acc-1/ExecutionRecord/queryMore");
    CHECK(f.fake->sent[1].request.body == "T1");
    CHECK(header_of(f.fake->sent[1].request, "Content-Type") == "text/plain");
  }

  TEST_CASE("the token never appears in an error, even when the server echoes it") {
    ClientFixture f;
    f.fake->push(response(400, R"({"message":"bad user BOOMI_TOKEN.user@example.com:tok-SECRET-4711"})"));
    auto r = f.run(f.client->submit(sample_request()));
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find("tok-SECRET-4711") == std::string::npos);
    CHECK(r.error().body.find("tok-SECRET-4711") == std::string::npos);
    CHECK(r.error().message.find("<redacted>") != std::string::npos);
  }
}
