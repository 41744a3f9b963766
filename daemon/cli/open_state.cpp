#include "daemon/cli/open_state.h"

#include "config/loader.h"
#include "config/storage_path.h"
#include "daemon/runtime/dev_mode.h"
#include "daemon/runtime/instance_lock.h"
#include "storage/pg/pg_connection.h"
#include "storage/pg/pg_run_store.h"

#include <fmt/core.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <utility>
#include <vector>

namespace bsched::cli {

namespace {

// Creates the state database before the daemon's first start, as the daemon would: under
// its instance lock, with its migrations. Run as root, the new files get the owner of their
// directory (the service account's state directory), so that the daemon can use them.
storage::StoreResult<void> create_database(const std::string& db) {
  namespace fs = std::filesystem;
  auto lock = runtime::InstanceLock::acquire(db);
  if (!lock) {
    if (fs::exists(db)) return {};  // a daemon starting right now created it
    return storage::StoreError{
        storage::StoreErrorKind::busy,
        fmt::format("{} (a daemon is starting on it); try again in a moment", lock.error().message)};
  }
  auto store = storage::SqliteRunStore::open(
      db, storage::OpenOptions{.mode = storage::OpenMode::read_write, .create = true});
  if (!store) return store.error();
  store->reset();  // closes it: SQLite folds the WAL back into the file
  struct stat dir{};
  if (::geteuid() == 0 && ::stat(fs::absolute(db).parent_path().c_str(), &dir) == 0 &&
      dir.st_uid != 0) {
    for (const auto& file : {db, lock->path()}) {
      if (::chown(file.c_str(), dir.st_uid, dir.st_gid) != 0) {
        return storage::StoreError{storage::StoreErrorKind::io,
                                   fmt::format("created {}, but cannot give it to uid {}: {}",
                                               file, dir.st_uid, std::strerror(errno))};
      }
    }
  }
  return {};
}

// Loads the configuration; with `broken_ok`, a configuration that does not load still names
// its database. False after printing why nothing can be shown.
bool load_into(StateContext& ctx, const char* command, bool broken_ok) {
  auto loaded = config::load_config(ctx.config_path, {.read_secret = false});
  if (loaded) {
    ctx.config = loaded->config;
    ctx.db_path = ctx.config->storage.path;
    return true;
  }
  for (const auto& d : loaded.error()) ctx.config_errors += d.warning ? 0 : 1;
  auto db = broken_ok ? config::storage_path_of(ctx.config_path) : std::nullopt;
  if (!db) {
    config::print_diagnostics(stderr, loaded.error());
    fmt::print(stderr, "{}: the configuration {} does not load; fix it (see boomi-sched validate)\n",
               command, ctx.config_path);
    return false;
  }
  fmt::print(stderr, "{}: the configuration {} does not load ({} error{}; see them with: "
                     "boomi-sched validate --config {}); showing the state database only\n",
             command, ctx.config_path, ctx.config_errors, ctx.config_errors == 1 ? "" : "s",
             ctx.config_path);
  ctx.db_path = *db;
  return true;
}

std::string owner_name(uid_t uid) {
  if (const auto* pw = ::getpwuid(uid); pw && pw->pw_name) return pw->pw_name;
  return fmt::format("uid {}", uid);
}

// Why this user cannot open `db` (what SQLite calls "unable to open database file"): which
// file, which user, and what to do; nullopt when the permissions are not the problem.
std::optional<std::string> permission_problem(const std::string& db, storage::OpenMode mode,
                                              const char* command) {
  namespace fs = std::filesystem;
  bool write = mode == storage::OpenMode::read_write;
  auto dir = fs::absolute(db).parent_path().string();
  // Reading a WAL database needs its -shm file (or the directory, to create it) writable.
  std::vector<std::pair<std::string, int>> needs = {{dir, X_OK}, {db, write ? R_OK | W_OK : R_OK}};
  if (fs::exists(db + "-shm")) needs.push_back({db + "-shm", R_OK | W_OK});
  else needs.push_back({dir, W_OK});
  for (const auto& [file, how] : needs) {
    if (::access(file.c_str(), how) == 0 || errno != EACCES) continue;
    struct stat st{};
    std::string owner = "?";
    unsigned mode_bits = 0;
    if (::stat(file.c_str(), &st) == 0) {
      owner = owner_name(st.st_uid);
      mode_bits = st.st_mode & 07777;
    }
    return fmt::format(
        "permission denied: user {} cannot {} {} (owned by {}, mode {:04o}). Run the command "
        "as {} or as root (sudo -u {} boomi-sched {} ...), or give this user access to the "
        "state directory",
        owner_name(::geteuid()), how & W_OK ? "write" : (how & X_OK ? "enter" : "read"), file, owner,
        mode_bits, owner, owner, command);
  }
  return std::nullopt;
}

}  // namespace

std::string resolve_config(const char* command, const std::optional<std::string>& config_flag) {
  auto path = config::resolve_config_path(config_flag);
  const char* env = std::getenv("BOOMI_SCHED_CONFIG");
  if ((config_flag && !config_flag->empty()) || (env && *env)) return path;
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) return path;
  auto dev = runtime::find_dev_daemon();
  if (!dev) return path;
  fmt::print(stderr, "{}: {} is absent; using the dev daemon's configuration {} (run --dev, "
                     "pid {})\n",
             command, path, dev->config_path, dev->pid);
  return dev->config_path;
}

