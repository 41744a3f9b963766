// The jobs with a next slot, ordered by that slot, then by name: what the fire loop waits for
// and takes first. It holds pointers it does not own; the owner (the engine's job table)
// removes an entry before the job it points at goes away, or clears the queue.
#pragma once

#include <chrono>
#include <optional>
#include <set>
#include <string_view>
#include <tuple>

namespace bsched::core {

template <class Job>
class DueQueue {
 public:
  using Instant = std::chrono::sys_seconds;

  // `name` must stay valid while the entry is queued (the job's configured name).
  void add(Instant at, std::string_view name, Job* job) { m_entries.insert({at, name, job}); }
  void remove(Instant at, std::string_view name) { m_entries.erase({at, name, nullptr}); }
  void clear() { m_entries.clear(); }
  bool empty() const { return m_entries.empty(); }
  std::size_t size() const { return m_entries.size(); }
  std::optional<Instant> earliest() const {
    if (m_entries.empty()) return std::nullopt;
    return m_entries.begin()->at;
  }
  // Calls fn(at, job) for each entry in order while it returns true.
  template <class Fn>
  void each(Fn&& fn) const {
    for (const auto& e : m_entries) {
      if (!fn(e.at, *e.job)) return;
    }
  }

 private:
  struct Entry {
    Instant at;
    std::string_view name;
    Job* job;
    bool operator<(const Entry& o) const { return std::tie(at, name) < std::tie(o.at, o.name); }
  };
  std::set<Entry> m_entries;
};

}  // namespace bsched::core
