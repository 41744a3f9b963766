// LeaseKeeper: holds or waits for the leader lease on the event loop. It connects to
// PostgreSQL (migrating the schema), claims the lease every renew_every while leading and just
// after the holder's lease runs out while standing by, listens on boomi_sched_leader so a
// resignation is taken over at once, keeps its row in `nodes`, and logs leader.acquired,
// leader.lost and leader.resigned with the epoch (docs/events.md).
//
// Executor: run() and everything it does are on the keeper's executor (in the daemon a thread
// of its own, so its renewals never wait behind the event loop's database calls). stop() and
// the reads below (may_send, role, epoch, state) may be called from any thread. The keeper
// owns one database connection, re-opened after a failure every retry_after.
#pragma once

#include "base/clock.h"
#include "daemon/ha/lease.h"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace bsched::storage::pg {
class PgConnection;
}

namespace bsched::ha {

struct LeaseKeeperSettings {
  std::string conninfo;                    // libpq connection string; the password from
                                           // PGPASSFILE or passfile=, never logged
  std::string node;                        // this node's name: unique per running daemon
  std::string version = BSCHED_VERSION;    // written to its `nodes` row
  std::string lease_name = "boomi-sched";  // the leader_lease row the pair shares
  LeaseTimings timings;                    // resolved with resolve_timings() by the keeper
  Millis connect_deadline{5000};           // to open a connection (and migrate)
};

// How run() ends after stop().
enum class StopMode {
  resign,   // a clean stop: give the lease up and NOTIFY, so the standby takes over at once
  abandon,  // leave the lease to run out (what a crash looks like; for tests)
};

class LeaseKeeper {
 public:
  // `clock` (its monotonic time) outlives the keeper. Fails on timings that cannot work.
  static Result<std::unique_ptr<LeaseKeeper>> make(boost::asio::any_io_executor ex,
                                                   const Clock& clock,
                                                   LeaseKeeperSettings settings);
  ~LeaseKeeper();

  // Runs until stop(): claims, renews, listens. Never throws for database trouble (it logs
  // and retries); resigns on the way out when stop() asked to.
  boost::asio::awaitable<void> run();
  // Asks run() to end: at once when idle, else after the statement in progress (at most a
  // statement deadline; connect_deadline while connecting), plus the resignation.
  void stop(StopMode mode = StopMode::resign);

  // True while this node leads with margin left (lease.h may_send), run() is going and no
  // stop() was asked; the second form also asks that the lease is held under `epoch`.
  bool may_send() const;
  bool may_send(std::int64_t epoch) const;
  Role role() const { return state().role; }
  std::int64_t epoch() const { return state().epoch; }
  LeaseState state() const {
    std::lock_guard lock(m_state_mutex);
    return m_state;
  }
  const std::string& node() const { return m_settings.node; }
  const LeaseTimings& timings() const { return m_settings.timings; }  // resolved
  boost::asio::any_io_executor executor() const { return m_ex; }
  // Called on the keeper's executor on every change (acquired, reacquired, lost, resigned)
  // after it is logged. Set before run().
  void on_change(std::function<void(const Transition&)> f) { m_on_change = std::move(f); }

 private:
  LeaseKeeper(boost::asio::any_io_executor ex, const Clock& clock, LeaseKeeperSettings s);

  boost::asio::awaitable<bool> open();
  Millis connect_bound() const;
  boost::asio::awaitable<std::optional<ClaimAnswer>> claim();
  boost::asio::awaitable<void> idle_until(SteadyTime when);
  boost::asio::awaitable<void> sleep_until(SteadyTime when);
  boost::asio::awaitable<void> shut_down();
  boost::asio::awaitable<void> record(const char* role);
  void note(const Transition& t);
  Transition overdue();  // check_overdue, now
  // Changes the state under the lock the readers of other threads take.
  template <class F>
  Transition change(F f) {
    std::lock_guard lock(m_state_mutex);
    return f(m_state);
  }
  void db_failed(const char* what, const std::string& error);

  boost::asio::any_io_executor m_ex;
  const Clock& m_clock;
  LeaseKeeperSettings m_settings;
  std::string m_target;  // host/dbname/user for logs
  std::unique_ptr<storage::pg::PgConnection> m_conn;
  boost::asio::steady_timer m_sleep;
  mutable std::mutex m_state_mutex;
  LeaseState m_state;  // written on the executor under m_state_mutex
  std::function<void(const Transition&)> m_on_change;
  std::optional<StopMode> m_stop;         // on the executor
  std::atomic<bool> m_stopping = false;   // stop() asked, from any thread
  std::atomic<bool> m_running = false;
};

}  // namespace bsched::ha
