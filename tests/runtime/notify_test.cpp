// systemd notifications: message building, the STATUS= throttle, and the sender against
// sockets the test owns.
#include "daemon/runtime/notify.h"
#include "tests/runtime/notify_socket.h"
#include "tests/support/config_test_util.h"

#include <doctest/doctest.h>

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <string>

using namespace bsched::runtime;
using bsched::core::EngineStats;
using bsched::test::ConfigTempDir;
using bsched::test::NotifySocket;
using bsched::test::ScopedEnv;
using namespace std::chrono_literals;

TEST_SUITE("runtime::notify") {
  TEST_CASE("the status line counts jobs, runs in flight, failures and the platform state") {
    EngineStats s{12, 3, 1, "ok"};
    CHECK(status_line(s) == "12 jobs, 3 in flight, 1 failed since start, platform ok");
    EngineStats one{1, 0, 0, "auth failed: 401 Unauthorized"};
    CHECK(status_line(one) ==
          "1 job, 0 in flight, 0 failed since start, platform auth failed: 401 Unauthorized");
  }

  TEST_CASE("the status line says when a reload was refused and stays on one line") {
    EngineStats s{2, 0, 0, "unreachable:\nconnection refused"};
    RuntimeNote note;
    note.reload_failed = true;
    note.reload_errors = 3;
    auto line = status_line(s, note);
    CHECK(line.find('\n') == std::string::npos);
    CHECK(line ==
          "2 jobs, 0 in flight, 0 failed since start, platform unreachable: connection refused; "
          "config reload failed (3 errors), previous configuration running");
  }

  TEST_CASE("READY=1 carries the status and RELOADING=1 carries MONOTONIC_USEC") {
    CHECK(ready_message("x") == "READY=1\nSTATUS=x");
    CHECK(status_message("y") == "STATUS=y");
    CHECK(reloading_message(123456789us) == "RELOADING=1\nMONOTONIC_USEC=123456789");
    auto a = monotonic_now();
    auto b = monotonic_now();
    CHECK(a.count() > 0);
    CHECK(b >= a);
  }

  TEST_CASE("the watchdog is pinged at half its timeout") {
    CHECK(watchdog_period(30s) == 15s);
    CHECK(watchdog_period(1000us) == 0ms + 1ms);  // never zero
    CHECK(watchdog_period(3s) == 1500ms);
  }

  TEST_CASE("a changed status goes out at once, then at most once per interval") {
    StatusThrottle t(1s);
    StatusThrottle::TimePoint t0{};
    CHECK(t.offer("a", t0) == "a");
    CHECK_FALSE(t.offer("a", t0 + 100ms).has_value());  // unchanged
    CHECK_FALSE(t.offer("b", t0 + 200ms).has_value());  // too soon: pending
    CHECK(t.due() == t0 + 1s);
    CHECK_FALSE(t.offer("c", t0 + 300ms).has_value());  // the latest value wins
    CHECK_FALSE(t.flush(t0 + 999ms).has_value());
    CHECK(t.flush(t0 + 1s) == "c");
    CHECK_FALSE(t.due().has_value());
    CHECK(t.offer("d", t0 + 2s + 1ms) == "d");
  }

  TEST_CASE("a status that changes back within the interval is not sent") {
    StatusThrottle t(1s);
    StatusThrottle::TimePoint t0{};
    CHECK(t.offer("a", t0) == "a");
    CHECK_FALSE(t.offer("b", t0 + 100ms).has_value());
    CHECK_FALSE(t.offer("a", t0 + 200ms).has_value());
    CHECK_FALSE(t.due().has_value());
    CHECK_FALSE(t.flush(t0 + 5s).has_value());
  }

  TEST_CASE("a line sent with READY=1 counts as sent") {
    StatusThrottle t(1s);
    StatusThrottle::TimePoint t0{};
    t.mark_sent("a", t0);
    CHECK_FALSE(t.offer("a", t0 + 2s).has_value());
    CHECK_FALSE(t.offer("b", t0 + 500ms).has_value());
  }

  TEST_CASE("SdNotifier delivers datagrams to NOTIFY_SOCKET") {
    ConfigTempDir dir;
    NotifySocket socket((dir.path() / "notify.sock").string());
    ScopedEnv env("NOTIFY_SOCKET", socket.path());
    SdNotifier n;
    n.send(ready_message("1 job"));
    n.send(k_stopping_message);
    CHECK(socket.receive(1000ms) == "READY=1\nSTATUS=1 job");
    CHECK(socket.receive(1000ms) == "STOPPING=1");
  }

  TEST_CASE("SdNotifier reads the watchdog timeout meant for this process only") {
    ScopedEnv usec("WATCHDOG_USEC", std::string("4000000"));
    {
      ScopedEnv pid("WATCHDOG_PID", std::to_string(::getpid()));
      CHECK(SdNotifier().watchdog_timeout() == std::chrono::microseconds(4000000));
    }
    {
      ScopedEnv pid("WATCHDOG_PID", std::to_string(::getpid() + 1));
      CHECK_FALSE(SdNotifier().watchdog_timeout().has_value());
    }
    ScopedEnv none("WATCHDOG_USEC", std::nullopt);
    CHECK_FALSE(SdNotifier().watchdog_timeout().has_value());
  }

  TEST_CASE("SdNotifier ignores a malformed watchdog timeout or pid") {
    ScopedEnv pid("WATCHDOG_PID", std::nullopt);
    for (const char* bad : {"", "0", "4s", "-5", "12 ", "99999999999999999999999"}) {
      CAPTURE(bad);
      ScopedEnv usec("WATCHDOG_USEC", std::string(bad));
      CHECK_FALSE(SdNotifier().watchdog_timeout().has_value());
    }
    ScopedEnv usec("WATCHDOG_USEC", std::string("250000"));
    CHECK(SdNotifier().watchdog_timeout() == std::chrono::microseconds(250000));
    ScopedEnv bad_pid("WATCHDOG_PID", std::string("self"));
    CHECK_FALSE(SdNotifier().watchdog_timeout().has_value());
  }

  TEST_CASE("SdNotifier reaches an abstract NOTIFY_SOCKET and does nothing without one") {
    std::string name = "bsched-notify-test-" + std::to_string(::getpid());
    int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path + 1, name.data(), name.size());  // sun_path[0] = 0: abstract
    auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), length) == 0);
    {
      ScopedEnv env("NOTIFY_SOCKET", "@" + name);
      SdNotifier().send("READY=1");
    }
    {
      ScopedEnv env("NOTIFY_SOCKET", std::nullopt);
      SdNotifier().send("STATUS=nowhere");  // no socket: nothing happens
    }
    char buf[64];
    pollfd p{fd, POLLIN, 0};
    REQUIRE(::poll(&p, 1, 1000) == 1);
    auto n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    CHECK(std::string(buf, static_cast<std::size_t>(std::max<ssize_t>(n, 0))) == "READY=1");
    CHECK(::recv(fd, buf, sizeof buf, MSG_DONTWAIT) < 0);  // exactly one datagram
    ::close(fd);
  }
}
