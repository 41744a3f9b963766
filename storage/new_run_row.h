// The row a new run starts as (before its store gives it an id), for the stores' create_run.
#pragma once

#include "storage/run_store.h"

namespace bsched::storage {

// `run`'s fields copied, properties "{}" when empty, created at `now`, state `scheduled`.
inline RunRow new_run_row(const NewRun& run, SysMillis now) {
  RunRow row;
  row.run_id = run.run_id;
  row.job = run.job;
  row.trigger = run.trigger;
  row.slot = run.slot;
  row.properties_json = run.properties_json.empty() ? "{}" : run.properties_json;
  row.created_at = now;
  return row;
}

}  // namespace bsched::storage
