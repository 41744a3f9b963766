// The simulator's schedule objects: the demo seed, paging tokens and update faults.
#include "daemon/sim/sim_schedules.h"

#include <boost/json.hpp>

#include <fmt/format.h>

namespace bsched::sim {

namespace json = boost::json;

namespace {

json::object rule(const char* minutes, const char* hours, const char* dow, const char* dom,
                  const char* months, const char* years) {
  return json::object{{"minutes", minutes}, {"hours", hours},   {"daysOfWeek", dow},
                      {"daysOfMonth", dom}, {"months", months}, {"years", years}};
}

SimSchedule demo(const std::string& process_id, json::array rules, bool enabled = true) {
  SimSchedule s;
  s.process_id = process_id;
  s.atom_id = k_demo_schedule_atom;
  s.rules = std::move(rules);
  s.enabled = enabled;
  return s;
}

// The demo processes' ids: readable, and shaped like component ids.
std::string demo_process(int n) { return fmt::format("5c4e0000-0000-4000-8000-{:012}", n); }

}  // namespace

SimSchedules::SimSchedules() {
  add(demo(demo_process(1), {rule("30", "2", "2-6", "*", "*", "*")}));           // weekdays
  add(demo(demo_process(2), {rule("0-59/15", "8-17", "*", "*", "*", "*")}));     // step
  add(demo(demo_process(3), {rule("0", "6", "*", "*", "*", "*"),                 // several
                             rule("30", "18", "1,7", "*", "*", "*")}));
  add(demo(demo_process(4), {rule("0", "1", "*", "1,15", "*", "*")}));           // list
  auto retry = demo(demo_process(5), {rule("*/10", "*", "*", "*", "*", "*")});
  retry.retry = json::object{{"maxRetry", 3},
                             {"Schedule", json::array{rule("*/5", "*", "*", "*", "*", "*")}}};
  add(std::move(retry));
  add(demo(demo_process(6), {rule("0", "0", "*", "1", "1", "2027")}));           // years
  add(demo(demo_process(7), {rule("0", "12", "2", "13", "*", "*")}));            // both days
  add(demo(demo_process(8), {rule("45", "23", "*", "*", "*", "*")}, false));     // disabled
  // The dev mode's orders-sync process: already scheduled by boomi-sched.
  add(demo("6e79aead-40d4-4a35-9037-4370a86cc2f1", {rule("0", "*/2", "*", "*", "*", "*")}));
  for (int n = 100; n < 215; ++n) add(demo(demo_process(n), {}));  // most objects are empty
  // Another runtime's schedule: a query on the demo runtime must not return it.
  auto other = demo(demo_process(9), {rule("0", "3", "*", "*", "*", "*")});
  other.atom_id = "0a0a0a0a-0000-4000-8000-000000000000";
  add(std::move(other));
}

void SimSchedules::add(SimSchedule s) {
  // Both ids are "synthesized from the process and Runtime IDs", and differ from each other.
  if (s.schedule_id.empty()) s.schedule_id = "CPS" + s.process_id + "." + s.atom_id;
  if (s.status_id.empty()) s.status_id = "PSS" + s.atom_id + "." + s.process_id;
  m_all.push_back(std::move(s));
}

SimSchedule* SimSchedules::by_schedule_id(std::string_view id) {
  for (auto& s : m_all)
    if (s.schedule_id == id) return &s;
  return nullptr;
}

SimSchedule* SimSchedules::by_status_id(std::string_view id) {
  for (auto& s : m_all)
    if (s.status_id == id) return &s;
  return nullptr;
}

std::string SimSchedules::store_rest(std::vector<std::size_t> rest, bool statuses) {
  auto token = fmt::format("schedules-token-{}", ++m_tokens);
  m_rest[token] = Rest{std::move(rest), statuses};
  return token;
}

const SimSchedules::Rest* SimSchedules::find_rest(const std::string& token) const {
  auto it = m_rest.find(token);
  return it == m_rest.end() ? nullptr : &it->second;
}

Result<void> SimSchedules::set_faults(std::string_view body) {
  boost::system::error_code ec;
  auto v = json::parse(body, ec);
  if (ec || !v.is_object()) return make_error("schedules: the body must be a JSON object");
  long after = -1;
  std::deque<std::string> failures;
  Millis slow{3000};
  for (const auto& kv : v.get_object()) {
    if (kv.key() == "fail_updates_after" && kv.value().is_int64() && kv.value().get_int64() >= 0) {
      after = static_cast<long>(kv.value().get_int64());
    } else if (kv.key() == "slow_ms" && kv.value().is_int64() && kv.value().get_int64() >= 0) {
      slow = Millis{kv.value().get_int64()};
    } else if (kv.key() == "failures" && kv.value().is_array()) {
      for (const auto& f : kv.value().get_array()) {
        if (!f.is_string() || (f.get_string() != "503" && f.get_string() != "timeout"))
          return make_error("schedules: failures are \"503\" or \"timeout\"");
        failures.emplace_back(f.get_string());
      }
    } else {
      return make_error(fmt::format("schedules: unknown or malformed field '{}'",
                                    std::string_view(kv.key())));
    }
  }
  m_updates_ok = after;
  m_failures = std::move(failures);
  m_slow = slow;
  return {};
}

std::string SimSchedules::next_update_fault() {
  if (m_updates_ok < 0) return {};
  if (m_updates_ok > 0) {
    --m_updates_ok;
    return {};
  }
  if (m_failures.empty()) return {};
  auto f = m_failures.front();
  m_failures.pop_front();
  return f;
}

Millis SimSchedules::take_delay() {
  auto d = m_delay;
  m_delay = Millis{0};
  return d;
}

}  // namespace bsched::sim
