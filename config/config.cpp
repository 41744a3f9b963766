#include "config/config.h"

#include <algorithm>

namespace bsched::config {

// Job::next_after lives in loader_schedule.cpp, next to the other uses of the engine.

const std::shared_ptr<const JobSettings>& Job::default_settings() {
  static const auto defaults = std::make_shared<const JobSettings>();
  return defaults;
}

JobSettings& Job::edit_settings() {
  auto own = std::make_shared<JobSettings>(*settings);
  auto& edited = *own;
  settings = std::move(own);
  return edited;
}

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
