// Placeholders in property values (product.md §2): ${job}, ${run_id}, ${scheduled_time},
// ${scheduled_local}, ${last_success_time}, and ${name:-default} for a default when empty.
#pragma once

#include "base/result.h"

#include <date/tz.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace bsched::config {

// What a run knows when its properties are expanded (at submit time).
struct PlaceholderContext {
  std::string job;
  std::string run_id;
  std::chrono::sys_seconds scheduled{};  // the slot instant
  const date::time_zone* zone = nullptr;  // the job's zone (null: UTC)
  std::optional<std::chrono::sys_seconds> last_success;  // slot of the last success, if any
};

struct PlaceholderError {
  int offset = 0;  // 0-based offset of the problem inside the value
  std::string message;
};

// Checks every placeholder of `value` (unknown names, unterminated "${").
Result<void, PlaceholderError> check_placeholders(std::string_view value);

// Expands a value that passed check_placeholders. Pure.
std::string expand_placeholders(std::string_view value, const PlaceholderContext& context);

}  // namespace bsched::config
