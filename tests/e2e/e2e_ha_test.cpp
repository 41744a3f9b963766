// An active/standby pair on PostgreSQL (docs/ha.md): two real daemons with the same jobs
// against one private PostgreSQL and the simulator. A clean stop hands the lease over at once;
// a leader killed with SIGKILL is replaced within the lease; no slot is ever submitted twice,
// nothing is left in flight, and every slot is either run or in the missed-slot ledger.
#include "tests/e2e/e2e_support.h"
#include "tests/support/pg_cluster.h"
#include "tests/support/pg_proxy.h"
#include "tests/support/pg_test_util.h"

#include "storage/pg/pg_run_store.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <random>
#include <set>

using namespace bsched::e2e;
namespace storage = bsched::storage;

namespace {

// Node `node`'s configuration: the jobs and platform of write_e2e_config, the runs in
// PostgreSQL at `conninfo`, its own instance-lock file, and a short lease.
std::string pair_config(const ConfigTempDir& dir, const std::string& base, const std::string& node,
                        const std::string& conninfo, const std::string& lease) {
  auto text = bsched::test::read_text(base);
  auto at = text.find("storage:\n");
  REQUIRE(at != std::string::npos);
  auto end = text.find('\n', text.find("path:", at));
  text.replace(at, end + 1 - at,
               "storage:\n  path: " + (dir.path() / (node + ".db")).string() +
                   "\n  postgres: \"" + conninfo + "\"\n");
  text += "ha:\n  node: " + node + "\n  lease: " + lease + "\n";
  return dir.write(node + ".yaml", text);
}

// How many lines of a daemon's log hold `what`.
int count_in_log(const DaemonProcess& d, const std::string& what) {
  auto log = d.log();
  int n = 0;
  for (auto at = log.find(what); at != std::string::npos; at = log.find(what, at + 1)) ++n;
  return n;
}

// How many times a daemon's log says it began serving as the leader.
int terms(const DaemonProcess& d) { return count_in_log(d, "leader.serving"); }

Ledger read_pair_ledger(const std::string& conninfo) {
  auto store = storage::pg::PgRunStore::open(conninfo);
  REQUIRE(store.has_value());
  return ledger_of(**store);
}

// Every slot of every job between its first and its last one (schedules every `period`
// seconds) is a run or inside a gap; returns the slots that are neither ("job@time").
std::vector<std::string> uncovered_slots(const Ledger& l, int period) {
  std::map<std::string, std::set<std::int64_t>> covered;
  for (const auto& r : l.runs) {
    if (r.trigger != storage::Trigger::schedule && r.trigger != storage::Trigger::catchup)
      continue;
    covered[r.job].insert(r.slot.time_since_epoch().count());
  }
  for (const auto& g : l.gaps) {
    for (auto t = g.first.time_since_epoch().count(); t <= g.last.time_since_epoch().count();
         t += period)
      covered[g.job].insert(t);
  }
  std::vector<std::string> out;
  for (const auto& [job, slots] : covered) {
    for (auto t = *slots.begin(); t <= *slots.rbegin(); t += period) {
      if (!slots.contains(t)) out.push_back(job + "@" + std::to_string(t));
    }
  }
  return out;
}

// Disables every job on both nodes and waits until no run is in flight. Each node must have
// the disabled jobs in force first: before that, a moment with no run in flight may fall
// between two slots, and the next slot still fires.
bool settle(const ConfigTempDir& dir, const std::string& jobs_disabled,
            std::vector<DaemonProcess*> nodes, const std::string& conninfo) {
  std::vector<int> reloads;
  for (auto* n : nodes) reloads.push_back(count_in_log(*n, "config.reloaded"));
  dir.write("jobs.d/jobs.yaml", "jobs:\n" + jobs_disabled);
  for (auto* n : nodes) n->child().signal(SIGHUP);
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    auto reloaded = [&] { return count_in_log(*nodes[i], "config.reloaded") > reloads[i]; };
    if (!wait_until(reloaded, 30s)) return false;
  }
  return wait_until([&] { return read_pair_ledger(conninfo).non_terminal == 0; }, 30s);
}

