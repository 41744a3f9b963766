// The run-state table of product.md §4: names, terminal / success classes, and every pair of
// states checked against the diagram, both as a pure function and through the store.
#include "storage/run_state.h"
#include "tests/storage/store_test_util.h"

#include <doctest/doctest.h>

#include <set>
#include <utility>

using bsched::storage::RunState;
using namespace bsched::storage;

namespace {

RunState state_at(int i) { return static_cast<RunState>(i); }

// The diagram, written out pair by pair.
const std::set<std::pair<RunState, RunState>>& legal_pairs() {
  using S = RunState;
  static const std::set<std::pair<S, S>> pairs = {
      {S::scheduled, S::submitting},    {S::scheduled, S::skipped},
      {S::scheduled, S::missed},        {S::scheduled, S::submit_failed},
      {S::submitting, S::submitted},    {S::submitting, S::rejected},
      {S::submitting, S::submit_failed}, {S::submitting, S::unknown},
      {S::submitting, S::running},      {S::submitting, S::complete},
      {S::submitting, S::complete_warn}, {S::submitting, S::error},
      {S::submitting, S::aborted},      {S::submitting, S::discarded},
      {S::submitted, S::running},       {S::submitted, S::lost},
      {S::submitted, S::timed_out},     {S::submitted, S::complete},
      {S::submitted, S::complete_warn}, {S::submitted, S::error},
      {S::submitted, S::aborted},       {S::submitted, S::discarded},
      {S::running, S::timed_out},       {S::running, S::complete},
      {S::running, S::complete_warn},   {S::running, S::error},
      {S::running, S::aborted},         {S::running, S::discarded},
  };
  return pairs;
}

}  // namespace

TEST_SUITE("storage::run_state") {
  TEST_CASE("every state's name reads back to the same state") {
    for (int i = 0; i < k_run_state_count; ++i) {
      auto name = to_string(state_at(i));
      CHECK(!name.empty());
      CHECK(run_state_from_string(name) == state_at(i));
    }
    CHECK(to_string(RunState::complete_warn) == "complete_warn");
    CHECK(!run_state_from_string("COMPLETE").has_value());
    CHECK(trigger_from_string(to_string(Trigger::catchup)) == Trigger::catchup);
    CHECK(!trigger_from_string("cron").has_value());
    CHECK(to_string(Trigger::exec) == "exec");
    CHECK(trigger_from_string("exec") == Trigger::exec);
  }

  TEST_CASE("only schedule and catch-up runs belong to a slot, manual and exec runs do not") {
    CHECK(is_slot_trigger(Trigger::schedule));
    CHECK(is_slot_trigger(Trigger::catchup));
    CHECK_FALSE(is_slot_trigger(Trigger::manual));
    CHECK_FALSE(is_slot_trigger(Trigger::exec));
  }

  TEST_CASE("exactly the four in-flight states are not terminal") {
    int open = 0;
    for (int i = 0; i < k_run_state_count; ++i) open += is_terminal(state_at(i)) ? 0 : 1;
    CHECK(open == 4);
    CHECK(!is_terminal(RunState::submitting));
    CHECK(is_terminal(RunState::missed));
    CHECK(is_success(RunState::complete_warn));
    CHECK(!is_success(RunState::discarded));
  }

  TEST_CASE("is_legal_transition matches the diagram for all 256 pairs") {
    for (int a = 0; a < k_run_state_count; ++a) {
      for (int b = 0; b < k_run_state_count; ++b) {
        bool expected = legal_pairs().count({state_at(a), state_at(b)}) == 1;
        CAPTURE(to_string(state_at(a)));
        CAPTURE(to_string(state_at(b)));
        CHECK(is_legal_transition(state_at(a), state_at(b)) == expected);
      }
    }
  }

  TEST_CASE("the store accepts every legal transition and refuses every illegal one") {
    auto store = bsched::test::memory_store();
    int slot = 0;
    for (int a = 0; a < k_run_state_count; ++a) {
      for (int b = 0; b < k_run_state_count; ++b) {
        auto at = bsched::test::t0() + std::chrono::seconds{++slot};
        auto row = bsched::test::run_in_state(*store, "j", at, state_at(a));
        auto r = store->transition(row.id, state_at(b), bsched::test::ms(at, 900));
        bool expected = legal_pairs().count({state_at(a), state_at(b)}) == 1;
        CAPTURE(to_string(state_at(a)));
        CAPTURE(to_string(state_at(b)));
        REQUIRE(r.has_value() == expected);
        auto stored = store->find_run(row.id);
        REQUIRE(stored.has_value());
        CHECK((*stored)->state == (expected ? state_at(b) : state_at(a)));
        if (!expected) CHECK(r.error().kind == StoreErrorKind::illegal_transition);
      }
    }
  }
}
