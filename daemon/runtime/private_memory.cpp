#include "daemon/runtime/private_memory.h"

#include <sys/prctl.h>
#include <sys/resource.h>

#include <fmt/core.h>

#include <cerrno>
#include <cstring>

namespace bsched::runtime {

Result<void> make_memory_private() {
  rlimit none{0, 0};
  if (::setrlimit(RLIMIT_CORE, &none) != 0)
    return make_error(fmt::format("setrlimit(RLIMIT_CORE, 0) failed: {}", std::strerror(errno)));
  if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
    return make_error(fmt::format("prctl(PR_SET_DUMPABLE, 0) failed: {}", std::strerror(errno)));
  return {};
}

}  // namespace bsched::runtime
