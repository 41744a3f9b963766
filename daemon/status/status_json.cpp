#include "daemon/status/status_json.h"

#include <algorithm>

namespace bsched::status {

namespace json = boost::json;

namespace {

json::value when(const std::optional<SysMillis>& t) {
  return t ? json::value(format_utc_ms(*t)) : json::value(nullptr);
}
json::value when(const std::optional<std::chrono::sys_seconds>& t) {
  return t ? json::value(format_utc(*t)) : json::value(nullptr);
}
json::value number(const std::optional<std::int64_t>& v) {
  return v ? json::value(*v) : json::value(nullptr);
}
json::value text_or_null(const std::string& s) {
  return s.empty() ? json::value(nullptr) : json::value(s);
}

// The stored properties as JSON when they parse (they always should), else as a string.
json::value properties(const std::string& text) {
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  return ec ? json::value(text) : v;
}

const char* daemon_word(const DaemonState& d) {
  if (d.never_started) return "never_started";
  if (!d.heartbeat) return "never_run";
  if (d.stopped_at) return "stopped";
  if (d.silent) return "silent";
  return d.running ? "running" : "gone";  // gone: ended without a clean stop
}

json::object reload_json(const DaemonState& d) {
  const auto* n = refused_reload(d);
  if (!n) return json::object{{"state", "ok"}};
  return json::object{{"state", "failed"},
                      {"failed_at", format_utc_ms(*n->reload_failed_at)},
                      {"errors", n->reload_errors},
                      {"first_error", n->reload_error}};
}

// A pair's nodes (docs/ha.md); an empty list for one host.
json::array nodes_json(const DaemonState& d) {
  json::array out;
  for (const auto& n : d.nodes) {
    out.emplace_back(json::object{{"name", n.name},
                                  {"role", node_role(n)},
                                  {"leads", n.leads},
                                  {"epoch", n.epoch},
                                  {"last_seen", format_utc_ms(n.last_seen)},
                                  {"version", n.version}});
  }
  return out;
}

json::object daemon_json(const DaemonState& d) {
  json::object o{{"state", daemon_word(d)}, {"running", d.running}, {"silent", d.silent},
                 {"nodes", nodes_json(d)}};
  if (!d.heartbeat) return o;
  const auto& h = *d.heartbeat;
  o["pid"] = h.pid;
  o["started_at"] = format_utc_ms(h.started_at);
  o["updated_at"] = format_utc_ms(h.updated_at);
  o["stopped_at"] = when(d.stopped_at);
  o["config_loaded_at"] = format_utc_ms(h.config_loaded_at);
  o["config_fingerprint"] = h.config_fingerprint;
  o["platform_state"] = h.platform_state;
  o["store_state"] = h.store_state;
  o["reload"] = reload_json(d);
  return o;
}

// The next fire in the job's zone: {"local": "2026-12-07T02:30:00-05:00", "abbrev": "EST"}.
json::value next_local(const JobStatus& s) {
  if (!s.next || !s.job->enabled || s.removed) return nullptr;
  const auto* zone = s.job->settings->zone ? s.job->settings->zone : utc_zone();
  return json::object{{"local", format_local_iso(*s.next, zone)},
                      {"abbrev", zone->get_info(*s.next).abbrev}};
}

// How late the last run's first request left after its slot (ms); null for manual and exec
// runs and runs not sent yet.
json::value lateness_ms(const std::optional<storage::RunRow>& r) {
  if (!r || !r->submitting_at || !storage::is_slot_trigger(r->trigger)) return nullptr;
  auto late = *r->submitting_at - std::chrono::time_point_cast<Millis>(r->slot);
  return std::max<std::int64_t>(late.count(), 0);
}

json::object job_json(const JobStatus& s, const std::optional<SysMillis>& untracked) {
  const auto& job = *s.job;
  const auto& st = s.summary.state;
  json::array schedules;
  std::string joined;
  for (const auto& sch : job.schedules) {
    schedules.emplace_back(sch.text());
    joined += (joined.empty() ? "" : "; ") + sch.text();
  }
  return json::object{
      {"job", job.name},
      {"schedule", joined},
      {"schedules", std::move(schedules)},
      {"timezone", job.settings->timezone},
      {"enabled", job.enabled},
      {"removed", s.removed},
      {"next", job.enabled ? when(s.next) : json::value(nullptr)},
      {"next_in_zone", next_local(s)},
      {"paused", st.paused},
      {"pause_note", st.paused ? text_or_null(st.pause_note) : json::value(nullptr)},
      {"paused_by", st.paused ? text_or_null(st.paused_by) : json::value(nullptr)},
      {"paused_at", when(st.paused_at)},
      {"last_run",
       s.summary.last_run ? json::value(run_json(*s.summary.last_run)) : json::value(nullptr)},
      {"last_run_late_ms", lateness_ms(s.summary.last_run)},
      {"last_success_slot", when(st.last_success_slot)},
      {"in_flight", s.summary.in_flight},
      {"in_flight_tracked", !untracked},
      {"untracked_since", s.summary.in_flight > 0 ? when(untracked) : json::value(nullptr)},
      {"missed_since_success", s.summary.missed_since_success},
  };
}

}  // namespace

json::object run_json(const storage::RunRow& r) {
  return json::object{
      {"type", "run"},
      {"run_id", r.run_id},
      {"id", r.id},
      {"job", r.job},
      {"trigger", storage::to_string(r.trigger)},
      {"slot", format_utc(r.slot)},
      {"state", storage::to_string(r.state)},
      {"attempts", r.attempts},
      {"request_id", text_or_null(r.request_id)},
      {"execution_id", text_or_null(r.execution_id)},
      {"matched_by", text_or_null(r.matched_by)},
      {"maybe_accepted", r.maybe_accepted},
      {"remote_status", text_or_null(r.remote_status)},
      {"message", text_or_null(r.message)},
      {"last_error", text_or_null(r.last_error)},
      {"properties", properties(r.properties_json)},
      {"created_at", format_utc_ms(r.created_at)},
      {"submitting_at", when(r.submitting_at)},
      {"submitted_at", when(r.submitted_at)},
      {"running_at", when(r.running_at)},
      {"finished_at", when(r.finished_at)},
      {"last_sent_at", when(r.last_sent_at)},
      {"next_action_at", when(r.next_action_at)},
      {"execution_time", when(r.execution_time)},
      {"duration_ms", number(r.duration_ms)},
      {"inbound_documents", number(r.inbound_documents)},
      {"outbound_documents", number(r.outbound_documents)},
      {"inbound_error_documents", number(r.inbound_error_documents)},
  };
}

json::object gap_json(const storage::SlotGap& g) {
  return json::object{
      {"type", "gap"},
      {"job", g.job},
      {"state", storage::to_string(g.kind)},
      {"slot", format_utc(g.first)},
      {"last", format_utc(g.last)},
      {"count", g.count},
      {"reason", g.reason},
      {"recorded_at", format_utc_ms(g.recorded_at)},
  };
}

json::value history_entry_json(const storage::HistoryEntry& e) {
  if (const auto* run = std::get_if<storage::RunRow>(&e)) return run_json(*run);
  return gap_json(std::get<storage::SlotGap>(e));
}

json::object status_json(const DaemonState& daemon, const StatusContext& view,
                         const std::vector<JobStatus>& jobs, SysMillis /*now*/) {
  json::array list;
  auto untracked = untracked_since(daemon);
  for (const auto& s : jobs) list.emplace_back(job_json(s, untracked));
  json::object config{{"path", view.config_path},
                      {"loads", view.config_loaded},
                      {"errors", view.config_errors}};
  // The store's health as the daemon last wrote it (null while no daemon ran).
  json::object store{{"path", view.db_path},
                     {"exists", !daemon.never_started},
                     {"health", daemon.heartbeat ? json::value(daemon.heartbeat->store_state)
                                                 : json::value(nullptr)}};
  return json::object{{"daemon", daemon_json(daemon)},
                      {"config", std::move(config)},
                      {"store", std::move(store)},
                      {"jobs", std::move(list)}};
}

}  // namespace bsched::status
