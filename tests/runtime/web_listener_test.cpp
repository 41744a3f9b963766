#include "daemon/runtime/web_listener.h"

#include <doctest/doctest.h>

using namespace bsched;

TEST_SUITE("runtime::web_listener") {
  TEST_CASE("/healthz is ok only while the store takes writes and the auth circuit is closed") {
    core::EngineStats s;
    CHECK(runtime::health_of(s).ok);
    CHECK(runtime::health_of(s).reason == "ok");
    s.auth_circuit_open = true;
    s.platform = "auth failed: 401 Unauthorized";
    auto auth = runtime::health_of(s);
    CHECK_FALSE(auth.ok);
    CHECK(auth.auth_circuit_open);
    CHECK(auth.reason == "auth circuit open: auth failed: 401 Unauthorized");
    s.store_healthy = false;
    s.store = "failing since 12:00:00: disk I/O error (3 errors)";
    auto store = runtime::health_of(s);
    CHECK_FALSE(store.ok);
    CHECK(store.reason.starts_with("store not writable: failing since"));
    CHECK(store.reason.find('\n') == std::string::npos);
  }
}
