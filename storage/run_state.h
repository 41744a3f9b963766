// The life of a run (product.md §4). One function (RunStore::transition) owns every change of
// state and refuses the illegal ones listed by is_legal_transition().
#pragma once

#include <optional>
#include <string_view>

namespace bsched::storage {

enum class RunState {
  scheduled,      // row written for a due slot; no trigger sent yet
  submitting,     // the ExecutionRequest is being sent (or its outcome is uncertain)
  submitted,      // we hold a requestId; the platform has no record yet (202)
  running,        // record seen: STARTED / INPROCESS / ENQUEUED / unknown non-terminal status
  complete,       // terminal, success: COMPLETE
  complete_warn,  // terminal, success: COMPLETE_WARN
  error,          // terminal, failure: ERROR
  aborted,        // terminal, failure: ABORTED
  discarded,      // terminal: DISCARDED (not executed by the runtime)
  rejected,       // terminal: the platform refused the trigger (400/403/404)
  submit_failed,  // terminal: transient errors past the retry budget or the slot's deadline
  unknown,        // terminal: a sent trigger's outcome could not be established by reconciling
  lost,           // terminal: the record never appeared within record_timeout
  timed_out,      // terminal: no terminal status within run_timeout
  skipped,        // terminal: not fired because an earlier run was in flight (overlap: skip)
  missed,         // terminal: not fired (daemon down, deadline passed, paused)
};

inline constexpr int k_run_state_count = 16;

// "complete_warn" etc.: the lowercase names used in the database, JSON and logs.
std::string_view to_string(RunState s);
std::optional<RunState> run_state_from_string(std::string_view s);

bool is_terminal(RunState s);
// COMPLETE or COMPLETE_WARN: counts as the job's last success.
bool is_success(RunState s);
// A failed run (alerts, pause_after_failures): error, aborted, rejected, submit_failed,
// unknown, lost, timed_out. Not discarded, skipped nor missed.
bool is_failure(RunState s);
bool is_legal_transition(RunState from, RunState to);

// How a run came to be.
enum class Trigger {
  schedule,  // a slot fired on time
  catchup,   // a slot missed while down or suspended, fired late within catchup_window
  manual,    // `boomi-sched trigger`: queued for the daemon, which sends it
  exec,      // `boomi-sched exec`: sent by the command itself, without the daemon
};

// schedule or catchup: the run belongs to a slot of its job's schedule (one run per slot,
// advances the job's horizon, has a lateness). A manual or exec run's slot is the instant it
// was requested.
bool is_slot_trigger(Trigger t);

std::string_view to_string(Trigger t);
std::optional<Trigger> trigger_from_string(std::string_view s);

}  // namespace bsched::storage
