// The execution ids that runs hold, so that no reconcile takes a record another run owns
// (docs/scheduler.md, the reconcile rule). Bounded: the oldest holds go first.
#pragma once

#include "base/time_util.h"

#include <cstddef>
#include <deque>
#include <set>
#include <string>
#include <utility>

namespace bsched::core {

class ClaimLedger {
 public:
  // At most this many holds are kept; past it the oldest is dropped.
  static constexpr std::size_t k_max = 10000;

  // Holds `execution_id` from `now`; a second claim of a held id changes nothing.
  void claim(const std::string& execution_id, SysMillis now);
  // Drops every hold taken before `horizon` (no reconcile can meet those records any more).
  void forget_before(SysMillis horizon);

  // The ids held, for match_record().
  const std::set<std::string>& held() const { return m_held; }
  std::size_t size() const { return m_held.size(); }

 private:
  void drop_oldest();

  std::set<std::string> m_held;
  std::deque<std::pair<SysMillis, std::string>> m_order;  // oldest hold first
};

}  // namespace bsched::core
