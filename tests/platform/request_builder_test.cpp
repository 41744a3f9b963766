#include "daemon/platform/request_builder.h"

#include <boost/json.hpp>
#include <doctest/doctest.h>

#include <set>

using namespace bsched;
using namespace bsched::platform;

namespace {

config::Job sample_job() {
  config::Job job;
  job.name = "nightly";
  job.process_id = "proc";
  job.edit_settings().atom_id = "atom";
  job.edit_settings().dynamic_properties = {{"FROM", "${last_success_time:-1970-01-01}"},
                                            {"JOB", "${job}"}};
  job.edit_settings().process_properties = {
      {"comp-1", {{"slot", "${scheduled_time}"}, {"plain", "x"}}}};
  return job;
}

config::PlaceholderContext sample_context() {
  config::PlaceholderContext ctx;
  ctx.job = "nightly";
  ctx.run_id = "run-42";
  ctx.scheduled = *parse_instant("2026-03-29T01:30:00Z");
  return ctx;
}

}  // namespace

TEST_SUITE("platform::request_builder") {
  TEST_CASE("property values are expanded and the run id is added") {
    auto req = make_execution_request(sample_job(), sample_context());
    CHECK(req.process_id == "proc");
    CHECK(req.atom_id == "atom");
    REQUIRE(req.dynamic_properties.size() == 3);
    CHECK(req.dynamic_properties[0] == std::pair<std::string, std::string>{"FROM", "1970-01-01"});
    CHECK(req.dynamic_properties[1].second == "nightly");
    CHECK(req.dynamic_properties[2] ==
          std::pair<std::string, std::string>{"BOOMI_SCHED_RUN_ID", "run-42"});
    REQUIRE(req.process_properties.size() == 1);
    CHECK(req.process_properties[0].component_id == "comp-1");
    CHECK(req.process_properties[0].values[0].second == "2026-03-29T01:30:00Z");
    CHECK(req.process_properties[0].values[1].second == "x");
  }

  TEST_CASE("an empty run_id_property sends no run id, extra properties override") {
    auto job = sample_job();
    job.edit_settings().run_id_property = "";
    auto req = make_execution_request(job, sample_context(), {{"JOB", "manual"}, {"NEW", "${job}"}});
    REQUIRE(req.dynamic_properties.size() == 3);
    CHECK(req.dynamic_properties[1].second == "manual");
    CHECK(req.dynamic_properties[2] == std::pair<std::string, std::string>{"NEW", "${job}"});
  }

  TEST_CASE("properties_json records what was sent") {
    auto req = make_execution_request(sample_job(), sample_context());
    auto v = boost::json::parse(properties_json(req)).as_object();
    CHECK(v.at("dynamic").at("BOOMI_SCHED_RUN_ID").as_string() == "run-42");
    CHECK(v.at("process").at("comp-1").at("slot").as_string() == "2026-03-29T01:30:00Z");
  }

  TEST_CASE("run ids are distinct version-4 UUIDs") {
    std::set<std::string> seen;
    for (int i = 0; i < 200; ++i) {
      auto id = make_run_id();
      REQUIRE(id.size() == 36);
      CHECK(id[8] == '-');
      CHECK(id[14] == '4');
      CHECK(std::string("89ab").find(id[19]) != std::string::npos);
      for (std::size_t k = 0; k < id.size(); ++k) {
        const bool dash = k == 8 || k == 13 || k == 18 || k == 23;
        CHECK(dash == (id[k] == '-'));
        if (!dash) CHECK(std::string("0123456789abcdef").find(id[k]) != std::string::npos);
      }
      seen.insert(id);
    }
    CHECK(seen.size() == 200);
  }
}
