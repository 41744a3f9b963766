#include "config/escape.h"

#include <cstdint>

namespace bsched {

namespace {

// The length of the valid UTF-8 sequence at s[i] (1..4), 0 when it is not one.
std::size_t utf8_length(std::string_view s, std::size_t i) {
  auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  auto cont = [&](std::size_t k) { return i + k < s.size() && (b(k) & 0xC0) == 0x80; };
  unsigned char c = b(0);
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (!cont(1) || !cont(2)) return 0;
    if (c == 0xE0 && b(1) < 0xA0) return 0;  // overlong
    if (c == 0xED && b(1) > 0x9F) return 0;  // surrogates
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    if (c == 0xF0 && b(1) < 0x90) return 0;  // overlong
    if (c == 0xF4 && b(1) > 0x8F) return 0;  // past U+10FFFF
    return 4;
  }
  return 0;
}

void append_hex(std::string& out, unsigned char c) {
  static constexpr char k_hex[] = "0123456789abcdef";
  out += "\\x";
  out += k_hex[c >> 4];
  out += k_hex[c & 0xF];
}

std::string escape(std::string_view s, bool quotes) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    auto n = utf8_length(s, i);
    if (n == 0) {
      append_hex(out, c);
      ++i;
      continue;
    }
    if (n == 2 && c == 0xC2 && static_cast<unsigned char>(s[i + 1]) <= 0x9F) {
      // A C1 control (U+0080..U+009F), e.g. U+009B, the one-byte CSI.
      out += fmt::format("\\u{:04x}", static_cast<unsigned char>(s[i + 1]));
      i += 2;
      continue;
    }
    if (n > 1) {
      out.append(s.substr(i, n));
      i += n;
      continue;
    }
    switch (c) {
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\\': out += quotes ? "\\\\" : "\\"; break;
      case '"': out += quotes ? "\\\"" : "\""; break;
      default:
        if (c < 0x20 || c == 0x7F) append_hex(out, c);
        else out += static_cast<char>(c);
    }
    ++i;
  }
  return out;
}

}  // namespace

std::string escape_text(std::string_view s) { return escape(s, true); }
std::string escape_controls(std::string_view s) { return escape(s, false); }

}  // namespace bsched
