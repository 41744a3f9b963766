// The leader lease's statements on PostgreSQL. Every instant is the database's now(): node
// clocks never decide who leads. The decisions around them (when to renew, when to stop
// sending) are in daemon/ha/lease.h.
//
// Fencing epoch rules (docs/ha.md): the first claim writes epoch 1; a renewal by the holder
// while its lease is still running keeps the epoch; any other claim (another node after
// expiry, or the same node after its own lease expired or was resigned) raises it by one.
#pragma once

#include "base/result.h"
#include "base/time_util.h"
#include "storage/pg/pg_connection.h"

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace bsched::storage::pg {

// The lease the daemons of one database share (leader_lease.name).
constexpr const char* k_lease_name = "boomi-sched";

// The channel a resignation is announced on (payload: the lease name).
constexpr std::string_view k_leader_channel = "boomi_sched_leader";

// The answer of one acquire-or-renew.
struct LeaseClaim {
  bool held = false;       // this node holds the lease now
  std::int64_t epoch = 0;  // the lease's epoch (this node's when held, the holder's otherwise)
  std::string holder;      // the node holding it now
  Millis remaining{0};     // time left on the holder's lease by the database clock (<0: expired)
};

// One statement acquires or renews lease `name` for `node` for `lease` from the database's
// now(), or reports who holds it.
boost::asio::awaitable<Result<LeaseClaim>> claim_lease(PgConnection& c, const std::string& name,
                                                       const std::string& node, Millis lease,
                                                       Millis deadline);

// Expires lease `name` when `node` holds it under `epoch`, and then (same transaction) sends
// NOTIFY on k_leader_channel. True when it was held and is now given up.
boost::asio::awaitable<Result<bool>> resign_lease(PgConnection& c, const std::string& name,
                                                  const std::string& node, std::int64_t epoch,
                                                  Millis deadline);

// A node's row in `nodes` for status: role "leader", "standby" or "stopped".
struct NodeRow {
  std::string name;
  std::string version;
  std::string role;
  std::int64_t epoch = 0;  // the epoch it holds (leader) or last saw (others)
};

// Writes `row` with last_seen = the database's now().
boost::asio::awaitable<Result<void>> record_node(PgConnection& c, const NodeRow& row,
                                                 Millis deadline);

}  // namespace bsched::storage::pg
