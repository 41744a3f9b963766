// The simulator's ProcessSchedules and ProcessScheduleStatus objects (platform-api.md
// "Process schedules"): query + queryMore (pages of 100), bulk GET, GET by id, and the status
// update POST /ProcessScheduleStatus/{id}. POST /ProcessSchedules/{id} ("clears and
// updates") answers 405 so that a test sees any client that calls it.
//
// The demo set (seed_demo) lives on the dev mode's runtime k_demo_schedule_atom: schedules in
// every syntax form, a process with several rules, a Retry block, a years restriction, both
// day fields restricted, a disabled schedule, and enough empty objects for a second page.
//
// Update faults (POST /__sim/schedules, test-only): {"fail_updates_after": N,
// "failures": ["503", "timeout", …]}: after N successful updates, each further update takes
// the next failure of the list ("503": refused, not applied; "timeout": applied, answered only
// after `slow_ms`, past the client's deadline); once the list is used up updates succeed.
#pragma once

#include "base/result.h"
#include "base/time_util.h"

#include <boost/json/value.hpp>

#include <cstddef>
#include <deque>
#include <map>
#include <string>
#include <vector>

namespace bsched::sim {

inline constexpr const char* k_demo_schedule_atom = "8fa55714-8e5e-45f1-a0d1-f57f2000f464";

struct SimSchedule {
  std::string schedule_id;  // ProcessSchedules id
  std::string status_id;    // ProcessScheduleStatus id (a different string, as on the platform)
  std::string process_id;
  std::string atom_id;
  boost::json::array rules;   // the Schedule list as the platform answers it
  boost::json::value retry;   // the Retry object, or null
  bool enabled = true;
};

class SimSchedules {
 public:
  SimSchedules();  // seeded with the demo set

  void add(SimSchedule s);
  std::vector<SimSchedule>& all() { return m_all; }
  SimSchedule* by_schedule_id(std::string_view id);
  SimSchedule* by_status_id(std::string_view id);

  // Paging: the positions not yet returned, behind a token.
  std::string store_rest(std::vector<std::size_t> rest, bool statuses);
  struct Rest {
    std::vector<std::size_t> positions;
    bool statuses = false;
  };
  const Rest* find_rest(const std::string& token) const;

  // Update faults (file comment). next_update_fault: "" (succeed), "503" or "timeout".
  Result<void> set_faults(std::string_view json_body);
  std::string next_update_fault();
  Millis slow() const { return m_slow; }
  // The delay the current answer must carry (a "timeout" fault); reset by the call.
  Millis take_delay();
  void delay_answer() { m_delay = m_slow; }

 private:
  std::vector<SimSchedule> m_all;
  std::map<std::string, Rest> m_rest;
  std::uint64_t m_tokens = 0;
  long m_updates_ok = -1;  // successes before failures start; -1: no faults
  std::deque<std::string> m_failures;
  Millis m_slow{3000};
  Millis m_delay{0};
};

}  // namespace bsched::sim
