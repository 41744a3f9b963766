// The process-schedule calls over BoomiClient::rest_exchange.
#include "daemon/platform/boomi_schedules.h"

#include "daemon/platform/wire_util.h"

#include <fmt/core.h>

namespace bsched::platform {

using boost::asio::awaitable;

template <class T, class Parse>
awaitable<CallResult<std::vector<T>>> BoomiScheduleClient::query_all(std::string object,
                                                                     const ScheduleFilter& filter,
                                                                     Parse parse) {
  std::vector<T> out;
  std::string path = "/" + object + "/query";
  std::string body = schedule_query_json(filter);
  std::string type = "application/json";
  for (int page = 1;; ++page) {
    auto r = co_await m_client.rest_exchange("POST", path, body, type);
    if (!r) co_return r.error();
    auto answer = parse(r->body);
    if (!answer)
      co_return m_client.unusable_answer(*r, fmt::format("{} query: {}", object,
                                                         answer.error().message));
    for (auto& item : answer->items) out.push_back(std::move(item));
    if (answer->query_token.empty()) co_return out;
    if (page >= m_max_pages)
      co_return m_client.unusable_answer(
          *r, fmt::format("{} query: more than {} pages of results", object, m_max_pages));
    path = "/" + object + "/queryMore";  // the body is the raw token
    body = std::move(answer->query_token);
    type = "text/plain";
  }
}

template <class T, class Parse>
awaitable<CallResult<std::vector<BulkItem<T>>>> BoomiScheduleClient::bulk(
    std::string object, const std::vector<std::string>& ids, Parse parse) {
  std::vector<BulkItem<T>> out;
  for (std::size_t at = 0; at < ids.size(); at += k_bulk_max) {
    std::vector<std::string> chunk(ids.begin() + static_cast<std::ptrdiff_t>(at),
                                   ids.begin() + static_cast<std::ptrdiff_t>(
                                                     std::min(ids.size(), at + k_bulk_max)));
    auto r = co_await m_client.rest_exchange("POST", "/" + object + "/bulk", bulk_get_json(chunk),
                                             "application/json");
    if (!r) co_return r.error();
    auto answer = parse(r->body, chunk);
    if (!answer)
      co_return m_client.unusable_answer(*r, fmt::format("{} bulk: {}", object,
                                                         answer.error().message));
    for (auto& item : *answer) out.push_back(std::move(item));
  }
  co_return out;
}

awaitable<CallResult<std::vector<ProcessSchedules>>> BoomiScheduleClient::query_schedules(
    const ScheduleFilter& filter) {
  co_return co_await query_all<ProcessSchedules>("ProcessSchedules", filter,
                                                 parse_schedules_page);
}

awaitable<CallResult<std::vector<ScheduleStatus>>> BoomiScheduleClient::query_statuses(
    const ScheduleFilter& filter) {
  co_return co_await query_all<ScheduleStatus>("ProcessScheduleStatus", filter,
                                               parse_statuses_page);
}

awaitable<CallResult<std::vector<BulkItem<ProcessSchedules>>>> BoomiScheduleClient::get_schedules(
    const std::vector<std::string>& ids) {
  co_return co_await bulk<ProcessSchedules>("ProcessSchedules", ids, parse_schedules_bulk);
}

awaitable<CallResult<std::vector<BulkItem<ScheduleStatus>>>> BoomiScheduleClient::get_statuses(
    const std::vector<std::string>& ids) {
  co_return co_await bulk<ScheduleStatus>("ProcessScheduleStatus", ids, parse_statuses_bulk);
}

awaitable<CallResult<ScheduleStatus>> BoomiScheduleClient::set_enabled(
    const ScheduleStatus& status, bool enabled) {
  auto r = co_await m_client.rest_exchange("POST",
                                           "/ProcessScheduleStatus/" + path_segment(status.id),
                                           status_update_json(status, enabled),
                                           "application/json");
  if (!r) co_return r.error();
  auto answer = parse_status_answer(r->body);
  if (!answer)
    co_return m_client.unusable_answer(
        *r, fmt::format("ProcessScheduleStatus update: {}", answer.error().message));
  co_return *answer;
}

}  // namespace bsched::platform
