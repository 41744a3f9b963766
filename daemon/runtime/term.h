// Term: the parts of the daemon that fire slots, send requests and deliver alerts (the
// core::Engine and the alerts::Dispatcher), as one Scheduler. A single node runs one term for
// its whole life; a node of an active/standby pair runs one per leadership term
// (leader_scheduler.h), so a standby fires, sends and delivers nothing.
//
// Executor: one single-threaded io_context; every member is called on it.
#pragma once

#include "base/clock.h"
#include "base/timers.h"
#include "daemon/alerts/alert_sender.h"
#include "daemon/alerts/dispatcher.h"
#include "daemon/core/engine.h"
#include "daemon/runtime/scheduler.h"

#include <boost/asio/io_context.hpp>

#include <memory>

namespace bsched::runtime {

// What a term is made of; every reference outlives the term.
struct TermParts {
  boost::asio::io_context& io;
  storage::RunStore& store;
  platform::PlatformClient& client;
  const Clock& clock;
  TimerFactory& timers;
  alerts::AlertSender& alert_sender;
  std::shared_ptr<metrics::Registry> metrics;
  bool commit_thread = false;  // EngineOptions::commit_thread (the store is PostgreSQL)
};

class Term final : public Scheduler {
 public:
  // `may_send`: EngineOptions::may_send (null: always).
  Term(const TermParts& parts, std::shared_ptr<const config::Config> config,
       std::function<bool()> may_send = {});
  ~Term() override;

  // Starts the alert dispatcher, then the engine's recovery.
  boost::asio::awaitable<Result<void>> start() override;
  void reload(std::shared_ptr<const config::Config> config) override;
  void on_clock_step() override { m_engine->on_clock_step(); }
  void check_commands() override { m_engine->check_commands(); }
  // Stops the engine (its transactions finish) and the dispatcher: nothing is sent after.
  boost::asio::awaitable<void> stop() override;
  core::EngineStats stats() const override { return m_engine->stats(); }

 private:
  // Shared with the dispatcher's coroutine, which may end after the term (a delivery in
  // progress finishes, then nothing more is sent).
  std::shared_ptr<alerts::Dispatcher> m_dispatcher;
  std::unique_ptr<core::Engine> m_engine;
  boost::asio::io_context& m_io;
};

}  // namespace bsched::runtime
