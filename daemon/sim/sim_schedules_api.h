// The REST resources of the simulator's schedule objects (sim_schedules.h), below
// /api/rest/v1/{account}/ after auth; and the test-only control POST /__sim/schedules.
#pragma once

#include "daemon/sim/sim_router.h"

#include <string_view>
#include <vector>

namespace bsched::sim {

// True when `segs` (the path below the account) names ProcessSchedules or
// ProcessScheduleStatus; `out` is then the answer.
bool schedule_resource(Exchange& ex, const std::vector<std::string_view>& segs,
                       HttpResponse& out);

// POST /__sim/schedules: sets the update faults (sim_schedules.h).
HttpResponse schedules_control(SimState& state, const HttpRequest& request);

}  // namespace bsched::sim
