// The monitoring files shipped in docs/monitoring/ (alert rules, Grafana dashboard) use only
// series the daemon exports, and what the daemon renders passes `promtool check metrics`.
#include "daemon/core/run_metrics.h"
#include "daemon/metrics/registry.h"
#include "daemon/platform/request_metrics.h"
#include "daemon/runtime/daemon_metrics.h"
#include "tests/support/config_test_util.h"

#include <boost/json.hpp>
#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

using namespace bsched;
using namespace bsched::test;

namespace {

const std::string k_docs = std::string(BSCHED_SOURCE_DIR) + "/docs/monitoring/";

// Every family the daemon's parts register, with histogram series names added.
std::set<std::string> exported_names(const metrics::Registry& r) {
  std::set<std::string> names;
  for (const auto& [name, type] : r.families()) {
    names.insert(name);
    if (type == "histogram") {
      for (auto suffix : {"_bucket", "_sum", "_count"}) names.insert(name + suffix);
    }
  }
  return names;
}

std::set<std::string> referenced(const std::string& text) {
  std::set<std::string> out;
  std::regex name("boomi_sched_[a-z_]+");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), name); it != std::sregex_iterator(); ++it) {
    out.insert(it->str());
  }
  return out;
}

bool promtool_present() { return std::system("command -v promtool >/dev/null 2>&1") == 0; }

// A registry with every family of the daemon and a few series set.
struct DaemonRegistry {
  DaemonRegistry() {
    core::RunMetrics runs(registry);
    platform::RequestMetrics requests(registry);
    runtime::DaemonMetrics daemon(registry, SysMillis(std::chrono::seconds(1796000000)));
    storage::RunRow row;
    row.job = "orders \"eu\"\\ok\n";
    row.slot = std::chrono::sys_seconds(std::chrono::seconds(1796000000));
    row.state = storage::RunState::error;
    row.submitting_at = SysMillis(row.slot) + Millis(12);
    row.finished_at = SysMillis(row.slot) + std::chrono::seconds(75);
    runs.started(row, SysMillis(row.slot) + Millis(12));
    runs.finished(row);
    runs.missed({0, "billing", storage::RunState::missed, row.slot, row.slot, 3, "daemon down", {}});
    requests.exchange("POST ExecutionRequest", "200", 0.04);
    requests.throttle_wait(0.25);
  }
  metrics::Registry registry;
};

}  // namespace

TEST_SUITE("metrics::monitoring_files") {
  TEST_CASE("the alert rules and the dashboard use only exported series") {
    DaemonRegistry d;
    auto names = exported_names(d.registry);
    REQUIRE(names.count("boomi_sched_runs_finished_total") == 1);
    REQUIRE(names.count("boomi_sched_run_lateness_seconds_bucket") == 1);
    for (std::string file : {"boomi-sched.rules.yml", "grafana-dashboard.json"}) {
      auto text = read_text(k_docs + file);
      REQUIRE_MESSAGE(!text.empty(), file);
      auto used = referenced(text);
      CHECK_MESSAGE(used.size() >= 4, file);
      for (const auto& n : used) CHECK_MESSAGE(names.count(n) == 1, file << " uses " << n);
    }
  }

  TEST_CASE("the dashboard is valid JSON with a Prometheus query in every panel") {
    auto doc = boost::json::parse(read_text(k_docs + "grafana-dashboard.json"));
    const auto& panels = doc.at("panels").as_array();
    CHECK(panels.size() >= 10);
    for (const auto& p : panels) {
      const auto& targets = p.at("targets").as_array();
      CHECK_MESSAGE(!targets.empty(), p.at("title").as_string());
      for (const auto& t : targets) CHECK(!t.at("expr").as_string().empty());
    }
  }

  TEST_CASE("promtool accepts the alert rules and a rendered scrape with hostile label values") {
    if (!promtool_present()) {
      REQUIRE_MESSAGE(std::getenv("CI") == nullptr, "CI must have promtool (install-deps.sh --test)");
      MESSAGE("promtool is not installed: skipped");
      return;
    }
    ConfigTempDir dir;
    auto rules = run_command("promtool check rules '" + k_docs + "boomi-sched.rules.yml'", dir);
    CHECK_MESSAGE(rules.exit_code == 0, rules.out << rules.err);
    DaemonRegistry d;
    auto text = d.registry.render();
    CHECK(text.find("job=\"orders \\\"eu\\\"\\\\ok\\n\"") != std::string::npos);
    {
      std::ofstream out(dir.path() / "scrape.txt", std::ios::binary);
      out << text;
    }
    auto check = run_command("promtool check metrics < '" + (dir.path() / "scrape.txt").string() + "'", dir);
    CHECK_MESSAGE(check.exit_code == 0, check.out << check.err);
    // promtool's lint reports problems on stdout/stderr even when it exits 0 for some of them.
    CHECK_MESSAGE(check.out.empty(), check.out);
    CHECK_MESSAGE(check.err.empty(), check.err);
  }
}
