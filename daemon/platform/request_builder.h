// Turning a job into the ExecutionRequest of one run (product.md §4): placeholders expanded,
// the run-id dynamic property added. Pure except make_run_id() (randomness).
#pragma once

#include "config/config.h"
#include "config/placeholders.h"
#include "daemon/platform/platform_client.h"

#include <string>
#include <utility>
#include <vector>

namespace bsched::platform {

// The job's dynamic and component properties with every value expanded in `ctx`, then
// `extra_properties` (values taken verbatim; a name already present is overridden), then the
// run-id property (job.run_id_property = ctx.run_id; skipped when the name is empty).
ExecutionRequest make_execution_request(
    const config::Job& job, const config::PlaceholderContext& ctx,
    const std::vector<std::pair<std::string, std::string>>& extra_properties = {});

// The properties of a request as one JSON object, for the run store:
// {"dynamic":{"NAME":"value",…},"process":{"<componentId>":{"key":"value",…},…}}.
std::string properties_json(const ExecutionRequest& req);

// A random UUID version 4 ("3f0c…-…"), lower-case, 36 characters.
std::string make_run_id();

}  // namespace bsched::platform
