// What the loader's callers print: the diagnostics, and dump_config, the effective
// configuration as YAML (validate --print, and the fingerprint's input). User strings are
// double-quoted so that they read back unchanged.
#include "config/loader.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

namespace bsched::config {

namespace {

void quoted(YAML::Emitter& out, const std::string& s) {
  out << YAML::DoubleQuoted << s;
}

const char* name_of(Overlap o) {
  switch (o) {
    case Overlap::skip:
      return "skip";
    case Overlap::allow:
      return "allow";
    case Overlap::queue:
      return "queue";
  }
  return "skip";
}

const char* name_of(Catchup c) {
  switch (c) {
    case Catchup::latest:
      return "latest";
    case Catchup::all:
      return "all";
    case Catchup::none:
      return "none";
  }
  return "latest";
}

const char* name_of(DstFold f) {
  switch (f) {
    case DstFold::automatic:
      return "auto";
    case DstFold::once:
      return "once";
    case DstFold::both:
      return "both";
  }
  return "auto";
}

void properties(YAML::Emitter& out, const std::vector<std::pair<std::string, std::string>>& p) {
  out << YAML::BeginMap;
  for (const auto& [k, v] : p) {
    out << YAML::Key;
    quoted(out, k);
    out << YAML::Value;
    quoted(out, v);
  }
  out << YAML::EndMap;
}

void platform(YAML::Emitter& out, const Platform& p) {
  out << YAML::Key << "platform" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "account_id" << YAML::Value;
  quoted(out, p.account_id);
  out << YAML::Key << "base_url" << YAML::Value;
  quoted(out, p.base_url);
  out << YAML::Key << "username" << YAML::Value;
  quoted(out, p.username);
  out << YAML::Key << (p.token_file ? "token_file" : "token_env") << YAML::Value;
  quoted(out, p.token_file ? *p.token_file : p.token_env.value_or(""));
  out << YAML::Comment(
      fmt::format("token: {}", p.token.empty() ? "(not read)" : Secret::k_redacted));
  out << YAML::Key << "requests_per_second" << YAML::Value
      << fmt::format("{}", p.requests_per_second);
  out << YAML::Key << "timeout" << YAML::Value << format_duration(p.timeout);
  if (p.ca_file) {
    out << YAML::Key << "ca_file" << YAML::Value;
    quoted(out, *p.ca_file);
  }
  out << YAML::Key << "api" << YAML::Value << (p.api == ApiKind::rest ? "rest" : "graphql");
  if (!p.space_guid.empty()) {
    out << YAML::Key << "space_guid" << YAML::Value;
    quoted(out, p.space_guid);
  }
  out << YAML::Key << "graphql_url" << YAML::Value;
  quoted(out, p.graphql_url);
  out << YAML::Key << "jwt_url" << YAML::Value;
  quoted(out, p.jwt_url);
  out << YAML::EndMap;
}

void schedules(YAML::Emitter& out, const Job& j) {
  out << YAML::Key << "schedule" << YAML::Value;
  if (j.schedules.size() == 1) {
    quoted(out, j.schedules.front().text());
    return;
  }
  out << YAML::BeginSeq;
  for (const auto& s : j.schedules) quoted(out, s.text());
  out << YAML::EndSeq;
}

void job(YAML::Emitter& out, const Job& j) {
  out << YAML::Key;
  quoted(out, j.name);
  out << YAML::Value << YAML::BeginMap;
  schedules(out, j);
  out << YAML::Key << "process_id" << YAML::Value;
  quoted(out, j.process_id);
  out << YAML::Key << "atom_id" << YAML::Value;
  quoted(out, j.settings->atom_id);
  out << YAML::Key << "timezone" << YAML::Value;
  quoted(out, j.settings->timezone);
  out << YAML::Key << "enabled" << YAML::Value << (j.enabled ? "true" : "false");
  out << YAML::Key << "overlap" << YAML::Value << name_of(j.settings->overlap);
  out << YAML::Key << "catchup" << YAML::Value << name_of(j.settings->catchup);
  out << YAML::Key << "catchup_window" << YAML::Value
      << format_duration(j.settings->catchup_window);
  out << YAML::Key << "poll" << YAML::Value << YAML::Flow << YAML::BeginMap;
  out << YAML::Key << "initial" << YAML::Value << format_duration(j.settings->poll.initial);
  out << YAML::Key << "max" << YAML::Value << format_duration(j.settings->poll.max) << YAML::EndMap;
  out << YAML::Key << "record_timeout" << YAML::Value
      << format_duration(j.settings->record_timeout);
  out << YAML::Key << "run_timeout" << YAML::Value << format_duration(j.settings->run_timeout);
  out << YAML::Key << "submit_retry" << YAML::Value << YAML::Flow << YAML::BeginMap;
  out << YAML::Key << "attempts" << YAML::Value << j.settings->submit_retry.attempts;
  out << YAML::Key << "initial" << YAML::Value << format_duration(j.settings->submit_retry.initial);
  out << YAML::Key << "max" << YAML::Value << format_duration(j.settings->submit_retry.max)
      << YAML::EndMap;
  out << YAML::Key << "dst_fold" << YAML::Value << name_of(j.settings->dst_fold);
  out << YAML::Key << "dynamic_properties" << YAML::Value;
  properties(out, j.settings->dynamic_properties);
  out << YAML::Key << "process_properties" << YAML::Value << YAML::BeginSeq;
  for (const auto& pp : j.settings->process_properties) {
    out << YAML::BeginMap << YAML::Key << "component_id" << YAML::Value;
    quoted(out, pp.component_id);
    out << YAML::Key << "values" << YAML::Value;
    properties(out, pp.values);
    out << YAML::EndMap;
  }
  out << YAML::EndSeq;
  out << YAML::Key << "run_id_property" << YAML::Value;
  quoted(out, j.settings->run_id_property);
  if (j.settings->pause_after_failures > 0) {
    out << YAML::Key << "pause_after_failures" << YAML::Value << j.settings->pause_after_failures;
  }
  out << YAML::EndMap;
}

// The listener; its token is never printed, only the file it is read from.
void http(YAML::Emitter& out, const Http& h) {
  out << YAML::Key << "http" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "listen" << YAML::Value;
  quoted(out, h.listen);
  if (h.token_file) {
    out << YAML::Key << "token_file" << YAML::Value;
    quoted(out, *h.token_file);
  }
  out << YAML::Key << "allow_unauthenticated" << YAML::Value << h.allow_unauthenticated;
  if (!h.public_url.empty()) {
    out << YAML::Key << "public_url" << YAML::Value;
    quoted(out, h.public_url);
  }
  out << YAML::EndMap;
}

// The webhook as scheme://host/… only: its path is a secret.
void alerts(YAML::Emitter& out, const std::vector<AlertSink>& sinks) {
  out << YAML::Key << "alerts" << YAML::Value << YAML::BeginSeq;
  for (const auto& a : sinks) {
    out << YAML::BeginMap << YAML::Key << "name" << YAML::Value;
    quoted(out, a.name);
    if (!a.webhook.empty()) {
      out << YAML::Key << "webhook" << YAML::Value;
      quoted(out, a.shown_webhook());
    } else {
      out << YAML::Key << "command" << YAML::Value << YAML::Flow << YAML::BeginSeq;
      for (const auto& c : a.command) quoted(out, c);
      out << YAML::EndSeq;
    }
    out << YAML::Key << "on" << YAML::Value << YAML::Flow << YAML::BeginSeq;
    for (const auto& k : a.on) out << k;
    out << YAML::EndSeq;
    out << YAML::Key << "late_after" << YAML::Value << format_duration(a.late_after);
    out << YAML::Key << "timeout" << YAML::Value << format_duration(a.timeout);
    if (a.ca_file) out << YAML::Key << "ca_file" << YAML::Value << *a.ca_file;
    out << YAML::Key << "jobs" << YAML::Value << YAML::Flow << YAML::BeginSeq;
    for (const auto& g : a.jobs) quoted(out, g);
    out << YAML::EndSeq << YAML::EndMap;
  }
  out << YAML::EndSeq;
}

}  // namespace

std::string dump_config(const Config& c) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  platform(out, c.platform);
  out << YAML::Key << "storage" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "path" << YAML::Value;
  quoted(out, c.storage.path);
  out << YAML::Key << "retention" << YAML::Value << format_duration(c.storage.retention);
  if (!c.storage.postgres.empty()) {
    out << YAML::Key << "postgres" << YAML::Value << Secret::k_redacted;
  }
  out << YAML::EndMap;
  if (!c.storage.postgres.empty()) {
    out << YAML::Key << "ha" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "node" << YAML::Value;
    quoted(out, c.ha.node);
    out << YAML::Key << "lease" << YAML::Value << format_duration(c.ha.lease);
    out << YAML::EndMap;
  }
  http(out, c.http);
  if (!c.alerts.empty()) alerts(out, c.alerts);
  out << YAML::Key << "jobs" << YAML::Value << YAML::BeginMap;
  for (const auto& j : c.jobs) job(out, j);
  out << YAML::EndMap << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

std::size_t print_diagnostics(std::FILE* out, const std::vector<Diagnostic>& diagnostics) {
  std::size_t errors = 0;
  for (const auto& d : diagnostics) {
    fmt::print(out, "{}\n", d.to_string());
    if (!d.warning) ++errors;
  }
  return errors;
}

}  // namespace bsched::config
