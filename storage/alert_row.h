// The alert outbox's rows (product issue #26, docs/storage.md "alert_events"): an event the
// engine wrote in the same transaction as the run change that caused it, and one delivery of
// it per configured alert sink, which the dispatcher (daemon/alerts) sends and marks.
#pragma once

#include "base/time_util.h"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bsched::storage {

enum class AlertKind {
  failed,     // a run ended in a failure state (is_failure)
  missed,     // slots were recorded as missed (a gap)
  late,       // a run's first request left more than late_after after its slot
  stuck,      // a run still in flight after half its run_timeout
  auth,       // the platform refused the credentials: the auth circuit opened
  recovered,  // the first successful run after failed ones
};

inline constexpr int k_alert_kind_count = 6;
std::string_view to_string(AlertKind kind);
std::optional<AlertKind> alert_kind_from_string(std::string_view s);

// An event to record, with the sinks that want it (their names, from the configuration).
struct NewAlert {
  AlertKind kind = AlertKind::failed;
  std::string job;                    // "" for daemon-wide events (auth)
  std::optional<std::int64_t> run;    // the run's row id, when a run caused it
  std::chrono::sys_seconds slot{};    // the run's slot or the gap's last slot
  std::string state;                  // the run's state ("error", …) or the gap's kind
  std::string execution_id;
  std::string message;                // what happened, one line (platform message, reason)
  SysMillis created_at{};
  std::vector<std::string> sinks;     // one delivery row each; none: nothing is written
};

// One delivery of one event to one sink, with the event's fields.
struct AlertDelivery {
  std::int64_t id = 0;        // delivery row id
  std::int64_t event_id = 0;  // stable: the receivers' dedupe key (with the sink)
  std::string sink;
  AlertKind kind = AlertKind::failed;
  std::string job;
  std::optional<std::int64_t> run;
  std::chrono::sys_seconds slot{};
  std::string state;
  std::string execution_id;
  std::string message;
  SysMillis created_at{};
  int attempts = 0;                    // sends tried so far
  SysMillis next_attempt_at{};         // not sent before this instant
  bool folded = false;                 // held for its group's summary (see daemon/alerts)
  std::string last_error;
};

// What became of one send of deliveries (AlertOutcome applies to every id given).
struct AlertOutcome {
  enum class Kind {
    delivered,  // the sink took it: delivered_at = at
    retry,      // not taken: attempts + 1, next_attempt_at = next, last_error = error
    folded,     // held for the group's summary: folded = 1, next_attempt_at = next
    given_up,   // not taken and never will be: failed_at = at, last_error = error
  };
  Kind kind = Kind::delivered;
  SysMillis at{};
  SysMillis next{};
  std::string error;
};

}  // namespace bsched::storage
