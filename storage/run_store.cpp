// The parts of the RunStore contract that belong to no implementation: the one state change,
// the update merge and the names of command and error kinds.
#include "storage/run_store.h"

#include <boost/json.hpp>
#include <fmt/format.h>

#include <array>

namespace bsched::storage {

namespace {

constexpr std::array<std::string_view, 3> k_command_names = {"trigger", "pause", "resume"};

template <class T>
void set_if(T& field, const std::optional<T>& value) {
  if (value) field = *value;
}

template <class T>
void set_opt_if(std::optional<T>& field, const std::optional<T>& value) {
  if (value) field = *value;
}

}  // namespace

void apply_update(RunRow& row, const RunUpdate& u) {
  set_if(row.attempts, u.attempts);
  set_if(row.request_id, u.request_id);
  set_if(row.execution_id, u.execution_id);
  set_if(row.remote_status, u.remote_status);
  set_if(row.message, u.message);
  set_if(row.last_error, u.last_error);
  set_if(row.properties_json, u.properties_json);
  set_opt_if(row.last_sent_at, u.last_sent_at);
  if (u.next_action_at) row.next_action_at = *u.next_action_at;
  set_opt_if(row.execution_time, u.execution_time);
  set_opt_if(row.duration_ms, u.duration_ms);
  set_opt_if(row.inbound_documents, u.inbound_documents);
  set_opt_if(row.outbound_documents, u.outbound_documents);
  set_opt_if(row.inbound_error_documents, u.inbound_error_documents);
  set_if(row.maybe_accepted, u.maybe_accepted);
  set_if(row.matched_by, u.matched_by);
}

namespace {

// Stamps the time column that belongs to the state reached.
void stamp(RunRow& row, RunState to, SysMillis now) {
  switch (to) {
    case RunState::scheduled:
      break;
    case RunState::submitting:
      if (!row.submitting_at) row.submitting_at = now;
      break;
    case RunState::submitted:
      row.submitted_at = now;
      break;
    case RunState::running:
      row.running_at = now;
      break;
    default:
      row.finished_at = now;
      row.next_action_at.reset();  // nothing more to do for a finished run
      break;
  }
}

}  // namespace

StoreResult<void> enter_state(RunRow& row, RunState to, SysMillis now, const RunUpdate& update) {
  if (!is_legal_transition(row.state, to)) {
    return StoreError{StoreErrorKind::illegal_transition,
                      fmt::format("run {} of job {}: {} -> {} is not a legal transition", row.id,
                                  row.job, to_string(row.state), to_string(to))};
  }
  apply_update(row, update);
  row.state = to;
  stamp(row, to, now);
  if (to == RunState::submitting) row.maybe_accepted = update.maybe_accepted.value_or(true);
  return {};
}

RunUpdate first_send(SysMillis now) {
  RunUpdate u;
  u.attempts = 1;
  u.last_sent_at = now;
  return u;
}

std::string_view to_string(StoreErrorKind kind) {
  constexpr std::array<std::string_view, 6> names = {
      "duplicate_slot", "illegal_transition", "not_found", "busy", "full", "io"};
  return names[static_cast<size_t>(kind)];
}

std::string_view to_string(CommandKind kind) { return k_command_names[static_cast<size_t>(kind)]; }

std::optional<CommandKind> command_kind_from_string(std::string_view s) {
  for (size_t i = 0; i < k_command_names.size(); ++i) {
    if (k_command_names[i] == s) return static_cast<CommandKind>(i);
  }
  return std::nullopt;
}

std::string json_text_array(const std::vector<std::string>& texts) {
  boost::json::array a;
  a.reserve(texts.size());
  for (const auto& t : texts) a.emplace_back(t);
  return boost::json::serialize(a);
}

}  // namespace bsched::storage
