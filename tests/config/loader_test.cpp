// The loader's successful paths: defaults, merging, jobs.d, secrets, fingerprint, dump.
#include "config/loader.h"
#include "config/loader_util.h"

#include "tests/support/config_test_util.h"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include <algorithm>
#include <string>

using namespace bsched;
using namespace bsched::config;
using namespace std::chrono_literals;
using bsched::test::ConfigTempDir;
using bsched::test::ScopedEnv;

namespace {

const std::string k_ids =
    "    process_id: 6e79aead-40d4-4a35-9037-4370a86cc2f1\n"
    "    atom_id: 8fa55714-8e5e-45f1-a0d1-f57f2000f464\n";

std::string platform_with(const std::string& token_line) {
  return "platform:\n"
         "  account_id: acme-AB12CD\n"
         "  username: BOOMI_TOKEN.ops@acme.example\n"
         "  " + token_line + "\n";
}

const std::string k_platform = platform_with("token_env: BSCHED_TEST_TOKEN");

std::string one_job(const std::string& name, const std::string& extra = "") {
  return "  " + name + ":\n    schedule: \"30 2 * * *\"\n" + k_ids + extra;
}

std::shared_ptr<const Config> load_ok(const std::vector<SourceText>& files,
                                      LoadOptions options = {.read_secret = false}) {
  auto r = load_config_from_sources(files, options);
  if (!r) {
    for (const auto& d : r.error()) MESSAGE(d.to_string());
    FAIL("the configuration did not load");
  }
  return r->config;
}

std::string all_messages(const Result<Loaded, std::vector<Diagnostic>>& r) {
  std::string out;
  if (!r) {
    for (const auto& d : r.error()) out += d.to_string() + "\n";
  } else {
    for (const auto& d : r->warnings) out += d.to_string() + "\n";
  }
  return out;
}

}  // namespace

