// The platform half of `boomi-sched import`: switching the imported processes' schedules
// off (--disable-on-platform) and back on from a record (--enable-on-platform), through
// ProcessScheduleStatus only (docs/import.md). The record is rewritten after every switch.
#pragma once

#include "daemon/cli/import_record.h"
#include "daemon/cli/import_yaml.h"
#include "daemon/platform/boomi_schedules.h"

#include <boost/asio/awaitable.hpp>

#include <string>

namespace bsched::cli {

// Where and how the record is kept; `now` stamps entries ("YYYY-MM-DDTHH:MM:SSZ").
struct SwitchContext {
  platform::ScheduleClient& client;
  std::string record_path;
  bool dry_run = false;
  std::string (*now)() = nullptr;
};

// The record entries --disable-on-platform would switch: every complete imported job whose
// status was found enabled. The others are explained in `left` (one line each).
SwitchRecord plan_disable(const ImportOutput& imported, std::vector<std::string>& left);

// Re-reads the statuses (bulk), switches each pending entry off, verifies the uncertain ones
// with another read. Returns true when every entry ended disabled or already_disabled.
boost::asio::awaitable<bool> disable_on_platform(SwitchContext ctx, SwitchRecord record);

// Switches back on the entries in state disabled or uncertain. True when all of them are on.
boost::asio::awaitable<bool> enable_on_platform(SwitchContext ctx, SwitchRecord record);

}  // namespace bsched::cli
