// Group commit of the trackers' state writes: one commit per event-loop turn, each write in
// its own savepoint, nothing sent before its run's state is committed.
#include "daemon/core/write_batch.h"
#include "tests/core/counting_store.h"
#include "tests/core/engine_harness.h"
#include "tests/core/flaky_store.h"
#include "tests/core/forwarding_store.h"

#include <atomic>
#include <future>
#include <thread>

using namespace bsched;
using namespace bsched::test;
using storage::RunState;
using storage::StoreResult;
using std::chrono::minutes;
using std::chrono::seconds;

namespace {

storage::RunRow new_run(storage::RunStore& store, const std::string& job) {
  storage::NewRun n;
  n.run_id = "run-" + job;
  n.job = job;
  n.slot = instant("2026-01-05T10:00:00Z");
  auto r = store.create_run(n, SysMillis(n.slot));
  REQUIRE(r.has_value());
  return *r;
}

// Queues a transition on `batch`, to be run by the next io.poll().
void queue_transition(boost::asio::io_context& io, core::WriteBatch& batch, std::int64_t id,
                      RunState to, std::optional<StoreResult<storage::RunRow>>& out) {
  boost::asio::co_spawn(io, [&batch, &out, id, to]() -> boost::asio::awaitable<void> {
    out = co_await batch.transition(id, to, SysMillis(instant("2026-01-05T10:00:01Z")), {});
  }, boost::asio::detached);
}

// A store whose first commit off the test's thread (or the first after `armed` is set again)
// waits at a gate the test opens. Records the thread of every outermost transaction.
class GateStore final : public ForwardingStore {
 public:
  explicit GateStore(storage::RunStore& inner) : ForwardingStore(inner) {}

  std::promise<void> entered;  // the first commit reached the gate
  std::promise<void> open;
  std::vector<std::thread::id> threads;
  std::atomic<bool> on_test_thread{false};  // a commit ran on the test's thread

  std::atomic<bool> armed{true};  // the next commit off the test's thread waits at the gate

  StoreResult<void> in_transaction(const std::function<StoreResult<void>()>& fn) override {
    if (m_depth++ == 0) {
      threads.push_back(std::this_thread::get_id());
      if (threads.back() == m_test_thread) on_test_thread = true;
      else if (armed.exchange(false)) {
        entered.set_value();
        m_open.wait();
      }
    }
    auto r = m_inner.in_transaction(fn);
    --m_depth;
    return r;
  }

 private:
  int m_depth = 0;
  std::thread::id m_test_thread = std::this_thread::get_id();
  std::shared_future<void> m_open = open.get_future().share();
};

// A store whose first terminal transition once `armed` waits, inside its commit, at a gate
// the test opens (off the test's thread).
class TerminalGate final : public ForwardingStore {
 public:
  explicit TerminalGate(storage::RunStore& inner) : ForwardingStore(inner) {}

  std::atomic<bool> armed{false};
  std::promise<void> entered;
  std::promise<void> open;

  StoreResult<storage::RunRow> transition(std::int64_t id, RunState to, SysMillis now,
                                          const storage::RunUpdate& update) override {
    if (storage::is_terminal(to) && armed.exchange(false)) {
      entered.set_value();
      m_open.wait();
    }
    return m_inner.transition(id, to, now, update);
  }

 private:
  std::shared_future<void> m_open = open.get_future().share();
};

// A store whose next job_state() or set_paused() call, once armed, waits at a gate of its own
// that the test opens (off the test's thread).
class CallGate final : public ForwardingStore {
 public:
  explicit CallGate(storage::RunStore& inner) : ForwardingStore(inner) {}

  struct Gate {
    std::atomic<bool> armed{false};
    std::promise<void> entered;
    std::promise<void> open;
    std::shared_future<void> opened = open.get_future().share();
  };
  Gate job_states, pauses;
  std::atomic<bool> on_test_thread{false};  // an armed call ran on the test's thread

  StoreResult<storage::JobState> job_state(const std::string& job) override {
    wait_at(job_states);
    return m_inner.job_state(job);
  }
  StoreResult<void> set_paused(const std::string& job, bool paused, const std::string& note,
                               const std::string& by, SysMillis now) override {
    wait_at(pauses);
    return m_inner.set_paused(job, paused, note, by, now);
  }

