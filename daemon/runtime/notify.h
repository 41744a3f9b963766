// systemd's notify protocol (sd_notify(3), product.md §5): READY=1 once the database is open
// and the engine armed its timers, RELOADING=1 / READY=1 around reloads, STOPPING=1, a
// one-line STATUS= with counts, and WATCHDOG=1 from the event loop when WatchdogSec is set.
//
// The messages are built by pure functions; a Notifier sends them. SdNotifier talks to
// $NOTIFY_SOCKET (a no-op outside systemd); tests record the messages
// (tests/support/recording_notifier.h).
#pragma once

#include "base/time_util.h"
#include "daemon/core/engine.h"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace bsched::runtime {

class Notifier {
 public:
  virtual ~Notifier() = default;
  // One datagram of newline-separated KEY=VALUE assignments.
  virtual void send(const std::string& message) = 0;
  // The interval at which WATCHDOG=1 must arrive (WATCHDOG_USEC), when the watchdog is on.
  virtual std::optional<std::chrono::microseconds> watchdog_timeout() const = 0;
};

class SdNotifier final : public Notifier {
 public:
  void send(const std::string& message) override;
  std::optional<std::chrono::microseconds> watchdog_timeout() const override;
};

// What the runtime adds to the engine's counts on the STATUS= line.
struct RuntimeNote {
  bool reload_failed = false;  // the latest reload was refused; the previous config runs
  int reload_errors = 0;       // its error count
  bool stopping = false;
};

// "3 jobs, 1 in flight, 0 failed since start, platform ok", plus the runtime's note.
// Never more than one line: line breaks in the platform text become spaces.
std::string status_line(const core::EngineStats& stats, const RuntimeNote& note = {});

std::string status_message(const std::string& line);  // "STATUS=<line>"
std::string ready_message(const std::string& line);   // "READY=1\nSTATUS=<line>"
// "RELOADING=1\nMONOTONIC_USEC=<now>" (systemd 253 wants the timestamp with RELOADING=1)
std::string reloading_message(std::chrono::microseconds monotonic_now);
// STATUS= while the engine recovers runs and catches up (before READY=1).
inline constexpr const char* k_starting_status =
    "starting: resuming runs in flight, catching up missed slots";
inline constexpr const char* k_stopping_message = "STOPPING=1";
inline constexpr const char* k_watchdog_message = "WATCHDOG=1";

// CLOCK_MONOTONIC now, as systemd reads MONOTONIC_USEC.
std::chrono::microseconds monotonic_now();

// The watchdog ping period: half the timeout (sd_watchdog_enabled(3) advises pinging well
// within it), never below 1 ms.
std::chrono::milliseconds watchdog_period(std::chrono::microseconds timeout);

// Sends a changed STATUS= line at most once per `min_interval`; a change within the
// interval waits (the latest value wins) until due(). Pure: the caller passes the time.
class StatusThrottle {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  explicit StatusThrottle(Millis min_interval = std::chrono::seconds{1})
      : m_min_interval(min_interval) {}

  // The current line. Returns it when it should go out now; nullopt when unchanged or too
  // soon (then due() says when to call flush()).
  std::optional<std::string> offer(std::string line, TimePoint now);
  // The pending line, once its time has come.
  std::optional<std::string> flush(TimePoint now);
  std::optional<TimePoint> due() const;
  // A line that went out by another way (with READY=1).
  void mark_sent(std::string line, TimePoint now);

 private:
  Millis m_min_interval;
  std::optional<std::string> m_sent;
  TimePoint m_sent_at{};
  std::optional<std::string> m_pending;
};

}  // namespace bsched::runtime
