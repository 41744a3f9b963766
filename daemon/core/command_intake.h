// Operator commands (pause, resume, trigger) as the CLI queues them in the store: what each
// one asks of the engine, decided here without the engine. The engine takes the queue
// (RunStore::take_commands), asks plan_command for each command, and hands the plan to the
// owners of what it changes: the store and JobBook for a pause, RunsInFlight and a tracker
// for a manual run. This part keeps no state of its own.
#pragma once

#include "base/time_util.h"
#include "storage/run_store.h"

#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace bsched::core {

struct JobRuntime;

struct CommandPlan {
  enum class Kind {
    set_paused,    // write the pause (or its end) to the store, and to the job if configured
    start_manual,  // create a manual run for `slot` and track it until `deadline`
    reject,        // do nothing; log `reason`
  };
  Kind kind = Kind::reject;
  bool pause = false;  // set_paused: true pauses, false resumes
  std::string note;    // set_paused: the operator's note (pause only)
  std::chrono::sys_seconds slot{};  // start_manual: the second the command was requested in
  SysMillis deadline{};  // start_manual: the request may leave until then (catchup_window)
  std::vector<std::pair<std::string, std::string>> properties;  // start_manual: from args
  std::string reason;  // reject: why, for the log
};

// `job`: the command's job in the configuration in force, or null when it is not there. A
// pause or resume of a job that is not configured is still written (the job may come back
// with a reload); a trigger of one is rejected, as is a trigger requested longer ago than
// the job's catchup_window.
CommandPlan plan_command(const storage::Command& command, const JobRuntime* job, SysMillis now);

// The command's args_json, read leniently (the CLI wrote it; anything unexpected is ignored):
// a trigger's {"properties": {"NAME": "VALUE"}} (string values only), a pause's {"note": "…"}.
std::vector<std::pair<std::string, std::string>> trigger_properties(const std::string& args_json);
std::string pause_note(const std::string& args_json);

}  // namespace bsched::core
