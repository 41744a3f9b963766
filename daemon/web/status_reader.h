// What the status page and the JSON API read: the configuration they are given and the state
// database, through a connection of their own (SQLite: read-only, WAL, so reads never block
// the engine's writes; PostgreSQL: a deadline per statement). The listener calls it on its
// reader thread only (Router::decide), so a wait on the database holds up no other request.
#pragma once

#include "config/config.h"
#include "daemon/status/status_report.h"
#include "storage/state_reads.h"

#include <boost/json.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace bsched::web {

class StatusReader {
 public:
  using Config = std::shared_ptr<const config::Config>;
  // Opens the database the configuration names (null: the SQLite file at `db_path`).
  using Opener = std::function<storage::StoreResult<std::unique_ptr<storage::StateStore>>(
      const config::Config* config, const std::string& db_path)>;

  // `config_path`: the main configuration file as `status` names it; `db_path`: the state
  // database; `open`: how the connection is made, on first use (default: open_status_store).
  StatusReader(std::string config_path, std::string db_path, Opener open = {});
  ~StatusReader();

  // The document of `status --json`.
  storage::StoreResult<boost::json::object> status(const Config& config, SysMillis now);
  // The JobStatus entries `status` shows and each job's last `recent` runs (for the page),
  // with the configuration they point into.
  struct Jobs {
    Config config;
    status::Removed removed;
    std::vector<status::JobStatus> jobs;
    std::vector<std::vector<storage::RunRow>> recent;  // per job: its last runs, newest first
    status::DaemonState daemon;
  };
  storage::StoreResult<Jobs> jobs(const Config& config, SysMillis now, int recent = 10);

  // True when `job` is configured or the database has a run or a state of it.
  storage::StoreResult<bool> known_job(const Config& config, const std::string& job);
  // The job's history, newest first; with `before`, the entries older than it.
  storage::StoreResult<std::vector<storage::HistoryEntry>> history(
      const Config& config, const std::string& job, int limit,
      std::optional<std::chrono::sys_seconds> before);

  const std::string& db_path() const { return m_db_path; }

 private:
  storage::StoreResult<storage::StateStore*> store(const Config& config);

  std::string m_config_path;
  std::string m_db_path;
  Opener m_open;
  std::unique_ptr<storage::StateStore> m_store;
};

// The pages' connection: the pair's PostgreSQL database (one second per statement) when the
// configuration names one, else the SQLite file read-only (one second's busy wait).
storage::StoreResult<std::unique_ptr<storage::StateStore>> open_status_store(
    const config::Config* config, const std::string& db_path);

}  // namespace bsched::web
