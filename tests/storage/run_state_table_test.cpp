// Every (from, to) pair of run states against the store: only the pairs is_legal_transition
// allows can be stored, a refused one leaves the row as it was, and the flag that a request
// may have been accepted survives every step a run takes afterwards.
#include "tests/storage/store_test_util.h"

#include <doctest/doctest.h>

#include <deque>
#include <map>

using namespace bsched::storage;
using namespace bsched::test;
using std::chrono::seconds;

namespace {

constexpr RunState k_all[] = {
    RunState::scheduled, RunState::submitting, RunState::submitted,     RunState::running,
    RunState::complete,  RunState::complete_warn, RunState::error,      RunState::aborted,
    RunState::discarded, RunState::rejected,  RunState::submit_failed, RunState::unknown,
    RunState::lost,      RunState::timed_out, RunState::skipped,       RunState::missed};
static_assert(std::size(k_all) == k_run_state_count);

// A shortest legal path from `scheduled` to each state (breadth first over the table).
std::map<RunState, std::vector<RunState>> paths_from_scheduled() {
  std::map<RunState, std::vector<RunState>> paths{{RunState::scheduled, {}}};
  std::deque<RunState> todo{RunState::scheduled};
  while (!todo.empty()) {
    auto from = todo.front();
    todo.pop_front();
    for (auto to : k_all) {
      if (paths.count(to) || !is_legal_transition(from, to)) continue;
      paths[to] = paths[from];
      paths[to].push_back(to);
      todo.push_back(to);
    }
  }
  return paths;
}

}  // namespace

TEST_SUITE("storage::run_state") {
  TEST_CASE("only the pairs is_legal_transition allows can be stored, a refused one changes nothing") {
    auto paths = paths_from_scheduled();
    REQUIRE(paths.size() == static_cast<size_t>(k_run_state_count));  // every state reachable
    auto store = memory_store();
    int n = 0, stored = 0, refused = 0;
    for (auto from : k_all) {
      for (auto to : k_all) {
        CAPTURE(to_string(from));
        CAPTURE(to_string(to));
        auto row = store->create_run(new_run("j", t0() + seconds(n++)), ms(t0()));
        REQUIRE(row.has_value());
        for (auto step : paths[from]) REQUIRE(store->transition(row->id, step, ms(t0())).has_value());
        auto r = store->transition(row->id, to, ms(t0(), 5));
        auto now = store->find_run(row->id);
        REQUIRE(now.has_value());
        REQUIRE(now->has_value());
        if (is_legal_transition(from, to)) {
          CHECK(r.has_value());
          CHECK((*now)->state == to);
          ++stored;
        } else {
          REQUIRE_FALSE(r.has_value());
          CHECK(r.error().kind == StoreErrorKind::illegal_transition);
          CHECK((*now)->state == from);
          ++refused;
        }
      }
    }
    CHECK(stored + refused == k_run_state_count * k_run_state_count);
    CHECK(refused > stored);  // terminal states never change: most pairs are refused
  }

  TEST_CASE("a request that may have been accepted stays marked until a sure failure is stored") {
    auto store = memory_store();
    auto row = store->create_run(new_run("j", t0()), ms(t0()));
    REQUIRE(row.has_value());
    CHECK_FALSE(row->maybe_accepted);
    auto sending = store->transition(row->id, RunState::submitting, ms(t0(), 1));
    REQUIRE(sending.has_value());
    CHECK(sending->maybe_accepted);  // entering submitting: a request is leaving
    RunUpdate reconcile_later;
    reconcile_later.next_action_at = std::optional<bsched::SysMillis>(ms(t0(), 900));
    reconcile_later.last_error = "";
    REQUIRE(store->update(row->id, reconcile_later).has_value());
    CHECK((*store->find_run(row->id))->maybe_accepted);
    RunUpdate sure_failure;
    sure_failure.maybe_accepted = false;
    REQUIRE(store->update(row->id, sure_failure).has_value());
    CHECK_FALSE((*store->find_run(row->id))->maybe_accepted);
  }
  TEST_CASE("enter_state is the one state change: the same table in memory, the row untouched on refusal") {
    for (auto from : k_all) {
      for (auto to : k_all) {
        RunRow row;
        row.id = 1;
        row.job = "j";
        row.state = from;
        RunUpdate u;
        u.message = "changed";
        auto r = enter_state(row, to, ms(t0(), 5), u);
        CHECK(r.has_value() == is_legal_transition(from, to));
        CHECK(row.state == (r ? to : from));
        CHECK(row.message == (r ? "changed" : ""));
      }
    }
  }

  TEST_CASE("a run created to leave at once is born scheduled and enters submitting through the table") {
    auto store = memory_store();
    auto n = new_run("j", t0());
    n.submitting = true;
    auto row = store->create_run(n, ms(t0(), 7));
    REQUIRE(row.has_value());
    CHECK(row->state == RunState::submitting);
    CHECK(row->attempts == 1);
    CHECK(row->maybe_accepted);
    CHECK(row->submitting_at == ms(t0(), 7));
    CHECK(row->last_sent_at == ms(t0(), 7));
    auto stored = store->find_run(row->id);
    REQUIRE(stored.has_value());
    REQUIRE(stored->has_value());
    CHECK((*stored)->state == RunState::submitting);
    CHECK((*stored)->maybe_accepted);
  }
}
