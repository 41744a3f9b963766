// The leader lease's decisions: pure functions of the lease state, the timings, a claim's
// answer and the monotonic "now". No database, no clock: daemon/ha/lease_keeper.h runs them
// on the loop, tests drive them with tests/support/fake_clock.h.
//
// The rule that keeps a node from sending without the lease: a claim answered "held" was
// computed by the database at some instant after the node sent it, so on the node's
// monotonic clock the lease runs at least until sent + lease. The node sends only while the
// last successful claim was sent less than lease − margin ago (may_send); the margin covers
// clock-rate differences, scheduling and the send itself.
#pragma once

#include "base/result.h"
#include "base/time_util.h"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace bsched::ha {

using SteadyTime = std::chrono::steady_clock::time_point;

// How the lease is held. Zero fields take the default named.
struct LeaseTimings {
  Millis lease{15000};    // how long one claim holds, by the database clock
  Millis renew_every{0};  // between a leader's renewals; default lease / 3
  Millis margin{0};       // no sends once the last renewal is older than lease − margin;
                          // default lease / 3
  Millis retry_after{0};  // after a failed claim or connection; default min(renew_every, 1 s)
  Millis statement_deadline{0};  // per database statement; default lease / 6
};

// `t` with its defaults filled in, or why it cannot work (renewals must come before the
// sending window closes, or every renewal would interrupt sending).
Result<LeaseTimings> resolve_timings(LeaseTimings t);

// This node's part in the pair.
enum class Role {
  standby,  // does not hold the lease: fires nothing, sends nothing, tries to claim
  leader,   // holds the lease under `epoch`; may send while may_send() says so
};

const char* role_name(Role r);  // "standby" / "leader"

// What one decision changed.
enum class LeaseChange {
  none,        // nothing: a standby still without the lease, or a renewal under the same epoch
  acquired,    // this node became the leader under a new epoch
  reacquired,  // a leader's claim came back under a higher epoch: its own lease had expired
               // in between; work in flight is to be treated as after a takeover
  lost,        // this node led and does not now (see LostReason)
  resigned,    // this node gave the lease up (a clean stop)
};

// Why a leader stopped leading.
enum class LostReason {
  none,     // (not lost)
  taken,    // a claim found another node holding the lease
  overdue,  // no successful renewal for lease − margin (database slow or unreachable)
};

const char* lost_reason_name(LostReason r);

// What this node knows of the lease.
struct LeaseState {
  Role role = Role::standby;
  std::int64_t epoch = 0;     // held (leader) or last seen (standby); 0 = never seen
  std::string holder;         // the holder last seen; "" when unknown or nobody
  SteadyTime renewed_sent{};  // leader: when the last successful claim was sent
};

// A claim's answer (storage::pg::LeaseClaim without the storage dependency).
struct ClaimAnswer {
  bool held = false;
  std::int64_t epoch = 0;
  std::string holder;
  Millis remaining{0};  // the holder's time left by the database clock
};

struct Transition {
  LeaseChange change = LeaseChange::none;
  LostReason reason = LostReason::none;
  std::int64_t epoch = 0;      // the epoch after the change (for lost: the epoch that was held)
  std::int64_t old_epoch = 0;  // for reacquired: the epoch held before
};

// True when this node leads and its last successful renewal was sent less than
// lease − margin before `now`.
bool may_send(const LeaseState& s, const LeaseTimings& t, SteadyTime now);

// Applies a claim sent at `sent` that answered `a`.
Transition on_claim(LeaseState& s, const ClaimAnswer& a, SteadyTime sent);

// A leader whose sending window closed (claims failing or slow) loses the role; otherwise
// nothing changes. Called after failed claims and at every wake-up.
Transition check_overdue(LeaseState& s, const LeaseTimings& t, SteadyTime now);

// A clean resignation went through.
Transition on_resigned(LeaseState& s);

// When to claim next, given the last claim answered at `at` with `last`, or failed at `at`
// (`last` empty): a leader renews every renew_every; a standby tries again just after
// the holder's lease runs out (at most renew_every later; a NOTIFY wakes it earlier); after a
// failure, retry_after.
SteadyTime next_claim_at(const LeaseState& s, const LeaseTimings& t, SteadyTime at,
                         const std::optional<ClaimAnswer>& last);

// How long after the holder's lease runs out (database clock) a standby claims.
constexpr Millis k_claim_after_expiry{20};

}  // namespace bsched::ha
