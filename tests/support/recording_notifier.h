// A Notifier for tests: keeps every message instead of sending it to systemd.
#pragma once

#include "daemon/runtime/notify.h"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace bsched::runtime {

class RecordingNotifier final : public Notifier {
 public:
  void send(const std::string& message) override { messages.push_back(message); }
  std::optional<std::chrono::microseconds> watchdog_timeout() const override { return watchdog; }
  std::vector<std::string> messages;
  std::optional<std::chrono::microseconds> watchdog;
};

}  // namespace bsched::runtime
