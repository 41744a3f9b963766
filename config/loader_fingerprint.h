// The fingerprint of an effective configuration (internal to config/; see Config::fingerprint).
#pragma once

#include "config/config.h"

#include <string>

namespace bsched::config::detail {

// 64 hex digits; equal for equal effective configurations, including the token's hash.
std::string fingerprint(const Config& config);

}  // namespace bsched::config::detail
