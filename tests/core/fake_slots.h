// A scripted SlotSource for the core tests: every `period` seconds aligned to the epoch, or
// an explicit list of instants.
#pragma once

#include "daemon/core/slot_source.h"

#include <algorithm>
#include <vector>

namespace bsched::test {

class FakeSlots final : public core::SlotSource {
 public:
  explicit FakeSlots(std::chrono::seconds period) : m_period(period) {}
  explicit FakeSlots(std::vector<std::chrono::sys_seconds> list) : m_list(std::move(list)) {
    std::sort(m_list.begin(), m_list.end());
  }

  void for_each_in(std::chrono::sys_seconds from, std::chrono::sys_seconds to,
                   const std::function<bool(std::chrono::sys_seconds)>& fn) const override {
    for (auto t = next_after(from - std::chrono::seconds(1)); t && *t < to; t = next_after(*t)) {
      ++visits;
      if (!fn(*t)) return;
    }
  }

  std::optional<std::chrono::sys_seconds> next_after(std::chrono::sys_seconds t) const override {
    if (m_period.count() > 0) {
      auto n = t.time_since_epoch() / m_period;
      return std::chrono::sys_seconds((n + 1) * m_period);
    }
    auto it = std::upper_bound(m_list.begin(), m_list.end(), t);
    if (it == m_list.end()) return std::nullopt;
    return *it;
  }

  mutable long visits = 0;

 private:
  std::chrono::seconds m_period{0};
  std::vector<std::chrono::sys_seconds> m_list;
};

}  // namespace bsched::test
