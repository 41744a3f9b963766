#include "daemon/core/run_update.h"

namespace bsched::core {

namespace {

template <class T>
void set_if(T& field, const std::optional<T>& value) {
  if (value) field = *value;
}

template <class T>
void set_opt_if(std::optional<T>& field, const std::optional<T>& value) {
  if (value) field = *value;
}

}  // namespace

void apply_update(storage::RunRow& row, const storage::RunUpdate& u) {
  set_if(row.attempts, u.attempts);
  set_if(row.request_id, u.request_id);
  set_if(row.execution_id, u.execution_id);
  set_if(row.remote_status, u.remote_status);
  set_if(row.message, u.message);
  set_if(row.last_error, u.last_error);
  set_if(row.properties_json, u.properties_json);
  set_opt_if(row.last_sent_at, u.last_sent_at);
  if (u.next_action_at) row.next_action_at = *u.next_action_at;
  set_opt_if(row.execution_time, u.execution_time);
  set_opt_if(row.duration_ms, u.duration_ms);
  set_opt_if(row.inbound_documents, u.inbound_documents);
  set_opt_if(row.outbound_documents, u.outbound_documents);
  set_opt_if(row.inbound_error_documents, u.inbound_error_documents);
}

}  // namespace bsched::core
