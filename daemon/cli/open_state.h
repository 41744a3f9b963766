// What `status`, `history`, `trigger`, `pause` and `resume` share: loading the configuration
// without the secret and opening its state database.
#pragma once

#include "base/result.h"
#include "config/config.h"
#include "storage/sqlite_run_store.h"

#include <memory>
#include <optional>
#include <string>

namespace bsched::cli {

struct StateContext {
  // Null when the configuration does not load and the command allowed it (status, history:
  // the database is then found through storage.path of the main file alone).
  std::shared_ptr<const config::Config> config;
  // Null when no state database exists yet and the command allowed it (status, history).
  std::unique_ptr<storage::StateStore> store;
  std::string config_path;  // the main file read
  std::string db_path;      // the state database (storage.path)
  int config_errors = 0;    // errors of a configuration that does not load
};

// The main configuration file: --config, else $BOOMI_SCHED_CONFIG, else the default
// /etc/boomi-sched/boomi-sched.yaml; when that is absent and a dev daemon (`run --dev`) of
// this user runs, its configuration, and a line on stderr says so.
std::string resolve_config(const char* command, const std::optional<std::string>& config_flag);

// How open_state may get on without a part.
struct OpenRules {
  storage::OpenMode mode = storage::OpenMode::read_only;
  bool broken_config_ok = false;  // go on with config null (errors counted, not printed)
  bool missing_db_ok = false;     // go on with store null when the database does not exist
  // read_write: create a missing database (with the daemon's migrations, under its instance
  // lock, owned like its directory when run as root), so commands work before the first start.
  bool create_db = false;
};

// Opens the state database at `db_path` as `rules` say (creating it first with
// rules.create_db), without printing: the error says which file, which user and what to do.
Result<std::unique_ptr<storage::SqliteRunStore>> open_database(
    const char* command, const std::string& db_path, const OpenRules& rules);

// The store `config` names: PostgreSQL with storage.postgres (rules.mode and create_db do not
// apply: the database exists, its schema is brought up to date), else the file at
// storage.path, opened as open_database does.
Result<std::unique_ptr<storage::StateStore>> open_configured_store(const char* command,
                                                                    const config::Config& config,
                                                                    const OpenRules& rules);

// Loads the configuration named by --config (or its defaults) and opens storage.path as
// `rules` say. Prints every problem to stderr, prefixed with `command`, and returns nullopt.
std::optional<StateContext> open_state(const char* command,
                                       const std::optional<std::string>& config_flag,
                                       const OpenRules& rules);

// The login name of the person running the command (for requested_by / paused_by).
std::string login_user();

}  // namespace bsched::cli
