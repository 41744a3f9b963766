// storage.postgres and the `ha` section: read, defaulted, refused when wrong, and the
// connection string (which may hold a password) never printed.
#include "config/loader.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <string>

using namespace bsched::config;

namespace {

std::string config_with(const std::string& sections) {
  return "platform:\n  account_id: a\n  username: u\n  token_env: BSCHED_HA_TEST_TOKEN\n" +
         sections + "jobs:\n  j:\n    schedule: \"0 * * * *\"\n    process_id: p\n    atom_id: a\n";
}

bsched::Result<Loaded, std::vector<Diagnostic>> load_text(const std::string& text) {
  return load_config_from_sources({{"/etc/b.yaml", text}}, {.read_secret = false});
}

std::string messages(const bsched::Result<Loaded, std::vector<Diagnostic>>& r) {
  std::string out;
  if (!r)
    for (const auto& d : r.error()) out += d.to_string() + "\n";
  return out;
}

const std::string k_pg =
    "storage:\n  postgres: \"host=/run/pg dbname=sched user=sched password=pw-never-shown\"\n";

}  // namespace

TEST_SUITE("config::ha") {
  TEST_CASE("storage.postgres is read, ha defaults to the host name and a 15 s lease") {
    auto r = load_text(config_with(k_pg));
    REQUIRE_MESSAGE(r.has_value(), messages(r));
    const auto& c = *r->config;
    CHECK(c.storage.postgres.reveal() == "host=/run/pg dbname=sched user=sched password=pw-never-shown");
    char host[256] = {};
    REQUIRE(::gethostname(host, sizeof host - 1) == 0);
    CHECK(c.ha.node == std::string(host));
    CHECK(c.ha.lease == std::chrono::seconds(15));
  }

  TEST_CASE("ha.node and ha.lease are read") {
    auto r = load_text(config_with(k_pg + "ha:\n  node: sched-a\n  lease: 20s\n"));
    REQUIRE_MESSAGE(r.has_value(), messages(r));
    CHECK(r->config->ha.node == "sched-a");
    CHECK(r->config->ha.lease == std::chrono::seconds(20));
  }

  TEST_CASE("ha without storage.postgres is refused with what to do") {
    auto r = load_text(config_with("ha:\n  node: sched-a\n"));
    REQUIRE_FALSE(r.has_value());
    CHECK(messages(r).find("needs storage.postgres") != std::string::npos);
  }

  TEST_CASE("a node name with other characters, and a lease out of range, are refused") {
    auto bad_node = load_text(config_with(k_pg + "ha:\n  node: \"sched a/../b\"\n"));
    REQUIRE_FALSE(bad_node.has_value());
    CHECK(messages(bad_node).find("is not a node name") != std::string::npos);
    auto long_node = load_text(config_with(k_pg + "ha:\n  node: " + std::string(65, 'n') + "\n"));
    CHECK_FALSE(long_node.has_value());
    auto short_lease = load_text(config_with(k_pg + "ha:\n  lease: 500ms\n"));
    REQUIRE_FALSE(short_lease.has_value());
    CHECK(messages(short_lease).find("between 1s and 10m") != std::string::npos);
    CHECK_FALSE(load_text(config_with(k_pg + "ha:\n  lease: 11m\n")).has_value());
    CHECK_FALSE(load_text(config_with(k_pg + "ha:\n  leader: yes\n")).has_value());  // unknown key
    CHECK_FALSE(load_text(config_with("storage:\n  postgres: \"\"\n")).has_value());
  }

  TEST_CASE("the printed configuration hides the connection string and shows the pair") {
    auto r = load_text(config_with(k_pg + "ha:\n  node: sched-b\n"));
    REQUIRE_MESSAGE(r.has_value(), messages(r));
    auto printed = dump_config(*r->config);
    CHECK(printed.find("pw-never-shown") == std::string::npos);
    CHECK(printed.find("host=/run/pg") == std::string::npos);
    CHECK(printed.find("postgres: <redacted>") != std::string::npos);
    CHECK(printed.find("node: \"sched-b\"") != std::string::npos);
    auto plain = load_text(config_with(""));
    REQUIRE(plain.has_value());
    CHECK(dump_config(*plain->config).find("ha:") == std::string::npos);
    CHECK(plain->config->fingerprint != r->config->fingerprint);
  }
}
