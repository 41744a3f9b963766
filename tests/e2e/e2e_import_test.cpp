// `boomi-sched import` through the real binary against the simulator's process schedules:
// import, validate, run the daemon on the result, switch the platform's schedules off, switch
// them back on from the record; and a failure halfway (503, then a timeout) that leaves a
// record matching the platform's state.
#include "tests/e2e/e2e_support.h"

#include "daemon/cli/import_record.h"
#include "daemon/platform/boomi_client.h"

#include <doctest/doctest.h>

using namespace bsched::e2e;

namespace {

constexpr const char* k_atom = "8fa55714-8e5e-45f1-a0d1-f57f2000f464";

// GET ProcessScheduleStatus/{id} from the simulator, with the test's credentials.
bool platform_enabled(const SimProcess& sim, const std::string& status_id) {
  namespace http = boost::beast::http;
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket socket(io);
  socket.connect({boost::asio::ip::make_address("127.0.0.1"), sim.port});
  timeval tv{5, 0};
  ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string id;
  for (char c : status_id) id += c == ':' ? std::string("%3A") : std::string(1, c);
  http::request<http::string_body> req{
      http::verb::get, "/api/rest/v1/" + sim.account + "/ProcessScheduleStatus/" + id, 11};
  req.set(http::field::host, "127.0.0.1");
  req.set(http::field::accept, "application/json");
  req.set(http::field::authorization,
          bsched::platform::basic_authorization("BOOMI_TOKEN.sim@example.com", k_token));
  http::write(socket, req);
  boost::beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::read(socket, buffer, res);
  REQUIRE(res.result_int() == 200);
  return json::parse(res.body()).at("enabled").as_bool();
}

bsched::cli::SwitchRecord read_record(const std::string& path) {
  auto r = bsched::cli::parse_switch_record(bsched::test::read_text(path));
  REQUIRE(r.has_value());
  return *r;
}

// Every entry's state agrees with what the platform holds now.
void check_matches_platform(const SimProcess& sim, const bsched::cli::SwitchRecord& rec) {
  using bsched::cli::SwitchState;
  for (const auto& e : rec.entries) {
    INFO(e.job << " " << bsched::cli::switch_state_name(e.state));
    bool off = e.state == SwitchState::disabled || e.state == SwitchState::already_disabled;
    CHECK(platform_enabled(sim, e.status_id) == !off);
  }
}

int count_requests(const SimProcess& sim, const std::string& method, const std::string& part) {
  int n = 0;
  for (const auto& r : sim.requests()) {
    const auto& o = r.as_object();
    if (o.at("method").as_string() == method &&
        std::string(o.at("target").as_string()).find(part) != std::string::npos)
      ++n;
  }
  return n;
}

// POST /ProcessSchedules/{id} clears a process's schedules: no request may have that shape.
int schedule_writes(const SimProcess& sim) {
  int n = 0;
  for (const auto& r : sim.requests()) {
    const auto& o = r.as_object();
    std::string target(o.at("target").as_string());
    auto at = target.find("/ProcessSchedules/");
    if (o.at("method").as_string() != "POST" || at == std::string::npos) continue;
    auto rest = target.substr(at + 18);
    if (rest != "query" && rest != "queryMore" && rest != "bulk") ++n;
  }
  return n;
}

int twice_lines(const bsched::test::CommandOutput& out) {
  int n = 0;
  for (auto at = out.out.find("twice: "); at != std::string::npos; at = out.out.find("twice: ", at + 1))
    ++n;
  return n;
}

std::string existing_job() {
  return "  orders-sync:\n    schedule: \"0 */2 * * *\"\n"
         "    process_id: 6e79aead-40d4-4a35-9037-4370a86cc2f1\n"
         "    atom_id: 8fa55714-8e5e-45f1-a0d1-f57f2000f464\n";
}

}  // namespace

