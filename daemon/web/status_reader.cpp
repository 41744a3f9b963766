#include "daemon/web/status_reader.h"

#include "daemon/status/status_json.h"
#include "storage/pg/pg_run_store.h"
#include "storage/sqlite_run_store.h"

#include <algorithm>
#include <filesystem>

namespace bsched::web {

namespace {

// A page or /api answer waits at most this long for PostgreSQL (per statement).
constexpr Millis k_pg_deadline = std::chrono::seconds(1);

}  // namespace

storage::StoreResult<std::unique_ptr<storage::StateStore>> open_status_store(
    const config::Config* config, const std::string& db_path) {
  // A node of a pair reads the pair's PostgreSQL database (its own connection).
  if (config && !config->storage.postgres.empty()) {
    BSCHED_TRY_ASSIGN(pg, storage::pg::PgRunStore::open(config->storage.postgres.reveal(),
                                                        {.statement_deadline = k_pg_deadline}));
    return std::unique_ptr<storage::StateStore>(std::move(pg));
  }
  storage::OpenOptions o;
  o.mode = storage::OpenMode::read_only;
  o.create = false;
  o.busy_timeout = std::chrono::milliseconds(1000);
  BSCHED_TRY_ASSIGN(s, storage::SqliteRunStore::open(db_path, o));
  return std::unique_ptr<storage::StateStore>(std::move(s));
}

StatusReader::StatusReader(std::string config_path, std::string db_path, Opener open)
    : m_config_path(std::move(config_path)), m_db_path(std::move(db_path)),
      m_open(open ? std::move(open) : Opener(open_status_store)) {}

StatusReader::~StatusReader() = default;

storage::StoreResult<storage::StateStore*> StatusReader::store(const Config& config) {
  if (m_store) return m_store.get();
  BSCHED_TRY_ASSIGN(opened, m_open(config.get(), m_db_path));
  m_store = std::move(opened);
  return m_store.get();
}

storage::StoreResult<boost::json::object> StatusReader::status(const Config& config,
                                                               SysMillis now) {
  BSCHED_TRY_ASSIGN(s, store(config));
  status::StatusContext view{m_config_path, 0, config != nullptr, m_db_path};
  return status::status_document(config.get(), s, view, now);
}

storage::StoreResult<StatusReader::Jobs> StatusReader::jobs(const Config& config, SysMillis now,
                                                            int recent) {
  BSCHED_TRY_ASSIGN(s, store(config));
  Jobs out;
  out.config = config;
  BSCHED_TRY_ASSIGN(daemon, status::read_daemon(s, m_db_path, now));
  out.daemon = std::move(daemon);
  BSCHED_TRY_ASSIGN(jobs, status::collect_jobs(out.config.get(), s, now, out.removed));
  out.jobs = std::move(jobs);
  for (const auto& j : out.jobs) {
    BSCHED_TRY_ASSIGN(runs, s->recent_runs(j.job->name, recent));
    out.recent.push_back(std::move(runs));
  }
  return out;
}

storage::StoreResult<bool> StatusReader::known_job(const Config& config, const std::string& job) {
  if (config && config->find_job(job)) return true;
  BSCHED_TRY_ASSIGN(s, store(config));
  BSCHED_TRY_ASSIGN(names, s->known_jobs());
  return std::find(names.begin(), names.end(), job) != names.end();
}

storage::StoreResult<std::vector<storage::HistoryEntry>> StatusReader::history(
    const Config& config, const std::string& job, int limit,
    std::optional<std::chrono::sys_seconds> before) {
  BSCHED_TRY_ASSIGN(s, store(config));
  if (before) return s->history_before(job, *before, limit);
  return s->history(job, limit);
}

}  // namespace bsched::web
