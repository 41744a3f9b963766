// Maintenance: the heartbeat's facts, the prune timetable and the prune batches
// (daemon/core/maintenance.h).
#include "daemon/core/maintenance.h"

#include "storage/sqlite_run_store.h"
#include "tests/core/forwarding_store.h"

#include <doctest/doctest.h>

#include <deque>

using namespace bsched;
using namespace bsched::core;
using namespace std::chrono_literals;

namespace {

const SysMillis k_start = SysMillis(std::chrono::milliseconds(1'800'000'000'000));
const std::chrono::steady_clock::time_point k_steady{std::chrono::hours(1000)};

// Answers prune() with scripted counts (or an error once the script is empty) and records
// each call's cutoff and batch size.
class ScriptedPrune final : public test::ForwardingStore {
 public:
  using ForwardingStore::ForwardingStore;
  std::deque<std::int64_t> counts;
  std::vector<std::pair<SysMillis, int>> calls;
  storage::StoreResult<std::int64_t> prune(SysMillis before, int batch) override {
    calls.emplace_back(before, batch);
    if (counts.empty()) return storage::StoreError{storage::StoreErrorKind::busy, "locked"};
    auto n = counts.front();
    counts.pop_front();
    return n;
  }
};

}  // namespace

TEST_SUITE("core::maintenance") {
  TEST_CASE("the heartbeat reports the start, the last load and what the other parts say") {
    Maintenance m(nullptr, 10min);
    m.started(k_start, k_steady);
    m.config_loaded(k_start + 5min);
    m.run_failed();
    m.run_failed();
    CHECK(m.failures() == 2);
    auto hb = m.heartbeat(k_start + 6min, 4242, "fp-2", "throttled", "ok");
    CHECK(hb.pid == 4242);
    CHECK(hb.started_at == k_start);
    CHECK(hb.config_loaded_at == k_start + 5min);
    CHECK(hb.updated_at == k_start + 6min);
    CHECK(hb.config_fingerprint == "fp-2");
    CHECK(hb.platform_state == "throttled");
    CHECK(hb.store_state == "ok");
  }

  TEST_CASE("pruning is due at the first turn after start, then once per prune_interval") {
    Maintenance m(nullptr, 10min);
    m.started(k_start, k_steady);
    CHECK(m.take_prune_turn(k_steady + 30s));
    CHECK(!m.take_prune_turn(k_steady + 60s));
    CHECK(!m.take_prune_turn(k_steady + 10min + 29s));
    CHECK(m.take_prune_turn(k_steady + 10min + 30s));
    CHECK(!m.take_prune_turn(k_steady + 10min + 31s));
  }

  TEST_CASE("a prune step deletes one batch and says whether more may be left") {
    auto inner = storage::SqliteRunStore::open(":memory:");
    REQUIRE(inner.has_value());
    ScriptedPrune store(**inner);
    store.counts = {Maintenance::k_prune_batch, 3};
    auto first = Maintenance::prune_step(store, k_start);
    REQUIRE(first.has_value());
    CHECK(first->deleted == Maintenance::k_prune_batch);
    CHECK(first->more);
    auto second = Maintenance::prune_step(store, k_start);
    REQUIRE(second.has_value());
    CHECK(second->deleted == 3);
    CHECK(!second->more);
    auto failed = Maintenance::prune_step(store, k_start);
    REQUIRE(!failed.has_value());
    CHECK(failed.error().message == "locked");
    REQUIRE(store.calls.size() == 3);
    CHECK(store.calls[0] == std::pair{k_start, Maintenance::k_prune_batch});
  }
}
