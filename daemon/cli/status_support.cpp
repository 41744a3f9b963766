#include "daemon/cli/status_support.h"

#include "config/loader.h"

#include <fmt/core.h>
#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

namespace bsched::cli {

std::optional<StateContext> open_state(const char* command,
                                       const std::optional<std::string>& config_flag,
                                       storage::OpenMode mode) {
  auto path = config::resolve_config_path(config_flag);
  auto loaded = config::load_config(path, {.read_secret = false});
  if (!loaded) {
    config::print_diagnostics(stderr, loaded.error());
    fmt::print(stderr, "{}: the configuration {} does not load; fix it (see boomi-sched validate)\n",
               command, path);
    return std::nullopt;
  }
  auto config = loaded->config;
  auto store = storage::SqliteRunStore::open(
      config->storage.path, storage::OpenOptions{.mode = mode, .create = false});
  if (!store) {
    fmt::print(stderr, "{}: {}\n", command, store.error().message);
    return std::nullopt;
  }
  return StateContext{std::move(config), std::move(*store)};
}

bool process_alive(int pid) {
  if (pid <= 0) return false;
  // EPERM: the process exists but belongs to another user (the daemon's service account).
  return ::kill(pid, 0) == 0 || errno == EPERM;
}

DaemonState daemon_state(const std::optional<storage::Heartbeat>& heartbeat, SysMillis now,
                         bool (*pid_alive)(int pid)) {
  DaemonState s;
  s.heartbeat = heartbeat;
  if (!heartbeat) return s;
  auto age = now - heartbeat->updated_at;
  bool fresh = age < k_heartbeat_stale;
  bool alive = (pid_alive ? pid_alive : process_alive)(heartbeat->pid);
  s.running = fresh && alive;
  s.silent = !fresh && alive;
  return s;
}

std::string login_user() {
  char name[256];
  if (::getlogin_r(name, sizeof name) == 0 && name[0] != '\0') return name;
  if (const auto* pw = ::getpwuid(::geteuid()); pw && pw->pw_name) return pw->pw_name;
  if (const char* user = std::getenv("USER"); user && *user) return user;
  return fmt::format("uid {}", ::geteuid());
}

SysMillis now_millis() {
  return std::chrono::time_point_cast<Millis>(std::chrono::system_clock::now());
}

}  // namespace bsched::cli
