// The process-schedule calls of platform-api.md "Process schedules", used by
// `boomi-sched import` (docs/import.md): read ProcessSchedules and ProcessScheduleStatus,
// and switch a status on or off.
//
// ScheduleClient is the interface (tests script a fake); BoomiScheduleClient implements it
// over a BoomiClient, so every call shares that account's transport, pace, auth circuit,
// error classification, retries and credential scrubbing.
//
// Never offered: POST /ProcessSchedules/{id}, which "clears and updates" a process's
// schedules. The only write is POST /ProcessScheduleStatus/{id}, which stops or resumes the
// schedules without touching their rules.
#pragma once

#include "daemon/platform/boomi_client.h"
#include "daemon/platform/schedule_wire.h"

#include <boost/asio/awaitable.hpp>

#include <string>
#include <vector>

namespace bsched::platform {

class ScheduleClient {
 public:
  virtual ~ScheduleClient() = default;

  // POST ProcessSchedules/query, then queryMore until no queryToken is left.
  virtual boost::asio::awaitable<CallResult<std::vector<ProcessSchedules>>> query_schedules(
      const ScheduleFilter& filter) = 0;
  // POST ProcessScheduleStatus/query, then queryMore.
  virtual boost::asio::awaitable<CallResult<std::vector<ScheduleStatus>>> query_statuses(
      const ScheduleFilter& filter) = 0;
  // POST ProcessSchedules/bulk, 100 ids per call; one item per id, in order.
  virtual boost::asio::awaitable<CallResult<std::vector<BulkItem<ProcessSchedules>>>>
  get_schedules(const std::vector<std::string>& ids) = 0;
  // POST ProcessScheduleStatus/bulk, 100 ids per call.
  virtual boost::asio::awaitable<CallResult<std::vector<BulkItem<ScheduleStatus>>>>
  get_statuses(const std::vector<std::string>& ids) = 0;
  // POST ProcessScheduleStatus/{id} with enabled = `enabled`; answers the object as the
  // platform now holds it.
  virtual boost::asio::awaitable<CallResult<ScheduleStatus>> set_enabled(
      const ScheduleStatus& status, bool enabled) = 0;
};

inline constexpr std::size_t k_bulk_max = 100;  // ids per bulk call (platform limit)

class BoomiScheduleClient final : public ScheduleClient {
 public:
  // `client` must outlive this object.
  explicit BoomiScheduleClient(BoomiClient& client, int max_pages = 1000)
      : m_client(client), m_max_pages(max_pages) {}

  boost::asio::awaitable<CallResult<std::vector<ProcessSchedules>>> query_schedules(
      const ScheduleFilter& filter) override;
  boost::asio::awaitable<CallResult<std::vector<ScheduleStatus>>> query_statuses(
      const ScheduleFilter& filter) override;
  boost::asio::awaitable<CallResult<std::vector<BulkItem<ProcessSchedules>>>> get_schedules(
      const std::vector<std::string>& ids) override;
  boost::asio::awaitable<CallResult<std::vector<BulkItem<ScheduleStatus>>>> get_statuses(
      const std::vector<std::string>& ids) override;
  boost::asio::awaitable<CallResult<ScheduleStatus>> set_enabled(const ScheduleStatus& status,
                                                                 bool enabled) override;

 private:
  template <class T, class Parse>
  boost::asio::awaitable<CallResult<std::vector<T>>> query_all(std::string object,
                                                               const ScheduleFilter& filter,
                                                               Parse parse);
  template <class T, class Parse>
  boost::asio::awaitable<CallResult<std::vector<BulkItem<T>>>> bulk(
      std::string object, const std::vector<std::string>& ids, Parse parse);

  BoomiClient& m_client;
  int m_max_pages;
};

}  // namespace bsched::platform
