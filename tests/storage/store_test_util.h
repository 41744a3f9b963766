// Helpers of the storage tests: fresh stores, instants, and runs driven into a given state.
#pragma once

#include "storage/sqlite_run_store.h"

#include <doctest/doctest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace bsched::test {

using namespace std::chrono_literals;
using storage::RunState;

// 2026-11-25T12:00:00Z and offsets from it.
inline std::chrono::sys_seconds t0() {
  return std::chrono::sys_seconds{std::chrono::seconds{1795608000}};
}
inline SysMillis ms(std::chrono::sys_seconds s, int extra_ms = 0) {
  return std::chrono::time_point_cast<Millis>(s) + Millis{extra_ms};
}

inline std::unique_ptr<storage::SqliteRunStore> memory_store() {
  auto s = storage::SqliteRunStore::open(":memory:");
  REQUIRE_MESSAGE(s.has_value(), (s ? "" : s.error().message));
  return std::move(*s);
}

inline storage::NewRun new_run(const std::string& job, std::chrono::sys_seconds slot,
                               storage::Trigger trigger = storage::Trigger::schedule) {
  static int counter = 0;
  return storage::NewRun{job + "-run-" + std::to_string(++counter), job, trigger, slot, "{}"};
}

// The legal path from `scheduled` to `target` (product.md §4).
inline std::vector<RunState> path_to(RunState target) {
  switch (target) {
    case RunState::scheduled: return {};
    case RunState::submitting: return {RunState::submitting};
    case RunState::submitted: return {RunState::submitting, RunState::submitted};
    case RunState::running:
      return {RunState::submitting, RunState::submitted, RunState::running};
    case RunState::skipped:
    case RunState::missed: return {target};
    case RunState::rejected:
    case RunState::submit_failed:
    case RunState::unknown: return {RunState::submitting, target};
    case RunState::lost: return {RunState::submitting, RunState::submitted, target};
    default: return {RunState::submitting, RunState::submitted, RunState::running, target};
  }
}

// A new run of `job` for `slot`, moved along path_to(state).
inline storage::RunRow run_in_state(storage::RunStore& store, const std::string& job,
                                    std::chrono::sys_seconds slot, RunState state) {
  auto created = store.create_run(new_run(job, slot), ms(slot));
  REQUIRE_MESSAGE(created.has_value(), (created ? "" : created.error().message));
  storage::RunRow row = *created;
  int step = 1;
  for (auto s : path_to(state)) {
    auto r = store.transition(row.id, s, ms(slot, 10 * step++));
    REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.error().message));
    row = *r;
  }
  return row;
}

}  // namespace bsched::test