 private:
  void wait_at(Gate& g) {
    if (!g.armed.exchange(false)) return;
    if (std::this_thread::get_id() == m_test_thread) {
      on_test_thread = true;
      return;
    }
    g.entered.set_value();
    g.opened.wait();
  }
  std::thread::id m_test_thread = std::this_thread::get_id();
};

// Runs the loop until `done` (the commit thread's answers arrive as handlers), at most
// 10,000 handlers or 10 s without one.
void run_until(boost::asio::io_context& io, const std::function<bool()>& done) {
  io.restart();
  for (int i = 0; i < 10000 && !done(); ++i) {
    if (io.run_one_for(std::chrono::seconds(10)) == 0) break;
  }
  REQUIRE(done());
}

// Runs the loop until a call reaches its gate on the commit thread (at most 10 s).
void run_until_entered(boost::asio::io_context& io, std::future<void> entered) {
  io.restart();
  for (int i = 0; i < 10000; ++i) {
    io.poll();
    if (entered.wait_for(std::chrono::milliseconds(1)) == std::future_status::ready) return;
  }
  FAIL("no call reached the gate");
}

// Starts the harness's engine on `on` with a commit thread of its own (the daemon on
// PostgreSQL) and runs the loop until the start has ended.
void start_on_thread(EngineHarness& h, storage::RunStore& on,
                     std::shared_ptr<const config::Config> config) {
  h.options.commit_thread = true;
  h.options.timers = &h.timers;
  h.options.random = [] { return 0.5; };
  h.engine = std::make_unique<core::Engine>(h.io, on, h.client, h.clock, std::move(config),
                                            h.options);
  bool started = false;
  boost::asio::co_spawn(h.io, h.engine->start(), [&](std::exception_ptr e, Result<void> r) {
    CHECK(!e);
    CHECK(r.has_value());
    started = true;
  });
  run_until(h.io, [&] { return started; });
}

// Runs the loop until nothing has happened for 50 ms: the commits sent to the engine's thread
// are back, and with the fake clock standing still nothing new starts.
void settle(EngineHarness& h) {
  h.io.restart();
  while (h.io.run_one_for(std::chrono::milliseconds(50)) > 0) {
  }
}

// Destroys the engine and runs the loop until its coroutines have ended: those waiting for a
// commit on the engine's thread end when it is back (the harness's timers must outlive them).
void finish(EngineHarness& h) {
  h.engine.reset();
  settle(h);
}

// 100 jobs due at 10:10:00 whose n-th submit answers after latency(n); runs up to the slot.
void start_slow_burst(EngineHarness& h, std::function<Millis(std::size_t)> latency) {
  std::vector<config::Job> jobs;
  for (int i = 0; i < 100; ++i) jobs.push_back(make_job(fmt::format("job-{:03}", i), "*/10 * * * *"));
  h.client.latency_timers = &h.timers;
  h.client.submit_latency = std::move(latency);
  h.start(make_config(std::move(jobs)));
  h.advance(minutes(9) + seconds(30));  // 10:10:00
}

}  // namespace

