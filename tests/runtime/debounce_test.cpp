// Debouncing config-file events: pure, driven by hand-made time points.
#include "daemon/runtime/debounce.h"

#include <doctest/doctest.h>

using bsched::runtime::Debouncer;
using namespace std::chrono_literals;

TEST_SUITE("runtime::debounce") {
  TEST_CASE("nothing is due before the first event") {
    Debouncer d(200ms, 2s);
    CHECK_FALSE(d.due().has_value());
    CHECK_FALSE(d.fire(Debouncer::TimePoint{} + 10s));
  }

  TEST_CASE("an event is due once the files were quiet for the quiet period") {
    Debouncer d(200ms, 2s);
    Debouncer::TimePoint t0{};
    d.note(t0);
    CHECK(d.due() == t0 + 200ms);
    CHECK_FALSE(d.fire(t0 + 199ms));
    CHECK(d.fire(t0 + 200ms));
    CHECK_FALSE(d.pending());
    CHECK_FALSE(d.fire(t0 + 400ms));  // consumed: fires once per burst
  }

  TEST_CASE("a burst of events (write, close, rename) fires once after the last one") {
    Debouncer d(200ms, 2s);
    Debouncer::TimePoint t0{};
    d.note(t0);
    d.note(t0 + 50ms);
    d.note(t0 + 120ms);
    CHECK_FALSE(d.fire(t0 + 200ms));
    CHECK(d.due() == t0 + 320ms);
    CHECK(d.fire(t0 + 320ms));
  }

  TEST_CASE("events without pause still fire at the maximum delay after the first") {
    Debouncer d(200ms, 1s);
    Debouncer::TimePoint t0{};
    for (int i = 0; i <= 10; ++i) d.note(t0 + i * 100ms);
    CHECK(d.due() == t0 + 1s);
    CHECK(d.fire(t0 + 1s));
  }

  TEST_CASE("an event after a fire starts a new burst") {
    Debouncer d(200ms, 2s);
    Debouncer::TimePoint t0{};
    d.note(t0);
    CHECK(d.fire(t0 + 200ms));
    d.note(t0 + 5s);
    CHECK(d.due() == t0 + 5s + 200ms);
  }
}
