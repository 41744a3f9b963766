// LeaderScheduler: the Scheduler of a node of an active/standby pair on PostgreSQL
// (docs/ha.md). It runs the LeaseKeeper and, only while the keeper says this node leads, one
// *term*: the scheduler that fires slots and sends requests (the engine and the alert
// dispatcher, built by the factory given). A standby runs no term: it fires nothing, sends
// nothing, takes no command.
//
// A term starts after `leader.acquired` (its recovery is the takeover recovery: runs with a
// requestId are polled on, `submitting` runs without one reconciled, missed slots follow the
// catch-up rules) and stops after `leader.lost` or `leader.resigned`. A claim that came back
// under a higher epoch (the lease had run out in between) ends the term and starts a new one.
// Term changes happen one at a time, in order, on one coroutine.
//
// Executor: one single-threaded io_context; every member is called on it. The keeper may run
// on another executor (run.cpp gives it a thread of its own): its changes are taken over here.
#pragma once

#include "daemon/ha/lease_keeper.h"
#include "daemon/runtime/scheduler.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstdint>
#include <functional>
#include <memory>

namespace bsched::runtime {

class LeaderScheduler final : public Scheduler {
 public:
  // A new term under `epoch` with the configuration running now; not started yet.
  using MakeTerm = std::function<std::unique_ptr<Scheduler>(
      std::int64_t epoch, std::shared_ptr<const config::Config> config)>;

  LeaderScheduler(boost::asio::io_context& io, ha::LeaseKeeper& keeper,
                  std::shared_ptr<const config::Config> config, MakeTerm make_term,
                  Millis retry_after = std::chrono::seconds(1));
  ~LeaderScheduler() override;

  // Starts the keeper and the term follower; ready at once, as a standby.
  boost::asio::awaitable<Result<void>> start() override;
  void reload(std::shared_ptr<const config::Config> config) override;
  void on_clock_step() override;
  void check_commands() override;
  // Stops the term (no more sends), then the keeper, which resigns and notifies.
  boost::asio::awaitable<void> stop() override;
  core::EngineStats stats() const override;

  // The epoch of the running term; 0 while no term runs.
  std::int64_t term_epoch() const { return m_ready ? m_epoch : 0; }

 private:
  boost::asio::awaitable<void> follow();
  boost::asio::awaitable<void> end_term();
  void wake();

  boost::asio::io_context& m_io;
  ha::LeaseKeeper& m_keeper;
  std::shared_ptr<const config::Config> m_config;
  MakeTerm m_make_term;
  Millis m_retry_after;
  std::unique_ptr<Scheduler> m_term;
  std::int64_t m_epoch = 0;  // the term's epoch (also while it starts)
  bool m_ready = false;      // the term's start() succeeded
  bool m_stopping = false;
  bool m_woken = false;       // a lease change or stop() since follow() last looked
  bool m_follow_done = false;
  bool m_keeper_done = false;
  boost::asio::steady_timer m_wake;  // cancelled on every lease change and at stop
  boost::asio::steady_timer m_done;  // cancelled when follow() or the keeper ends
};

}  // namespace bsched::runtime
