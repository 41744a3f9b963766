#include "config/secret_text.h"

#include <algorithm>
#include <cctype>

namespace bsched::config {

bool looks_like_secret(std::string_view s) {
  constexpr std::size_t k_min = 24;
  if (s.starts_with("eyJ") && std::count(s.begin(), s.end(), '.') == 2 &&
      std::none_of(s.begin(), s.end(), [](char c) { return std::isspace(static_cast<unsigned char>(c)); }))
    return true;
  if (s.size() < k_min) return false;
  // Random text changes between lower case, upper case and digits at most characters; words,
  // names and numbers in them do so rarely (separators - _ + = are skipped).
  int changes = 0;
  int last = -1;
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (!std::isalnum(u) && c != '-' && c != '_' && c != '+' && c != '=') return false;
    int cls = std::isdigit(u) ? 0 : std::isupper(u) ? 1 : std::islower(u) ? 2 : -1;
    if (cls < 0) continue;
    if (last >= 0 && cls != last) ++changes;
    last = cls;
  }
  return static_cast<std::size_t>(changes) * 4 >= s.size();
}

}  // namespace bsched::config
