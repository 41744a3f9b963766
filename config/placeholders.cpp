// Grammar (documented in docs/configuration.md):
//   value       := { literal | "$$" | placeholder }
//   placeholder := "${" name [ ":-" value-until-"}" ] "}"
//   name        := [A-Za-z_][A-Za-z0-9_]*
// "$$" is a literal "$"; a "$" not followed by "{" or "$" is literal too. Defaults may
// themselves hold placeholders: ${last_success_time:-${scheduled_time}}.
#include "config/placeholders.h"

#include "config/loader_util.h"
#include "base/time_util.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>

namespace bsched::config {

namespace {

constexpr std::array<std::string_view, 5> k_names = {"job", "run_id", "scheduled_time",
                                                     "scheduled_local", "last_success_time"};
constexpr int k_max_depth = 8;  // nesting of defaults; keeps the recursion bounded

PlaceholderError err(size_t at, std::string message) {
  return {static_cast<int>(at), std::move(message)};
}

bool is_name_start(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_';
}
bool is_name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

std::string value_of(std::string_view name, const PlaceholderContext& c) {
  if (name == "job") return c.job;
  if (name == "run_id") return c.run_id;
  if (name == "scheduled_time") return format_utc(c.scheduled);
  if (name == "scheduled_local") return format_local_iso(c.scheduled, c.zone);
  if (name == "last_success_time") return c.last_success ? format_utc(*c.last_success) : "";
  return {};
}

PlaceholderError unknown_name(size_t at, std::string_view name) {
  std::vector<std::string_view> known(k_names.begin(), k_names.end());
  auto near = detail::closest_match(name, known);
  return {static_cast<int>(at),
          fmt::format("unknown placeholder '${{{}}}'{} (known: ${{{}}})", name,
                      near ? fmt::format("; did you mean '${{{}}}'?", *near) : std::string(),
                      fmt::join(k_names, "}, ${"))};
}

using Walked = Result<size_t, PlaceholderError>;

// Walks `s` from `i`; inside a default (`nested`) it stops before the closing '}'. With
// `ctx` it appends the expansion to `out`, without it only checks. Returns the end offset.
Walked walk(std::string_view s, size_t i, int depth, const PlaceholderContext* ctx,
            std::string* out) {
  while (i < s.size()) {
    char c = s[i];
    if (depth > 0 && c == '}') return Walked(boost::system::in_place_value, i);
    if (c != '$' || i + 1 >= s.size() || (s[i + 1] != '$' && s[i + 1] != '{')) {
      if (out) *out += c;
      ++i;
      continue;
    }
    if (s[i + 1] == '$') {
      if (out) *out += '$';
      i += 2;
      continue;
    }
    size_t start = i;
    size_t n = i + 2;
    if (n >= s.size()) return err(start, "unterminated placeholder '${' (missing '}')");
    if (!is_name_start(s[n]))
      return err(start, s[n] == '}' ? "empty placeholder '${}'"
                                    : "a placeholder name must start with a "
                                      "letter or '_'");
    while (n < s.size() && is_name_char(s[n])) ++n;
    auto name = s.substr(i + 2, n - i - 2);
    bool known = std::find(k_names.begin(), k_names.end(), name) != k_names.end();
    if (!known) return unknown_name(start, name);
    if (n >= s.size())
      return err(start, fmt::format("unterminated placeholder '${{{}' (missing '}}')", name));
    std::string value = ctx ? value_of(name, *ctx) : std::string();
    if (s[n] == ':' && n + 1 < s.size() && s[n + 1] == '-') {
      if (depth + 1 > k_max_depth) return err(start, "placeholders nested too deeply");
      std::string fallback;
      auto end = walk(s, n + 2, depth + 1, ctx, ctx ? &fallback : nullptr);
      if (!end) return end.error();
      n = *end;
      if (n >= s.size())
        return err(start, fmt::format("unterminated placeholder '${{{}:-' (missing '}}')", name));
      if (value.empty()) value = std::move(fallback);
    } else if (s[n] != '}') {
      return err(n, fmt::format("expected '}}' or ':-' after '${{{}'", name));
    }
    if (out) *out += value;
    i = n + 1;
  }
  return Walked(boost::system::in_place_value,
                i);  // inside a default the caller reports the missing '}' at the placeholder
}

}  // namespace

Result<void, PlaceholderError> check_placeholders(std::string_view value) {
  auto r = walk(value, 0, 0, nullptr, nullptr);
  if (!r) return r.error();
  return {};
}

std::string expand_placeholders(std::string_view value, const PlaceholderContext& context) {
  std::string out;
  out.reserve(value.size());
  auto r = walk(value, 0, 0, &context, &out);
  // A value that failed check_placeholders never reaches here from the loader; if it does,
  // it is sent as written rather than half-expanded.
  return r ? out : std::string(value);
}

}  // namespace bsched::config
