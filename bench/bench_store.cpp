// The state database under load (docs/benchmarks.md):
//   1. durable transitions per second, one transaction each and batched (synchronous=FULL);
//   2. a database of N runs (default 1,000,000) over 20 jobs, then the latency of what
//      `status` and `history` do (open read-only, heartbeat, one summary per job / the newest
//      entries), and of the whole `boomi-sched status` / `history` process when the binary is
//      given.
//   build/bench_store [runs] [path/to/boomi-sched]
#include "storage/sqlite.h"
#include "storage/sqlite_run_store.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

using namespace bsched;
using namespace bsched::storage;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int k_jobs = 20;
const sys_seconds k_start{std::chrono::seconds{1764547200}};  // 2025-12-01T00:00:00Z

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

SysMillis at(sys_seconds s, int extra = 0) {
  return std::chrono::time_point_cast<Millis>(s) + Millis{extra};
}

std::string job_name(int j) { return fmt::format("job-{:02}", j); }

template <class F>
double median_ms(int reps, F&& f) {
  std::vector<double> t;
  for (int r = 0; r < reps; ++r) {
    auto t0 = Clock::now();
    f();
    t.push_back(ms_since(t0));
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

void die(const StoreError& e) {
  fmt::print(stderr, "bench_store: {}\n", e.message);
  std::exit(1);
}

// One run through scheduled -> submitting -> submitted -> running -> complete: 5 writes.
StoreResult<void> one_run(SqliteRunStore& s, int n, const char* prefix) {
  auto slot = k_start + std::chrono::seconds{n};
  BSCHED_TRY_ASSIGN(row, s.create_run(NewRun{fmt::format("{}-{}", prefix, n), "tx", Trigger::schedule,
                                             slot, "{}"},
                                      at(slot)));
  for (auto st : {RunState::submitting, RunState::submitted, RunState::running,
                  RunState::complete}) {
    BSCHED_TRY(s.transition(row.id, st, at(slot, 10)));
  }
  return {};
}

void bench_transitions(const fs::path& dir) {
  auto store = SqliteRunStore::open((dir / "tx.db").string());
  if (!store) die(store.error());
  auto& s = **store;
  constexpr int single_runs = 200;
  auto t0 = Clock::now();
  for (int i = 0; i < single_runs; ++i) {
    if (auto r = one_run(s, i, "single"); !r) die(r.error());
  }
  double single = ms_since(t0);
  fmt::print("durable writes, one transaction each: {:.0f}/s ({} writes in {:.0f} ms)\n",
             single_runs * 5 / single * 1000, single_runs * 5, single);
  constexpr int batches = 50, per_batch = 100;
  t0 = Clock::now();
  for (int b = 0; b < batches; ++b) {
    auto r = s.in_transaction([&]() -> StoreResult<void> {
      for (int i = 0; i < per_batch; ++i) BSCHED_TRY(one_run(s, 100000 + b * per_batch + i, "b"));
      return {};
    });
    if (!r) die(r.error());
  }
  double batched = ms_since(t0);
  fmt::print("durable writes, {} per transaction: {:.0f}/s ({} writes in {:.0f} ms)\n",
             per_batch * 5, batches * per_batch * 5 / batched * 1000, batches * per_batch * 5,
             batched);
}

// N finished runs (one per minute per job, 1 in 20 an error) plus a few in flight and some
// missed ranges, written directly with large transactions.
void fill(const std::string& path, int runs) {
  auto store = SqliteRunStore::open(path);
  if (!store) die(store.error());
  auto& db = (*store)->db();
  auto t0 = Clock::now();
  auto r = (*store)->in_transaction([&]() -> StoreResult<void> {
    BSCHED_TRY_ASSIGN(q, db.prepare(
        "INSERT INTO runs (run_id, job, trigger, slot, state, attempts, request_id, "
        "execution_id, remote_status, message, created_at, submitting_at, submitted_at, "
        "running_at, finished_at, duration_ms) VALUES (?, ?, 'schedule', ?, ?, 1, ?, ?, ?, ?, "
        "?, ?, ?, ?, ?, ?)"));
    for (int i = 0; i < runs; ++i) {
      int job = i % k_jobs;
      auto slot = k_start + std::chrono::minutes{i / k_jobs};
      bool in_flight = i >= runs - 2 * k_jobs;
      bool failed = i % 20 == 7;
      auto ms0 = at(slot).time_since_epoch().count();
      q.reset();
      q.bind(1, fmt::format("run-{:08}", i)).bind(2, job_name(job)).bind(3, slot.time_since_epoch().count());
      q.bind(4, in_flight ? "running" : failed ? "error" : "complete");
      q.bind(5, fmt::format("executionrecord-{:08}", i)).bind(6, fmt::format("execution-{:08}", i));
      q.bind(7, failed ? "ERROR" : "COMPLETE").bind(8, failed ? "Map failed: missing field" : "");
      q.bind(9, ms0).bind(10, ms0 + 20).bind(11, ms0 + 300).bind(12, ms0 + 5000);
      if (in_flight) q.bind_null(13).bind_null(14);
      else q.bind(13, ms0 + 65000).bind(14, 60000);
      BSCHED_TRY(q.run());
    }
    for (int j = 0; j < k_jobs; ++j) {
      auto first = k_start - std::chrono::hours{24};
      BSCHED_TRY((*store)->record_gap(SlotGap{0, job_name(j), RunState::missed, first,
                                              first + std::chrono::minutes{59}, 60,
                                              "daemon down", at(k_start)}));
      BSCHED_TRY((*store)->set_horizon(job_name(j), k_start + std::chrono::minutes{runs / k_jobs}));
    }
    return {};
  });
  if (!r) die(r.error());
  Heartbeat h{static_cast<int>(::getpid()), at(k_start), at(k_start), at(k_start), "fp", "ok"};
  if (auto w = (*store)->write_heartbeat(h); !w) die(w.error());
  fmt::print("filled {} runs over {} jobs in {:.1f} s; file {:.0f} MB\n", runs, k_jobs,
             ms_since(t0) / 1000, static_cast<double>(fs::file_size(path)) / 1e6);
}

void bench_reads(const std::string& path) {
  auto status = median_ms(21, [&] {
    auto s = SqliteRunStore::open(path, OpenMode::read_only);
    if (!s) die(s.error());
    if (auto h = (*s)->read_heartbeat(); !h) die(h.error());
    for (int j = 0; j < k_jobs; ++j) {
      if (auto sum = (*s)->job_summary(job_name(j)); !sum) die(sum.error());
    }
  });
  fmt::print("status queries (open read-only, heartbeat, {} job summaries): median {:.2f} ms\n",
             k_jobs, status);
  auto store = SqliteRunStore::open(path, OpenMode::read_only);
  if (!store) die(store.error());
  for (auto [job, limit] : {std::pair<std::string, int>{"", 20}, {"job-07", 20}, {"", 1000},
                            {"job-07", 1000}}) {
    auto t = median_ms(21, [&] {
      auto h = (*store)->history(job, limit);
      if (!h || h->empty()) die(h ? StoreError{StoreErrorKind::io, "empty history"} : h.error());
    });
    fmt::print("history {} --limit {}: median {:.2f} ms\n", job.empty() ? "(all jobs)" : job,
               limit, t);
  }
  auto t0 = Clock::now();
  auto v = SqliteRunStore::open(path, OpenOptions{.verify = true});
  if (!v) die(v.error());
  fmt::print("read-write open with quick_check (daemon start): {:.0f} ms\n", ms_since(t0));
}

void bench_processes(const fs::path& dir, const std::string& binary) {
  std::string yaml = "platform:\n  account_id: acme-AB12CD\n  username: u\n  token_env: X\n"
                     "storage:\n  path: store.db\njobs:\n";
  for (int j = 0; j < k_jobs; ++j) {
    yaml += fmt::format("  {}:\n    schedule: \"*/5 * * * *\"\n    timezone: Europe/Berlin\n"
                        "    process_id: p\n    atom_id: a\n",
                        job_name(j));
  }
  std::ofstream(dir / "boomi-sched.yaml") << yaml;
  for (const char* cmd : {"status", "status --json", "history --limit 20", "history --json"}) {
    auto line = fmt::format("'{}' {} --config '{}' >/dev/null", binary, cmd,
                            (dir / "boomi-sched.yaml").string());
    auto t = median_ms(11, [&] {
      if (std::system(line.c_str()) != 0) die(StoreError{StoreErrorKind::io, "failed: " + line});
    });
    fmt::print("process `boomi-sched {}`: median {:.1f} ms\n", cmd, t);
  }
}

}  // namespace

int main(int argc, char** argv) {
  int runs = argc > 1 ? std::atoi(argv[1]) : 1000000;
  std::string binary = argc > 2 ? argv[2] : "";
  auto dir = fs::temp_directory_path() / fmt::format("bench-store-{}", ::getpid());
  fs::create_directories(dir);
  bench_transitions(dir);
  auto path = (dir / "store.db").string();
  fill(path, runs);
  bench_reads(path);
  if (!binary.empty()) bench_processes(dir, binary);
  fs::remove_all(dir);
  return 0;
}
