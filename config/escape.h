// Text from outside — the platform's answers (requestId, status, message), the operator's
// pause notes, job names from YAML — made safe to print on one line of a log or a terminal.
// One function does it for every logged value and every CLI text field; `--json` output is
// exact JSON instead (Boost.JSON escapes what JSON requires).
#pragma once

#include <fmt/format.h>

#include <string>
#include <string_view>

namespace bsched {

// `s` with backslash and double quote escaped (\\ \"), every control character written as
// an escape (\n \r \t, other C0 and DEL as \xHH, C1 as \u0085 …) and every byte that is not
// part of valid UTF-8 as \xHH. Printable UTF-8 passes unchanged, so an escaped value never
// ends its quotes early, starts a new line or drives the terminal (ANSI / OSC sequences).
std::string escape_text(std::string_view s);

// The same for a whole line whose quotes are its own: only control characters and invalid
// UTF-8 are escaped (the log sink's last line of defence).
std::string escape_controls(std::string_view s);

// For format strings: fmt::format("message=\"{}\"", esc(text)).
struct Escaped {
  std::string_view text;
};
inline Escaped esc(std::string_view s) { return Escaped{s}; }

}  // namespace bsched

template <>
struct fmt::formatter<bsched::Escaped> : fmt::formatter<std::string_view> {
  template <class Context>
  auto format(const bsched::Escaped& e, Context& ctx) const {
    auto text = bsched::escape_text(e.text);
    return fmt::formatter<std::string_view>::format(std::string_view(text), ctx);
  }
};
