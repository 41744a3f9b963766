// The engine's metrics after a scripted day: counts, histogram buckets, per-job gauges, and
// counters that go on from the store's totals after a restart.
#include "daemon/core/run_metrics.h"
#include "tests/core/engine_harness.h"

#include <sstream>

using namespace bsched;
using namespace bsched::test;
using storage::RunState;

namespace {

// The value of one series in a scrape; NaN when the series is absent.
double series(const std::string& text, const std::string& name_and_labels) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(name_and_labels + " ", 0) == 0) return std::stod(line.substr(name_and_labels.size() + 1));
  }
  return std::nan("");
}

double epoch(const char* iso) { return static_cast<double>(instant(iso).time_since_epoch().count()); }

struct Scraped : EngineHarness {
  Scraped() : EngineHarness("2026-01-05T10:00:00Z") {}
  std::string scrape() { return registry->render(); }
  void start_with(std::shared_ptr<const config::Config> c) {
    registry = std::make_shared<metrics::Registry>();
    options.metrics = registry;
    start(std::move(c));
  }
  std::shared_ptr<metrics::Registry> registry;
};

}  // namespace

TEST_SUITE("core::run_metrics") {
  TEST_CASE("reason labels stop at the first colon, so no run id becomes a label") {
    CHECK(core::reason_label("overlap: run 812 in flight") == "overlap");
    CHECK(core::reason_label("daemon down") == "daemon down");
    CHECK(core::reason_label(": odd") == "unknown");
    CHECK(core::reason_label("") == "unknown");
  }

  TEST_CASE("a completed and a failed run: counts, durations, lateness and per-job gauges") {
    Scraped h;
    h.client.poll_answers = {record_answer("COMPLETE"), record_answer("ERROR", "execution-2")};
    h.start_with(make_config({make_job("billing", "5 10 * * *"), make_job("orders", "0 10 * * *")}));
    auto before = h.scrape();
    CHECK(series(before, "boomi_sched_run_lateness_seconds_count") == 0);
    CHECK(series(before, "boomi_sched_next_fire_timestamp_seconds{job=\"orders\"}") ==
          epoch("2026-01-06T10:00:00Z"));
    CHECK(series(before, "boomi_sched_job_paused{job=\"orders\"}") == 0);
    CHECK(series(before, "boomi_sched_store_healthy") == 1);
    CHECK(series(before, "boomi_sched_auth_circuit_open") == 0);
    CHECK(series(before, "boomi_sched_job_info{job=\"orders\",schedule=\"0 10 * * *\","
                         "timezone=\"UTC\",atom_id=\"atom-1\",process_id=\"process-orders\"}") == 1);

    h.advance(std::chrono::minutes(5));  // billing's slot: sent, then polled to ERROR
    h.advance(std::chrono::minutes(1));
    auto text = h.scrape();
    CHECK(series(text, "boomi_sched_runs_started_total{job=\"billing\",trigger=\"schedule\"}") == 1);
    CHECK(series(text, "boomi_sched_runs_finished_total{job=\"billing\",trigger=\"schedule\","
                       "state=\"complete\"}") == 1);
    CHECK(series(text, "boomi_sched_run_lateness_seconds_bucket{le=\"0.001\"}") == 1);
    CHECK(series(text, "boomi_sched_run_lateness_seconds_count") == 1);
    CHECK(series(text, "boomi_sched_run_duration_seconds_count{job=\"billing\",state=\"complete\"}") == 1);
    CHECK(series(text, "boomi_sched_last_run_timestamp_seconds{job=\"billing\"}") ==
          epoch("2026-01-05T10:05:00Z"));
    CHECK(series(text, "boomi_sched_last_success_timestamp_seconds{job=\"billing\"}") ==
          epoch("2026-01-05T10:05:00Z"));
    CHECK(series(text, "boomi_sched_next_fire_timestamp_seconds{job=\"billing\"}") ==
          epoch("2026-01-06T10:05:00Z"));
    CHECK(std::isnan(series(text, "boomi_sched_last_success_timestamp_seconds{job=\"orders\"}")));
    CHECK(std::isnan(series(text, "boomi_sched_runs_in_flight{job=\"billing\",state=\"submitted\"}")));

    // A day later orders fires too and fails; billing's second run stays in flight.
    h.client.poll_default = record_answer("INPROCESS", "execution-3");
    h.advance(std::chrono::hours(24));
    text = h.scrape();
    CHECK(series(text, "boomi_sched_runs_finished_total{job=\"orders\",trigger=\"schedule\","
                       "state=\"error\"}") == 1);
    CHECK(series(text, "boomi_sched_run_duration_seconds_count{job=\"orders\",state=\"error\"}") == 1);
    CHECK(series(text, "boomi_sched_runs_in_flight{job=\"billing\",state=\"running\"}") == 1);
    CHECK(series(text, "boomi_sched_run_lateness_seconds_count") == 3);
  }

  TEST_CASE("skipped slots are counted by kind and reason") {
    Scraped h;
    h.client.poll_default = record_answer("INPROCESS");
    h.start_with(make_config({make_job("orders", "* * * * *")}));
    h.advance(std::chrono::minutes(3));  // one run in flight; two slots skipped (overlap)
    auto text = h.scrape();
    CHECK(series(text, "boomi_sched_slots_missed_total{job=\"orders\",kind=\"skipped\","
                       "reason=\"overlap\"}") == 2);
    CHECK(series(text, "boomi_sched_missed_since_success{job=\"orders\"}") == 0);
    CHECK(series(text, "boomi_sched_runs_in_flight{job=\"orders\",state=\"running\"}") == 1);
  }

  TEST_CASE("after a restart the counters go on from the store, missed slots count until a success") {
    Scraped h;
    h.client.poll_default = record_answer("COMPLETE");
    auto job = make_job("orders", "* * * * *");
    job.edit_settings().overlap = config::Overlap::allow;
    auto config = make_config({job});
    h.start_with(config);
    h.advance(std::chrono::seconds(210));  // 10:01, 10:02 and 10:03 fire and complete
    CHECK(series(h.scrape(), "boomi_sched_runs_started_total{job=\"orders\",trigger=\"schedule\"}") == 3);

    // Down until 10:13:30: catch-up "latest" fires 10:13, the other nine are missed.
    h.stop();
    h.clock.advance(std::chrono::minutes(10));
    h.client.poll_default = record_answer("INPROCESS");
    h.start_with(config);
    auto text = h.scrape();
    CHECK(series(text, "boomi_sched_runs_started_total{job=\"orders\",trigger=\"schedule\"}") == 3);
    CHECK(series(text, "boomi_sched_runs_finished_total{job=\"orders\",trigger=\"schedule\","
                       "state=\"complete\"}") == 3);
    CHECK(series(text, "boomi_sched_runs_started_total{job=\"orders\",trigger=\"catchup\"}") == 1);
    CHECK(series(text, "boomi_sched_slots_missed_total{job=\"orders\",kind=\"missed\","
                       "reason=\"daemon down\"}") == 9);
    CHECK(series(text, "boomi_sched_missed_since_success{job=\"orders\"}") == 9);
    CHECK(series(text, "boomi_sched_last_run_timestamp_seconds{job=\"orders\"}") ==
          epoch("2026-01-05T10:13:00Z"));

    // A third engine on the same store starts from the same totals, the ledger included.
    h.stop();
    h.start_with(config);
    text = h.scrape();
    CHECK(series(text, "boomi_sched_missed_since_success{job=\"orders\"}") == 9);
    CHECK(series(text, "boomi_sched_slots_missed_total{job=\"orders\",kind=\"missed\","
                       "reason=\"daemon down\"}") == 9);

    h.client.poll_default = record_answer("COMPLETE");
    h.advance(std::chrono::seconds(30));  // the catch-up run completes
    text = h.scrape();
    CHECK(series(text, "boomi_sched_missed_since_success{job=\"orders\"}") == 0);
    CHECK(series(text, "boomi_sched_runs_finished_total{job=\"orders\",trigger=\"catchup\","
                       "state=\"complete\"}") == 1);
  }

  TEST_CASE("a paused job shows as paused") {
    Scraped h;
    h.start_with(make_config({make_job("orders", "0 * * * *")}));
    enqueue(h, storage::CommandKind::pause, "orders", R"({"note":"maintenance"})");
    h.engine->check_commands();
    h.run_ready();
    CHECK(series(h.scrape(), "boomi_sched_job_paused{job=\"orders\"}") == 1);
  }
}