TEST_SUITE("core::write_batch") {
  TEST_CASE("writes of one turn share one commit and a refused write fails only itself") {
    auto store = *storage::SqliteRunStore::open(":memory:");
    CountingStore counting(*store);
    auto a = new_run(*store, "a"), b = new_run(*store, "b"), c = new_run(*store, "c");
    boost::asio::io_context io;
    core::WriteBatch batch(io, counting);
    std::optional<StoreResult<storage::RunRow>> ra, rb, rc;
    queue_transition(io, batch, a.id, RunState::submitting, ra);
    queue_transition(io, batch, b.id, RunState::complete, rb);  // illegal from scheduled
    queue_transition(io, batch, c.id, RunState::submitting, rc);
    io.poll();
    REQUIRE((ra && rb && rc));
    CHECK(counting.commits == 1);
    CHECK(batch.commits() == 1);
    REQUIRE(ra->has_value());
    CHECK((*ra)->state == RunState::submitting);
    REQUIRE(!rb->has_value());
    CHECK(rb->error().kind == storage::StoreErrorKind::illegal_transition);
    CHECK(rc->has_value());
    CHECK((*store->find_run(a.id))->state == RunState::submitting);
    CHECK((*store->find_run(b.id))->state == RunState::scheduled);
    CHECK((*store->find_run(c.id))->state == RunState::submitting);
  }

  TEST_CASE("a refused commit gives every write of the batch its error and stores none") {
    auto store = *storage::SqliteRunStore::open(":memory:");
    CountingStore counting(*store);
    auto a = new_run(*store, "a"), b = new_run(*store, "b");
    boost::asio::io_context io;
    core::WriteBatch batch(io, counting);
    counting.refuse_next_commit = true;
    std::optional<StoreResult<storage::RunRow>> ra, rb;
    queue_transition(io, batch, a.id, RunState::submitting, ra);
    queue_transition(io, batch, b.id, RunState::submitting, rb);
    io.poll();
    REQUIRE((ra && rb));
    REQUIRE((!ra->has_value() && !rb->has_value()));
    CHECK(ra->error().kind == storage::StoreErrorKind::full);
    CHECK(rb->error().kind == storage::StoreErrorKind::full);
    CHECK((*store->find_run(a.id))->state == RunState::scheduled);
    CHECK((*store->find_run(b.id))->state == RunState::scheduled);
  }

  TEST_CASE("with a thread of its own, a stalled commit holds only its writes, not the event loop") {
    auto store = *storage::SqliteRunStore::open(":memory:");
    GateStore gate(*store);
    auto a = new_run(*store, "a"), b = new_run(*store, "b"), c = new_run(*store, "c");
    boost::asio::io_context io;
    std::optional<StoreResult<storage::RunRow>> ra, rb, rc;
    {
      core::WriteBatch batch(io, gate, /*own_thread=*/true);
      queue_transition(io, batch, a.id, RunState::submitting, ra);
      io.poll();  // a's commit leaves for the batch's thread
      REQUIRE_FALSE(gate.on_test_thread);
      gate.entered.get_future().wait();  // ... and stalls there

      bool loop_ran = false;
      boost::asio::post(io, [&] { loop_ran = true; });
      queue_transition(io, batch, b.id, RunState::submitting, rb);
      queue_transition(io, batch, c.id, RunState::submitting, rc);
      io.poll();
      CHECK(loop_ran);
      CHECK_FALSE(ra.has_value());  // nobody resumes before the commit
      CHECK_FALSE(rb.has_value());

      gate.open.set_value();
      while (!(ra && rb && rc)) io.run_one();
      CHECK(batch.commits() == 2);  // b and c joined one commit after a's
    }
    REQUIRE(gate.threads.size() == 2);
    CHECK_FALSE(gate.on_test_thread);
    for (auto* r : {&ra, &rb, &rc}) {
      REQUIRE((*r)->has_value());
      CHECK((**r)->state == RunState::submitting);
    }
    for (auto id : {a.id, b.id, c.id}) CHECK((*store->find_run(id))->state == RunState::submitting);
  }

  TEST_CASE("a burst of 200 same-second slots goes out in two batches, each run stored submitting first") {
    // Each batch's commit creates its runs `submitting`, before any of its requests leaves.
    EngineHarness h("2026-01-05T10:00:30Z");
    CountingStore counting(*h.store);
    std::vector<config::Job> jobs;
    for (int i = 0; i < 200; ++i) jobs.push_back(make_job(fmt::format("job-{:03}", i), "*/10 * * * *"));
    int checked = 0;
    h.client.on_submit = [&](const platform::ExecutionRequest& req) {
      // Nothing leaves inside an open transaction, and its run is already `submitting`.
      CHECK_FALSE(counting.in_open_transaction());
      auto runs = h.runs(req.process_id.substr(std::string("process-").size()));
      REQUIRE(runs.size() == 1);
      CHECK(runs[0].state == RunState::submitting);
      CHECK(runs[0].attempts == 1);
      CHECK(runs[0].submitting_at.has_value());
      CHECK(runs[0].last_sent_at.has_value());
      ++checked;
    };
    h.start_on(counting, make_config(std::move(jobs)));
    h.advance(minutes(9) + seconds(29));
    int before = counting.commits;
    h.advance(seconds(1));  // 10:10:00: the burst
    CHECK(h.client.submits.size() == 200);
    CHECK(checked == 200);
    CHECK(counting.submitting_in.empty());  // no separate scheduled -> submitting write
    // Batches of 64 and 136 run rows, then one commit for the 200 requestIds.
    REQUIRE(counting.created_submitting.size() == 2);
    std::vector<int> sizes;
    for (const auto& [commit, n] : counting.created_submitting) sizes.push_back(n);
    CHECK(sizes == std::vector<int>{64, 136});
    CHECK(counting.commits - before <= 3);
    for (int i = 0; i < 200; i += 50) {
      CHECK(h.runs(fmt::format("job-{:03}", i))[0].state == RunState::submitted);
    }
  }

  TEST_CASE("the answers of a burst are written once its last trigger has left") {
    EngineHarness h("2026-01-05T10:00:30Z");
    std::vector<config::Job> jobs;
    for (int i = 0; i < 100; ++i) jobs.push_back(make_job(fmt::format("job-{:03}", i), "*/10 * * * *"));
    int sent = 0;
    h.client.on_submit = [&](const platform::ExecutionRequest&) {
      // The first run was answered long ago, but its requestId waits for the burst's end.
      if (++sent == 100) CHECK(h.runs("job-000")[0].state == RunState::submitting);
    };
    h.start(make_config(std::move(jobs)));
    h.advance(minutes(9) + seconds(30));  // 10:10:00
    CHECK(sent == 100);
    CHECK(h.runs("job-000")[0].state == RunState::submitted);
    CHECK(h.runs("job-099")[0].state == RunState::submitted);
  }

  TEST_CASE("the answers of a burst wait until every request of it has its answer") {
    EngineHarness h("2026-01-05T10:00:30Z");
    start_slow_burst(h, [](std::size_t n) { return Millis(n == 99 ? 100 : 20); });
    h.advance(Millis(50));
    REQUIRE(h.client.submits.size() == 100);
    // 99 answers are in, one is still out: none is written yet.
    CHECK(h.runs("job-000")[0].state == RunState::submitting);
    CHECK(h.runs("job-098")[0].state == RunState::submitting);
    h.advance(Millis(100));
    CHECK(h.runs("job-000")[0].state == RunState::submitted);
    CHECK(h.runs("job-099")[0].state == RunState::submitted);
  }

  TEST_CASE("a burst's answers are written after 500 ms even while a request is still out") {
    EngineHarness h("2026-01-05T10:00:30Z");
    start_slow_burst(h, [](std::size_t n) { return n == 99 ? Millis(5000) : Millis(10); });
    h.advance(Millis(400));
    CHECK(h.runs("job-000")[0].state == RunState::submitting);
    h.advance(Millis(200));
    CHECK(h.runs("job-000")[0].state == RunState::submitted);
    CHECK(h.runs("job-098")[0].state == RunState::submitted);
    CHECK(h.runs("job-099")[0].state == RunState::submitting);
    h.advance(seconds(5));
    CHECK(h.runs("job-099")[0].state == RunState::submitted);
  }

  TEST_CASE("on a commit thread a slot's batch is written while the loop goes on, and a reload arriving meanwhile waits for it") {
    // The gate outlives the harness: the engine's coroutines (and its commit thread) may still
    // reach the store until the harness's io_context is gone.
    std::unique_ptr<GateStore> gate_owner;
    EngineHarness h("2026-01-05T10:00:30Z");
    gate_owner = std::make_unique<GateStore>(*h.store);
    auto& gate = *gate_owner;
    gate.armed = false;
    start_on_thread(h, gate, make_config({make_job("a", "* * * * *")}));

    gate.armed = true;
    h.advance(seconds(30));  // 10:01:00: the slot's batch leaves for the thread ...
    // ... and stalls there
    REQUIRE(gate.entered.get_future().wait_for(std::chrono::seconds(10)) == std::future_status::ready);
    bool loop_ran = false;
    boost::asio::post(h.io, [&] { loop_ran = true; });
    h.engine->reload(make_config({make_job("a", "* * * * *"), make_job("b", "* * * * *")}, "fp-2"));
    h.run_ready();
    CHECK(loop_ran);
    CHECK(h.engine->stats().in_flight == 0);  // the run is tracked once written
    CHECK(h.engine->stats().jobs == 1);       // the reload waits for the batch
    CHECK(h.client.submits.empty());
    CHECK(h.runs("a").empty());  // the stalled commit is the one creating the slot's run

    gate.open.set_value();
    run_until(h.io, [&] { return h.engine->stats().jobs == 2 && !h.client.submits.empty(); });
    settle(h);
    auto runs = h.runs("a");
    REQUIRE(runs.size() == 1);
    CHECK(runs[0].slot == instant("2026-01-05T10:01:00Z"));
    CHECK(h.client.submits.size() == 1);
    CHECK(h.runs("b").empty());  // b starts with the reload: its first slot is 10:02:00
    settle(h);  // the requestId's commit is back: the store is read with the thread idle
    CHECK(h.runs("a")[0].state == RunState::submitted);
    finish(h);
  }

  TEST_CASE("on a commit thread a slot queued behind a run whose end is being committed is released once both are written") {
    // The run's end commits while the next slot is planned: the slot queues behind it, and the
    // run has ended by the time the slot's run is written. The queue still moves on.
    std::unique_ptr<TerminalGate> gate_owner;  // outlives the harness (see above)
    EngineHarness h("2026-01-05T10:00:30Z");
    gate_owner = std::make_unique<TerminalGate>(*h.store);
    auto& gate = *gate_owner;
    auto job = make_job("q", "* * * * *");
    job.edit_settings().overlap = config::Overlap::queue;
    job.edit_settings().poll = {seconds(1), seconds(1)};
    h.client.poll_default = record_answer("INPROCESS");
    start_on_thread(h, gate, make_config({job}));
    h.advance(seconds(30));  // 10:01:00: the first run
    run_until(h.io, [&] { return h.client.submits.size() == 1; });
    // One simulated second at a time, each step's commits back before the next.
    auto step = [&] {
      h.advance(seconds(1));
      settle(h);
    };
    for (int i = 0; i < 50; ++i) step();  // 10:01:50: polled, INPROCESS

    h.client.poll_default = record_answer("COMPLETE");
    gate.armed = true;
    auto entered = gate.entered.get_future();
    for (int i = 0; i < 9 && entered.wait_for(std::chrono::seconds(0)) != std::future_status::ready; ++i) {
      step();
    }
    // Its end stalls in the commit before 10:02:00 ...
    REQUIRE(entered.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
    h.clock.advance(std::chrono::duration_cast<Millis>(
        SysMillis(instant("2026-01-05T10:02:00Z")) - h.clock.now()));
    h.timers.fire_due();
    h.run_ready();  // ... while the 10:02 slot is planned behind it, and its batch waits too
    CHECK(h.client.submits.size() == 1);

    gate.open.set_value();
    for (int i = 0; i < 100 && h.client.submits.size() < 2; ++i) {
      h.io.restart();
      h.io.run_one_for(std::chrono::milliseconds(100));
      h.advance(Millis(100));
    }
    CHECK(h.client.submits.size() == 2);  // the queued slot left
    finish(h);
    auto runs = h.runs("q");
    REQUIRE(runs.size() == 2);
    CHECK(runs[0].slot == instant("2026-01-05T10:02:00Z"));  // newest first
  }

  TEST_CASE("on a commit thread a reload's reads and a command's write wait there, not on the loop") {
    std::unique_ptr<CallGate> gate_owner;  // outlives the harness (see above)
    EngineHarness h("2026-01-05T10:00:30Z");
    gate_owner = std::make_unique<CallGate>(*h.store);
    auto& gate = *gate_owner;
    start_on_thread(h, gate, make_config({make_job("a", "* * * * *")}));
    settle(h);
    // Job b was paused in an earlier configuration: the reload must read that to know it.
    REQUIRE(h.store->set_paused("b", true, "kept", "ops", h.clock.now()).has_value());

    gate.job_states.armed = true;
    h.engine->reload(make_config({make_job("a", "* * * * *"), make_job("b", "* * * * *")}, "fp-2"));
    run_until_entered(h.io, gate.job_states.entered.get_future());
    bool loop_ran = false;
    boost::asio::post(h.io, [&] { loop_ran = true; });
    h.run_ready();
    CHECK(loop_ran);
    CHECK(h.engine->stats().jobs == 1);  // applied once the read is back
    gate.job_states.open.set_value();
    run_until(h.io, [&] { return h.engine->stats().jobs == 2; });
    settle(h);

    h.advance(seconds(30));  // 10:01:00: a fires, b stays paused
    settle(h);
    CHECK(h.runs("a").size() == 1);
    CHECK(h.runs("b").empty());

    // A pause of a: its write waits on the thread while the loop goes on, and the job is
    // paused in memory once it is back.
    gate.pauses.armed = true;
    enqueue(h, storage::CommandKind::pause, "a");
    h.engine->check_commands();
    run_until_entered(h.io, gate.pauses.entered.get_future());
    loop_ran = false;
    boost::asio::post(h.io, [&] { loop_ran = true; });
    h.run_ready();
    CHECK(loop_ran);
    gate.pauses.open.set_value();
    settle(h);
    h.advance(minutes(1));  // 10:02:00: a is paused now
    settle(h);
    CHECK(h.runs("a").size() == 1);
    CHECK_FALSE(gate.on_test_thread.load());
    finish(h);
  }
}
