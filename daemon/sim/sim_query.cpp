// ExecutionRecord query and queryMore (pending: answered 501 until implemented).
#include "daemon/sim/sim_router.h"

namespace bsched::sim {

HttpResponse rest_query(Exchange& ex) {
  return error_response(ex.request, http::status::not_implemented,
                        "ExecutionRecord/query is not simulated yet");
}

HttpResponse rest_query_more(Exchange& ex) {
  return error_response(ex.request, http::status::not_implemented,
                        "ExecutionRecord/queryMore is not simulated yet");
}

}  // namespace bsched::sim
