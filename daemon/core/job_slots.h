// The slots of one configured job: every schedule of the job merged, duplicates removed.
#pragma once

#include "config/config.h"
#include "daemon/core/slot_source.h"

namespace bsched::core {

class JobSlots final : public SlotSource {
 public:
  // Reads the job's schedules in place: the job must outlive this (the engine keeps the
  // configuration of every job it tracks).
  explicit JobSlots(const config::Job& job) : m_schedules(job.schedules) {}
  explicit JobSlots(config::Job&&) = delete;

  void for_each_in(sys_seconds from, sys_seconds to,
                   const std::function<bool(sys_seconds)>& fn) const override;
  std::optional<sys_seconds> next_after(sys_seconds t) const override;

 private:
  const std::vector<config::Schedule>& m_schedules;
};

}  // namespace bsched::core
