// The JSON API and the pages against a real state database: /api/status and the history
// answer exactly what `status --json` and `history --json` print for the same database.
#include "config/loader.h"
#include "daemon/web/router.h"
#include "daemon/web/status_page.h"
#include "daemon/web/status_reader.h"
#include "tests/cli/cli_support.h"
#include "tests/storage/store_test_util.h"

#include <unistd.h>

#include <doctest/doctest.h>

using namespace bsched;
using namespace bsched::clitest;
using namespace std::chrono_literals;

namespace {

// A configuration of two daily jobs (their next fire stays put while a test runs) and a
// database with runs of both, one failed with a hostile message, and a fresh heartbeat of
// this process (so both readers see a running daemon).
struct Fixture {
  ConfigTempDir dir;
  std::string config_path;
  std::string db;
  std::shared_ptr<const config::Config> config;

  Fixture() {
    config_path = write_offline_config(dir, cli_job("nightly", "0 3 * * *") +
                                                cli_job("weekly", "30 4 * * 1"));
    db = (dir.path() / "state.db").string();
    auto store = storage::SqliteRunStore::open(db);
    REQUIRE(store.has_value());
    auto& s = **store;
    test::run_in_state(s, "nightly", test::t0() - 72h, storage::RunState::complete);
    test::run_in_state(s, "nightly", test::t0() - 48h, storage::RunState::complete);
    auto failed = test::run_in_state(s, "nightly", test::t0() - 24h, storage::RunState::running);
    storage::RunUpdate u;
    u.message = "<script>alert(\"x\")</script> & more";
    REQUIRE(s.transition(failed.id, storage::RunState::error, test::ms(test::t0() - 24h, 900), u)
                .has_value());
    test::run_in_state(s, "weekly", test::t0() - 168h, storage::RunState::complete);
    auto now = std::chrono::time_point_cast<Millis>(std::chrono::system_clock::now());
    storage::Heartbeat h{static_cast<int>(::getpid()), now - 1h, now, now - 1h, "abc123", "ok", "ok"};
    REQUIRE(s.write_heartbeat(h).has_value());
    auto loaded = config::load_config(config_path, {.read_secret = false});
    REQUIRE(loaded.has_value());
    config = loaded->config;
  }
};

web::Response get(web::Router& router, const std::string& target) {
  return router.handle({"GET", target, ""});
}

boost::json::value parse(const std::string& text) {
  boost::system::error_code ec;
  auto v = boost::json::parse(text, ec);
  REQUIRE_MESSAGE(!ec, text);
  return v;
}

}  // namespace

