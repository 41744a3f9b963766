// The run store on PostgreSQL against SQLite (docs/benchmarks.md): 1,000 runs each created
// and moved through submitting -> submitted -> running -> complete (5 writes), one transaction
// per write and 100 runs per transaction; and the round trip of one read (find_run).
//   build/bench_pg_store "<libpq conninfo of an empty database>" <sqlite file> [runs]
#include "storage/pg/pg_run_store.h"
#include "storage/sqlite_run_store.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

using namespace bsched;
using namespace bsched::storage;
using Clock = std::chrono::steady_clock;

namespace {

const sys_seconds k_start{std::chrono::seconds{1764547200}};  // 2025-12-01T00:00:00Z

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

SysMillis at(sys_seconds s, int extra = 0) {
  return std::chrono::time_point_cast<Millis>(s) + Millis{extra};
}

[[noreturn]] void die(const StoreError& e) {
  fmt::print(stderr, "bench_pg_store: {}\n", e.message);
  std::exit(1);
}

void check(const StoreResult<void>& r) {
  if (!r) die(r.error());
}

// One run through its five writes.
StoreResult<void> one_run(RunStore& s, int n, const std::string& prefix) {
  auto slot = k_start + std::chrono::seconds(n);
  NewRun run{fmt::format("{}-{}", prefix, n), "job", Trigger::schedule, slot, "{}"};
  BSCHED_TRY_ASSIGN(row, s.create_run(run, at(slot)));
  int step = 1;
  for (auto to : {RunState::submitting, RunState::submitted, RunState::running,
                  RunState::complete}) {
    BSCHED_TRY(s.transition(row.id, to, at(slot, 10 * step++)));
  }
  return {};
}

struct Figures {
  double single_ms = 0;   // the runs, one transaction per write
  double batched_ms = 0;  // the runs, 100 per transaction
  double read_median_ms = 0;
};

Figures measure(RunStore& s, int runs, const std::string& prefix) {
  Figures f;
  auto t0 = Clock::now();
  for (int i = 0; i < runs; ++i) check(one_run(s, i, prefix + "a"));
  f.single_ms = ms_since(t0);
  t0 = Clock::now();
  for (int i = 0; i < runs; i += 100) {
    check(s.in_transaction([&]() -> StoreResult<void> {
      for (int j = i; j < std::min(runs, i + 100); ++j) BSCHED_TRY(one_run(s, runs + j, prefix + "b"));
      return {};
    }));
  }
  f.batched_ms = ms_since(t0);
  std::vector<double> reads;
  for (int i = 0; i < 1000; ++i) {
    auto r0 = Clock::now();
    auto r = s.find_run(1 + i % runs);
    if (!r) die(r.error());
    reads.push_back(ms_since(r0));
  }
  std::sort(reads.begin(), reads.end());
  f.read_median_ms = reads[reads.size() / 2];
  return f;
}

void report(const char* name, int runs, const Figures& f) {
  fmt::print("{:<10} {:>6} runs x 5 writes, one transaction each: {:8.1f} ms ({:.3f} ms/write)\n",
             name, runs, f.single_ms, f.single_ms / (5.0 * runs));
  fmt::print("{:<10} {:>6} runs x 5 writes, 100 runs per transaction: {:8.1f} ms ({:.3f} ms/write)\n",
             name, runs, f.batched_ms, f.batched_ms / (5.0 * runs));
  fmt::print("{:<10} find_run round trip: median {:.3f} ms\n", name, f.read_median_ms);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    fmt::print(stderr, "usage: bench_pg_store <conninfo> <sqlite file> [runs]\n");
    return 2;
  }
  int runs = argc > 3 ? std::atoi(argv[3]) : 1000;
  if (runs < 1) runs = 1000;
  auto pg = pg::PgRunStore::open(argv[1]);
  if (!pg) die(pg.error());
  auto existing = (*pg)->row_count("runs");
  if (!existing || *existing != 0) {
    fmt::print(stderr, "bench_pg_store: the database's runs table is not empty\n");
    return 1;
  }
  std::filesystem::remove(argv[2]);
  auto lite = SqliteRunStore::open(argv[2]);
  if (!lite) die(lite.error());
  report("postgres", runs, measure(**pg, runs, "pg"));
  report("sqlite", runs, measure(**lite, runs, "lite"));
  return 0;
}
