// Keeps the daemon's secrets (the API token, the Basic header, the GraphQL JWT) out of core
// files and out of reach of other processes of the same user: the process is made
// non-dumpable (no core file; /proc/PID/mem, environ and ptrace need CAP_SYS_PTRACE) and its
// core size limit set to 0. The systemd unit sets LimitCORE=0 as well.
#pragma once

#include "base/result.h"

namespace bsched::runtime {

// prctl(PR_SET_DUMPABLE, 0) and RLIMIT_CORE 0. Errors name the call that failed; the daemon
// logs them and runs on. Called before the configuration (and so the token) is read.
Result<void> make_memory_private();

}  // namespace bsched::runtime
