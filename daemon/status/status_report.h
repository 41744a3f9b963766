// What `status` reads from the configuration and the state database, and the document
// `status --json` prints: shared by the command and the daemon's /api/status, so that both
// answer the same JSON for the same database.
#pragma once

#include "config/config.h"
#include "daemon/status/status_format.h"
#include "daemon/status/status_support.h"
#include "storage/state_reads.h"

#include <boost/json.hpp>

#include <deque>
#include <string>
#include <vector>

namespace bsched::status {

// Stand-ins for jobs no longer configured whose runs are still tracked to their end; the
// JobStatus entries point into it, so it outlives them.
using Removed = std::deque<config::Job>;

// The daemon's state from the heartbeat and notes; never_started when `store` is null (no
// database at `db_path` yet).
storage::StoreResult<DaemonState> read_daemon(storage::StateStore* store,
                                              const std::string& db_path, SysMillis now);

// One entry per configured job (config may be null: it does not load), then one per job only
// the database knows (still in flight; every such job without a configuration).
storage::StoreResult<std::vector<JobStatus>> collect_jobs(const config::Config* config,
                                                          storage::StateStore* store,
                                                          SysMillis now, Removed& removed);

// The object `status --json` prints.
storage::StoreResult<boost::json::object> status_document(const config::Config* config,
                                                          storage::StateStore* store,
                                                          const StatusContext& view,
                                                          SysMillis now);

}  // namespace bsched::status