void check_ledger(const SimProcess& sim, const std::string& conninfo, int period) {
  auto dups = duplicated_slots(sim.submits());
  INFO("duplicated: " << (dups.empty() ? std::string("none") : dups.front()));
  CHECK(dups.empty());
  auto ledger = read_pair_ledger(conninfo);
  CHECK(ledger.non_terminal == 0);
  std::set<std::string> slots;
  for (const auto& r : ledger.runs) {
    if (r.trigger == storage::Trigger::manual) continue;
    CHECK(slots.insert(r.job + "@" + bsched::format_utc(r.slot)).second);
  }
  for (const auto& g : ledger.gaps) CHECK_FALSE(g.reason.empty());
  auto holes = uncovered_slots(ledger, period);
  INFO("neither run nor missed: " << (holes.empty() ? std::string("none") : holes.front()));
  CHECK(holes.empty());
  MESSAGE("pair: " << ledger.runs.size() << " runs, " << ledger.gaps.size() << " gap rows, "
                   << sim.submits().size() << " submits");
}

// The log's timestamp of the first (or last) line holding `what` ("" when none): ISO times
// in UTC, so two daemons' times on one host compare as text.
std::string time_of(const DaemonProcess& d, const std::string& what, bool last) {
  auto log = d.log();
  auto at = last ? log.rfind(what) : log.find(what);
  if (at == std::string::npos) return "";
  auto line = log.rfind('\n', at);
  line = line == std::string::npos ? 0 : line + 1;
  return log.substr(line, log.find(' ', line) - line);
}

std::string jobs_on(int count, const std::string& schedule, const std::string& extra = "") {
  std::string jobs;
  for (int i = 0; i < count; ++i) jobs += e2e_job("h" + std::to_string(i), schedule, extra);
  return jobs;
}

}  // namespace

