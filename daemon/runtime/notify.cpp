#include "daemon/runtime/notify.h"

#include "config/escape.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <fmt/core.h>

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <string_view>

namespace bsched::runtime {

namespace {

// The variable's value as a positive integer; nullopt when unset, empty or not a number.
std::optional<std::uint64_t> env_number(const char* name) {
  const char* v = std::getenv(name);
  if (!v || !*v) return std::nullopt;
  std::uint64_t n = 0;
  auto end = v + std::strlen(v);
  auto [at, ec] = std::from_chars(v, end, n);
  if (ec != std::errc() || at != end || n == 0) return std::nullopt;
  return n;
}

}  // namespace

// The protocol of sd_notify(3), as in its standalone example: one datagram to the AF_UNIX
// socket $NOTIFY_SOCKET names, a path or (leading '@') an abstract address. Linking
// libsystemd for this would map it and six compression and crypto libraries (about 1 MB
// resident) into a daemon that needs neither. Failures are not fatal: outside systemd (no
// NOTIFY_SOCKET) this does nothing, and the variables stay for later messages.
void SdNotifier::send(const std::string& message) {
  const char* socket_path = std::getenv("NOTIFY_SOCKET");
  if (!socket_path) return;
  std::string_view path(socket_path);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() < 2 || path.size() >= sizeof addr.sun_path) return;
  if (path[0] != '/' && path[0] != '@') return;  // vsock and other forms are not used here
  std::memcpy(addr.sun_path, path.data(), path.size());
  if (addr.sun_path[0] == '@') addr.sun_path[0] = '\0';
  auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size());
  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  (void)::sendto(fd, message.data(), message.size(), MSG_NOSIGNAL,
                 reinterpret_cast<const sockaddr*>(&addr), length);
  ::close(fd);
}

std::optional<std::chrono::microseconds> SdNotifier::watchdog_timeout() const {
  // As sd_watchdog_enabled(3): WATCHDOG_USEC is set, and WATCHDOG_PID (if set) is this process.
  auto usec = env_number("WATCHDOG_USEC");
  if (!usec) return std::nullopt;
  if (std::getenv("WATCHDOG_PID")) {
    auto pid = env_number("WATCHDOG_PID");
    if (!pid || *pid != static_cast<std::uint64_t>(::getpid())) return std::nullopt;
  }
  return std::chrono::microseconds(*usec);
}

std::string status_line(const core::EngineStats& stats, const RuntimeNote& note) {
  std::string platform = stats.platform.empty() ? std::string("not contacted yet") : stats.platform;
  std::replace_if(platform.begin(), platform.end(), [](char c) { return c == '\n' || c == '\r'; },
                  ' ');
  auto line = fmt::format("{} job{}, {} in flight, {} failed since start, platform {}", stats.jobs,
                          stats.jobs == 1 ? "" : "s", stats.in_flight, stats.failures, platform);
  if (stats.store.rfind("failing", 0) == 0) {
    auto store = escape_controls(stats.store);
    line += "; state database " + store;
  }
  if (note.reload_failed) {
    line += fmt::format("; config reload failed ({} error{}), previous configuration running",
                        note.reload_errors, note.reload_errors == 1 ? "" : "s");
  }
  if (note.stopping) line += "; stopping";
  return line;
}

std::string status_message(const std::string& line) { return "STATUS=" + line; }

std::string ready_message(const std::string& line) { return "READY=1\nSTATUS=" + line; }

std::string reloading_message(std::chrono::microseconds monotonic_now) {
  return fmt::format("RELOADING=1\nMONOTONIC_USEC={}", monotonic_now.count());
}

std::chrono::microseconds monotonic_now() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return std::chrono::seconds(ts.tv_sec) +
         std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::nanoseconds(ts.tv_nsec));
}

std::chrono::milliseconds watchdog_period(std::chrono::microseconds timeout) {
  auto half = std::chrono::duration_cast<std::chrono::milliseconds>(timeout / 2);
  return std::max(half, std::chrono::milliseconds(1));
}

std::optional<std::string> StatusThrottle::offer(std::string line, TimePoint now) {
  if (m_sent && *m_sent == line) {
    m_pending.reset();  // changed and changed back within the interval: nothing to say
    return std::nullopt;
  }
  if (!m_sent || now - m_sent_at >= m_min_interval) {
    mark_sent(line, now);
    return line;
  }
  m_pending = std::move(line);
  return std::nullopt;
}

std::optional<std::string> StatusThrottle::flush(TimePoint now) {
  if (!m_pending || now - m_sent_at < m_min_interval) return std::nullopt;
  auto line = std::move(*m_pending);
  mark_sent(line, now);
  return line;
}

std::optional<StatusThrottle::TimePoint> StatusThrottle::due() const {
  if (!m_pending) return std::nullopt;
  return m_sent_at + m_min_interval;
}

void StatusThrottle::mark_sent(std::string line, TimePoint now) {
  m_sent = std::move(line);
  m_sent_at = now;
  m_pending.reset();
}

}  // namespace bsched::runtime