TEST_SUITE("config::loader") {
  TEST_CASE("a minimal configuration gets every documented default") {
    ScopedEnv tz("TZ", "America/New_York");
    auto c = load_ok({{"/etc/b/main.yaml", k_platform + "jobs:\n" + one_job("nightly")}});
    CHECK(c->platform.base_url == "https://api.boomi.com/api/rest/v1");
    CHECK(c->platform.account_base() == "https://api.boomi.com/api/rest/v1/acme-AB12CD");
    CHECK(c->platform.requests_per_second == 4);
    CHECK(c->platform.timeout == 30s);
    CHECK(c->platform.api == ApiKind::rest);
    CHECK(c->storage.path == "/var/lib/boomi-sched/state.db");
    CHECK(c->storage.retention == std::chrono::days{90});
    REQUIRE(c->jobs.size() == 1);
    const auto& j = c->jobs[0];
    CHECK(j.name == "nightly");
    CHECK(j.settings->timezone == "America/New_York");  // the host's zone
    CHECK(j.settings->zone != nullptr);
    CHECK(j.enabled);
    CHECK(j.settings->overlap == Overlap::skip);
    CHECK(j.settings->catchup == Catchup::latest);
    CHECK(j.settings->catchup_window == 1h);
    CHECK(j.settings->poll.initial == 5s);
    CHECK(j.settings->poll.max == 60s);
    CHECK(j.settings->record_timeout == 30min);
    CHECK(j.settings->run_timeout == 12h);
    CHECK(j.settings->submit_retry.attempts == 5);
    CHECK(j.settings->dst_fold == DstFold::automatic);
    CHECK(j.settings->run_id_property == "BOOMI_SCHED_RUN_ID");
    CHECK(j.schedules.size() == 1);
    CHECK(j.pos.line == 6);
    CHECK(j.pos.column == 3);
    CHECK(c->files == std::vector<std::string>{"/etc/b/main.yaml"});
  }

  TEST_CASE("defaults apply to every job and a job's own keys override them") {
    std::string text = k_platform +
                       "defaults:\n"
                       "  timezone: Europe/Berlin\n"
                       "  overlap: queue\n"
                       "  poll: {initial: 1s}\n"
                       "  dynamic_properties: {ENV: prod, REGION: eu}\n"
                       "  process_properties:\n"
                       "    - component_id: 1b2c3d4e-0000-4000-8000-000000000001\n"
                       "      values: {a: '1'}\n"
                       "jobs:\n" +
                       one_job("a") +
                       one_job("b",
                               "    timezone: UTC\n"
                               "    overlap: allow\n"
                               "    dynamic_properties: {ENV: test, EXTRA: x}\n"
                               "    process_properties: []\n"
                               "    run_id_property: false\n");
    auto c = load_ok({{"main.yaml", text}});
    REQUIRE(c->jobs.size() == 2);
    const auto& a = c->jobs[0];
    const auto& b = c->jobs[1];
    CHECK(a.settings->timezone == "Europe/Berlin");
    CHECK(a.settings->overlap == Overlap::queue);
    CHECK(a.settings->poll.initial == 1s);
    CHECK(a.settings->poll.max == 60s);
    CHECK(a.settings->dynamic_properties ==
          std::vector<std::pair<std::string, std::string>>{{"ENV", "prod"}, {"REGION", "eu"}});
    CHECK(a.settings->process_properties.size() == 1);
    CHECK(b.settings->timezone == "UTC");
    CHECK(b.settings->overlap == Overlap::allow);
    CHECK(b.settings->dynamic_properties == std::vector<std::pair<std::string, std::string>>{
                                                {"ENV", "test"}, {"REGION", "eu"}, {"EXTRA", "x"}});
    CHECK(b.settings->process_properties.empty());
    CHECK(b.settings->run_id_property.empty());
  }

  TEST_CASE("values jobs have in common are held once") {
    ConfigTempDir dir;
    auto main = dir.write("boomi-sched.yaml", k_platform + "jobs:\n" + one_job("a") + one_job("b"));
    dir.write("jobs.d/10-c.yaml", "jobs:\n" + one_job("c"));
    auto r = load_config(main, {.read_secret = false});
    REQUIRE(r.has_value());
    const auto& jobs = r->config->jobs;
    REQUIRE(jobs.size() == 3);
    for (const auto& j : jobs) {
      CAPTURE(j.name);
      CHECK(j.settings == jobs[0].settings);  // one shared copy, main file and jobs.d alike
    }
    CHECK(jobs[0].settings->run_id_property == "BOOMI_SCHED_RUN_ID");
  }

  TEST_CASE("jobs with equal settings share one copy and a job that overrides one has its own") {
    auto config =
        load_ok({{"boomi-sched.yaml", k_platform + "jobs:\n" + one_job("a") + one_job("b") +
                                          one_job("c", "    overlap: allow\n") + one_job("d") +
                                          one_job("e", "    overlap: allow\n")}});
    const auto& jobs = config->jobs;
    REQUIRE(jobs.size() == 5);
    CHECK(jobs[0].settings == jobs[1].settings);  // a, b: the defaults
    CHECK(jobs[0].settings == jobs[3].settings);  // d
    CHECK(jobs[2].settings == jobs[4].settings);  // c, e: the same override
    CHECK(jobs[0].settings != jobs[2].settings);
    CHECK(jobs[2].settings->overlap == Overlap::allow);
    CHECK(jobs[0].settings->overlap == Overlap::skip);
    CHECK(jobs[2].settings->atom_id == jobs[0].settings->atom_id);
  }

  TEST_CASE("editing a job's settings leaves the jobs that shared them alone") {
    Job a;
    Job b = a;
    REQUIRE(a.settings == b.settings);
    b.edit_settings().overlap = Overlap::queue;
    CHECK(b.settings->overlap == Overlap::queue);
    CHECK(a.settings->overlap == Overlap::skip);
    CHECK(Job::default_settings()->overlap == Overlap::skip);
  }

  TEST_CASE("jobs.d files are read in name order and jobs come out sorted by name") {
    ConfigTempDir dir;
    auto main = dir.write("boomi-sched.yaml", k_platform + "jobs:\n" + one_job("zeta"));
    dir.write("jobs.d/20-b.yaml", "jobs:\n" + one_job("alpha"));
    dir.write("jobs.d/10-a.yaml", "jobs:\n" + one_job("mid"));
    dir.write("jobs.d/.hidden.yaml", "garbage: [");
    auto r = load_config(main, {.read_secret = false});
    REQUIRE(r.has_value());
    const auto& c = *r->config;
    REQUIRE(c.jobs.size() == 3);
    CHECK(c.jobs[0].name == "alpha");
    CHECK(c.jobs[1].name == "mid");
    CHECK(c.jobs[2].name == "zeta");
    REQUIRE(c.files.size() == 3);
    CHECK(c.files[1].ends_with("jobs.d/10-a.yaml"));
    CHECK(c.files[2].ends_with("jobs.d/20-b.yaml"));
    CHECK(c.find_job("mid") == &c.jobs[1]);
    CHECK(c.find_job("nope") == nullptr);
    CHECK(c.files[c.jobs[0].pos.file].ends_with("20-b.yaml"));
    CHECK(c.files[c.jobs[1].pos.file].ends_with("10-a.yaml"));
    CHECK(c.jobs[2].pos.file == 0);
  }

  TEST_CASE("the token is read from token_env") {
    ScopedEnv token("BSCHED_TEST_TOKEN", "s3cr3t-env-value");
    auto c = load_ok({{"main.yaml", k_platform + "jobs:\n" + one_job("a")}}, {});
    CHECK(c->platform.token.reveal() == "s3cr3t-env-value");
  }

  TEST_CASE("an unset token_env is an error naming the variable") {
    ScopedEnv token("BSCHED_TEST_TOKEN", std::nullopt);
    auto r = load_config_from_sources({{"main.yaml", k_platform + "jobs:\n" + one_job("a")}});
    REQUIRE_FALSE(r.has_value());
    CHECK(all_messages(r) ==
          "main.yaml:4:14: platform.token_env: environment variable 'BSCHED_TEST_TOKEN' is not "
          "set or is empty\n");
  }

  TEST_CASE("the token is read from token_file without its trailing newline") {
    ConfigTempDir dir;
    auto token = dir.write("token", "file-s3cr3t\n");
    ::chmod(token.c_str(), 0600);
    auto main = dir.write("main.yaml",
                          platform_with("token_file: token") + "jobs:\n" + one_job("a"));
    auto r = load_config(main);
    REQUIRE(r.has_value());
    CHECK(r->warnings.empty());
    CHECK(r->config->platform.token.reveal() == "file-s3cr3t");
    CHECK(*r->config->platform.token_file == token);  // relative to the main file
  }

  TEST_CASE("a token file readable by others draws a warning, never its content") {
    ConfigTempDir dir;
    auto token = dir.write("token", "file-s3cr3t");
    ::chmod(token.c_str(), 0644);
    auto main = dir.write("main.yaml",
                          platform_with("token_file: token") + "jobs:\n" + one_job("a"));
    auto r = load_config(main);
    REQUIRE(r.has_value());
    CHECK(all_messages(r) == main + ":4:15: warning: platform.token_file: '" + token +
                                 "' has mode 0644, wider than 0640; restrict it with chmod 600\n");
  }

  TEST_CASE("a missing or empty token file is an error naming the file") {
    ConfigTempDir dir;
    auto main = dir.write("main.yaml",
                          platform_with("token_file: missing") + "jobs:\n" + one_job("a"));
    auto r = load_config(main);
    REQUIRE_FALSE(r.has_value());
    CHECK(all_messages(r) == main + ":4:15: platform.token_file: cannot read '" +
                                 (dir.path() / "missing").string() +
                                 "': No such file or directory (check the path and its permissions; "
                                 "'validate --no-secret' checks everything else)\n");
    auto empty = dir.write("missing", "\n");
    ::chmod(empty.c_str(), 0600);
    r = load_config(main);
    REQUIRE_FALSE(r.has_value());
    CHECK(all_messages(r) == main + ":4:15: platform.token_file: '" + empty + "' is empty\n");
    // Without read_secret the file is not touched.
    CHECK(load_config(main, {.read_secret = false}).has_value());
  }

  TEST_CASE("the fingerprint changes with any effective change, including the token") {
    ScopedEnv token("BSCHED_TEST_TOKEN", "one");
    auto text = k_platform + "jobs:\n" + one_job("a");
    auto base = load_ok({{"main.yaml", text}}, {})->fingerprint;
    CHECK(base.size() == 64);
    // Comments, key order and the file's name do not matter.
    CHECK(load_ok({{"other.yaml", "# note\n" + text}}, {})->fingerprint == base);
    CHECK(load_ok({{"main.yaml", text + "    enabled: false\n"}}, {})->fingerprint != base);
    CHECK(load_ok({{"main.yaml", text + "    poll: {max: 61s}\n"}}, {})->fingerprint != base);
    ScopedEnv other("BSCHED_TEST_TOKEN", "two");
    auto changed = load_ok({{"main.yaml", text}}, {})->fingerprint;
    CHECK(changed != base);
    CHECK(changed.find("two") == std::string::npos);
  }

  TEST_CASE("the fingerprint's hash is SHA-256 over length-prefixed fields") {
    using detail::FieldHasher;
    using detail::sha256_hex;
    // FIPS 180-2 test vectors.
    CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    // A field is "<length>:<bytes>", so moving a boundary changes the digest.
    CHECK(FieldHasher().add("abc").hex() == sha256_hex("3:abc"));
    CHECK(FieldHasher().add("ab").add("c").hex() == sha256_hex("2:ab1:c"));
    CHECK(FieldHasher().add("a").add("bc").hex() != FieldHasher().add("ab").add("c").hex());
    CHECK(FieldHasher().add(42).hex() == sha256_hex("2:42"));
  }

  TEST_CASE("the dump loads back to the same fingerprint and never shows the token") {
    ScopedEnv token("BSCHED_TEST_TOKEN", "dump-s3cr3t");
    std::string text = k_platform +
                       "defaults:\n"
                       "  timezone: Europe/Berlin\n"
                       "  dynamic_properties: {\"odd: key\": \"true\", N: 5}\n"
                       "jobs:\n"
                       "  a:\n"
                       "    schedule: ['30 2 * * *', '@daily']\n" +
                       k_ids +
                       "    dynamic_properties:\n"
                       "      FROM: \"${last_success_time:-${scheduled_time}}\"\n"
                       "    process_properties:\n"
                       "      - component_id: 1b2c3d4e-0000-4000-8000-000000000001\n"
                       "        values: {\"q\\\"d\": \"line\\nbreak \u00e9\"}\n";
    auto c = load_ok({{"main.yaml", text}}, {});
    auto dump = dump_config(*c);
    CHECK(dump.find("dump-s3cr3t") == std::string::npos);
    CHECK(dump.find("token: <redacted>") != std::string::npos);
    CHECK(dump.find("timezone: \"Europe/Berlin\"") != std::string::npos);
    auto again = load_ok({{"dump.yaml", dump}}, {});
    CHECK(again->fingerprint == c->fingerprint);
    CHECK(dump_config(*again) == dump);
  }

  TEST_CASE("relative storage paths resolve against the main file's directory") {
    auto c = load_ok({{"/etc/boomi-sched/boomi-sched.yaml",
                       k_platform + "storage: {path: state/x.db, retention: 7d}\njobs:\n" +
                           one_job("a")}});
    CHECK(c->storage.path == "/etc/boomi-sched/state/x.db");
    CHECK(c->storage.retention == std::chrono::days{7});
  }

  TEST_CASE("an empty run_id_property turns the run id off") {
    auto c = load_ok({{"main.yaml", k_platform + "jobs:\n" + one_job("a", "    run_id_property: \"\"\n") +
                                        one_job("b", "    run_id_property: MY_RUN\n")}});
    CHECK(c->jobs[0].settings->run_id_property.empty());
    CHECK(c->jobs[1].settings->run_id_property == "MY_RUN");
  }

  TEST_CASE("resolve_config_path prefers the flag, then BOOMI_SCHED_CONFIG, then /etc") {
    ScopedEnv env("BOOMI_SCHED_CONFIG", "/from/env.yaml");
    CHECK(resolve_config_path(std::string("/from/flag.yaml")) == "/from/flag.yaml");
    CHECK(resolve_config_path(std::nullopt) == "/from/env.yaml");
    ScopedEnv unset("BOOMI_SCHED_CONFIG", std::nullopt);
    CHECK(resolve_config_path(std::nullopt) == "/etc/boomi-sched/boomi-sched.yaml");
  }

  TEST_CASE("catchup all with overlap skip or queue draws a warning naming the job") {
    auto r = load_config_from_sources(
        {{"/etc/b.yaml", k_platform + "jobs:\n" + one_job("a", "    catchup: all\n") +
                             one_job("b", "    catchup: all\n    overlap: queue\n") +
                             one_job("c", "    catchup: all\n    overlap: allow\n")}},
        {.read_secret = false});
    REQUIRE(r.has_value());
    auto text = all_messages(r);
    CHECK(text.find("jobs.a: catchup: all with overlap: skip") != std::string::npos);
    CHECK(text.find("jobs.b: catchup: all with overlap: queue") != std::string::npos);
    CHECK(text.find("jobs.c:") == std::string::npos);
  }

  TEST_CASE("under api graphql properties are an error and the run id is not claimed as sent") {
    auto graphql = platform_with("token_env: BSCHED_TEST_TOKEN\n  api: graphql\n  space_guid: s-1");
    auto bad = load_config_from_sources(
        {{"/etc/b.yaml", graphql + "jobs:\n" + one_job("a", "    dynamic_properties: {X: y}\n") +
                             one_job("b", "    process_properties:\n"
                                          "      - component_id: 1b2c3d4e-0000-4000-8000-000000000001\n"
                                          "        values: {k: v}\n")}},
        {.read_secret = false});
    REQUIRE_FALSE(bad.has_value());
    auto text = all_messages(bad);
    CHECK(text.find("jobs.a: api graphql sends only atomId and processId") != std::string::npos);
    CHECK(text.find("its dynamic_properties would never reach the process") != std::string::npos);
    CHECK(text.find("its process_properties would never reach the process") != std::string::npos);
    auto ok = load_ok({{"/etc/b.yaml", graphql + "jobs:\n" + one_job("c")}});
    CHECK(ok->jobs[0].settings->run_id_property.empty());
    auto rest = load_ok({{"/etc/b.yaml", k_platform + "jobs:\n" + one_job("c")}});
    CHECK(std::string_view(rest->jobs[0].settings->run_id_property) == "BOOMI_SCHED_RUN_ID");
  }

  TEST_CASE("diagnostics print as file:line:col with a warning marker") {
    CHECK(Diagnostic{{"a.yaml", 3, 7}, "bad", false}.to_string() == "a.yaml:3:7: bad");
    CHECK(Diagnostic{{"a.yaml", 3, 7}, "meh", true}.to_string() == "a.yaml:3:7: warning: meh");
    CHECK(Diagnostic{{"a.yaml", 0, 0}, "gone", false}.to_string() == "a.yaml: gone");
  }
}
