// The leader lease's decisions, driven with the fake clock (no database, no sleeping).
#include "daemon/ha/lease.h"
#include "tests/support/fake_clock.h"

#include <doctest/doctest.h>

#include <ostream>

using namespace std::chrono_literals;
using namespace bsched;
using namespace bsched::ha;

namespace bsched::ha {
// For doctest's messages about a Result<LeaseTimings>.
std::ostream& operator<<(std::ostream& os, const LeaseTimings& t) {
  return os << "lease " << t.lease.count() << " ms";
}
}  // namespace bsched::ha

namespace {

LeaseTimings fifteen_seconds() {
  auto t = resolve_timings(LeaseTimings{15s});
  REQUIRE(t);
  return *t;
}

test::FakeClock clock_at_zero() {
  return test::FakeClock(SysMillis(1'000'000ms));
}

ClaimAnswer held(std::int64_t epoch, const char* me = "a") {
  return {true, epoch, me, 15s};
}
ClaimAnswer held_by(const char* other, std::int64_t epoch, Millis remaining) {
  return {false, epoch, other, remaining};
}

}  // namespace

TEST_SUITE("ha::lease") {
  TEST_CASE("the defaults renew every third of the lease and keep a third as margin") {
    auto t = fifteen_seconds();
    CHECK(t.renew_every == 5s);
    CHECK(t.margin == 5s);
    CHECK(t.retry_after == 1s);
    CHECK(t.statement_deadline == 2500ms);
  }

  TEST_CASE("timings whose renewals come after the sending window closes are refused") {
    CHECK_FALSE(resolve_timings(LeaseTimings{15s, 9s, 5s}));
    CHECK_FALSE(resolve_timings(LeaseTimings{15s, 0ms, 15s}));
    CHECK_FALSE(resolve_timings(LeaseTimings{100ms}));
    auto e = resolve_timings(LeaseTimings{15s, 9s, 5s});
    CHECK(e.error().message.find("sending window") != std::string::npos);
  }

  TEST_CASE("a standby whose claim is held becomes the leader and may send") {
    auto clock = clock_at_zero();
    auto t = fifteen_seconds();
    LeaseState s;
    CHECK_FALSE(may_send(s, t, clock.steady_now()));
    auto tr = on_claim(s, held(1), clock.steady_now());
    CHECK(tr.change == LeaseChange::acquired);
    CHECK(tr.epoch == 1);
    CHECK(s.role == Role::leader);
    CHECK(may_send(s, t, clock.steady_now()));
  }

  TEST_CASE("a renewal under the same epoch changes nothing and moves the sending window") {
    auto clock = clock_at_zero();
    auto t = fifteen_seconds();
    LeaseState s;
    on_claim(s, held(4), clock.steady_now());
    clock.advance(5s);
    auto tr = on_claim(s, held(4), clock.steady_now());
    CHECK(tr.change == LeaseChange::none);
    CHECK(s.epoch == 4);
    clock.advance(9s);  // 14 s after the first claim, 9 s after the renewal
    CHECK(may_send(s, t, clock.steady_now()));
  }

  TEST_CASE("sending stops once the last renewal is older than the lease minus the margin") {
    auto clock = clock_at_zero();
    auto t = fifteen_seconds();
    LeaseState s;
    on_claim(s, held(1), clock.steady_now());
    clock.advance(9999ms);
    CHECK(may_send(s, t, clock.steady_now()));
    CHECK(check_overdue(s, t, clock.steady_now()).change == LeaseChange::none);
    clock.advance(1ms);  // exactly lease - margin
    CHECK_FALSE(may_send(s, t, clock.steady_now()));
  }

  TEST_CASE("a leader whose renewals fail loses the role when its window closes, not before") {
    auto clock = clock_at_zero();
    auto t = fifteen_seconds();
    LeaseState s;
    on_claim(s, held(2), clock.steady_now());
    clock.advance(6s);
    CHECK(check_overdue(s, t, clock.steady_now()).change == LeaseChange::none);
    CHECK(s.role == Role::leader);
    clock.advance(4s);
    auto tr = check_overdue(s, t, clock.steady_now());
    CHECK(tr.change == LeaseChange::lost);
    CHECK(tr.reason == LostReason::overdue);
    CHECK(tr.epoch == 2);
    CHECK(s.role == Role::standby);
    CHECK(check_overdue(s, t, clock.steady_now()).change == LeaseChange::none);
  }

  TEST_CASE("the window counts from when the renewal was sent, not when it was answered") {
    auto clock = clock_at_zero();
    auto t = fifteen_seconds();
    LeaseState s;
    auto sent = clock.steady_now();
    clock.advance(2s);  // a slow answer
    on_claim(s, held(1), sent);
    clock.advance(8s);
    CHECK_FALSE(may_send(s, t, clock.steady_now()));
  }

  TEST_CASE("a leader whose claim finds another holder has lost the lease") {
    auto clock = clock_at_zero();
    LeaseState s;
    on_claim(s, held(3), clock.steady_now());
    auto tr = on_claim(s, held_by("b", 4, 14s), clock.steady_now());
    CHECK(tr.change == LeaseChange::lost);
    CHECK(tr.reason == LostReason::taken);
    CHECK(tr.epoch == 3);
    CHECK(s.role == Role::standby);
    CHECK(s.holder == "b");
    CHECK(s.epoch == 4);
    CHECK_FALSE(may_send(s, fifteen_seconds(), clock.steady_now()));
  }

  TEST_CASE("a leader whose claim comes back under a higher epoch reports a reacquisition") {
    auto clock = clock_at_zero();
    LeaseState s;
    on_claim(s, held(3), clock.steady_now());
    auto tr = on_claim(s, held(4), clock.steady_now());
    CHECK(tr.change == LeaseChange::reacquired);
    CHECK(tr.old_epoch == 3);
    CHECK(tr.epoch == 4);
    CHECK(s.role == Role::leader);
  }

  TEST_CASE("a standby that finds another holder stays a standby") {
    auto clock = clock_at_zero();
    LeaseState s;
    auto tr = on_claim(s, held_by("b", 7, 10s), clock.steady_now());
    CHECK(tr.change == LeaseChange::none);
    CHECK(s.role == Role::standby);
    CHECK(s.epoch == 7);
  }

  TEST_CASE("a resignation ends the leadership under its epoch") {
    auto clock = clock_at_zero();
    LeaseState s;
    on_claim(s, held(5), clock.steady_now());
    auto tr = on_resigned(s);
    CHECK(tr.change == LeaseChange::resigned);
    CHECK(tr.epoch == 5);
    CHECK(s.role == Role::standby);
    CHECK_FALSE(may_send(s, fifteen_seconds(), clock.steady_now()));
  }

  TEST_CASE("a leader renews every renew_every") {
    auto clock = clock_at_zero();
    auto t = fifteen_seconds();
    LeaseState s;
    ClaimAnswer a = held(1);
    on_claim(s, a, clock.steady_now());
    CHECK(next_claim_at(s, t, clock.steady_now(), a) == clock.steady_now() + 5s);
  }

  TEST_CASE("a standby claims just after the holder's lease runs out, at most renew_every on") {
    auto clock = clock_at_zero();
    auto t = fifteen_seconds();
    LeaseState s;
    auto now = clock.steady_now();
    auto soon = held_by("b", 1, 1200ms);
    on_claim(s, soon, now);
    CHECK(next_claim_at(s, t, now, soon) == now + 1200ms + k_claim_after_expiry);
    auto later = held_by("b", 1, 14s);
    CHECK(next_claim_at(s, t, now, later) == now + 5s);
    auto expired = held_by("b", 1, -3s);
    CHECK(next_claim_at(s, t, now, expired) == now);
  }

  TEST_CASE("after a failed claim the next one comes after retry_after") {
    auto clock = clock_at_zero();
    auto t = fifteen_seconds();
    LeaseState s;
    on_claim(s, held(1), clock.steady_now());
    CHECK(next_claim_at(s, t, clock.steady_now(), std::nullopt) == clock.steady_now() + 1s);
  }
}
