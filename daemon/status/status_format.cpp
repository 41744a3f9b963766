#include "daemon/status/status_format.h"

#include "config/escape.h"

#include <date/date.h>
#include <fmt/core.h>

#include <algorithm>
#include <cctype>

namespace bsched::status {

using std::chrono::sys_seconds;

namespace {

// Display width of UTF-8 text: one column per code point.
size_t width(const std::string& s) {
  return static_cast<size_t>(std::count_if(s.begin(), s.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

// The first `max` code points of `s`, with "…" when cut.
std::string clip(const std::string& s, size_t max) {
  std::string first_line = s.substr(0, s.find('\n'));
  if (width(first_line) <= max) return first_line;
  std::string out;
  size_t points = 0;
  for (char c : first_line) {
    bool starts = (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    if (starts && ++points > max - 1) break;
    out += c;
  }
  return out + "…";
}

std::string schedule_text(const config::Job& job) {
  std::string text;
  bool wall_clock = false;
  for (const auto& s : job.schedules) {
    text += (text.empty() ? "" : "; ") + s.text();
    wall_clock = wall_clock || !s.is_interval();
  }
  if (wall_clock) text += " (" + zone_label(job.settings->timezone) + ")";
  return text;
}

std::string next_text(const JobStatus& s, sys_seconds now) {
  if (s.removed) return "-";
  if (!s.job->enabled) return "disabled";
  if (!s.next) return "-";
  return fmt::format("{} (in {})", format_when(*s.next, s.job->settings->zone, now, true),
                     format_span(*s.next - now));
}

std::string last_run_text(const storage::RunRow& r, const config::Job& job, sys_seconds now) {
  auto when = format_when(r.slot, job.settings->zone, now, false);
  if (!storage::is_slot_trigger(r.trigger)) {
    return fmt::format("{} ({})", when, storage::to_string(r.trigger));  // manual, exec
  }
  if (!r.submitting_at) return when;
  auto late = *r.submitting_at - std::chrono::time_point_cast<Millis>(r.slot);
  return fmt::format("{} ({}late {})", when,
                     r.trigger == storage::Trigger::catchup ? "catch-up, " : "",
                     format_compact(std::max(late, Millis{0})));
}

std::string missed_text(const storage::JobSummary& s) {
  if (s.missed_since_success == 0) return "0";
  if (s.state.last_success_slot) return fmt::format("{} since last success", s.missed_since_success);
  return fmt::format("{}", s.missed_since_success);
}

std::string paused_text(const storage::JobState& st, SysMillis now) {
  std::string who = escape_text(st.paused_by);
  if (st.paused_at) {
    who += (who.empty() ? "" : ", ") + format_span(now - *st.paused_at) + " ago";
  }
  auto text = st.pause_note.empty() ? std::string("paused") : "paused: \"" + escape_text(st.pause_note) + "\"";
  return who.empty() ? text : text + " (" + who + ")";
}

}  // namespace

std::string format_span(Millis d) {
  using namespace std::chrono;
  auto s = duration_cast<seconds>(d < Millis{0} ? -d : d).count();
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return fmt::format("{}m", s / 60);
  if (s < 86400) return fmt::format("{}h {:02}m", s / 3600, s % 3600 / 60);
  return fmt::format("{}d {}h", s / 86400, s % 86400 / 3600);
}

std::string format_compact(Millis d) {
  auto v = d.count() < 0 ? -d.count() : d.count();
  if (v < 1000) return fmt::format("{}ms", v);
  auto s = v / 1000;
  if (s < 60) return v % 1000 == 0 || s >= 10 ? fmt::format("{}s", s)
                                               : fmt::format("{}.{}s", s, v % 1000 / 100);
  if (s < 3600) return fmt::format("{}m{:02}s", s / 60, s % 60);
  if (s < 86400) return fmt::format("{}h{:02}m", s / 3600, s % 3600 / 60);
  return fmt::format("{}d{}h", s / 86400, s % 86400 / 3600);
}

std::string zone_label(const std::string& timezone) {
  auto last = timezone.substr(timezone.rfind('/') + 1);
  if (last.find('_') == std::string::npos) return last;
  std::string initials;
  bool start = true;
  for (char c : last) {
    if (start && c != '_') initials += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    start = c == '_';
  }
  return initials;
}

std::string format_when(sys_seconds t, const date::time_zone* zone, sys_seconds now,
                        bool with_zone) {
  auto zt = date::make_zoned(zone ? zone : utc_zone(), t);
  auto local = zt.get_local_time();
  auto local_now = date::make_zoned(zone ? zone : utc_zone(), now).get_local_time();
  auto day = date::floor<date::days>(local);
  auto days_apart = (day - date::floor<date::days>(local_now)).count();
  std::string clock = (local - day) % std::chrono::minutes{1} == std::chrono::seconds{0}
                          ? date::format("%H:%M", local)
                          : date::format("%H:%M:%S", local);
  std::string out = days_apart == 0                      ? clock
                    : days_apart >= -6 && days_apart <= 6 ? date::format("%a ", local) + clock
                                                          : date::format("%F ", local) + clock;
  return with_zone ? out + " " + zt.get_info().abbrev : out;
}

std::string upper_state(storage::RunState s) {
  std::string name(storage::to_string(s));
  for (auto& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return name;
}

std::string run_result(const storage::RunRow& r, SysMillis now) {
  auto text = upper_state(r.state);
  auto started = r.running_at ? r.running_at : r.submitting_at;
  if (r.duration_ms) {
    text += " " + format_compact(Millis{*r.duration_ms});
  } else if (started) {
    text += " " + format_compact((r.finished_at ? *r.finished_at : now) - *started);
  }
  auto why = escape_text(!r.message.empty() ? r.message : r.last_error);
  if (!storage::is_success(r.state) && storage::is_terminal(r.state) && !why.empty()) {
    text += " \"" + clip(why, 16) + "\"";
  }
  return text;
}

namespace {

std::string minute(SysMillis t) {
  return date::format("%F %H:%M UTC", std::chrono::floor<std::chrono::minutes>(t));
}

std::string second(SysMillis t) {
  return date::format("%F %H:%M:%S UTC", std::chrono::floor<std::chrono::seconds>(t));
}

std::string daemon_line(const DaemonState& d, SysMillis now) {
  if (d.never_started) {
    return fmt::format("daemon: never started (no state database at {} yet; the daemon creates "
                       "it when it first starts)\n",
                       d.db_path);
  }
  if (!d.heartbeat) return "daemon: not running (no daemon has used this database yet)\n";
  const auto& h = *d.heartbeat;
  if (d.stopped_at) {
    return fmt::format("daemon: stopped at {} ({} ago, a clean stop of pid {})\n",
                       second(*d.stopped_at), format_span(now - *d.stopped_at), h.pid);
  }
  if (d.silent) {
    return fmt::format("daemon: pid {} is alive but silent since {} (its heartbeat stopped: it "
                       "cannot write the state database, or it hangs; see its log)\n",
                       h.pid, minute(h.updated_at));
  }
  if (!d.running) {
    bool unclean = d.notes && d.notes->pid == h.pid;
    return fmt::format("daemon: not running (last seen {}{})\n", minute(h.updated_at),
                       unclean ? fmt::format(", {} ago; pid {} ended without a clean stop: see "
                                             "its log",
                                             format_span(now - h.updated_at), h.pid)
                               : "");
  }
  auto line = fmt::format("daemon: running (pid {}, up {}, config loaded {}, platform {})\n",
                          h.pid, format_span(now - h.started_at), minute(h.config_loaded_at),
                          h.platform_state.empty() ? "unknown" : escape_text(h.platform_state));
  if (!h.store_state.empty() && h.store_state != "ok") {
    line += "state database: " + escape_text(h.store_state) + "\n";
  }
  return line;
}

std::string plural_errors(int n) { return fmt::format("{} error{}", n, n == 1 ? "" : "s"); }

// One line per node of a pair: who leads, under which epoch, and when each was last seen.
std::string nodes_lines(const DaemonState& d, SysMillis now) {
  if (d.nodes.empty()) return "";
  const auto* leader = leader_of(d);
  auto out = fmt::format("nodes: {} (leader: {})\n", d.nodes.size(),
                         leader ? escape_text(leader->name) : "none");
  for (const auto& n : d.nodes) {
    out += fmt::format("  {}  {}  epoch {}  seen {} ago  version {}\n", escape_text(n.name),
                       node_role(n), n.epoch, format_span(now - n.last_seen),
                       escape_text(n.version));
  }
  return out;
}

}  // namespace

std::string render_status_header(const DaemonState& d, SysMillis now, const StatusContext& view) {
  auto out = daemon_line(d, now) + nodes_lines(d, now);
  auto validate = "boomi-sched validate --config " + view.config_path;
  if (const auto* n = refused_reload(d)) {
    out += fmt::format("config: a reload failed at {} ({}: {}); the daemon still runs the "
                       "configuration loaded {}; see every error with: {}\n",
                       second(*n->reload_failed_at), plural_errors(n->reload_errors),
                       escape_text(n->reload_error), minute(d.heartbeat->config_loaded_at),
                       validate);
  } else if (!view.config_loaded) {
    out += fmt::format("config: {} does not load ({}); see them with: {}\n", view.config_path,
                       plural_errors(view.config_errors), validate);
  }
  return out;
}

std::string untracked_text(SysMillis since, SysMillis now) {
  return fmt::format("not tracked since {} ({} ago; no daemon running)", second(since),
                     format_span(now - since));
}

namespace {

std::string execution_text(const std::optional<storage::RunRow>& last) {
  if (!last) return "-";
  if (!last->execution_id.empty()) return escape_text(last->execution_id);
  if (!last->request_id.empty()) return escape_text(last->request_id) + " (no record yet)";
  return "-";
}

}  // namespace

std::string render_status_table(const std::vector<JobStatus>& jobs, SysMillis now,
                                const std::optional<SysMillis>& untracked, bool wide) {
  auto now_s = std::chrono::floor<std::chrono::seconds>(now);
  std::vector<std::vector<std::string>> rows = {
      {"JOB", "SCHEDULE", "NEXT", "LAST RUN", "RESULT", "IN FLIGHT", "MISSED"}};
  if (wide) rows.front().push_back("EXECUTION");
  for (const auto& s : jobs) {
    std::vector<std::string> row = {
        s.job->name, s.config_unknown ? "(configuration does not load)"
                                 : s.removed ? "(not in the configuration)"
                                             : schedule_text(*s.job)};
    if (s.summary.state.paused) {
      row.push_back(paused_text(s.summary.state, now));
      rows.push_back(std::move(row));
      continue;
    }
    row.push_back(next_text(s, now_s));
    const auto& last = s.summary.last_run;
    row.push_back(last ? last_run_text(*last, *s.job, now_s) : "-");
    bool stale = untracked && last && !storage::is_terminal(last->state);
    row.push_back(!last  ? "-"
                  : stale ? upper_state(last->state) + ", " + untracked_text(*untracked, now)
                          : run_result(*last, now));
    row.push_back(fmt::format("{}{}", s.summary.in_flight,
                              untracked && s.summary.in_flight > 0 ? " (not tracked)" : ""));
    row.push_back(missed_text(s.summary));
    if (wide) row.push_back(execution_text(last));
    rows.push_back(std::move(row));
  }
  return render_table(rows);
}

std::string render_table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    for (size_t i = 0; i + 1 < row.size(); ++i) {
      if (widths.size() <= i) widths.resize(i + 1, 0);
      widths[i] = std::max(widths[i], width(row[i]));
    }
  }
  std::string out;
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) {
      out += row[i];
      if (i + 1 < row.size()) out += std::string(widths[i] - width(row[i]) + 2, ' ');
    }
    out += "\n";
  }
  return out;
}

}  // namespace bsched::status
