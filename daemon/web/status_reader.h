// What the status page and the JSON API read: the current configuration and the state
// database, through a read-only connection of their own (WAL: reads never block the
// engine's writes; each read is one short transaction).
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
  using ConfigSource = std::function<std::shared_ptr<const config::Config>()>;

  // `config_path`: the main configuration file as `status` names it; `db_path`: the state
  // database; `config`: the configuration the daemon runs now (it changes on reloads).
  StatusReader(std::string config_path, std::string db_path, ConfigSource config);
  ~StatusReader();

  // The document of `status --json`.
  storage::StoreResult<boost::json::object> status(SysMillis now);
  // The JobStatus entries `status` shows and each job's last `recent` runs (for the page),
  // with the configuration they point into.
  struct Jobs {
    std::shared_ptr<const config::Config> config;
    status::Removed removed;
    std::vector<status::JobStatus> jobs;
    std::vector<std::vector<storage::RunRow>> recent;  // per job: its last runs, newest first
    status::DaemonState daemon;
  };
  storage::StoreResult<Jobs> jobs(SysMillis now, int recent = 10);

  // True when `job` is configured or the database has a run or a state of it.
  storage::StoreResult<bool> known_job(const std::string& job);
  // The job's history, newest first; with `before`, the entries older than it.
  storage::StoreResult<std::vector<storage::HistoryEntry>> history(
      const std::string& job, int limit, std::optional<std::chrono::sys_seconds> before);

  const std::string& db_path() const { return m_db_path; }

 private:
  storage::StoreResult<storage::StateStore*> store();

  std::string m_config_path;
  std::string m_db_path;
  ConfigSource m_config;
  std::unique_ptr<storage::StateStore> m_store;
};

}  // namespace bsched::web
