// HTML escaping for the status page: every string that comes from the configuration or the
// platform goes through html_escape before it reaches a page.
#pragma once

#include <string>
#include <string_view>

namespace bsched::web {

// `text` safe inside an element and inside a double- or single-quoted attribute: & < > " '
// as character references, control characters (but tab and newline) and DEL as U+FFFD,
// every invalid UTF-8 sequence as U+FFFD.
std::string html_escape(std::string_view text);

// Percent-decodes a URL path segment into `out`. False for a bad escape, an encoded NUL or
// slash, or a result that is not valid UTF-8.
bool percent_decode(std::string_view in, std::string& out);

// The `%XX` form of `text` for a URL path segment or query value (unreserved characters kept).
std::string percent_encode(std::string_view text);

}  // namespace bsched::web
