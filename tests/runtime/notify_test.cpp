// systemd notifications: message building, the STATUS= throttle, and libsystemd's sender
// against a socket the test owns.
#include "daemon/runtime/notify.h"
#include "tests/runtime/notify_socket.h"
#include "tests/support/config_test_util.h"

#include <doctest/doctest.h>

#include <unistd.h>

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
}
