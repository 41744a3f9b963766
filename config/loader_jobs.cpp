#include "config/loader_jobs.h"

#include "config/loader_util.h"
#include "config/placeholders.h"

#include <fmt/format.h>

#include <algorithm>
#include <functional>

namespace bsched::config::detail {

namespace {

using Handler = std::function<void(const Field&, JobDraft&, Sink&)>;

// A zone near `name` from the tz database, for "did you mean".
std::string zone_hint(std::string_view name) {
  try {
    const auto& db = date::get_tzdb();
    std::vector<std::string_view> names;
    for (const auto& z : db.zones) names.push_back(z.name());
    return did_you_mean(name, names);
  } catch (const std::exception&) {
    return {};
  }
}

void read_id(const Field& f, std::string& out, Sink& sink) {
  auto v = read_string(f, sink);
  if (!v) return;
  if (v->empty()) {
    sink.error(f.pos(), fmt::format("{}: must not be empty", f.path));
    return;
  }
  if (!is_uuid(*v))
    sink.warning(f.pos(), fmt::format("{}: '{}' is not a UUID (Boomi ids look like "
                                      "6e79aead-40d4-4a35-9037-4370a86cc2f1); the platform "
                                      "will likely reject it",
                                      f.path, *v));
  out = *v;
}

// A property value: any scalar, as written; placeholders checked at their column.
std::optional<std::string> read_property_value(const Field& f, Sink& sink) {
  auto v = read_string(f, sink);
  if (!v) return std::nullopt;
  if (auto ok = check_placeholders(*v); !ok) {
    sink.error(f.pos_at(ok.error().offset), fmt::format("{}: {}", f.path, ok.error().message));
    return std::nullopt;
  }
  return v;
}

using Properties = std::vector<std::pair<std::string, std::string>>;

// Reads a map of property name -> value, merging into `props` (same name: replaced).
void read_properties(const Field& f, Properties& props, Sink& sink) {
  walk_map(f, {.any_key = true}, sink, [&](const std::string& key, const Field& value) {
    if (key.empty()) {
      sink.error(value.key_pos, fmt::format("{}: a property name must not be empty", f.path));
      return;
    }
    auto v = read_property_value(value, sink);
    if (!v) return;
    auto it = std::find_if(props.begin(), props.end(), [&](auto& p) { return p.first == key; });
    if (it != props.end())
      it->second = std::move(*v);
    else
      props.emplace_back(key, std::move(*v));
  });
}

void read_process_properties(const Field& f, JobDraft& d, Sink& sink) {
  if (!f.node.is_sequence()) {
    sink.error(f.pos(), fmt::format("{}: expected a list of {{component_id, values}} items, not {}",
                                    f.path, f.kind()));
    return;
  }
  d.settings.process_properties.clear();  // a job's list replaces the defaults' list
  for (size_t i = 0; i < f.node.size(); ++i) {
    Field item{f.doc, fmt::format("{}[{}]", f.path, i), f.node.item(i), f.pos()};
    item.key_pos = item.pos();
    ProcessProperty pp;
    bool has_component = false, has_values = false;
    walk_map(item, {.known = {"component_id", "values"}}, sink,
             [&](const std::string& key, const Field& value) {
               if (key == "component_id") {
                 read_id(value, pp.component_id, sink);
                 has_component = true;
               } else {
                 read_properties(value, pp.values, sink);
                 has_values = true;
               }
             });
    if (!item.node.is_map()) continue;
    if (!has_component)
      sink.error(item.pos(), fmt::format("{}: missing required key 'component_id'", item.path));
    if (!has_values)
      sink.error(item.pos(), fmt::format("{}: missing required key 'values'", item.path));
    d.settings.process_properties.push_back(std::move(pp));
  }
}

void read_schedules(const Field& f, JobDraft& d, Sink& sink) {
  d.schedules.clear();
  if (f.node.is_scalar()) {
    d.schedules.push_back(f);
    return;
  }
  if (!f.node.is_sequence() || f.node.size() == 0) {
    sink.error(f.pos(), fmt::format("{}: expected a schedule expression or a non-empty list of "
                                    "them, not {}",
                                    f.path, f.node.is_sequence() ? "an empty list" : f.kind()));
    return;
  }
  for (size_t i = 0; i < f.node.size(); ++i) {
    Field item{f.doc, fmt::format("{}[{}]", f.path, i), f.node.item(i), f.pos()};
    item.key_pos = item.pos();
    if (read_string(item, sink)) d.schedules.push_back(item);
  }
}

void read_timezone(const Field& f, JobDraft& d, Sink& sink) {
  auto name = read_string(f, sink);
  if (!name) return;
  auto zone = find_zone(*name);
  if (!zone) {
    sink.error(f.pos(), fmt::format("{}: {}{}", f.path, zone.error().message, zone_hint(*name)));
    d.zone_bad = true;
    d.settings.zone = nullptr;
    return;
  }
  d.zone_bad = false;
  d.settings.zone = *zone;
  d.settings.timezone = *name;
}

void read_run_id_property(const Field& f, JobDraft& d, Sink& sink) {
  auto v = read_string(f, sink);
  if (!v) return;
  bool plain = f.node.plain();
  if (plain && (*v == "false" || *v == "off" || *v == "no")) {
    d.settings.run_id_property.clear();
  } else if (plain && (*v == "true" || *v == "on" || *v == "yes")) {
    sink.error(f.pos(), fmt::format("{}: expected a property name, or false or \"\" to send "
                                    "no run id",
                                    f.path));
  } else {
    d.settings.run_id_property = *v;
  }
}

void read_poll(const Field& f, JobDraft& d, Sink& sink) {
  walk_map(f, {.known = {"initial", "max"}}, sink, [&](const std::string& key, const Field& v) {
    if (auto ms = read_duration(v, sink, Millis{1}))
      (key == "initial" ? d.settings.poll.initial : d.settings.poll.max) = *ms;
  });
}

void read_submit_retry(const Field& f, JobDraft& d, Sink& sink) {
  walk_map(f, {.known = {"attempts", "initial", "max"}}, sink,
           [&](const std::string& key, const Field& v) {
             if (key == "attempts") {
               if (auto n = read_int(v, sink, 1, 100)) d.settings.submit_retry.attempts = int(*n);
             } else if (auto ms = read_duration(v, sink, Millis{1})) {
               (key == "initial" ? d.settings.submit_retry.initial : d.settings.submit_retry.max) =
                   *ms;
             }
           });
}

template <class E>
Handler choice(E JobSettings::*member, std::vector<std::string_view> names, std::vector<E> values) {
  return [=](const Field& f, JobDraft& d, Sink& sink) {
    if (auto v = read_choice(f, sink, names)) {
      auto i = std::find(names.begin(), names.end(), *v) - names.begin();
      d.settings.*member = values[static_cast<size_t>(i)];
    }
  };
}

Handler duration(Millis JobSettings::*member, Millis min) {
  return [=](const Field& f, JobDraft& d, Sink& sink) {
    if (auto v = read_duration(f, sink, min)) d.settings.*member = *v;
  };
}

const std::vector<std::pair<std::string_view, Handler>>& handlers() {
  static const std::vector<std::pair<std::string_view, Handler>> k_handlers = {
      {"schedule", read_schedules},
      {"process_id", [](const Field& f, JobDraft& d, Sink& s) { read_id(f, d.job.process_id, s); }},
      {"atom_id", [](const Field& f, JobDraft& d, Sink& s) { read_id(f, d.settings.atom_id, s); }},
      {"timezone", read_timezone},
      {"enabled",
       [](const Field& f, JobDraft& d, Sink& s) {
         if (auto v = read_bool(f, s)) d.job.enabled = *v;
       }},
      {"overlap", choice(&JobSettings::overlap, {"skip", "allow", "queue"},
                         {Overlap::skip, Overlap::allow, Overlap::queue})},
      {"catchup", choice(&JobSettings::catchup, {"latest", "all", "none"},
                         {Catchup::latest, Catchup::all, Catchup::none})},
      {"catchup_window", duration(&JobSettings::catchup_window, Millis{0})},
      {"poll", read_poll},
      {"record_timeout", duration(&JobSettings::record_timeout, Millis{1})},
      {"run_timeout", duration(&JobSettings::run_timeout, Millis{1})},
      {"submit_retry", read_submit_retry},
      {"dst_fold", choice(&JobSettings::dst_fold, {"auto", "once", "both"},
                          {DstFold::automatic, DstFold::once, DstFold::both})},
      {"dynamic_properties", [](const Field& f, JobDraft& d,
                                Sink& s) { read_properties(f, d.settings.dynamic_properties, s); }},
      {"process_properties", read_process_properties},
      {"run_id_property", read_run_id_property},
      {"pause_after_failures",
       [](const Field& f, JobDraft& d, Sink& s) {
         if (auto v = read_int(f, s, 0, 1000000)) d.settings.pause_after_failures = int(*v);
       }},
  };
  return k_handlers;
}

}  // namespace

const std::vector<std::string_view>& job_keys() {
  static const std::vector<std::string_view> k_keys = [] {
    std::vector<std::string_view> keys;
    for (const auto& [k, h] : handlers()) keys.push_back(k);
    return keys;
  }();
  return k_keys;
}

void apply_job_keys(const Field& map, JobDraft& draft, Sink& sink) {
  walk_map(map, {.known = job_keys()}, sink, [&](const std::string& key, const Field& value) {
    for (const auto& [k, handler] : handlers()) {
      if (k != key) continue;
      handler(value, draft, sink);
      draft.set_at.insert_or_assign(key, value);
    }
  });
}

namespace {

void check_policies(const JobDraft& d, Sink& sink) {
  const auto& j = d.settings;
  auto at = [&](std::string_view key) { return d.set_at.find(key)->second; };
  if (j.poll.initial > j.poll.max && d.set_at.contains("poll")) {
    auto f = at("poll");
    sink.error(f.pos(), fmt::format("{}: initial ({}) is longer than max ({})", f.path,
                                    format_duration(j.poll.initial), format_duration(j.poll.max)));
  }
  if (j.submit_retry.initial > j.submit_retry.max && d.set_at.contains("submit_retry")) {
    auto f = at("submit_retry");
    sink.error(f.pos(), fmt::format("{}: initial ({}) is longer than max ({})", f.path,
                                    format_duration(j.submit_retry.initial),
                                    format_duration(j.submit_retry.max)));
  }
  if (!j.run_id_property.empty() && d.set_at.contains("dynamic_properties")) {
    for (const auto& [k, v] : j.dynamic_properties) {
      if (k != j.run_id_property) continue;
      auto f = at("dynamic_properties");
      sink.error(f.pos(), fmt::format("{}: '{}' is reserved for the run id; rename the property "
                                      "or set run_id_property",
                                      f.path, k));
    }
  }
}

}  // namespace

// Jobs whose merged settings are equal share one JobSettings (224 bytes), so a Job holds
// only its own fields (120 bytes) and 10,000 jobs on the same `defaults` carry one block.
std::shared_ptr<const JobSettings> SettingsPool::intern(JobSettings&& settings) {
  if (auto it = m_settings.find(settings); it != m_settings.end()) return *it;
  return *m_settings.insert(std::make_shared<const JobSettings>(std::move(settings))).first;
}

Job finish_job(JobDraft d, const std::string& name, const Field& key, Sink& sink,
               ScheduleCache& schedules, SettingsPool& settings) {
  d.job.name = name;
  d.job.pos = job_source(*key.doc, key.key_pos);
  for (std::string_view required : {"schedule", "process_id", "atom_id"}) {
    if (!d.set_at.contains(required))
      sink.error(key.key_pos, fmt::format("{}: missing required key '{}'", key.path, required));
  }
  if (!d.settings.zone && !d.zone_bad) {
    d.settings.zone = host_zone();
    d.settings.timezone = std::string(d.settings.zone->name());
  }
  if (d.settings.zone) {
    parse_schedules(d, name, sink, schedules);
  } else if (d.zone_bad) {
    // The zone is refused (reported where it is set, perhaps once in defaults for many
    // jobs): still check the schedules, against UTC, so that every error shows at once.
    d.settings.zone = utc_zone();
    parse_schedules(d, name, sink, schedules);
    d.settings.zone = nullptr;
  }
  check_policies(d, sink);
  if (d.settings.catchup == Catchup::all && d.settings.overlap != Overlap::allow) {
    // The overlap policy applies to catch-up runs too (docs/configuration.md).
    sink.warning(key.key_pos,
                 fmt::format("{}: catchup: all with overlap: {} runs only the first missed slot "
                             "at once; the later ones are recorded as skipped while it runs{}. "
                             "Use overlap: allow to run every missed slot",
                             key.path, d.settings.overlap == Overlap::skip ? "skip" : "queue",
                             d.settings.overlap == Overlap::queue ? " (one waits in the queue)" : ""));
  }
  d.job.settings = settings.intern(std::move(d.settings));
  return std::move(d.job);
}

}  // namespace bsched::config::detail
