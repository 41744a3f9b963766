// The state database's health as the engine's writes show it: one owner for what the log,
// the heartbeat, systemd's STATUS= line and `status` say of the store.
#pragma once

#include "base/time_util.h"
#include "storage/run_store.h"

#include <optional>
#include <string>
#include <string_view>

namespace bsched::core {

class StoreMonitor {
 public:
  // A store call failed: logged ("store.error op=… kind=… message=…"); the first failure
  // after a healthy spell also starts an outage.
  void failed(std::string_view op, const storage::StoreError& e, SysMillis now);
  // A write went through: an outage in progress ends (logged once, "store.recovered").
  void succeeded(SysMillis now);

  bool failing() const { return m_failing_since.has_value(); }

  // "ok", "failing since <T>: <message> (<N> errors)", or once recovered
  // "ok (last outage <T0> .. <T1>, <N> errors: <message>)" until the daemon restarts.
  std::string describe() const;

 private:
  std::optional<SysMillis> m_failing_since;  // set while an outage lasts
  int m_errors = 0;                           // failed calls in the current or last outage
  std::string m_last_error;                   // the latest failure's message
  std::string m_last_outage;                  // the last finished outage, described
};

}  // namespace bsched::core
