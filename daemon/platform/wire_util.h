// Small pieces of the wire format shared by the execution calls (wire*.cpp, boomi_rest.cpp)
// and the process-schedule calls (schedule_wire.cpp, boomi_schedules.cpp).
#pragma once

#include <boost/json/value.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace bsched::platform {

// A platform answer's JSON, nested at most 64 deep; nullopt when it is not JSON.
std::optional<boost::json::value> parse_json(std::string_view body);

// Percent-encodes everything but RFC 3986 unreserved characters (one path segment).
std::string path_segment(std::string_view s);

}  // namespace bsched::platform
