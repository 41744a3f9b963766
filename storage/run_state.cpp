// Names and the transition table of run states (product.md §4).
#include "storage/run_state.h"

#include <array>

namespace bsched::storage {

namespace {

constexpr std::array<std::string_view, k_run_state_count> k_state_names = {
    "scheduled", "submitting", "submitted",     "running", "complete", "complete_warn",
    "error",     "aborted",    "discarded",     "rejected", "submit_failed", "unknown",
    "lost",      "timed_out",  "skipped",       "missed"};

constexpr std::array<std::string_view, 4> k_trigger_names = {"schedule", "catchup", "manual",
                                                            "exec"};

// The statuses a platform record can end in; reachable from every state that has sent a request.
bool is_remote_terminal(RunState s) {
  switch (s) {
    case RunState::complete:
    case RunState::complete_warn:
    case RunState::error:
    case RunState::aborted:
    case RunState::discarded:
      return true;
    default:
      return false;
  }
}

}  // namespace

std::string_view to_string(RunState s) { return k_state_names[static_cast<size_t>(s)]; }

std::optional<RunState> run_state_from_string(std::string_view s) {
  for (size_t i = 0; i < k_state_names.size(); ++i) {
    if (k_state_names[i] == s) return static_cast<RunState>(i);
  }
  return std::nullopt;
}

bool is_terminal(RunState s) {
  switch (s) {
    case RunState::scheduled:
    case RunState::submitting:
    case RunState::submitted:
    case RunState::running:
      return false;
    default:
      return true;
  }
}

bool is_success(RunState s) { return s == RunState::complete || s == RunState::complete_warn; }

bool is_failure(RunState s) {
  switch (s) {
    case RunState::error:
    case RunState::aborted:
    case RunState::rejected:
    case RunState::submit_failed:
    case RunState::unknown:
    case RunState::lost:
    case RunState::timed_out:
      return true;
    default:
      return false;
  }
}

bool is_legal_transition(RunState from, RunState to) {
  switch (from) {
    case RunState::scheduled:
      return to == RunState::submitting || to == RunState::skipped || to == RunState::missed ||
             to == RunState::submit_failed;
    case RunState::submitting:
      // Reconciling an uncertain submission may find the record already running or finished.
      // Retrying the request stays in `submitting` (an update, not a transition).
      return to == RunState::submitted || to == RunState::rejected ||
             to == RunState::submit_failed || to == RunState::unknown ||
             to == RunState::running || is_remote_terminal(to);
    case RunState::submitted:
      return to == RunState::running || to == RunState::lost || to == RunState::timed_out ||
             is_remote_terminal(to);
    case RunState::running:
      return to == RunState::timed_out || is_remote_terminal(to);
    default:
      return false;  // terminal states never change
  }
}

std::string_view to_string(Trigger t) { return k_trigger_names[static_cast<size_t>(t)]; }

bool is_slot_trigger(Trigger t) { return t == Trigger::schedule || t == Trigger::catchup; }

std::optional<Trigger> trigger_from_string(std::string_view s) {
  for (size_t i = 0; i < k_trigger_names.size(); ++i) {
    if (k_trigger_names[i] == s) return static_cast<Trigger>(i);
  }
  return std::nullopt;
}

}  // namespace bsched::storage
