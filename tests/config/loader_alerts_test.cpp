// The `alerts` section and pause_after_failures (config/loader_alerts.cpp).
#include "config/loader.h"
#include "config/loader_alerts.h"

#include "tests/support/config_test_util.h"

#include <doctest/doctest.h>

#include <string>

using namespace bsched;
using namespace bsched::config;
using namespace std::chrono_literals;

namespace {

const std::string k_head =
    "platform:\n"
    "  account_id: acme-AB12CD\n"
    "  username: BOOMI_TOKEN.ops@acme.example\n"
    "  token_env: BSCHED_TEST_TOKEN\n";

const std::string k_jobs =
    "jobs:\n"
    "  orders-sync:\n"
    "    schedule: \"30 2 * * *\"\n"
    "    process_id: 6e79aead-40d4-4a35-9037-4370a86cc2f1\n"
    "    atom_id: 8fa55714-8e5e-45f1-a0d1-f57f2000f464\n";

Result<Loaded, std::vector<Diagnostic>> load(const std::string& alerts,
                                             const std::string& extra = "") {
  return load_config_from_sources({{"/etc/boomi-sched/main.yaml", k_head + alerts + k_jobs + extra}},
                                  {.read_secret = false});
}

std::string errors(const std::string& alerts) {
  auto r = load(alerts);
  REQUIRE(!r);
  std::string out;
  for (const auto& d : r.error()) out += d.to_string() + "\n";
  return out;
}

}  // namespace

