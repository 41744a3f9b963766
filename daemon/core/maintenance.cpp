// The engine's housekeeping part: see maintenance.h.
#include "daemon/core/maintenance.h"

namespace bsched::core {

Maintenance::Maintenance(std::unique_ptr<WakeTimer> timer, Millis prune_interval)
    : m_timer(std::move(timer)), m_prune_interval(prune_interval) {}

void Maintenance::started(SysMillis now, std::chrono::steady_clock::time_point steady_now) {
  m_started_at = m_config_loaded_at = now;
  m_last_prune = steady_now - m_prune_interval;
}

storage::Heartbeat Maintenance::heartbeat(SysMillis now, int pid, std::string fingerprint,
                                          std::string platform_state,
                                          std::string store_state) const {
  storage::Heartbeat hb;
  hb.pid = pid;
  hb.started_at = m_started_at;
  hb.updated_at = now;
  hb.config_loaded_at = m_config_loaded_at;
  hb.config_fingerprint = std::move(fingerprint);
  hb.platform_state = std::move(platform_state);
  hb.store_state = std::move(store_state);
  return hb;
}

bool Maintenance::take_prune_turn(std::chrono::steady_clock::time_point steady_now) {
  if (steady_now - m_last_prune < m_prune_interval) return false;
  m_last_prune = steady_now;
  return true;
}

storage::StoreResult<Maintenance::PruneStep> Maintenance::prune_step(storage::RunStore& store,
                                                                     SysMillis before) {
  auto n = store.prune(before, k_prune_batch);
  if (!n) return n.error();
  return PruneStep{*n, *n >= k_prune_batch};
}

}  // namespace bsched::core