Result<std::unique_ptr<storage::SqliteRunStore>> open_database(
    const char* command, const std::string& db_path, const OpenRules& rules) {
  namespace fs = std::filesystem;
  std::error_code ec;
  bool missing = !fs::exists(db_path, ec) && db_path != ":memory:";
  if (missing && rules.create_db && rules.mode == storage::OpenMode::read_write) {
    auto dir = fs::absolute(db_path, ec).parent_path();
    if (!fs::is_directory(dir, ec)) {
      return make_error(fmt::format(
          "cannot create the state database {}: its directory {} does not exist", db_path,
          dir.string()));
    }
    if (auto r = create_database(db_path); !r) {
      return make_error("cannot create the state database: " + r.error().message);
    }
  }
  auto store = storage::SqliteRunStore::open(
      db_path, storage::OpenOptions{.mode = rules.mode, .create = false});
  if (!store) {
    auto why = permission_problem(db_path, rules.mode, command);
    return make_error(why ? *why : store.error().message);
  }
  return std::move(*store);
}

Result<std::unique_ptr<storage::StateStore>> open_configured_store(const char* command,
                                                                    const config::Config& config,
                                                                    const OpenRules& rules) {
  if (config.storage.postgres.empty()) {
    BSCHED_TRY_ASSIGN(store, open_database(command, config.storage.path, rules));
    return std::unique_ptr<storage::StateStore>(std::move(store));
  }
  // The store's errors name the server (host, port, dbname, user), never the password.
  auto store = storage::pg::PgRunStore::open(config.storage.postgres.reveal());
  if (!store) return make_error("storage.postgres: " + store.error().message);
  return std::unique_ptr<storage::StateStore>(std::move(*store));
}

std::optional<StateContext> open_state(const char* command,
                                       const std::optional<std::string>& config_flag,
                                       const OpenRules& rules) {
  StateContext ctx;
  ctx.config_path = resolve_config(command, config_flag);
  if (!load_into(ctx, command, rules.broken_config_ok)) return std::nullopt;
  if (ctx.config && !ctx.config->storage.postgres.empty()) {
    auto store = open_configured_store(command, *ctx.config, rules);
    if (!store) {
      fmt::print(stderr, "{}: {}\n", command, store.error().message);
      return std::nullopt;
    }
    auto target = storage::pg::conninfo_target(ctx.config->storage.postgres.reveal());
    ctx.db_path = "PostgreSQL " + (target ? *target : std::string("(unnamed server)"));
    ctx.store = std::move(*store);
    return ctx;
  }
  bool missing = !std::filesystem::exists(ctx.db_path) && ctx.db_path != ":memory:";
  if (missing && rules.missing_db_ok) return ctx;
  auto store = open_database(command, ctx.db_path, rules);
  if (!store) {
    fmt::print(stderr, "{}: {}\n", command, store.error().message);
    return std::nullopt;
  }
  ctx.store = std::move(*store);
  return ctx;
}

std::string login_user() {
  char name[256];
  if (::getlogin_r(name, sizeof name) == 0 && name[0] != '\0') return name;
  if (const auto* pw = ::getpwuid(::geteuid()); pw && pw->pw_name) return pw->pw_name;
  if (const char* user = std::getenv("USER"); user && *user) return user;
  return fmt::format("uid {}", ::geteuid());
}

}  // namespace bsched::cli