TEST_SUITE("config::alerts") {
  TEST_CASE("a webhook sink and a command sink load with their settings and defaults") {
    auto r = load(
        "alerts:\n"
        "  - name: ops-chat\n"
        "    webhook: https://hooks.example.com/T000/B000/SECRET\n"
        "    on: [failed, recovered]\n"
        "    late_after: 2m\n"
        "    jobs: [\"orders-*\"]\n"
        "  - name: pager\n"
        "    command: [/usr/local/bin/page-oncall, --team, ops]\n");
    REQUIRE(r.has_value());
    const auto& a = r->config->alerts;
    REQUIRE(a.size() == 2);
    CHECK(a[0].name == "ops-chat");
    CHECK(a[0].on == std::vector<std::string>{"failed", "recovered"});
    CHECK(a[0].late_after == 2min);
    CHECK(a[0].matches_job("orders-sync"));
    CHECK(!a[0].matches_job("billing"));
    CHECK(a[0].shown_webhook() == "https://hooks.example.com/\u2026");
    CHECK(a[1].command == std::vector<std::string>{"/usr/local/bin/page-oncall", "--team", "ops"});
    CHECK(a[1].on.size() == 6);  // every kind by default
    CHECK(a[1].matches_job("anything"));
    CHECK(a[1].timeout == 30s);
  }

  TEST_CASE("a webhook's ca_file resolves against the main file, unreadable or on a command it is an error") {
    bsched::test::ConfigTempDir dir;
    dir.write("hooks-ca.pem", "not checked here: BeastTransport loads it\n");
    auto main = dir.write("main.yaml", k_head +
                                           "alerts:\n"
                                           "  - name: chat\n"
                                           "    webhook: https://hooks.example.com/T0/SECRET\n"
                                           "    ca_file: hooks-ca.pem\n" +
                                           k_jobs);
    auto r = load_config(main, {.read_secret = false});
    REQUIRE(r.has_value());
    REQUIRE(r->config->alerts.size() == 1);
    CHECK(r->config->alerts[0].ca_file == (dir.path() / "hooks-ca.pem").string());
    CHECK(dump_config(*r->config).find("ca_file: " + (dir.path() / "hooks-ca.pem").string()) !=
          std::string::npos);

    CHECK(errors("alerts:\n"
                 "  - name: chat\n"
                 "    webhook: https://hooks.example.com/T0/SECRET\n"
                 "    ca_file: /nonexistent/ca.pem\n"
                 "  - name: pager\n"
                 "    command: /bin/true\n"
                 "    ca_file: /etc/hostname\n") ==
          "/etc/boomi-sched/main.yaml:8:14: alerts[0].ca_file: cannot read '/nonexistent/ca.pem': "
          "No such file or directory\n"
          "/etc/boomi-sched/main.yaml:11:14: alerts[1].ca_file: applies to a webhook, not a command\n");
  }

  TEST_CASE("the printed configuration shows the webhook as scheme://host/… only") {
    auto r = load("alerts:\n  - name: chat\n    webhook: https://hooks.example.com:8443/T0/SECRET\n");
    REQUIRE(r.has_value());
    auto text = dump_config(*r->config);
    CHECK(text.find("SECRET") == std::string::npos);
    CHECK(text.find("https://hooks.example.com:8443/\u2026") != std::string::npos);
    // What is printed loads back (with the webhook replaced): the keys are the loader's.
    CHECK(text.find("late_after: 5m") != std::string::npos);
  }

  TEST_CASE("each wrong sink is reported at file:line:col") {
    CHECK(errors("alerts:\n"
                 "  - name: a\n"
                 "    webhook: https://hooks.example.com/x\n"
                 "    command: /bin/true\n"
                 "  - name: b\n"
                 "  - name: c\n"
                 "    webhook: http://hooks.example.com/SECRET\n"
                 "  - name: d\n"
                 "    command: /bin/true\n"
                 "    on: [failed, exploded]\n"
                 "    jobs: [\"orders-[\"]\n"
                 "  - name: a\n"
                 "    command: /bin/true\n") ==
          "/etc/boomi-sched/main.yaml:6:5: alerts[0]: set exactly one of 'webhook' and 'command' "
          "(both are set)\n"
          "/etc/boomi-sched/main.yaml:9:5: alerts[1]: set exactly one of 'webhook' and "
          "'command'\n"
          "/etc/boomi-sched/main.yaml:11:14: alerts[2].webhook: plain http is allowed only to a "
          "loopback address (127.0.0.1, ::1, localhost); use https\n"
          "/etc/boomi-sched/main.yaml:14:18: alerts[3].on[1]: 'exploded' is not one of failed, "
          "missed, late, stuck, auth, recovered\n"
          "/etc/boomi-sched/main.yaml:15:12: alerts[3].jobs[0]: 'orders-[' is not a valid glob "
          "(empty, or a '[' without its ']')\n"
          "/etc/boomi-sched/main.yaml:16:5: alerts[4]: the name 'a' is taken by an earlier alert "
          "sink\n");
  }

  TEST_CASE("hostile values: the webhook's path never appears in a message") {
    auto out = errors("alerts:\n"
                      "  - name: a\n"
                      "    webhook: https://user:SECRET@hooks.example.com/SECRET\n"
                      "  - name: b\n"
                      "    webhook: ftp://hooks.example.com/SECRET\n"
                      "  - name: \"bad name\"\n"
                      "    command: [\"\"]\n"
                      "  - 42\n"
                      "  - name: e\n"
                      "    webhook: {url: x}\n");
    CHECK(out.find("SECRET") == std::string::npos);
    CHECK(out.find("alerts[0].webhook") != std::string::npos);
    CHECK(out.find("alerts[1].webhook") != std::string::npos);
    CHECK(out.find("'bad name' is not a valid name") != std::string::npos);
    CHECK(out.find("alerts[3]") != std::string::npos);
    CHECK(out.find("alerts[4].webhook") != std::string::npos);
    CHECK(errors("alerts: {name: x}\n").find("expected a list of alert sinks") != std::string::npos);
  }

  TEST_CASE("glob checks") {
    CHECK(detail::is_valid_glob("orders-*"));
    CHECK(detail::is_valid_glob("job-[0-9]"));
    CHECK(detail::is_valid_glob("a[]]b"));
    CHECK(detail::is_valid_glob("a\\[b"));
    CHECK(!detail::is_valid_glob(""));
    CHECK(!detail::is_valid_glob("a[b"));
    CHECK(!detail::is_valid_glob("a[]"));
  }

  TEST_CASE("pause_after_failures is read per job and from defaults, 0 meaning never") {
    auto r = load("defaults:\n  pause_after_failures: 5\n");
    REQUIRE(r.has_value());
    CHECK(r->config->jobs[0].settings->pause_after_failures == 5);
    auto none = load("");
    REQUIRE(none.has_value());
    CHECK(none->config->jobs[0].settings->pause_after_failures == 0);
    CHECK(none->config->fingerprint != r->config->fingerprint);
    auto bad = load("defaults:\n  pause_after_failures: -1\n");
    CHECK(!bad);
  }
}
