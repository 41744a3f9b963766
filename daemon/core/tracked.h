// One run in flight as the engine tracks it (daemon/core/run_tracker.cpp).
#pragma once

#include "base/timers.h"
#include "config/config.h"
#include "daemon/core/decisions.h"
#include "daemon/platform/platform_client.h"
#include "storage/run_store.h"

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace bsched::core {

struct Tracked {
  storage::RunRow row;  // as stored; changed only through the store's answers and enter_state
  std::shared_ptr<const config::Config> config;  // keeps `job` alive after a reload
  const config::Job* job = nullptr;
  RunAction mode = RunAction::submit;  // what the tracker does when the run is due
  int polls = 0;           // answers received while polling / reconciling
  // Why a run that is due does not act.
  enum class Wait {
    none,    // it acts when due
    queued,  // behind an earlier run of its job (overlap: queue); no tracker spawned yet
    auth,    // its tracker waits to send only because the auth circuit is open
  };
  Wait wait = Wait::none;
  bool tracking = false;   // its tracker coroutine was spawned
  bool gone = false;       // the store no longer has the row: the tracker ends, nothing stored
  bool stuck_alerted = false;  // its `stuck` alert was written (Impl::check_stuck)
  SysMillis deadline{};    // no trigger leaves after this instant
  std::vector<std::pair<std::string, std::string>> extra;  // manual trigger properties
  std::optional<RunStep> pending;  // a decided step the store has not taken yet
  // A write of this run failed with its outcome unknown (stored or not: an I/O error, a
  // connection closed after COMMIT): the row is read again before the next action.
  bool unsure = false;
  // The wall and monotonic instants the tracker's time is measured from (Impl::run_now).
  std::optional<std::pair<SysMillis, std::chrono::steady_clock::time_point>> anchor;
  // The first ExecutionRequest, built while the run row was written: its `submitting` state
  // went into the same commit, so it leaves without another write (see Impl::stage_submit).
  std::optional<platform::ExecutionRequest> staged;
  std::unique_ptr<WakeTimer> timer;
};

}  // namespace bsched::core
