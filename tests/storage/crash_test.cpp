// Durability under SIGKILL: a child process drives runs through their states and reports each
// committed call through a pipe; the parent kills it after a random number of reports (so at a
// random point of its next transaction), many times over the same file. After every kill the
// database opens, passes PRAGMA integrity_check, holds every reported commit, and no batch
// transaction is half there. No sleeping: the parent waits only for the child's reports.
#include "storage/sqlite.h"
#include "tests/storage/store_test_util.h"
#include "tests/support/config_test_util.h"

#include <doctest/doctest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <map>
#include <random>

using namespace bsched::storage;
using namespace bsched::test;

namespace {

// What the child reports after a call returned success: the run and the state it reached.
struct Report {
  std::int64_t id;
  int state;
};

const std::vector<RunState> k_path = {RunState::scheduled, RunState::submitting,
                                      RunState::submitted, RunState::running, RunState::complete};
constexpr int k_batch = 5;

int path_index(RunState s) {
  for (size_t i = 0; i < k_path.size(); ++i) {
    if (k_path[i] == s) return static_cast<int>(i);
  }
  return -1;
}

// Run ids must be unique across children: each child starts from the parent's counters.
NewRun child_run(const char* job, std::chrono::sys_seconds slot) {
  auto id = std::string(job) + "-" + std::to_string(slot.time_since_epoch().count());
  return NewRun{id, job, Trigger::schedule, slot, "{}"};
}

bool report(int fd, std::int64_t id, RunState s) {
  Report r{id, static_cast<int>(s)};
  return ::write(fd, &r, sizeof r) == static_cast<ssize_t>(sizeof r);
}

// One run through the whole path, a committed transaction per step, each reported.
bool drive_one(SqliteRunStore& store, int fd, std::chrono::sys_seconds slot) {
  auto row = store.create_run(child_run("single", slot), ms(slot));
  if (!row || !report(fd, row->id, RunState::scheduled)) return false;
  for (size_t i = 1; i < k_path.size(); ++i) {
    if (!store.transition(row->id, k_path[i], ms(slot, static_cast<int>(i)))) return false;
    if (!report(fd, row->id, k_path[i])) return false;
  }
  return true;
}

// k_batch runs created and finished in one transaction, reported after its commit.
bool drive_batch(SqliteRunStore& store, int fd, std::chrono::sys_seconds first) {
  std::vector<std::int64_t> ids;
  auto r = store.in_transaction([&]() -> StoreResult<void> {
    for (int i = 0; i < k_batch; ++i) {
      auto slot = first + std::chrono::seconds{i};
      BSCHED_TRY_ASSIGN(row, store.create_run(child_run("batch", slot), ms(slot)));
      for (size_t s = 1; s < k_path.size(); ++s) {
        BSCHED_TRY(store.transition(row.id, k_path[s], ms(slot)));
      }
      ids.push_back(row.id);
    }
    return {};
  });
  if (!r) return false;
  for (auto id : ids) {
    if (!report(fd, id, RunState::complete)) return false;
  }
  return true;
}

[[noreturn]] void child_main(const std::string& path, int fd, int iteration) {
  auto store = SqliteRunStore::open(path);
  if (!store) ::_exit(3);
  auto base = t0() + std::chrono::hours{iteration};
  for (int i = 0;; ++i) {
    auto slot = base + std::chrono::seconds{i * 10};
    bool ok = i % 3 == 2 ? drive_batch(**store, fd, slot) : drive_one(**store, fd, slot);
    if (!ok) ::_exit(4);
  }
}

// Reads `count` reports (fewer when the child exits first) into `committed`.
int read_reports(int fd, int count, std::map<std::int64_t, int>& committed) {
  int got = 0;
  Report r{};
  while (got < count && ::read(fd, &r, sizeof r) == static_cast<ssize_t>(sizeof r)) {
    auto& best = committed[r.id];
    best = std::max(best, path_index(static_cast<RunState>(r.state)));
    ++got;
  }
  return got;
}

void check_database(const std::string& path, const std::map<std::int64_t, int>& committed) {
  auto store = SqliteRunStore::open(path, OpenOptions{.verify = true});
  REQUIRE_MESSAGE(store.has_value(), (store ? "" : store.error().message));
  auto& db = (*store)->db();
  auto q = db.prepare("PRAGMA integrity_check");
  REQUIRE(q->step().value());
  CHECK(q->text(0) == "ok");
  for (const auto& [id, index] : committed) {
    auto row = (*store)->find_run(id);
    REQUIRE(row.has_value());
    REQUIRE_MESSAGE(row->has_value(), "committed run " << id << " is missing");
    CHECK(path_index((*row)->state) >= index);
  }
  // Batches are all or nothing: every hour's batch runs come in groups of k_batch per slot ten.
  auto partial = db.query_int(
      "SELECT count(*) FROM (SELECT slot / 10 AS g, count(*) AS n FROM runs WHERE job = 'batch' "
      "GROUP BY g HAVING n != 5)");
  CHECK(partial.value() == 0);
}

}  // namespace

TEST_SUITE("storage::crash") {
  TEST_CASE("every committed transition survives SIGKILL at random points") {
    ConfigTempDir dir;
    auto path = (dir.path() / "state.db").string();
    std::mt19937 rng(20261125);
    std::map<std::int64_t, int> committed;
    constexpr int k_iterations = 40;
    for (int iteration = 0; iteration < k_iterations; ++iteration) {
      int fds[2];
      REQUIRE(::pipe(fds) == 0);
      pid_t child = ::fork();
      REQUIRE(child >= 0);
      if (child == 0) {
        ::close(fds[0]);
        child_main(path, fds[1], iteration);
      }
      ::close(fds[1]);
      // 0 reports: killed while opening (creating, migrating) the database.
      int wanted = std::uniform_int_distribution<int>(0, 16)(rng);
      int got = read_reports(fds[0], wanted, committed);
      ::kill(child, SIGKILL);
      int status = 0;
      ::waitpid(child, &status, 0);
      ::close(fds[0]);
      CAPTURE(iteration);
      REQUIRE_MESSAGE(got == wanted, "the child stopped early, status " << status);
      REQUIRE(WIFSIGNALED(status));
      check_database(path, committed);
    }
    CHECK(committed.size() > 50);
  }
}
