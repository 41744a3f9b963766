// The JSON an alert sink receives (docs/operations.md "Alerts"): `text` for chat webhooks
// (Slack and Teams show it as it is) and the structured fields. One event, or the summary of
// a group's folded repeats.
#pragma once

#include "storage/alert_row.h"

#include <string>
#include <vector>

namespace bsched::alerts {

// `items` are one group's deliveries (same sink, job, kind), oldest first; more than one, or
// `summary`, makes a summary. `link_base`: "<http.public_url>" or "" for no link.
std::string alert_json(const std::vector<storage::AlertDelivery>& items, bool summary,
                       const std::string& link_base);

// The `text` line alone (also what the summary counts say).
std::string alert_text(const std::vector<storage::AlertDelivery>& items, bool summary);

}  // namespace bsched::alerts
