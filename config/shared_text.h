// An immutable string whose copies share one buffer. The job values most jobs have in
// common (atom_id, timezone, run_id_property) are held once however many jobs carry them:
// the loader interns them (TextPool), and copying a job copies a pointer.
#pragma once

#include <fmt/format.h>

#include <compare>
#include <memory>
#include <set>
#include <string>
#include <string_view>

namespace bsched::config {

class SharedText {
 public:
  SharedText() = default;
  SharedText(std::string text)  // NOLINT: implicit, as std::string is
      : m_text(text.empty() ? nullptr : std::make_shared<const std::string>(std::move(text))) {}
  SharedText(const char* text) : SharedText(std::string(text)) {}       // NOLINT
  SharedText(std::string_view text) : SharedText(std::string(text)) {}  // NOLINT

  const std::string& str() const {
    static const std::string empty;
    return m_text ? *m_text : empty;
  }
  operator const std::string&() const { return str(); }  // NOLINT
  operator std::string_view() const { return str(); }    // NOLINT
  bool empty() const { return !m_text; }
  std::size_t size() const { return str().size(); }
  // Whether both share one buffer (interned alike); equal texts compare equal either way.
  bool same_buffer(const SharedText& o) const { return m_text == o.m_text; }

  friend bool operator==(const SharedText& a, const SharedText& b) { return a.str() == b.str(); }
  friend bool operator==(const SharedText& a, std::string_view b) { return a.str() == b; }
  friend bool operator==(const SharedText& a, const char* b) { return a.str() == b; }
  friend std::strong_ordering operator<=>(const SharedText& a, const SharedText& b) {
    return a.str() <=> b.str();
  }

 private:
  std::shared_ptr<const std::string> m_text;
};

// One buffer per distinct text, for the duration of a load.
class TextPool {
 public:
  // `text`, or the pooled text equal to it.
  SharedText intern(const SharedText& text) {
    if (text.empty()) return text;
    return *m_texts.insert(text).first;
  }

 private:
  std::set<SharedText> m_texts;
};

}  // namespace bsched::config

template <>
struct fmt::formatter<bsched::config::SharedText> : fmt::formatter<std::string_view> {
  template <typename Context>
  auto format(const bsched::config::SharedText& t, Context& ctx) const {
    return fmt::formatter<std::string_view>::format(std::string_view(t.str()), ctx);
  }
};
