#include "config/config.h"

#include <algorithm>

namespace bsched::config {

// Job::next_after lives in loader_schedule.cpp, next to the other uses of the engine.

std::string Platform::account_base() const {
  std::string base = base_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + "/" + account_id;
}

const Job* Config::find_job(std::string_view name) const {
  // `jobs` is sorted by name (the loader guarantees it).
  auto it = std::lower_bound(jobs.begin(), jobs.end(), name,
                             [](const Job& j, std::string_view n) { return j.name < n; });
  return it != jobs.end() && it->name == name ? &*it : nullptr;
}

}  // namespace bsched::config
