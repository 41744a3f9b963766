// PlatformMonitor: what the log, the heartbeat and `status` say of the platform.
#include "daemon/core/platform_monitor.h"

#include <doctest/doctest.h>

using namespace bsched;
using namespace bsched::core;
using platform::CallError;
using platform::FailureKind;

namespace {
CallError fail(FailureKind kind, int http, const char* message = "") {
  CallError e;
  e.kind = kind;
  e.http_status = http;
  e.message = message;
  return e;
}
}  // namespace

TEST_SUITE("core::platform_monitor") {
  TEST_CASE("answers move the state, answers about one request alone do not") {
    PlatformMonitor m;
    CHECK(m.describe() == "ok");
    auto throttled = fail(FailureKind::throttled, 503);
    CHECK(m.note(&throttled));
    CHECK(m.state() == PlatformState::throttled);
    CHECK_FALSE(m.note(&throttled));  // no change: nothing to write again
    auto bad_request = fail(FailureKind::permanent, 400);
    CHECK_FALSE(m.note(&bad_request));
    CHECK(m.state() == PlatformState::throttled);
    auto reset = fail(FailureKind::uncertain, 0);
    CHECK(m.note(&reset));
    CHECK(m.describe() == "unreachable");
    auto denied = fail(FailureKind::auth, 401, "bad token");
    CHECK(m.note(&denied));
    CHECK(m.auth_failed());
    CHECK(m.describe() == "auth failed: bad token");
    CHECK(m.credentials_changed());
    CHECK(m.describe() == "checking new credentials");
    CHECK(m.note(nullptr));
    CHECK(m.describe() == "ok");
  }

  TEST_CASE("a deprecated endpoint is named once, with its sunset, after the state") {
    PlatformMonitor m;
    CHECK_FALSE(m.note_deprecations({}));
    platform::DeprecationNotice submit{"POST ExecutionRequest", "true", "2027-06-30", "", ""};
    CHECK(m.note_deprecations({submit}));
    CHECK_FALSE(m.note_deprecations({submit}));  // the same notice again: nothing new
    CHECK(m.describe() == "ok; deprecated: POST ExecutionRequest (sunset 2027-06-30)");
    platform::DeprecationNotice poll{"GET ExecutionRecord/async", "true", "", "", ""};
    CHECK(m.note_deprecations({submit, poll}));
    auto throttled = fail(FailureKind::throttled, 429);
    m.note(&throttled);
    CHECK(m.describe() ==
          "throttled; deprecated: POST ExecutionRequest (sunset 2027-06-30), "
          "GET ExecutionRecord/async");
  }
}
