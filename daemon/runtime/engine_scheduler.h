// The Scheduler the daemon runs: forwards to the core::Engine.
#pragma once

#include "daemon/core/engine.h"
#include "daemon/runtime/scheduler.h"

namespace bsched::runtime {

class EngineScheduler final : public Scheduler {
 public:
  explicit EngineScheduler(core::Engine& engine) : m_engine(engine) {}
  boost::asio::awaitable<Result<void>> start() override { return m_engine.start(); }
  void reload(std::shared_ptr<const config::Config> config) override {
    m_engine.reload(std::move(config));
  }
  void on_clock_step() override { m_engine.on_clock_step(); }
  void check_commands() override { m_engine.check_commands(); }
  boost::asio::awaitable<void> stop() override { return m_engine.stop(); }
  core::EngineStats stats() const override { return m_engine.stats(); }

 private:
  core::Engine& m_engine;
};

}  // namespace bsched::runtime
