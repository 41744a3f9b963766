// Config::fingerprint: SHA-256 over every effective field of config.h, in a fixed order.
// Positions and file names are left out (moving a job between files changes nothing); the
// token enters only as its own SHA-256. A field added to config.h must be added here.
#include "config/loader_fingerprint.h"

#include "config/loader_util.h"

#include <fmt/format.h>

namespace bsched::config::detail {

namespace {

void add_properties(FieldHasher& h, const std::vector<std::pair<std::string, std::string>>& p) {
  h.add(static_cast<long long>(p.size()));
  for (const auto& [k, v] : p) h.add(k).add(v);
}

void add_job(FieldHasher& h, const Job& j) {
  h.add("job").add(j.name).add(static_cast<long long>(j.schedules.size()));
  for (const auto& s : j.schedules) h.add(s.text());
  h.add(j.process_id).add(j.settings->atom_id).add(j.settings->timezone).add(j.enabled ? 1 : 0);
  h.add(static_cast<long long>(j.settings->overlap))
      .add(static_cast<long long>(j.settings->catchup));
  h.add(j.settings->catchup_window.count())
      .add(j.settings->poll.initial.count())
      .add(j.settings->poll.max.count());
  h.add(j.settings->record_timeout.count()).add(j.settings->run_timeout.count());
  h.add(j.settings->submit_retry.attempts).add(j.settings->submit_retry.initial.count());
  h.add(j.settings->submit_retry.max.count()).add(static_cast<long long>(j.settings->dst_fold));
  add_properties(h, j.settings->dynamic_properties);
  h.add(static_cast<long long>(j.settings->process_properties.size()));
  for (const auto& pp : j.settings->process_properties) {
    h.add(pp.component_id);
    add_properties(h, pp.values);
  }
  h.add(j.settings->run_id_property);
  if (j.settings->pause_after_failures > 0) h.add("pause").add(j.settings->pause_after_failures);
}

void add_alerts(FieldHasher& h, const std::vector<AlertSink>& alerts) {
  h.add("alerts").add(static_cast<long long>(alerts.size()));
  for (const auto& a : alerts) {
    h.add(a.name).add(sha256_hex(a.webhook)).add(static_cast<long long>(a.command.size()));
    for (const auto& c : a.command) h.add(c);
    h.add(static_cast<long long>(a.on.size()));
    for (const auto& k : a.on) h.add(k);
    h.add(a.late_after.count()).add(a.timeout.count()).add(static_cast<long long>(a.jobs.size()));
    for (const auto& g : a.jobs) h.add(g);
    h.add(a.ca_file.value_or("")).add(a.ca_file ? 1 : 0);
  }
}

}  // namespace

std::string fingerprint(const Config& c) {
  FieldHasher h;
  const auto& p = c.platform;
  h.add("boomi-sched config v1").add(p.account_id).add(p.base_url).add(p.username);
  h.add(p.token_file.value_or("")).add(p.token_file ? 1 : 0);
  h.add(p.token_env.value_or("")).add(p.token_env ? 1 : 0);
  h.add(sha256_hex(p.token.reveal()));
  h.add(fmt::format("{}", p.requests_per_second)).add(p.timeout.count());
  h.add(p.ca_file.value_or("")).add(p.ca_file ? 1 : 0).add(static_cast<long long>(p.api));
  h.add(p.space_guid).add(p.graphql_url).add(p.jwt_url);
  h.add(c.storage.path).add(c.storage.retention.count());
  h.add(sha256_hex(c.storage.postgres.reveal())).add(c.ha.node).add(c.ha.lease.count());
  h.add(c.http.listen).add(c.http.token_file.value_or("")).add(sha256_hex(c.http.token.reveal()));
  h.add(c.http.allow_unauthenticated ? 1 : 0).add(c.http.public_url);
  h.add(static_cast<long long>(c.jobs.size()));
  for (const auto& j : c.jobs) add_job(h, j);
  if (!c.alerts.empty()) add_alerts(h, c.alerts);  // absent: the fingerprint of before
  return h.hex();
}

}  // namespace bsched::config::detail
