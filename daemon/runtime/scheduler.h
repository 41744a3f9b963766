// What the runtime needs of the scheduler: the core::Engine's life-cycle calls, behind an
// interface so that the process shell (signals, reloads, watchers, notifications) is wired
// and tested apart from the engine. EngineScheduler (engine_scheduler.h) forwards to a
// core::Engine.
#pragma once

#include "config/config.h"
#include "base/result.h"
#include "daemon/core/engine.h"

#include <boost/asio/awaitable.hpp>

#include <memory>

namespace bsched::runtime {

class Scheduler {
 public:
  virtual ~Scheduler() = default;
  virtual boost::asio::awaitable<Result<void>> start() = 0;
  virtual void reload(std::shared_ptr<const config::Config> config) = 0;
  virtual void on_clock_step() = 0;
  virtual void check_commands() = 0;
  virtual boost::asio::awaitable<void> stop() = 0;
  virtual core::EngineStats stats() const = 0;
};

}  // namespace bsched::runtime
