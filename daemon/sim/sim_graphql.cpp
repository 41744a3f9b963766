// GraphQL (Spaces) and the JWT endpoint (pending: answered 501 until implemented).
#include "daemon/sim/sim_router.h"

namespace bsched::sim {

HttpResponse graphql(Exchange& ex) {
  return error_response(ex.request, http::status::not_implemented, "GraphQL is not simulated yet");
}

HttpResponse jwt_generate(Exchange& ex, const std::string&) {
  return error_response(ex.request, http::status::not_implemented,
                        "JWT generation is not simulated yet");
}

}  // namespace bsched::sim
