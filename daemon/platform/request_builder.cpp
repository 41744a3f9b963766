// make_execution_request, properties_json, make_run_id.
#include "daemon/platform/request_builder.h"

#include <boost/json.hpp>

#include <fmt/core.h>

#include <algorithm>
#include <array>
#include <random>

namespace bsched::platform {

namespace json = boost::json;

namespace {

// Sets `name` to `value`, replacing an earlier entry of the same name (platform order kept).
void set_property(std::vector<std::pair<std::string, std::string>>& list, const std::string& name,
                  std::string value) {
  auto it = std::find_if(list.begin(), list.end(), [&](const auto& p) { return p.first == name; });
  if (it != list.end())
    it->second = std::move(value);
  else
    list.emplace_back(name, std::move(value));
}

}  // namespace

ExecutionRequest make_execution_request(
    const config::Job& job, const config::PlaceholderContext& ctx,
    const std::vector<std::pair<std::string, std::string>>& extra_properties) {
  ExecutionRequest req;
  req.process_id = job.process_id;
  req.atom_id = job.settings->atom_id;
  for (const auto& [name, value] : job.settings->dynamic_properties)
    set_property(req.dynamic_properties, name, config::expand_placeholders(value, ctx));
  for (const auto& [name, value] : extra_properties)
    set_property(req.dynamic_properties, name, value);
  if (!job.settings->run_id_property.empty())
    set_property(req.dynamic_properties, job.settings->run_id_property, ctx.run_id);
  for (const auto& p : job.settings->process_properties) {
    ComponentProperty cp;
    cp.component_id = p.component_id;
    for (const auto& [key, value] : p.values)
      cp.values.emplace_back(key, config::expand_placeholders(value, ctx));
    req.process_properties.push_back(std::move(cp));
  }
  return req;
}

std::string properties_json(const ExecutionRequest& req) {
  json::object dynamic;
  for (const auto& [name, value] : req.dynamic_properties) dynamic[name] = value;
  json::object process;
  for (const auto& p : req.process_properties) {
    json::object values;
    for (const auto& [key, value] : p.values) values[key] = value;
    process[p.component_id] = std::move(values);
  }
  return json::serialize(json::object{{"dynamic", std::move(dynamic)},
                                      {"process", std::move(process)}});
}

std::string make_run_id() {
  static thread_local std::mt19937_64 rng = [] {
    std::random_device rd;
    std::seed_seq seq{rd(), rd(), rd(), rd(), rd(), rd(), rd(), rd()};
    return std::mt19937_64(seq);
  }();
  std::array<unsigned char, 16> b{};
  for (std::size_t i = 0; i < b.size(); i += 8) {
    auto v = rng();
    for (std::size_t j = 0; j < 8; ++j) b[i + j] = static_cast<unsigned char>(v >> (8 * j));
  }
  b[6] = static_cast<unsigned char>((b[6] & 0x0F) | 0x40);  // version 4
  b[8] = static_cast<unsigned char>((b[8] & 0x3F) | 0x80);  // RFC 4122 variant
  constexpr std::string_view k_hex = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (std::size_t i = 0; i < b.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += k_hex[b[i] >> 4];
    out += k_hex[b[i] & 0x0F];
  }
  return out;
}

}  // namespace bsched::platform
