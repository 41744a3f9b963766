// The daemon's memory stays out of core files and other processes' reach.
#include "daemon/runtime/private_memory.h"

#include <doctest/doctest.h>

#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

TEST_SUITE("runtime::private_memory") {
  // A core file of the daemon held the API token (the process was dumpable, cores allowed).
  TEST_CASE("after make_memory_private the process is not dumpable and writes no core") {
    pid_t pid = ::fork();  // the test binary itself stays dumpable for debuggers
    REQUIRE(pid >= 0);
    if (pid == 0) {
      auto r = bsched::runtime::make_memory_private();
      rlimit core{};
      ::getrlimit(RLIMIT_CORE, &core);
      bool ok = r && ::prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 0 && core.rlim_cur == 0 &&
                core.rlim_max == 0;
      ::_exit(ok ? 0 : 1);
    }
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
  }
}
