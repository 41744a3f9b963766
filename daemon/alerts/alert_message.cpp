// The alert JSON: see alert_message.h.
#include "daemon/alerts/alert_message.h"

#include <boost/json.hpp>
#include <fmt/core.h>

namespace bsched::alerts {

namespace {

std::string what(const storage::AlertDelivery& a) {
  using storage::AlertKind;
  switch (a.kind) {
    case AlertKind::failed:
      return "failed";
    case AlertKind::missed:
      return "missed slots";
    case AlertKind::late:
      return "was late";
    case AlertKind::stuck:
      return "is stuck";
    case AlertKind::auth:
      return "platform credentials refused";
    case AlertKind::recovered:
      return "recovered";
  }
  return "alert";
}

std::string subject(const storage::AlertDelivery& a) {
  return a.job.empty() ? std::string("boomi-sched") : a.job;
}

}  // namespace

std::string alert_text(const std::vector<storage::AlertDelivery>& items, bool summary) {
  const auto& first = items.front();
  const auto& last = items.back();
  if (summary || items.size() > 1) {
    auto since = format_utc(std::chrono::floor<std::chrono::seconds>(first.created_at));
    return fmt::format("[boomi-sched] {} {} {} more time{} since {} (last: {}{}{})",
                       subject(first), what(first), items.size(), items.size() == 1 ? "" : "s",
                       since, last.run ? fmt::format("run {} ", *last.run) : "", last.state,
                       last.message.empty() ? "" : ": " + last.message);
  }
  return fmt::format("[boomi-sched] {} {}{}: {}{}{}", subject(first), what(first),
                     first.run ? fmt::format(" (run {}, slot {})", *first.run, format_utc(first.slot))
                               : "",
                     first.state, first.message.empty() ? "" : " - ", first.message);
}

std::string alert_json(const std::vector<storage::AlertDelivery>& items, bool summary,
                       const std::string& link_base) {
  const auto& last = items.back();
  bool many = summary || items.size() > 1;
  boost::json::object o;
  // The receivers' dedupe key: the event's (or the summary's events') stable id.
  o["id"] = many ? fmt::format("{}-{}", items.front().event_id, last.event_id)
                 : fmt::format("{}", last.event_id);
  o["text"] = alert_text(items, summary);
  o["kind"] = std::string(storage::to_string(last.kind));
  o["job"] = last.job;
  if (last.run) o["run_id"] = *last.run;
  o["slot"] = format_utc(last.slot);
  o["state"] = last.state;
  o["execution_id"] = last.execution_id;
  o["message"] = last.message;
  o["created_at"] = format_utc_ms(last.created_at);
  o["summary"] = many;
  o["count"] = static_cast<std::int64_t>(items.size());
  if (many) {
    boost::json::array ids;
    for (const auto& a : items) ids.push_back(a.event_id);
    o["event_ids"] = std::move(ids);
  }
  if (!link_base.empty() && !last.job.empty()) o["link"] = link_base + "/jobs/" + last.job;
  return boost::json::serialize(o);
}

}  // namespace bsched::alerts
