// libFuzzer target for the parsers of the platform's answers (daemon/platform/wire.h) and the
// classification of error answers. Oracles: no crash or sanitizer report; a record parsed
// from an answer re-serialises into an ExecutionRequest/properties without trouble; capped
// bodies and messages keep at most their cap's bytes before the "… [cut, N bytes]" marker;
// a submit answer's requestId is never empty.
//   cmake -S . -B build-fuzz -G Ninja -DBSCHED_FUZZ=ON -DCMAKE_CXX_COMPILER=clang++
//   build-fuzz/fuzz_platform_json -max_total_time=600 corpus-platform/
#include "daemon/platform/classify.h"
#include "daemon/platform/wire.h"

#include <boost/json.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

using namespace bsched;
using namespace bsched::platform;

namespace {

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz_platform_json: oracle failed: %s\n", what);
    std::abort();
  }
}

// cap_text's contract (wire.h): at most `limit` bytes as they were, or at most `limit` bytes
// followed by "… [cut, N bytes]", N the size before the cut.
void check_capped(const std::string& text, std::size_t limit, std::size_t original,
                  const char* what) {
  if (text.size() <= limit) return;
  auto marker = "… [cut, " + std::to_string(original) + " bytes]";
  check(text.ends_with(marker), what);
  check(text.size() - marker.size() <= limit, what);
}

void exercise_record(const ExecutionRecord& r) {
  (void)classify_status(r.status);
  if (r.execution_time) (void)format_utc(*r.execution_time);
  if (r.recorded_date) (void)format_utc(*r.recorded_date);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 256 * 1024) return 0;
  std::string_view body(reinterpret_cast<const char*>(data), size);

  if (auto s = parse_submit_answer(body)) check(!s->request_id.empty(), "requestId non-empty");
  if (auto p = parse_poll_answer(body)) {
    exercise_record(p->record);
    check(p->kind != PollResult::Kind::gone, "a 200 answer is never 'gone'");
  } else {
    check(!p.error().message.empty(), "poll error has a message");
  }
  if (auto q = parse_query_page(body))
    for (const auto& r : q->records) exercise_record(r);
  if (auto j = parse_jwt_answer(body)) check(!j->empty(), "JWT non-empty");
  if (auto g = parse_graphql_execute(body)) check(!g->request_id.empty(), "GraphQL requestId");
  if (auto h = parse_graphql_history(body))
    for (const auto& r : *h) exercise_record(r);

  auto message = error_message_of(body);
  if (message.size() > k_error_message_cap) {
    // Cut from the message before the cut, which is at most the whole body.
    auto at = message.rfind("… [cut, ");
    check(at != std::string::npos && at <= k_error_message_cap, "error message bounded");
    check(message.size() - at <= std::string_view("… [cut, 262144 bytes]").size(),
          "error message bounded");
  }
  check(message.find('\n') == std::string::npos, "error message is one line");
  check_capped(cap_body(body), k_body_cap, body.size(), "body capped");

  auto now = SysMillis{std::chrono::milliseconds{1'700'000'000'000}};
  auto e = classify_http_failure(size % 2 ? 503 : 429, body.substr(0, 40), body, true, now);
  check(e.kind == FailureKind::throttled, "429/503 throttled");
  if (e.retry_after) check(e.retry_after->count() >= 0, "retry_after not negative");

  // Any JSON value: integers in every encoding.
  boost::system::error_code ec;
  auto v = boost::json::parse(body, ec);
  if (!ec) {
    (void)json_int(v);
    if (v.is_object()) exercise_record(parse_record(v.get_object()));
  }
  return 0;
}
