#include "daemon/web/status_page.h"

#include "daemon/status/status_format.h"
#include "daemon/web/html.h"

#include <fmt/format.h>

namespace bsched::web {

namespace {

using status::JobStatus;
using storage::RunRow;
using storage::RunState;

constexpr const char* k_style = R"(
body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#222;background:#fafafa}
header{padding:.6em 1em;background:#24292f;color:#eee}
header h1{font-size:1.1em;margin:0 0 .3em}
header span{display:inline-block;margin-right:1.2em}
main{padding:.5em 1em}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:.35em .5em;border-bottom:1px solid #ddd;vertical-align:top}
a{color:#0550ae}
.badge{padding:.1em .5em;border-radius:.8em;color:#fff;font-size:.85em}
.b-ok{background:#1a7f37}.b-late{background:#bf8700}.b-failing{background:#cf222e}
.b-paused{background:#6e7781}.b-missed{background:#8250df}
.mark{display:inline-block;width:.9em;height:.9em;margin-right:2px;border-radius:2px}
.m-ok{background:#1a7f37}.m-warn{background:#d4a72c}.m-bad{background:#cf222e}
.m-run{background:#0969da}.m-skip{background:#afb8c1}
.bad{color:#cf222e}.muted{color:#6e7781}
@media (max-width:700px){thead{display:none}tr{display:block;border-bottom:2px solid #ccc}
td{display:block;border:0;padding:.15em .5em}td[data-l]::before{content:attr(data-l) ": ";color:#6e7781}}
)";

// Replaces the page's content (#main: header and table) with that of a fresh copy every 10 s.
constexpr const char* k_script = R"(
setInterval(function(){fetch(location.href,{cache:'no-store'}).then(function(r){
if(!r.ok)return;return r.text();}).then(function(t){if(!t)return;
var d=new DOMParser().parseFromString(t,'text/html');var n=d.getElementById('main');
var o=document.getElementById('main');if(n&&o)o.replaceWith(n);}).catch(function(){});},10000);
)";

std::string page(const std::string& title, const std::string& header, const std::string& main) {
  return fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      // An empty icon: the browser asks for no /favicon.ico.
      "<link rel=\"icon\" href=\"data:,\"><title>{}</title><style>{}</style></head>"
      "<body><div id=\"main\">{}<main>{}</main></div><script>{}</script></body></html>\n",
      html_escape(title), k_style, header, main, k_script);
}

std::string ms_text(std::optional<std::int64_t> ms) {
  return ms ? status::format_compact(Millis{*ms}) : "-";
}

std::optional<std::int64_t> lateness_ms(const RunRow& r) {
  if (!r.submitting_at || !storage::is_slot_trigger(r.trigger)) return std::nullopt;
  auto late = *r.submitting_at - std::chrono::time_point_cast<Millis>(r.slot);
  return std::max<std::int64_t>(late.count(), 0);
}

// The tooltip of a run's mark: one line per fact.
std::string run_tooltip(const RunRow& r) {
  return fmt::format("slot {}\nstate {}\nlate {}\nduration {}\nexecutionId {}\nmessage {}",
                     format_utc(r.slot), storage::to_string(r.state), ms_text(lateness_ms(r)),
                     ms_text(r.duration_ms), r.execution_id.empty() ? "-" : r.execution_id,
                     r.message.empty() ? "-" : r.message);
}

std::string marks(const std::vector<RunRow>& runs) {
  std::string out;
  // Oldest first, so the newest mark is the rightmost.
  for (auto it = runs.rbegin(); it != runs.rend(); ++it) {
    out += fmt::format("<span class=\"mark m-{}\" data-state=\"{}\" title=\"{}\"></span>",
                       mark_class(it->state), storage::to_string(it->state),
                       html_escape(run_tooltip(*it)));
  }
  return out.empty() ? "<span class=\"muted\">no runs yet</span>" : out;
}

std::string next_fires(const JobStatus& s, SysMillis now) {
  if (!s.next || s.removed || !s.job->enabled) return "<span class=\"muted\">-</span>";
  const auto* zone = s.job->settings->zone ? s.job->settings->zone : utc_zone();
  auto now_s = std::chrono::floor<std::chrono::seconds>(now);
  std::string out;
  auto t = s.next;
  for (int i = 0; i < 3 && t; ++i) {
    out += (i ? "<br>" : "") + html_escape(status::format_when(*t, zone, now_s, true));
    t = s.job->next_after(*t);
  }
  return out;
}

std::string job_row(const JobStatus& s, const std::vector<RunRow>& recent, SysMillis now) {
  const auto& job = *s.job;
  std::string schedule;
  for (const auto& sch : job.schedules) schedule += (schedule.empty() ? "" : "; ") + sch.text();
  auto b = badge_of(s);
  const auto& st = s.summary.state;
  auto success = st.last_success_slot
                     ? status::format_span(now - std::chrono::time_point_cast<Millis>(
                                                     *st.last_success_slot)) + " ago"
                     : std::string("never");
  return fmt::format(
      "<tr class=\"job\" data-job=\"{0}\"><td data-l=\"job\"><a href=\"/jobs/{1}\">{0}</a></td>"
      "<td data-l=\"health\"><span class=\"badge b-{2}\">{2}</span></td>"
      "<td data-l=\"schedule\">{3}<br><span class=\"muted\">{4}</span></td>"
      "<td data-l=\"next\">{5}</td><td data-l=\"last runs\">{6}</td>"
      "<td data-l=\"last success\">{7}</td><td data-l=\"in flight\">{8}</td></tr>\n",
      html_escape(job.name), percent_encode(job.name), badge_name(b), html_escape(schedule),
      html_escape(job.settings->timezone), next_fires(s, now), marks(recent),
      html_escape(success), s.summary.in_flight);
}

std::string header_html(const StatusReader::Jobs& jobs, const Health& health) {
  const auto& d = jobs.daemon;
  std::string out = "<header><h1>boomi-sched</h1>";
  if (d.heartbeat) {
    const auto& h = *d.heartbeat;
    const auto* refused = status::refused_reload(d);
    out += fmt::format(
        "<span>up since {}</span><span>config {} ({})</span><span>platform {}</span>",
        html_escape(format_utc(std::chrono::floor<std::chrono::seconds>(h.started_at))),
        html_escape(h.config_fingerprint.substr(0, 12)),
        refused ? "<b class=\"bad\">reload refused: " + html_escape(refused->reload_error) + "</b>"
                : std::string("loaded ") +
                      html_escape(format_utc(
                          std::chrono::floor<std::chrono::seconds>(h.config_loaded_at))),
        html_escape(h.platform_state));
    out += fmt::format("<span>store {}</span>", html_escape(h.store_state));
  } else {
    out += "<span>no heartbeat yet</span>";
  }
  if (!d.nodes.empty()) {
    const auto* leader = status::leader_of(d);
    out += fmt::format("<span class=\"nodes\">pair of {} nodes, leader {} (epoch {})</span>",
                       d.nodes.size(), html_escape(leader ? leader->name : "none"),
                       leader ? leader->epoch : 0);
  }
  out += fmt::format("<span>auth circuit {}</span><span>health {}</span></header>",
                     health.auth_circuit_open ? "<b class=\"bad\">open</b>" : "closed",
                     html_escape(health.ok ? "ok" : health.reason));
  return out;
}

std::string entry_row(const storage::HistoryEntry& e) {
  if (const auto* r = std::get_if<RunRow>(&e)) {
    return fmt::format(
        "<tr class=\"run\"><td data-l=\"slot\">{}</td><td data-l=\"state\"><span class=\"mark "
        "m-{}\"></span>{}</td><td data-l=\"trigger\">{}</td><td data-l=\"late\">{}</td>"
        "<td data-l=\"duration\">{}</td><td data-l=\"executionId\">{}</td>"
        "<td data-l=\"message\">{}</td></tr>\n",
        format_utc(r->slot), mark_class(r->state), storage::to_string(r->state),
        storage::to_string(r->trigger), ms_text(lateness_ms(*r)), ms_text(r->duration_ms),
        html_escape(r->execution_id), html_escape(r->message.empty() ? r->last_error : r->message));
  }
  const auto& g = std::get<storage::SlotGap>(e);
  return fmt::format("<tr class=\"gap\"><td data-l=\"slot\">{}{}</td><td data-l=\"state\">"
                     "<span class=\"mark m-skip\"></span>{} ({} slot{})</td><td></td><td></td>"
                     "<td></td><td></td><td data-l=\"reason\">{}</td></tr>\n",
                     format_utc(g.first), g.count > 1 ? " .. " + format_utc(g.last) : "",
                     storage::to_string(g.kind), g.count, g.count == 1 ? "" : "s",
                     html_escape(g.reason));
}

std::chrono::sys_seconds entry_instant(const storage::HistoryEntry& e) {
  if (const auto* r = std::get_if<RunRow>(&e)) return r->slot;
  return std::get<storage::SlotGap>(e).last;
}

}  // namespace

Badge badge_of(const JobStatus& s) {
  if (s.summary.state.paused) return Badge::paused;
  const auto& last = s.summary.last_run;
  if (last && is_terminal(last->state) && !is_success(last->state) &&
      last->state != RunState::skipped && last->state != RunState::discarded)
    return Badge::failing;
  if (s.summary.missed_since_success > 0) return Badge::missed;
  if (last) {
    auto late = lateness_ms(*last);
    if (late && Millis{*late} > k_late_after) return Badge::late;
  }
  return Badge::ok;
}

const char* badge_name(Badge b) {
  switch (b) {
    case Badge::ok: return "ok";
    case Badge::late: return "late";
    case Badge::failing: return "failing";
    case Badge::paused: return "paused";
    case Badge::missed: return "missed";
  }
  return "ok";
}

const char* mark_class(RunState s) {
  switch (s) {
    case RunState::complete: return "ok";
    case RunState::complete_warn: return "warn";
    case RunState::scheduled:
    case RunState::submitting:
    case RunState::submitted:
    case RunState::running: return "run";
    case RunState::skipped:
    case RunState::missed:
    case RunState::discarded: return "skip";
    default: return "bad";
  }
}

std::string render_index_page(const StatusReader::Jobs& jobs, const Health& health,
                              SysMillis now) {
  std::string rows;
  for (std::size_t i = 0; i < jobs.jobs.size(); ++i) {
    static const std::vector<RunRow> k_none;
    rows += job_row(jobs.jobs[i], i < jobs.recent.size() ? jobs.recent[i] : k_none, now);
  }
  auto main = fmt::format(
      "<table><thead><tr><th>job</th><th>health</th><th>schedule</th><th>next</th>"
      "<th>last runs</th><th>last success</th><th>in flight</th></tr></thead><tbody>{}"
      "</tbody></table><p class=\"muted\">{} jobs, as of {}</p>",
      rows, jobs.jobs.size(), format_utc(std::chrono::floor<std::chrono::seconds>(now)));
  return page("boomi-sched", header_html(jobs, health), main);
}

std::string render_job_page(const std::string& job,
                            const std::vector<storage::HistoryEntry>& entries, int limit,
                            SysMillis now) {
  std::string rows;
  for (const auto& e : entries) rows += entry_row(e);
  std::string more;
  if (static_cast<int>(entries.size()) == limit && !entries.empty()) {
    more = fmt::format("<p><a id=\"older\" href=\"/jobs/{}?limit={}&amp;before={}\">older</a></p>",
                       percent_encode(job), limit,
                       percent_encode(format_utc(entry_instant(entries.back()))));
  }
  auto main = fmt::format(
      "<p><a href=\"/\">all jobs</a></p><h2>{}</h2><table><thead><tr><th>slot</th>"
      "<th>state</th><th>trigger</th><th>late</th><th>duration</th><th>executionId</th>"
      "<th>message</th></tr></thead><tbody>{}</tbody></table>{}<p class=\"muted\">as of {}</p>",
      html_escape(job), rows, more, format_utc(std::chrono::floor<std::chrono::seconds>(now)));
  return page(job + " - boomi-sched", "<header><h1>boomi-sched</h1></header>", main);
}

std::string render_error_page(const std::string& message) {
  return page("boomi-sched", "<header><h1>boomi-sched</h1></header>",
              "<p class=\"bad\">" + html_escape(message) + "</p><p><a href=\"/\">all jobs</a></p>");
}

}  // namespace bsched::web
