#include "config/config.h"

#include "config/url_check.h"

#include <fnmatch.h>

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

bool AlertSink::wants(std::string_view kind) const {
  return std::find(on.begin(), on.end(), kind) != on.end();
}

bool AlertSink::matches_job(std::string_view job) const {
  if (jobs.empty()) return true;
  std::string name(job);
  return std::any_of(jobs.begin(), jobs.end(), [&](const std::string& glob) {
    return ::fnmatch(glob.c_str(), name.c_str(), 0) == 0;
  });
}

std::string AlertSink::shown_webhook() const {
  auto parts = parse_url_parts(webhook);
  if (!parts) return "(invalid URL)";
  bool default_port = parts->port == (parts->tls ? "443" : "80");
  auto host = parts->host.find(':') != std::string::npos ? "[" + parts->host + "]" : parts->host;
  return (parts->tls ? "https://" : "http://") + host + (default_port ? "" : ":" + parts->port) +
         "/\u2026";
}

}  // namespace bsched::config
