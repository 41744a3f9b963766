// The RunStore contract, each case on both stores: SqliteRunStore on ":memory:" and
// PgRunStore on a fresh database of the private PostgreSQL cluster. Runs, transitions, slot
// uniqueness, the missed-slot ledger, job state, commands, heartbeat, pruning, transactions.
#include "storage/sqlite.h"
#include "tests/storage/store_fixtures.h"
#include "tests/storage/store_test_util.h"

#include <doctest/doctest.h>

#include <algorithm>

using namespace bsched::storage;
using namespace bsched::test;
using std::chrono::seconds;

namespace {

SlotGap gap(const std::string& job, std::chrono::sys_seconds first, std::chrono::sys_seconds last,
            std::int64_t count, const std::string& reason, RunState kind = RunState::missed) {
  return SlotGap{0, job, kind, first, last, count, reason, ms(last)};
}

// The two stores under test, each with a way to count a table's rows.
}  // namespace


TEST_SUITE("storage::run_store") {
  TEST_CASE_TEMPLATE("a created run reads back with every field and advances the job's horizon",
                     F, SqliteFixture, PgFixture) {
    F f;
    auto& store = f.store;
    NewRun n{"r-1", "nightly", Trigger::schedule, t0(), R"({"A":"1"})"};
    auto row = store->create_run(n, ms(t0(), 3));
    REQUIRE(row.has_value());
    auto found = store->find_run(row->id);
    REQUIRE(found.has_value());
    REQUIRE(found->has_value());
    const auto& r = **found;
    CHECK(r.run_id == "r-1");
    CHECK(r.job == "nightly");
    CHECK(r.trigger == Trigger::schedule);
    CHECK(r.slot == t0());
    CHECK(r.state == RunState::scheduled);
    CHECK(r.properties_json == R"({"A":"1"})");
    CHECK(r.created_at == ms(t0(), 3));
    CHECK(!r.finished_at.has_value());
    CHECK(store->job_state("nightly")->horizon == t0());
  }

  TEST_CASE_TEMPLATE("a run created submitting has its first attempt and send instant stored",
                     F, SqliteFixture, PgFixture) {
    F f;
    auto& store = f.store;
    NewRun n{"r-1", "nightly", Trigger::schedule, t0(), R"({"dynamic":{"A":"1"}})", true};
    auto row = store->create_run(n, ms(t0(), 3));
    REQUIRE(row.has_value());
    CHECK(row->state == RunState::submitting);
    auto found = store->find_run(row->id);
    REQUIRE(found.has_value());
    REQUIRE(found->has_value());
    const auto& r = **found;
    CHECK(r.state == RunState::submitting);
    CHECK(r.attempts == 1);
    CHECK(r.submitting_at == ms(t0(), 3));
    CHECK(r.last_sent_at == ms(t0(), 3));
    CHECK(!r.next_action_at.has_value());
    CHECK(r.properties_json == R"({"dynamic":{"A":"1"}})");
    // It goes on like any submitting run.
    CHECK(store->transition(r.id, RunState::submitted, ms(t0(), 9)).has_value());
  }

  TEST_CASE_TEMPLATE("finished_execution_ids gives the job's runs finished since an instant, slots bounded",
                     F, SqliteFixture, PgFixture) {
    F f;
    auto& store = f.store;
    // (job, slot offset, finished offset or -1 for in flight, execution id)
    struct Case { const char* job; int slot; int finished; const char* execution; };
    std::vector<Case> cases = {{"a", 0, 10, "e-old"},      // finished before the instant
                               {"a", 60, 70, "e-new"},     // finished after it
                               {"a", 120, -1, "e-live"},   // still in flight
                               {"a", 180, 190, ""},        // no execution id
                               {"b", 60, 70, "e-other"},   // another job
                               {"a", -600, 75, "e-early"}};  // slot before the slot bound
    for (const auto& c : cases) {
      auto row = store->create_run(new_run(c.job, t0() + seconds(c.slot)), ms(t0() + seconds(c.slot)));
      REQUIRE(row.has_value());
      RunUpdate u;
      u.execution_id = std::string(c.execution);
      auto at = t0() + seconds(c.slot);
      for (auto to : {RunState::submitting, RunState::submitted, RunState::running}) {
        REQUIRE(store->transition(row->id, to, ms(at), to == RunState::running ? u : RunUpdate{})
                    .has_value());
      }
      if (c.finished >= 0) {
        REQUIRE(store->transition(row->id, RunState::complete, ms(t0() + seconds(c.finished)))
                    .has_value());
      }
    }
    auto ids = store->finished_execution_ids("a", t0() - seconds(60), ms(t0() + seconds(30)));
    REQUIRE(ids.has_value());
    CHECK(*ids == std::vector<std::string>{"e-new"});
    ids = store->finished_execution_ids("a", t0() - seconds(3600), ms(t0() + seconds(30)));
    REQUIRE(ids.has_value());
    std::sort(ids->begin(), ids->end());
    CHECK(*ids == std::vector<std::string>{"e-early", "e-new"});
  }

  TEST_CASE_TEMPLATE("held_execution_ids names the ids a stored run holds, any job or state, "
                     "hostile ids inert",
                     F, SqliteFixture, PgFixture) {
    F f;
    auto& store = f.store;
    const std::string quote = "e-\"quoted\"\\', ]) OR 1=1 --";
    struct Case { const char* job; int slot; bool finish; std::string execution; };
    std::vector<Case> cases = {{"a", 0, true, "e-done"},  // finished long ago
                               {"a", 60, false, "e-live"},
                               {"b", 60, true, quote},     // another job, a hostile id
                               {"a", 120, true, ""}};      // no execution id
    for (const auto& c : cases) {
      auto row = store->create_run(new_run(c.job, t0() + seconds(c.slot)), ms(t0() + seconds(c.slot)));
      REQUIRE(row.has_value());
      RunUpdate u;
      u.execution_id = c.execution;
      for (auto to : {RunState::submitting, RunState::submitted, RunState::running}) {
        REQUIRE(store->transition(row->id, to, ms(t0()), to == RunState::running ? u : RunUpdate{})
                    .has_value());
      }
      if (c.finish) REQUIRE(store->transition(row->id, RunState::complete, ms(t0())).has_value());
    }
    auto held = store->held_execution_ids({"e-done", "e-live", "e-none", quote, "", "e-done"});
    REQUIRE_MESSAGE(held.has_value(), (held ? "" : held.error().message));
    std::sort(held->begin(), held->end());
    CHECK(*held == std::vector<std::string>{quote, "e-done", "e-live"});
    auto none = store->held_execution_ids({});
    REQUIRE(none.has_value());
    CHECK(none->empty());
    std::vector<std::string> many(5000, "e-x");
    many.back() = "e-live";
    auto big = store->held_execution_ids(many);
    REQUIRE(big.has_value());
    CHECK(*big == std::vector<std::string>{"e-live"});
  }

  TEST_CASE_TEMPLATE("inside a batch a refused duplicate slot undoes only itself",
                     F, SqliteFixture, PgFixture) {
    F f;
    auto& store = f.store;
    REQUIRE(store->create_run(new_run("a", t0()), ms(t0())).has_value());
    std::vector<std::int64_t> kept;
    auto batch = store->in_transaction([&]() -> StoreResult<void> {
      auto b = store->create_run(new_run("b", t0()), ms(t0()));
      if (!b) return b.error();
      kept.push_back(b->id);
      auto dup = store->create_run(new_run("a", t0() + seconds(0), Trigger::catchup), ms(t0()));
      CHECK((!dup && dup.error().kind == StoreErrorKind::duplicate_slot));
      auto c = store->create_run(new_run("c", t0() + seconds(60)), ms(t0()));
      if (!c) return c.error();
      kept.push_back(c->id);
      return {};
    });
    REQUIRE(batch.has_value());
    for (auto id : kept) CHECK((*store->find_run(id)).has_value());
    CHECK(store->job_state("b")->horizon == t0());
    CHECK(store->job_state("c")->horizon == t0() + seconds(60));
    CHECK(store->recent_runs("a", 10)->size() == 1);
  }

  TEST_CASE_TEMPLATE("a batch that fails rolls back every run created in it",
                     F, SqliteFixture, PgFixture) {
    F f;
    auto& store = f.store;
    std::int64_t created = 0;
    auto batch = store->in_transaction([&]() -> StoreResult<void> {
      auto b = store->create_run(new_run("b", t0()), ms(t0()));
      if (!b) return b.error();
      created = b->id;
      return StoreError{StoreErrorKind::io, "the batch gives up"};
    });
    REQUIRE(!batch.has_value());
    CHECK(!(*store->find_run(created)).has_value());
    CHECK(!store->job_state("b")->horizon.has_value());
  }

  TEST_CASE_TEMPLATE("a second schedule or catch-up run for the same slot is a duplicate_slot error",
                     F, SqliteFixture, PgFixture) {
    F f;
    auto& store = f.store;
    REQUIRE(store->create_run(new_run("a", t0()), ms(t0())).has_value());
    auto again = store->create_run(new_run("a", t0(), Trigger::catchup), ms(t0()));
    REQUIRE(!again.has_value());
    CHECK(again.error().kind == StoreErrorKind::duplicate_slot);
    CHECK(again.error().message.find("job a already has a run for slot") != std::string::npos);
    // Manual runs and other jobs may share the instant.
    CHECK(store->create_run(new_run("a", t0(), Trigger::manual), ms(t0())).has_value());
    CHECK(store->create_run(new_run("b", t0()), ms(t0())).has_value());
    // A duplicate run id is refused too, but it is not a slot conflict.
    auto dup_id = store->create_run(NewRun{"fixed", "c", Trigger::manual, t0(), "{}"}, ms(t0()));
    REQUIRE(dup_id.has_value());
    auto dup = store->create_run(NewRun{"fixed", "c", Trigger::manual, t0() + 1s, "{}"}, ms(t0()));
    REQUIRE(!dup.has_value());
    CHECK(dup.error().kind == StoreErrorKind::io);
  }

  TEST_CASE_TEMPLATE("manual runs do not move the horizon, schedule runs never move it back",
                     F, SqliteFixture, PgFixture) {
    F f;
    auto& store = f.store;
    REQUIRE(store->create_run(new_run("a", t0() + 60s), ms(t0())).has_value());
    REQUIRE(store->create_run(new_run("a", t0()), ms(t0())).has_value());
    REQUIRE(store->create_run(new_run("a", t0() + 600s, Trigger::manual), ms(t0())).has_value());
    CHECK(store->job_state("a")->horizon == t0() + 60s);
    REQUIRE(store->set_horizon("a", t0() - 60s).has_value());
    CHECK(store->job_state("a")->horizon == t0() - 60s);
  }

  TEST_CASE_TEMPLATE("transitions stamp their time and keep the fields the update leaves unset",
                     F, SqliteFixture, PgFixture) {
    F f;
    auto& store = f.store;
    auto row = *store->create_run(new_run("a", t0()), ms(t0()));
    RunUpdate sent;
    sent.attempts = 1;
    sent.last_sent_at = ms(t0(), 5);
    REQUIRE(store->transition(row.id, RunState::submitting, ms(t0(), 5), sent).has_value());
    // A retry stays in submitting: an update, and the first submitting time stays.
    RunUpdate retry;
    retry.attempts = 2;
    retry.last_error = "HTTP 503";
    REQUIRE(store->update(row.id, retry).has_value());
    RunUpdate accepted;
    accepted.request_id = "executionrecord-1";
    accepted.next_action_at = ms(t0(), 5000);
    auto sub = store->transition(row.id, RunState::submitted, ms(t0(), 90), accepted);
    REQUIRE(sub.has_value());
    CHECK(sub->submitting_at == ms(t0(), 5));
    CHECK(sub->submitted_at == ms(t0(), 90));
    CHECK(sub->attempts == 2);
    CHECK(sub->last_error == "HTTP 503");
    CHECK(sub->request_id == "executionrecord-1");
    CHECK(sub->next_action_at == ms(t0(), 5000));
    // {nullopt} clears next_action_at; an empty optional keeps it.
    REQUIRE(store->update(row.id, RunUpdate{.remote_status = "INPROCESS"}).has_value());
    CHECK((*store->find_run(row.id))->next_action_at == ms(t0(), 5000));
    RunUpdate clear;
    clear.next_action_at = std::optional<bsched::SysMillis>{};
    REQUIRE(store->update(row.id, clear).has_value());
    CHECK(!(*store->find_run(row.id))->next_action_at.has_value());
    REQUIRE(store->transition(row.id, RunState::running, ms(t0(), 6000)).has_value());
    RunUpdate done;
    done.remote_status = "COMPLETE";
    done.execution_id = "execution-9";
    done.duration_ms = 1234;
    done.execution_time = t0() + 1s;
    auto fin = store->transition(row.id, RunState::complete, ms(t0(), 9000), done);
    REQUIRE(fin.has_value());
    auto stored = **store->find_run(row.id);
    CHECK(stored.state == RunState::complete);
    CHECK(stored.running_at == ms(t0(), 6000));
    CHECK(stored.finished_at == ms(t0(), 9000));
    CHECK(stored.execution_id == "execution-9");
    CHECK(stored.remote_status == "COMPLETE");
    CHECK(stored.duration_ms == 1234);
    CHECK(stored.execution_time == t0() + 1s);
    CHECK(store->job_state("a")->last_success_slot == t0());
  }

  TEST_CASE_TEMPLATE("the last success slot only moves forward and ignores failures",
                     F, SqliteFixture, PgFixture) {
    F f;
    auto& store = f.store;
    run_in_state(*store, "a", t0() + 60s, RunState::complete_warn);
    run_in_state(*store, "a", t0(), RunState::complete);
    run_in_state(*store, "a", t0() + 120s, RunState::error);
    CHECK(store->job_state("a")->last_success_slot == t0() + 60s);
  }

  TEST_CASE_TEMPLATE("transition and update of a missing run are not_found errors",
                     F, SqliteFixture, PgFixture) {
    F f;
    auto& store = f.store;
    auto t = store->transition(42, RunState::submitting, ms(t0()));
    REQUIRE(!t.has_value());
    CHECK(t.error().kind == StoreErrorKind::not_found);
    CHECK(store->update(42, {}).error().kind == StoreErrorKind::not_found);
    CHECK(!store->find_run(42)->has_value());
  }

  TEST_CASE_TEMPLATE("non_terminal_runs lists exactly the runs in flight, oldest first",
                     F, SqliteFixture, PgFixture) {
    F f;
    auto& store = f.store;
    auto a = run_in_state(*store, "a", t0(), RunState::submitted);
    run_in_state(*store, "a", t0() + 1s, RunState::complete);
    auto c = run_in_state(*store, "b", t0(), RunState::scheduled);
    run_in_state(*store, "b", t0() + 1s, RunState::missed);
    auto e = run_in_state(*store, "b", t0() + 2s, RunState::running);
    auto open = store->non_terminal_runs();
    REQUIRE(open.has_value());
    REQUIRE(open->size() == 3);
    CHECK((*open)[0].id == a.id);
    CHECK((*open)[1].id == c.id);
    CHECK((*open)[2].id == e.id);
  }

  TEST_CASE_TEMPLATE("a month of missed per-second slots is one gap row",
                     F, SqliteFixture, PgFixture) {
    F f;
    auto& store = f.store;
    // First a whole range, then single slots one by one, as the daemon records them.
    REQUIRE(store->record_gap(gap("a", t0(), t0() + 999s, 1000, "daemon down")).has_value());
    const int singles_end = 1000 + F::k_single_gaps;
    REQUIRE(store->in_transaction([&]() -> StoreResult<void> {
                   for (int i = 1000; i < singles_end; ++i) {
                     auto s = t0() + seconds{i};
                     BSCHED_TRY(store->record_gap(gap("a", s, s, 1, "daemon down")));
                   }
                   return {};
                 })
                .has_value());
    auto month = t0() + seconds{30 * 86400};
    REQUIRE(store->record_gap(gap("a", t0() + seconds{singles_end}, month,
                                  30 * 86400 - singles_end + 1, "daemon down"))
                .has_value());
    auto rows = store->gaps("a", 10);
    REQUIRE(rows.has_value());
    REQUIRE(rows->size() == 1);
    CHECK(rows->front().first == t0());
    CHECK(rows->front().last == month);
    CHECK(rows->front().count == 30 * 86400 + 1);
    CHECK(store->job_state("a")->horizon == month);
  }

  TEST_CASE_TEMPLATE("gaps stay separate when kind, reason or job differ, or a run lies between",
                     F, SqliteFixture, PgFixture) {
    F f;
    auto& store = f.store;
    REQUIRE(store->record_gap(gap("a", t0(), t0() + 9s, 10, "daemon down")).has_value());
    REQUIRE(store->record_gap(gap("a", t0() + 10s, t0() + 10s, 1, "paused")).has_value());
    REQUIRE(store->record_gap(gap("a", t0() + 11s, t0() + 11s, 1, "paused", RunState::skipped))
                .has_value());
    REQUIRE(store->record_gap(gap("b", t0() + 12s, t0() + 12s, 1, "paused", RunState::skipped))
                .has_value());
    run_in_state(*store, "a", t0() + 12s, RunState::submitted);
    REQUIRE(store->record_gap(gap("a", t0() + 13s, t0() + 13s, 1, "paused", RunState::skipped))
                .has_value());
    // A range that does not follow the latest one (a late duplicate) is its own row.
    REQUIRE(store->record_gap(gap("a", t0() + 5s, t0() + 5s, 1, "paused", RunState::skipped))
                .has_value());
    CHECK(store->gaps("a", 100)->size() == 5);
    CHECK(store->gaps("b", 100)->size() == 1);
    CHECK(!store->record_gap(gap("a", t0(), t0(), 1, "x", RunState::error)).has_value());
  }

  TEST_CASE_TEMPLATE("pause and resume are recorded with note, user and time",
                     F, SqliteFixture, PgFixture) {
    F f;
    auto& store = f.store;
    CHECK(!store->job_state("a")->paused);
    REQUIRE(store->set_paused("a", true, "vendor outage", "ops", ms(t0())).has_value());
    auto s = *store->job_state("a");
    CHECK(s.paused);
    CHECK(s.pause_note == "vendor outage");
    CHECK(s.paused_by == "ops");
    CHECK(s.paused_at == ms(t0()));
    REQUIRE(store->set_paused("a", false, "", "ops", ms(t0() + 60s)).has_value());
    s = *store->job_state("a");
    CHECK(!s.paused);
    CHECK(s.pause_note.empty());
    CHECK(!s.paused_at.has_value());
  }

  TEST_CASE_TEMPLATE("commands are taken once, oldest first",
                     F, SqliteFixture, PgFixture) {
    F f;
    auto& store = f.store;
    auto first = store->enqueue_command(
        Command{0, CommandKind::trigger, "a", R"({"properties":{"X":"1"}})", "ops", ms(t0())});
    auto second = store->enqueue_command(Command{0, CommandKind::pause, "b", "", "ops", ms(t0())});
    REQUIRE(first.has_value());
    REQUIRE(second.has_value());
    auto taken = store->take_commands(ms(t0() + 1s));
    REQUIRE(taken.has_value());
    REQUIRE(taken->size() == 2);
    CHECK((*taken)[0].id == *first);
    CHECK((*taken)[0].kind == CommandKind::trigger);
    CHECK((*taken)[0].args_json == R"({"properties":{"X":"1"}})");
    CHECK((*taken)[0].requested_by == "ops");
    CHECK((*taken)[1].kind == CommandKind::pause);
    CHECK((*taken)[1].args_json == "{}");
    CHECK(store->take_commands(ms(t0() + 2s))->empty());
  }

  TEST_CASE_TEMPLATE("the heartbeat is one row, rewritten",
                     F, SqliteFixture, PgFixture) {
    F f;
    auto& store = f.store;
    CHECK(!store->read_heartbeat()->has_value());
    Heartbeat h{4121, ms(t0()), ms(t0() + 5s), ms(t0()), "fp1", "ok"};
    REQUIRE(store->write_heartbeat(h).has_value());
    h.updated_at = ms(t0() + 10s);
    h.platform_state = "unreachable";
    REQUIRE(store->write_heartbeat(h).has_value());
    auto read = **store->read_heartbeat();
    CHECK(read.pid == 4121);
    CHECK(read.updated_at == ms(t0() + 10s));
    CHECK(read.platform_state == "unreachable");
    CHECK(f.count("heartbeat") == 1);
  }

  TEST_CASE_TEMPLATE("prune removes old terminal runs and gaps in batches, never runs in flight",
                     F, SqliteFixture, PgFixture) {
    F f;
    auto& store = f.store;
    for (int i = 0; i < 5; ++i) run_in_state(*store, "a", t0() + seconds{i}, RunState::error);
    auto open = run_in_state(*store, "a", t0() - 10s, RunState::running);
    run_in_state(*store, "a", t0() + 100s, RunState::complete);
    REQUIRE(store->record_gap(gap("a", t0() - 50s, t0() - 40s, 11, "daemon down")).has_value());
    auto cutoff = ms(t0() + 50s);
    CHECK(store->prune(cutoff, 4).value() == 4);
    CHECK(store->prune(cutoff, 4).value() == 2);  // one run, one gap
    CHECK(store->prune(cutoff, 4).value() == 0);
    CHECK(store->find_run(open.id)->has_value());
    CHECK(f.count("runs") == 2);
    CHECK(store->gaps("a", 10)->empty());
  }

  TEST_CASE_TEMPLATE("in_transaction commits everything or nothing",
                     F, SqliteFixture, PgFixture) {
    F f;
    auto& store = f.store;
    auto failed = store->in_transaction([&]() -> StoreResult<void> {
      BSCHED_TRY(store->create_run(new_run("a", t0()), ms(t0())));
      return StoreError{StoreErrorKind::io, "stop"};
    });
    CHECK(!failed.has_value());
    CHECK(f.count("runs") == 0);
    // A refused call inside the transaction undoes only itself.
    auto ok = store->in_transaction([&]() -> StoreResult<void> {
      BSCHED_TRY(store->create_run(new_run("a", t0()), ms(t0())));
      auto dup = store->create_run(new_run("a", t0()), ms(t0()));
      CHECK(dup.error().kind == StoreErrorKind::duplicate_slot);
      BSCHED_TRY(store->create_run(new_run("a", t0() + 1s), ms(t0())));
      return {};
    });
    CHECK(ok.has_value());
    CHECK(f.count("runs") == 2);
  }

  TEST_CASE_TEMPLATE("history mixes runs and gaps newest first and summaries count what is missed",
                     F, SqliteFixture, PgFixture) {
    F f;
    auto& store = f.store;
    run_in_state(*store, "a", t0(), RunState::complete);
    REQUIRE(store->record_gap(gap("a", t0() + 60s, t0() + 120s, 2, "daemon down")).has_value());
    auto err = run_in_state(*store, "a", t0() + 180s, RunState::error);
    run_in_state(*store, "a", t0() + 240s, RunState::missed);
    auto live = run_in_state(*store, "a", t0() + 300s, RunState::running);
    run_in_state(*store, "b", t0() + 400s, RunState::complete);
    auto h = store->history("a", 10);
    REQUIRE(h.has_value());
    REQUIRE(h->size() == 5);
    CHECK(std::get<RunRow>((*h)[0]).id == live.id);
    CHECK(std::get<RunRow>((*h)[2]).id == err.id);
    CHECK(std::get<SlotGap>((*h)[3]).count == 2);
    CHECK(store->history("", 3)->size() == 3);
    CHECK(std::get<RunRow>(store->history("", 1)->front()).job == "b");
    auto s = store->job_summary("a");
    REQUIRE(s.has_value());
    CHECK(s->last_run->id == live.id);
    CHECK(s->in_flight == 1);
    CHECK(s->missed_since_success == 3);
    CHECK(s->state.last_success_slot == t0());
    auto none = store->job_summary("never-ran");
    CHECK(!none->last_run.has_value());
    CHECK(none->in_flight == 0);
  }
}
