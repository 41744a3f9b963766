// A minimal reader of GraphQL documents, enough for the two Platform calls the simulator
// answers: one operation (query or mutation, optional name and variable definitions) with
// one top-level field, its arguments (literals or $variables, resolved to JSON) and a flat
// selection set. Fragments, directives and nested selections are refused.
#pragma once

#include "base/result.h"

#include <boost/json.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace bsched::sim {

struct GqlField {
  std::string name;
  boost::json::object arguments;   // argument name -> value, variables resolved
  std::vector<std::string> selection;  // sub-field names; empty when there is none
};

struct GqlOperation {
  std::string type;  // "query" or "mutation"
  GqlField field;
};

// Reads `document`; `variables` resolves $names. Errors say what and at which offset.
Result<GqlOperation> parse_graphql(std::string_view document,
                                   const boost::json::object& variables);

}  // namespace bsched::sim
