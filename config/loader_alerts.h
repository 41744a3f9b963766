// Reading the `alerts` section (internal to config/).
#pragma once

#include "config/config.h"
#include "config/loader_yaml.h"

#include <string>
#include <vector>

namespace bsched::config::detail {

// The event kinds a sink's `on` may name.
const std::vector<std::string_view>& alert_kinds();

// Reads `alerts` (a list of sinks) into `out`. Relative command paths resolve against
// `base_dir`.
void read_alerts(const Field& section, std::vector<AlertSink>& out, Sink& sink,
                 const std::string& base_dir);

// A glob `jobs:` accepts: not empty, every '[' closed.
bool is_valid_glob(std::string_view glob);

}  // namespace bsched::config::detail
