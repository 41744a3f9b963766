// The pure text pieces of `status` and `history` (daemon/status/status_format.h).
#include "daemon/status/status_format.h"
#include "tests/storage/store_test_util.h"

#include <doctest/doctest.h>

using namespace bsched;
using namespace bsched::status;
using namespace std::chrono_literals;

TEST_SUITE("storage::status_format") {
  TEST_CASE("spans show two units at most") {
    CHECK(format_span(12s) == "12s");
    CHECK(format_span(4min + 59s) == "4m");
    CHECK(format_span(15h + 2min + 30s) == "15h 02m");
    CHECK(format_span(3 * 24h + 2h + 5min) == "3d 2h");
    CHECK(format_span(-90s) == "1m");
  }

  TEST_CASE("compact durations are exact to the unit shown") {
    CHECK(format_compact(41ms) == "41ms");
    CHECK(format_compact(4970ms) == "4.9s");
    CHECK(format_compact(12s) == "12s");
    CHECK(format_compact(3min + 12s) == "3m12s");
    CHECK(format_compact(2h + 5min) == "2h05m");
    CHECK(format_compact(76h) == "3d4h");
  }

  TEST_CASE("zone labels are short") {
    CHECK(zone_label("America/New_York") == "NY");
    CHECK(zone_label("America/Los_Angeles") == "LA");
    CHECK(zone_label("Europe/Berlin") == "Berlin");
    CHECK(zone_label("UTC") == "UTC");
  }

  TEST_CASE("instants read relative to today in the job's zone") {
    auto ny = *find_zone("America/New_York");
    auto now = test::t0();  // Wed 2026-11-25 07:00 EST
    CHECK(format_when(now + 3h, ny, now, true) == "10:00 EST");
    CHECK(format_when(now + 24h + 30s, ny, now, false) == "Thu 07:00:30");
    CHECK(format_when(now - 2 * 24h, ny, now, false) == "Mon 07:00");
    CHECK(format_when(now + 30 * 24h, ny, now, true) == "2026-12-25 07:00 EST");
  }

  TEST_CASE("the header tells whether the daemon runs and what the platform answers") {
    auto now = test::ms(test::t0());
    DaemonState none;
    CHECK(render_status_header(none, now) ==
          "daemon: not running (no daemon has used this database yet)\n");
    storage::Heartbeat h{4121, now - 74h, now - 5s, test::ms(test::t0() - 2h), "fp", "ok"};
    CHECK(render_status_header(DaemonState{true, h}, now) ==
          "daemon: running (pid 4121, up 3d 2h, config loaded 2026-11-25 10:00 UTC, platform "
          "ok)\n");
    CHECK(render_status_header(DaemonState{false, h}, now) ==
          "daemon: not running (last seen 2026-11-25 11:59 UTC)\n");
    CHECK(render_status_header(DaemonState{false, h, true}, now) ==
          "daemon: pid 4121 is alive but silent since 2026-11-25 11:59 UTC (its heartbeat "
          "stopped: it cannot write the state database, or it hangs; see its log)\n");
    h.store_state = "ok (last outage 2026-11-25T11:00:00.000Z .. 2026-11-25T11:02:00.000Z, 9 "
                    "errors: database or disk is full)";
    CHECK(render_status_header(DaemonState{true, h}, now).find(
              "\nstate database: ok (last outage 2026-11-25T11:00:00.000Z") != std::string::npos);
  }

  TEST_CASE("a pair's header has one line per node and names the leader, escaping names") {
    auto now = test::ms(test::t0());
    storage::Heartbeat h{4121, now - 2h, now - 5s, now - 2h, "fp", "ok"};
    DaemonState d{true, h};
    d.nodes = {{"sched-a", "0.1.0", "stopped", 6, now - 3s, false},
               {"sched-b", "0.1.0", "leader", 7, now - 1s, true},
               {"evil\n\x1b[2Jname", "0.1.0", "standby", 7, now - 2s, false}};
    auto text = render_status_header(d, now);
    INFO(text);
    CHECK(text.find("nodes: 3 (leader: sched-b)\n") != std::string::npos);
    CHECK(text.find("  sched-a  stopped  epoch 6  seen 3s ago  version 0.1.0\n") !=
          std::string::npos);
    CHECK(text.find("  sched-b  leader  epoch 7  seen 1s ago  version 0.1.0\n") !=
          std::string::npos);
    CHECK(text.find('\x1b') == std::string::npos);  // a name from the database cannot steer
    CHECK(text.find("evil\n") == std::string::npos);  // the terminal or break the line
    d.nodes[1].leads = false;  // the lease ran out: nobody leads
    CHECK(render_status_header(d, now).find("nodes: 3 (leader: none)") != std::string::npos);
    d.nodes.clear();  // one host: no nodes line
    CHECK(render_status_header(d, now).find("nodes:") == std::string::npos);
  }

  TEST_CASE("daemon_state needs a fresh heartbeat and a live pid") {
    auto now = test::ms(test::t0());
    storage::Heartbeat h{4121, now, now - 30s, now, "fp", "ok"};
    auto alive = [](int) { return true; };
    auto dead = [](int) { return false; };
    CHECK(daemon_state(h, now, +alive).running);
    CHECK(!daemon_state(h, now, +dead).running);
    h.updated_at = now - 121s;
    CHECK(!daemon_state(h, now, +alive).running);
    CHECK(daemon_state(h, now, +alive).silent);  // alive, but its heartbeat stopped
    CHECK(!daemon_state(h, now, +dead).silent);
    CHECK(!daemon_state(std::nullopt, now, +alive).running);
  }

  TEST_CASE("the result column names the state, the duration and the start of the message") {
    storage::RunRow r;
    r.state = storage::RunState::error;
    r.running_at = test::ms(test::t0());
    r.finished_at = test::ms(test::t0() + 192s);
    r.message = "Map step failed on document 17";
    CHECK(run_result(r, test::ms(test::t0())) == "ERROR 3m12s \"Map step failed…\"");
    r.state = storage::RunState::running;
    r.finished_at.reset();
    r.message.clear();
    CHECK(run_result(r, test::ms(test::t0() + 120s)) == "RUNNING 2m00s");
  }

  TEST_CASE("tables pad every column but the last, and a short row's last cell spans") {
    CHECK(render_table({{"A", "BB", "C"}, {"long", "x", "y"}, {"p", "spanning text"}}) ==
          "A     BB  C\n"
          "long  x   y\n"
          "p     spanning text\n");
  }
}
