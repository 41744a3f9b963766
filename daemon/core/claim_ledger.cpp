#include "daemon/core/claim_ledger.h"

namespace bsched::core {

void ClaimLedger::claim(const std::string& execution_id, SysMillis now) {
  if (!m_held.insert(execution_id).second) return;
  m_order.emplace_back(now, execution_id);
  if (m_order.size() > k_max) drop_oldest();
}

void ClaimLedger::forget_before(SysMillis horizon) {
  while (!m_order.empty() && m_order.front().first < horizon) drop_oldest();
}

void ClaimLedger::drop_oldest() {
  m_held.erase(m_order.front().second);
  m_order.pop_front();
}

}  // namespace bsched::core
