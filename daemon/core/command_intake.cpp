// Operator commands: see command_intake.h.
#include "daemon/core/command_intake.h"

#include "daemon/core/decisions.h"
#include "daemon/core/job_book.h"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <fmt/core.h>

namespace bsched::core {

namespace {

const boost::json::value* member(const std::string& args_json, const char* name,
                                 boost::json::value& holder) {
  boost::system::error_code ec;
  holder = boost::json::parse(args_json, ec);
  if (ec || !holder.is_object()) return nullptr;
  return holder.as_object().if_contains(name);
}

}  // namespace

std::vector<std::pair<std::string, std::string>> trigger_properties(const std::string& args_json) {
  std::vector<std::pair<std::string, std::string>> out;
  boost::json::value holder;
  const auto* props = member(args_json, "properties", holder);
  if (!props || !props->is_object()) return out;
  for (const auto& [k, v] : props->as_object()) {
    if (v.is_string()) out.emplace_back(std::string(k), std::string(v.as_string()));
  }
  return out;
}

std::string pause_note(const std::string& args_json) {
  boost::json::value holder;
  const auto* note = member(args_json, "note", holder);
  return note && note->is_string() ? std::string(note->as_string()) : std::string();
}

CommandPlan plan_command(const storage::Command& command, const JobRuntime* job, SysMillis now) {
  CommandPlan plan;
  if (command.kind != storage::CommandKind::trigger) {
    plan.kind = CommandPlan::Kind::set_paused;
    plan.pause = command.kind == storage::CommandKind::pause;
    if (plan.pause) plan.note = pause_note(command.args_json);
    return plan;
  }
  if (!job || !job->job) {
    plan.reason = "no such job in the configuration";
    return plan;
  }
  plan.slot = std::chrono::floor<std::chrono::seconds>(command.requested_at);
  plan.deadline = submit_deadline(plan.slot, job->job->settings->catchup_window);
  if (now > plan.deadline) {
    plan.reason = fmt::format("requested {} ago, past catchup_window",
                              format_duration(std::chrono::duration_cast<Millis>(
                                  now - command.requested_at)));
    return plan;
  }
  plan.kind = CommandPlan::Kind::start_manual;
  plan.properties = trigger_properties(command.args_json);
  return plan;
}

}  // namespace bsched::core
