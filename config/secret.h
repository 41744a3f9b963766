// A secret (the API token). It can be read only through reveal(); it has no stream or fmt
// formatter, so it cannot reach a log line or an output by accident.
#pragma once

#include <string>
#include <utility>

namespace bsched::config {

class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string value) : m_value(std::move(value)) {}
  Secret(const Secret&) = default;
  Secret& operator=(const Secret&) = default;
  ~Secret() { wipe(); }

  const std::string& reveal() const { return m_value; }
  bool empty() const { return m_value.empty(); }
  bool operator==(const Secret& o) const { return m_value == o.m_value; }
  static constexpr const char* k_redacted = "<redacted>";

 private:
  void wipe() {
    for (auto& c : m_value) *static_cast<volatile char*>(&c) = 0;
  }
  std::string m_value;
};

}  // namespace bsched::config
