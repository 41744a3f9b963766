// The instance lock: one daemon per state database, released by the kernel on death.
#include "daemon/runtime/instance_lock.h"
#include "tests/support/config_test_util.h"

#include <doctest/doctest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>

using bsched::runtime::InstanceLock;
using bsched::runtime::lock_path_for;
using bsched::runtime::read_lock_pid;
using bsched::test::ConfigTempDir;

namespace {

// Forks a child that takes the lock and then waits to be killed; returns its pid once it
// holds the lock (or -1 when it could not take it).
pid_t child_holding_lock(const std::string& db) {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(fds[0]);
    auto lock = InstanceLock::acquire(db);
    char ok = lock ? '1' : '0';
    if (::write(fds[1], &ok, 1) != 1) ::_exit(1);
    for (;;) ::pause();
  }
  ::close(fds[1]);
  char ok = '0';
  REQUIRE(::read(fds[0], &ok, 1) == 1);  // blocks until the child reported
  ::close(fds[0]);
  return ok == '1' ? pid : -1;
}

}  // namespace

TEST_SUITE("runtime::instance_lock") {
  TEST_CASE("a second lock on the same database is refused and names the holder's pid") {
    ConfigTempDir dir;
    auto db = (dir.path() / "state.db").string();
    auto first = InstanceLock::acquire(db);
    REQUIRE(first.has_value());
    CHECK(read_lock_pid(lock_path_for(db)) == ::getpid());
    auto second = InstanceLock::acquire(db);
    REQUIRE_FALSE(second.has_value());
    CHECK(second.error().message ==
          "another boomi-sched daemon (pid " + std::to_string(::getpid()) + ") owns " + db +
              "; stop it first");
  }

  TEST_CASE("a released lock can be taken again and its pid is cleared") {
    ConfigTempDir dir;
    auto db = (dir.path() / "state.db").string();
    { auto first = InstanceLock::acquire(db); REQUIRE(first.has_value()); }
    CHECK_FALSE(read_lock_pid(lock_path_for(db)).has_value());
    CHECK(InstanceLock::acquire(db).has_value());
  }

  TEST_CASE("locks on different databases do not conflict") {
    ConfigTempDir dir;
    auto a = InstanceLock::acquire((dir.path() / "a.db").string());
    auto b = InstanceLock::acquire((dir.path() / "b.db").string());
    CHECK(a.has_value());
    CHECK(b.has_value());
  }

  TEST_CASE("the lock of a process killed with SIGKILL is released by the kernel") {
    ConfigTempDir dir;
    auto db = (dir.path() / "state.db").string();
    pid_t child = child_holding_lock(db);
    REQUIRE(child > 0);
    auto refused = InstanceLock::acquire(db);
    REQUIRE_FALSE(refused.has_value());
    CHECK(refused.error().message.find("(pid " + std::to_string(child) + ")") != std::string::npos);
    REQUIRE(::kill(child, SIGKILL) == 0);
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    CHECK(WIFSIGNALED(status));
    CHECK(InstanceLock::acquire(db).has_value());
  }

  TEST_CASE("a lock file in a missing directory is a clear error") {
    auto r = InstanceLock::acquire("/nonexistent-bsched-dir/state.db");
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().message.find("cannot create the lock file /nonexistent-bsched-dir/state.db.lock") ==
          0);
  }

  TEST_CASE("a lock file without a number yields no pid") {
    ConfigTempDir dir;
    auto p = dir.write("x.lock", "not a pid\n");
    CHECK_FALSE(read_lock_pid(p).has_value());
    CHECK(read_lock_pid(dir.write("y.lock", "4121\n")) == 4121);
  }

  // A second daemon reached the same database through a symlink and ran beside the first:
  // the lock went by the path string.
  TEST_CASE("a second daemon reaching the database through a symlink to the file is refused") {
    ConfigTempDir dir;
    auto db = (dir.path() / "state.db").string();
    dir.write("state.db", "");
    auto link = (dir.path() / "other-name.db").string();
    std::filesystem::create_symlink(db, link);
    auto first = InstanceLock::acquire(db);
    REQUIRE(first.has_value());
    auto second = InstanceLock::acquire(link);
    REQUIRE_FALSE(second.has_value());
    CHECK(second.error().message.find("another boomi-sched daemon (pid " +
                                      std::to_string(::getpid()) + ")") != std::string::npos);
  }

  TEST_CASE("a second daemon reaching a database not yet created through a symlinked directory "
            "is refused") {
    ConfigTempDir dir;
    std::filesystem::create_directories(dir.path() / "state");
    std::filesystem::create_directory_symlink(dir.path() / "state", dir.path() / "alias");
    auto first = InstanceLock::acquire((dir.path() / "state" / "state.db").string());
    REQUIRE(first.has_value());
    auto second = InstanceLock::acquire((dir.path() / "alias" / "./state.db").string());
    CHECK_FALSE(second.has_value());
    CHECK(lock_path_for((dir.path() / "alias" / "state.db").string()) ==
          lock_path_for((dir.path() / "state" / "state.db").string()));
  }
}
