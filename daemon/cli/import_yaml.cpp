// The YAML of `boomi-sched import`.
#include "daemon/cli/import_yaml.h"

#include "config/escape.h"
#include "daemon/platform/wire.h"

#include <fmt/format.h>

#include <cctype>

namespace bsched::cli {

namespace {

// An id from the platform, printable on one line of a comment or a message.
std::string escape_id(std::string_view s) { return escape_text(platform::cap_text(s, 80)); }

bool name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '_' || c == '-';
}

std::string sanitized(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (out.size() >= 56) break;  // room for a "-NN" suffix
    char k = name_char(c) ? c : '-';
    if (k == '-' && (out.empty() || out.back() == '-')) continue;
    out += k;
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out;
}

void write_job(std::string& y, const ImportedJob& j, const ImportInput& in) {
  const auto& s = j.schedules;
  y += fmt::format("\n  # process {} (ProcessSchedules {})\n", s.process_id, escape_id(s.id));
  y += fmt::format("  {}:\n    schedule:\n", j.job);
  for (std::size_t i = 0; i < s.rules.size(); ++i) {
    const auto& c = j.converted.rules[i];
    y += fmt::format("      # platform rule: {}\n", platform::describe_rule(s.rules[i]));
    for (const auto& note : c.notes) y += fmt::format("      # note: {}\n", note);
    if (c.ok()) y += fmt::format("      - \"{}\"\n", c.expression);
    else y += fmt::format("      # NOT CONVERTED: {}\n", c.problem);
  }
  if (!j.converted.retry_problem.empty()) {
    y += fmt::format("    # NOT CONVERTED: {}\n", j.converted.retry_problem);
    for (const auto& r : s.retry->rules)
      y += fmt::format("    #   retry rule: {}\n", platform::describe_rule(r));
  }
  y += fmt::format("    process_id: \"{}\"\n    atom_id: \"{}\"\n    timezone: \"{}\"\n", s.process_id,
                   s.atom_id, in.zone);
  if (j.platform_enabled && !*j.platform_enabled)
    y += "    enabled: false  # the schedule is switched off on the platform\n";
  else if (!j.converted.complete())  // the platform keeps it: on here too, it would fire twice
    y += "    enabled: false  # not everything converted, so the platform keeps scheduling it:\n"
         "                    # review, switch it off there, then enable it here\n";
}

}  // namespace

bool plain_id(std::string_view id) {
  if (id.empty() || id.size() > 256) return false;
  for (char c : id)
    if (!name_char(c) && c != ':') return false;
  return true;
}

std::string job_name_for(const platform::ProcessSchedules& s, const std::set<std::string>& taken) {
  auto base = sanitized(s.process_name);
  if (base.empty()) base = sanitized("process-" + s.process_id);
  if (base.empty()) base = "process";
  auto name = base;
  for (int n = 2; taken.count(name); ++n) name = fmt::format("{}-{}", base, n);
  return name;
}

ImportOutput build_import(const ImportInput& in) {
  ImportOutput out;
  auto names = in.names;
  for (const auto& s : in.schedules) {
    if (s.rules.empty() && !s.retry) {
      ++out.empty;
      continue;
    }
    ImportedJob j;
    j.schedules = s;
    j.converted = platform::convert_process(s);
    if (auto it = in.statuses.find(s.process_id); it != in.statuses.end()) {
      j.platform_enabled = it->second.enabled;
      j.status_id = it->second.id;
    }
    if (!plain_id(s.process_id) || !plain_id(s.atom_id)) {
      j.skipped = "its processId or atomId is empty or holds characters outside [A-Za-z0-9._:-]";
    } else if (s.atom_id != in.atom_id) {
      j.skipped = fmt::format("it belongs to another runtime ({})", s.atom_id);
    } else if (auto c = in.configured.find(s.process_id + " " + s.atom_id);
               c != in.configured.end()) {
      j.skipped = fmt::format("already configured as job '{}'", c->second);
    } else if (!j.converted.any()) {
      j.skipped = "none of its rules converts";
    } else {
      j.job = job_name_for(s, names);
      names.insert(j.job);
    }
    auto who = j.job.empty() ? fmt::format("process {}", escape_id(s.process_id))
                             : fmt::format("job '{}'", j.job);
    if (!j.skipped.empty())
      out.warnings.push_back(fmt::format("{}: not imported: {}", who, j.skipped));
    for (std::size_t i = 0; i < s.rules.size(); ++i)
      if (!j.converted.rules[i].ok())
        out.warnings.push_back(fmt::format("{}: rule {} ({}) not converted: {}", who, i + 1,
                                           platform::describe_rule(s.rules[i]),
                                           j.converted.rules[i].problem));
    if (!j.converted.retry_problem.empty())
      out.warnings.push_back(fmt::format("{}: not converted: {}", who, j.converted.retry_problem));
    out.jobs.push_back(std::move(j));
  }
  std::string y = fmt::format(
      "# Imported by `boomi-sched import` from the platform's process schedules of runtime\n"
      "# {} at {}; the platform runs them in the runtime's zone, given as {}.\n"
      "# Review every job before the daemon loads this file (docs/import.md).\n",
      in.atom_id, in.created, in.zone);
  bool any = false;
  for (const auto& j : out.jobs) any = any || !j.job.empty();
  y += any ? "jobs:\n" : "jobs: {}\n";
  for (const auto& j : out.jobs) {
    if (!j.job.empty()) {
      write_job(y, j, in);
      continue;
    }
    y += fmt::format("\n  # process {} not imported: {}\n", escape_id(j.schedules.process_id),
                     j.skipped);
    for (const auto& r : j.schedules.rules)
      y += fmt::format("  #   platform rule: {}\n", platform::describe_rule(r));
  }
  out.yaml = std::move(y);
  return out;
}

}  // namespace bsched::cli