TEST_SUITE("web::api") {
  TEST_CASE("/api/status is exactly status --json for the same database") {
    Fixture f;
    web::StatusReader reader(f.config_path, f.db);
    web::Router router({.status = &reader, .config = [&] { return f.config; }}, {});
    auto r = get(router, "/api/status");
    REQUIRE(r.status == 200);
    CHECK(r.content_type == "application/json");
    auto cli = status_json(f.dir, f.config_path);
    CHECK(parse(r.body) == boost::json::value(cli));
    CHECK(cli.at("daemon").at("state") == "running");
  }

  TEST_CASE("/api/jobs/NAME/history is exactly history NAME --json") {
    Fixture f;
    web::StatusReader reader(f.config_path, f.db);
    web::Router router({.status = &reader, .config = [&] { return f.config; }}, {});
    for (std::string limit : {"", "2"}) {
      auto r = get(router, "/api/jobs/nightly/history" + (limit.empty() ? "" : "?limit=" + limit));
      REQUIRE(r.status == 200);
      auto out = run_cli(f.dir, f.config_path,
                         "history nightly --json" + (limit.empty() ? "" : " --limit " + limit));
      REQUIRE(out.exit_code == 0);
      CHECK(parse(r.body) == parse(out.out));
    }
  }

  TEST_CASE("before pages through the history") {
    Fixture f;
    web::StatusReader reader(f.config_path, f.db);
    web::Router router({.status = &reader, .config = [&] { return f.config; }}, {});
    auto first = parse(get(router, "/api/jobs/nightly/history?limit=2").body).as_array();
    REQUIRE(first.size() == 2);
    auto before = std::string(first.back().at("slot").as_string());
    auto next = parse(get(router, "/api/jobs/nightly/history?limit=2&before=" + before).body)
                    .as_array();
    REQUIRE(next.size() == 1);
    CHECK(next[0].at("slot").as_string() < before);
    CHECK(get(router, "/api/jobs/nightly/history?limit=0").status == 400);
    CHECK(get(router, "/api/jobs/nightly/history?before=yesterday").status == 400);
  }

  TEST_CASE("unknown jobs and path tricks answer 404 JSON, an overlong URL 414") {
    Fixture f;
    web::StatusReader reader(f.config_path, f.db);
    web::Router router({.status = &reader, .config = [&] { return f.config; }}, {});
    auto unknown = get(router, "/api/jobs/nope/history");
    CHECK(unknown.status == 404);
    CHECK(parse(unknown.body).at("error").is_string());
    for (const char* target : {"/api/jobs/%2e%2e/history", "/api/jobs/a%2fb/history",
                               "/api/jobs/%00/history", "/api/jobs/a/b/history",
                               "/api/jobs/%3Cscript%3E/history", "/api/jobs//history",
                               "/jobs/%2e%2e/x", "/jobs/%00", "/jobs/..", "/nope", "/api/status/x"}) {
      CAPTURE(target);
      CHECK(get(router, target).status == 404);
    }
    CHECK(get(router, "/jobs/" + std::string(3000, 'a')).status == 414);
    CHECK(get(router, "/api/jobs/" + std::string(65, 'a') + "/history").status == 404);
    CHECK(get(router, "/api/jobs/nightl%79/history").status == 200);  // decoded
  }
}

TEST_SUITE("web::page") {
  TEST_CASE("the status page has one row per job, escapes platform text and marks a failure red") {
    Fixture f;
    web::StatusReader reader(f.config_path, f.db);
    web::Router router({.status = &reader, .config = [&] { return f.config; }}, {});
    auto r = get(router, "/");
    REQUIRE(r.status == 200);
    CHECK(r.content_type == "text/html; charset=utf-8");
    CHECK(r.body.find("name=\"viewport\"") != std::string::npos);
    CHECK(r.body.find("data-job=\"nightly\"") != std::string::npos);
    CHECK(r.body.find("data-job=\"weekly\"") != std::string::npos);
    CHECK(r.body.find("<script>alert") == std::string::npos);
    CHECK(r.body.find("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; more") !=
          std::string::npos);
    CHECK(r.body.find("class=\"mark m-bad\" data-state=\"error\"") != std::string::npos);
    CHECK(r.body.find("class=\"badge b-failing\"") != std::string::npos);
    CHECK(r.body.find("src=") == std::string::npos);  // nothing loaded from elsewhere
  }

  TEST_CASE("a job's page lists its history and links to the older page") {
    Fixture f;
    web::StatusReader reader(f.config_path, f.db);
    web::Router router({.status = &reader, .config = [&] { return f.config; }}, {});
    auto r = get(router, "/jobs/nightly?limit=2");
    REQUIRE(r.status == 200);
    CHECK(r.body.find("id=\"older\"") != std::string::npos);
    CHECK(get(router, "/jobs/nope").status == 404);
  }

  TEST_CASE("a paused job's badge says paused before anything else") {
    status::JobStatus s;
    s.summary.state.paused = true;
    s.summary.missed_since_success = 3;
    CHECK(web::badge_of(s) == web::Badge::paused);
    s.summary.state.paused = false;
    CHECK(web::badge_of(s) == web::Badge::missed);
    CHECK(std::string(web::mark_class(storage::RunState::timed_out)) == "bad");
    CHECK(std::string(web::mark_class(storage::RunState::complete)) == "ok");
  }
}