TEST_SUITE("e2e::ha") {
  TEST_CASE("a clean stop of the leader hands the lease to the standby within a second") {
    auto conninfo = bsched::test::PgCluster::get().new_database("ha_clean");
    ConfigTempDir dir;
    SimProcess sim(dir, {"--pickup-delay", "200ms", "--run-duration", "300ms"});
    auto base = write_e2e_config(dir, sim, jobs_on(5, "* * * * * *"),
                                 "  catchup_window: 1s\n  overlap: allow\n");
    auto config_a = pair_config(dir, base, "node-a", conninfo, "4s");
    auto config_b = pair_config(dir, base, "node-b", conninfo, "4s");
    DaemonProcess a(dir, config_a, {}, 1);
    REQUIRE(a.wait_ready());
    REQUIRE(wait_until([&] { return terms(a) == 1; }, 10s));
    DaemonProcess b(dir, config_b, {}, 2);
    REQUIRE(b.wait_ready());
    std::this_thread::sleep_for(2s);
    CHECK_MESSAGE(terms(b) == 0, "node-b log:\n" << b.log());  // a standby while node-a leads

    auto stopped_at = std::chrono::steady_clock::now();
    a.child().signal(SIGTERM);
    CHECK(a.child().exit_code(6s) == 0);
    CHECK_MESSAGE(wait_until([&] { return terms(b) == 1; }, 5s), "node-b log:\n" << b.log());
    auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - stopped_at);
    MESSAGE("clean handover: node-b serving " << took.count() << " ms after SIGTERM to node-a");
    CHECK(took < 1s);
    CHECK(a.log().find("leader.resigned") != std::string::npos);
    std::this_thread::sleep_for(2s);  // node-b fires on

    // Both nodes in `status` (read on either host), in its JSON, and in node-b's metrics.
    auto status = cli(dir, "status --config " + config_a);
    INFO("status:\n" << status.out << status.err);
    CHECK(status.exit_code == 0);
    CHECK(status.out.find("nodes: 2 (leader: node-b)") != std::string::npos);
    CHECK(status.out.find("node-a  stopped") != std::string::npos);
    auto doc = json::parse(cli(dir, "status --json --config " + config_b).out);
    const auto& nodes = doc.at("daemon").at("nodes").as_array();
    REQUIRE(nodes.size() == 2);
    CHECK(nodes[1].at("name").as_string() == "node-b");
    CHECK(nodes[1].at("leads").as_bool());
    CHECK(nodes[1].at("epoch").as_int64() == 2);
    CHECK(doc.at("daemon").at("running").as_bool());
    // The status page and its JSON on node-b's own listener read the pair's database.
    auto api = json::parse(sim_http(b.http_port(), boost::beast::http::verb::get, "/api/status"));
    CHECK(api.at("daemon").at("nodes").as_array().size() == 2);
    auto page = sim_http(b.http_port(), boost::beast::http::verb::get, "/");
    CHECK(page.find("pair of 2 nodes, leader node-b (epoch 2)") != std::string::npos);
    auto metrics = sim_http(b.http_port(), boost::beast::http::verb::get, "/metrics");
    CHECK(metrics.find("boomi_sched_leader 1") != std::string::npos);
    CHECK(metrics.find("boomi_sched_leader_epoch 2") != std::string::npos);

    CHECK(settle(dir, jobs_on(5, "* * * * * *", "    enabled: false\n"), {&b}, conninfo));
    b.child().signal(SIGTERM);
    CHECK(b.child().exit_code(6s) == 0);
    check_ledger(sim, conninfo, 1);
  }

  // 50 jobs every 2 s; the leader killed 10 times (30 with BSCHED_E2E_LONG=1).
  TEST_CASE("the leader killed with SIGKILL again and again: no slot twice, none lost") {
    const int kills = long_variant() ? 30 : 10;
    const auto seed = static_cast<unsigned>(std::random_device{}());
    MESSAGE("ha kill test: " << kills << " kills, seed " << seed);
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int> up_ms(500, 3000);

    auto conninfo = bsched::test::PgCluster::get().new_database("ha_kill");
    ConfigTempDir dir;
    SimProcess sim(dir, {"--pickup-delay", "200ms", "--run-duration", "500ms"});
    const std::string schedule = "*/2 * * * * *";
    // A 2 s lease: a takeover comes at most one lease (plus a renewal period) after the kill.
    // record_timeout 5s: a run killed between its `submitting` commit and its request ends
    // `unknown` within the test instead of reconciling for 30 minutes.
    auto base = write_e2e_config(dir, sim, jobs_on(50, schedule),
                                 "  catchup_window: 10s\n  overlap: allow\n  record_timeout: 5s\n");
    std::vector<std::string> configs{pair_config(dir, base, "node-a", conninfo, "2s"),
                                     pair_config(dir, base, "node-b", conninfo, "2s")};
    std::vector<std::unique_ptr<DaemonProcess>> nodes(2);
    int life = 0;
    using Env = std::map<std::string, std::string>;
    nodes[0] = std::make_unique<DaemonProcess>(dir, configs[0], Env{}, life++);
    REQUIRE(nodes[0]->wait_ready());
    REQUIRE(wait_until([&] { return terms(*nodes[0]) == 1; }, 10s));
    nodes[1] = std::make_unique<DaemonProcess>(dir, configs[1], Env{}, life++);
    REQUIRE(nodes[1]->wait_ready());
    int leader = 0;
    std::chrono::milliseconds slowest{0};
    for (int k = 0; k < kills; ++k) {
      std::this_thread::sleep_for(std::chrono::milliseconds(up_ms(rng)));
      int standby = 1 - leader;
      int before = terms(*nodes[standby]);
      auto killed_at = std::chrono::steady_clock::now();
      nodes[leader]->child().kill_and_reap();
      bool took_over = wait_until([&] { return terms(*nodes[standby]) > before; }, 2s + 5s);
      auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now() - killed_at);
      REQUIRE_MESSAGE(took_over, "kill " << k << ": standby log:\n" << nodes[standby]->log());
      slowest = std::max(slowest, took);
      // The killed node comes back as the standby.
      nodes[leader] = std::make_unique<DaemonProcess>(dir, configs[leader], Env{}, life++);
      REQUIRE(nodes[leader]->wait_ready());
      leader = standby;
    }
    MESSAGE("ha kill test: slowest takeover " << slowest.count() << " ms after SIGKILL");
    CHECK(slowest < 2s + 5s);
    std::this_thread::sleep_for(3s);
    CHECK(settle(dir, jobs_on(50, schedule, "    enabled: false\n"),
                 {nodes[0].get(), nodes[1].get()}, conninfo));
    for (auto& n : nodes) {
      n->child().signal(SIGTERM);
      CHECK(n->child().exit_code(6s) == 0);
    }
    check_ledger(sim, conninfo, 2);
  }

  TEST_CASE("PostgreSQL restarted under load: both nodes reconnect, no slot twice, none lost") {
    auto& cluster = bsched::test::PgCluster::get();
    auto conninfo = cluster.new_database("ha_restart");
    ConfigTempDir dir;
    SimProcess sim(dir, {"--pickup-delay", "200ms", "--run-duration", "300ms"});
    auto base = write_e2e_config(dir, sim, jobs_on(10, "* * * * * *"),
                                 "  catchup_window: 10s\n  overlap: allow\n  record_timeout: 5s\n");
    DaemonProcess a(dir, pair_config(dir, base, "node-a", conninfo, "3s"), {}, 1);
    REQUIRE(a.wait_ready());
    REQUIRE(wait_until([&] { return terms(a) == 1; }, 10s));
    DaemonProcess b(dir, pair_config(dir, base, "node-b", conninfo, "3s"), {}, 2);
    REQUIRE(b.wait_ready());
    std::this_thread::sleep_for(2s);
    cluster.restart();
    auto restarted_at = sim.submits().size();
    // Slots keep being sent after the restart, by whichever node leads.
    CHECK_MESSAGE(wait_until([&] { return sim.submits().size() >= restarted_at + 30; }, 15s),
                  "node-a log:\n" << a.log() << "\nnode-b log:\n" << b.log());
    CHECK(a.child().running());
    CHECK(b.child().running());
    CHECK(settle(dir, jobs_on(10, "* * * * * *", "    enabled: false\n"), {&a, &b}, conninfo));
    for (auto* n : {&a, &b}) {
      n->child().signal(SIGTERM);
      CHECK(n->child().exit_code(6s) == 0);
    }
    check_ledger(sim, conninfo, 1);
  }

  // The leader's database connection (store and lease alike) goes through a proxy that stops
  // forwarding: it stops sending before its lease can run out, the standby takes over.
  TEST_CASE("the leader's database connection black-holed: it stops sending, the standby "
            "takes over, no slot twice") {
    auto& cluster = bsched::test::PgCluster::get();
    auto direct = cluster.new_database("ha_blackhole");
    auto proxy_dir = cluster.socket_dir() + "/proxy-e2e";
    std::filesystem::create_directories(proxy_dir);
    bsched::test::ThreadedPgProxy proxy(proxy_dir, cluster.socket_dir() + "/.s.PGSQL.5432");
    auto via_proxy = "host=" + proxy_dir + " dbname=ha_blackhole user=postgres";
    ConfigTempDir dir;
    SimProcess sim(dir, {"--pickup-delay", "200ms", "--run-duration", "300ms"});
    auto base = write_e2e_config(dir, sim, jobs_on(10, "* * * * * *"),
                                 "  catchup_window: 10s\n  overlap: allow\n  record_timeout: 5s\n");
    auto config_a = pair_config(dir, base, "node-a", via_proxy, "3s");
    DaemonProcess a(dir, config_a, {}, 1);
    REQUIRE(a.wait_ready());
    REQUIRE(wait_until([&] { return terms(a) == 1; }, 10s));
    DaemonProcess b(dir, pair_config(dir, base, "node-b", direct, "3s"), {}, 2);
    REQUIRE(b.wait_ready());
    std::this_thread::sleep_for(2s);

    proxy.set_blackhole(true);
    auto silent_at = std::chrono::steady_clock::now();
    bool took_over = wait_until([&] { return terms(b) == 1; }, 3s + 5s);
    auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - silent_at);
    INFO("node-a log:\n" << a.log() << "\nnode-b log:\n" << b.log());
    REQUIRE(took_over);
    MESSAGE("black hole: node-b serving " << took.count() << " ms after node-a's database went "
                                          "silent (lease 3000 ms)");
    std::this_thread::sleep_for(2s);  // node-b fires; node-a must not
    // node-a sent its last request before node-b took the lease.
    auto a_last = time_of(a, "run.submitting", true);
    auto b_acquired = time_of(b, "leader.acquired", false);
    CHECK_FALSE(a_last.empty());
    CHECK(a_last < b_acquired);
    CHECK(a.log().find("leader.lost") != std::string::npos);
    CHECK(a.child().running());

    proxy.set_blackhole(false);
    CHECK(settle(dir, jobs_on(10, "* * * * * *", "    enabled: false\n"), {&a, &b}, direct));
    for (auto* n : {&a, &b}) {
      n->child().signal(SIGTERM);
      n->child().exit_code(8s);
    }
    check_ledger(sim, direct, 1);
  }

  // The runs table locked by another session for three leases: every store call of the
  // leader waits out its deadline, yet its lease renewals (their own connection and thread)
  // go on, so the pair does not change leader over a slow table; the slots are sent late,
  // once, when the lock goes.
  TEST_CASE("the runs table locked for three leases: the leader keeps its lease, no slot "
            "twice") {
    auto conninfo = bsched::test::PgCluster::get().new_database("ha_locked");
    ConfigTempDir dir;
    SimProcess sim(dir, {"--pickup-delay", "200ms", "--run-duration", "300ms"});
    auto base = write_e2e_config(dir, sim, jobs_on(10, "* * * * * *"),
                                 "  catchup_window: 30s\n  overlap: allow\n"
                                 "  record_timeout: 5s\n");
    DaemonProcess a(dir, pair_config(dir, base, "node-a", conninfo, "2s"), {}, 1);
    REQUIRE(a.wait_ready());
    REQUIRE(wait_until([&] { return terms(a) == 1; }, 10s));
    DaemonProcess b(dir, pair_config(dir, base, "node-b", conninfo, "2s"), {}, 2);
    REQUIRE(b.wait_ready());
    std::this_thread::sleep_for(2s);

    {
      bsched::test::TableLock lock(conninfo, "runs");
      std::this_thread::sleep_for(6s);
      lock.release();
    }
    auto released_at = sim.submits().size();
    CHECK_MESSAGE(wait_until([&] { return sim.submits().size() >= released_at + 30; }, 15s),
                  "node-a log:\n" << a.log());
    INFO("node-a log:\n" << a.log() << "\nnode-b log:\n" << b.log());
    CHECK(a.log().find("leader.lost") == std::string::npos);
    CHECK(terms(a) == 1);
    CHECK(terms(b) == 0);
    CHECK(settle(dir, jobs_on(10, "* * * * * *", "    enabled: false\n"), {&a, &b}, conninfo));
    for (auto* n : {&a, &b}) {
      n->child().signal(SIGTERM);
      CHECK(n->child().exit_code(6s) == 0);
    }
    check_ledger(sim, conninfo, 1);
  }
}