TEST_SUITE("e2e::import") {
  TEST_CASE("import, validate, run, switch off on the platform, switch back on from the record") {
    ConfigTempDir dir;
    SimProcess sim(dir);
    auto config = write_e2e_config(dir, sim, existing_job());
    auto out = (dir.path() / "jobs.d" / "imported.yaml").string();
    auto base = "import --config '" + config + "' --atom " + k_atom + " --zone Europe/Berlin";

    auto dry = cli(dir, base + " --dry-run");
    INFO("dry run: " << dry.out << dry.err);
    CHECK(dry.exit_code == 1);  // the demo set holds rules without an equivalent
    CHECK(dry.out.find("\"30 2 * * 1-5\"") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(out));
    CHECK(dry.err.find("already configured as job 'orders-sync'") != std::string::npos);
    CHECK(count_requests(sim, "POST", "/ProcessSchedules/queryMore") == 1);  // a second page

    auto check = "import --check --config '" + config + "' --atom " + k_atom;
    auto before = cli(dir, check);
    CHECK(before.exit_code == 1);
    CHECK(before.out.find("twice: job orders-sync") != std::string::npos);
    CHECK(twice_lines(before) == 1);

    auto imp = cli(dir, base + " --out '" + out + "' --disable-on-platform");
    INFO("import: " << imp.out << imp.err);
    CHECK(imp.exit_code == 1);
    auto yaml = bsched::test::read_text(out);
    CHECK(yaml.find("- \"0-59/15 8-17 * * *\"") != std::string::npos);
    CHECK(yaml.find("# NOT CONVERTED: a Retry block") != std::string::npos);
    CHECK(yaml.find("process-5c4e0000-0000-4000-8000-000000000003:") != std::string::npos);
    auto record_path = out + ".platform-record.json";
    auto rec = read_record(record_path);
    CHECK(rec.entries.size() == 4);  // complete and enabled: demo processes 1 to 4
    for (const auto& e : rec.entries) CHECK(e.state == bsched::cli::SwitchState::disabled);
    check_matches_platform(sim, rec);
    CHECK(imp.err.find("import.disabled job=process-5c4e0000-0000-4000-8000-000000000001") !=
          std::string::npos);

    CHECK(twice_lines(cli(dir, check)) == 1);  // the imported ones are off there

    auto valid = cli(dir, "validate --config '" + config + "'");
    INFO("validate: " << valid.out << valid.err);
    CHECK(valid.exit_code == 0);
    {
      DaemonProcess daemon(dir, config);
      CHECK(daemon.wait_ready());
    }

    auto again = cli(dir, base + " --out '" + out + "' --disable-on-platform");
    CHECK(again.exit_code == 1);  // the file and the record are never overwritten silently
    CHECK(again.err.find("exists") != std::string::npos);

    auto on = cli(dir, "import --config '" + config + "' --enable-on-platform --from-record '" +
                           record_path + "'");
    INFO("enable: " << on.out << on.err);
    CHECK(on.exit_code == 0);
    rec = read_record(record_path);
    for (const auto& e : rec.entries) {
      CHECK(e.state == bsched::cli::SwitchState::enabled);
      CHECK(platform_enabled(sim, e.status_id));
    }
    // Switched back on there while the imported jobs exist here: each fires twice now.
    CHECK(twice_lines(cli(dir, check)) == 5);  // not the Retry one: it is off here
    CHECK(schedule_writes(sim) == 0);
  }

  TEST_CASE("a failure halfway (503, then a timeout) leaves a record that matches the platform") {
    ConfigTempDir dir;
    SimProcess sim(dir);
    dir.write("jobs.d/jobs.yaml", "jobs:\n" + e2e_job("other", "0 0 1 1 *"));
    auto config = dir.write(
        "boomi-sched.yaml",
        "platform:\n  account_id: " + sim.account + "\n  base_url: " + sim.base_url +
            "\n  username: BOOMI_TOKEN.sim@example.com\n  token_env: " + k_token_env +
            "\n  requests_per_second: 0\n  timeout: 400ms\n"
            "storage:\n  path: " + (dir.path() / "state.db").string() + "\n"
            "http:\n  listen: 127.0.0.1:0\n");
    sim_http(sim.port, boost::beast::http::verb::post, "/__sim/schedules",
             R"({"fail_updates_after":1,"slow_ms":1000,"failures":["503","503","503","503",)"
             R"("timeout","timeout","timeout","timeout"]})");
    auto out = (dir.path() / "jobs.d" / "imported.yaml").string();
    auto imp = cli(dir, std::string("import --config '") + config + "' --atom " + k_atom +
                            " --zone UTC --out '" + out + "' --disable-on-platform");
    INFO("import: " << imp.out << imp.err);
    CHECK(imp.exit_code == 1);
    auto rec = read_record(out + ".platform-record.json");
    REQUIRE(rec.entries.size() == 5);  // demo processes 1 to 4 and the dev job's process
    using bsched::cli::SwitchState;
    CHECK(rec.entries[0].state == SwitchState::disabled);
    CHECK(rec.entries[1].state == SwitchState::failed);  // 503 four times: not switched
    CHECK(rec.entries[1].error.find("503") != std::string::npos);
    CHECK(rec.entries[2].state == SwitchState::disabled);  // timed out, read back: off
    CHECK(rec.entries[3].state == SwitchState::disabled);
    CHECK(rec.entries[4].state == SwitchState::disabled);
    check_matches_platform(sim, rec);

    auto on = cli(dir, "import --config '" + config + "' --enable-on-platform --from-record '" +
                           out + ".platform-record.json'");
    CHECK(on.exit_code == 0);
    for (const auto& e : read_record(out + ".platform-record.json").entries)
      CHECK(platform_enabled(sim, e.status_id));
    CHECK(schedule_writes(sim) == 0);
  }
}
