// Telling a credential by its look, for messages that quote what the operator wrote: a token
// pasted under the wrong key must not be echoed back into a terminal or a log.
#pragma once

#include <string_view>

namespace bsched::config {

// A JWT (eyJ….….…), or a run of at least 24 letters, digits and - _ + = that switches between
// lower case, upper case and digits at least once every 4 characters, as random text does (an
// API token, a UUID). Names ("nightly-orders-2024"), paths, URLs, host names and durations do
// not qualify (too regular, or they hold / : . or are short).
bool looks_like_secret(std::string_view s);

}  // namespace bsched::config
