// The REST resources: ExecutionRequest and the async poll (queries in sim_query.cpp).
#include "daemon/sim/sim_json.h"
#include "daemon/sim/sim_router.h"

#include <fmt/format.h>

namespace bsched::sim {

namespace json = boost::json;

HttpResponse rest_submit(Exchange& ex) {
  SimState& state = ex.state;
  auto parsed = parse_execution_request(ex.request.body(), state.options().run_id_property);
  if (!parsed) return error_response(ex.request, http::status::bad_request, parsed.error().message);
  state.logged(ex.log_index).run_id = parsed->run_id;
  const SimRun& run = state.add_run(parsed->process_id, parsed->atom_id, ex.now);
  json::object echo = std::move(parsed->echo);
  echo["requestId"] = run.request_id;
  echo["recordUrl"] = fmt::format("{}/{}/ExecutionRecord/async/{}", ex.base_url,
                                  state.options().account_id, run.request_id);
  return make_response(ex.request, http::status::ok, json::serialize(echo));
}

HttpResponse rest_poll(Exchange& ex, const std::string& request_id) {
  SimState& state = ex.state;
  const SimRun* run = state.find_run(request_id);
  if (run == nullptr) {
    return error_response(ex.request, http::status::not_found,
                          fmt::format("No async operation result for '{}'", request_id));
  }
  ++state.stats().polls;
  // A spent or expired async result: 204 without a body (the record is left to the query API).
  const Millis expiry = state.options().faults.async_expiry;
  const bool expired = expiry > Millis{0} && !run->never_recorded && ex.now >= run->ends_at + expiry;
  if (run->result_retrieved || expired) {
    return make_response(ex.request, http::status::no_content, "");
  }
  if (!run_status_at(*run, ex.now)) return make_response(ex.request, http::status::accepted, "");
  json::object record =
      record_json(*run, ex.now, state.options().account_id, state.options().rest_longs);
  if (ex.now >= run->ends_at) state.mark_retrieved(request_id);
  if (!state.options().poll_envelope) {
    return make_response(ex.request, http::status::ok, json::serialize(record));
  }
  json::object envelope;
  envelope["@type"] = "AsyncOperationResult";
  envelope["responseStatusCode"] = 200;
  envelope["numberOfResults"] = 1;
  envelope["result"] = json::array{std::move(record)};
  return make_response(ex.request, http::status::ok, json::serialize(envelope));
}

}  // namespace bsched::sim
