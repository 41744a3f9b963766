// URL parsing and the loopback rule of the HTTP transport, plus HttpResponse::header.
#include "daemon/platform/http_transport.h"

#include <boost/asio/ip/address.hpp>
#include <boost/url/parse.hpp>

#include <fmt/core.h>

#include <algorithm>
#include <cctype>

namespace bsched::platform {

namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool ends_with_ci(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && iequals(s.substr(s.size() - suffix.size()), suffix);
}

}  // namespace

std::string_view HttpResponse::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (iequals(k, name)) return v;
  return {};
}

bool is_loopback_host(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  if (iequals(host, "localhost") || ends_with_ci(host, ".localhost")) return true;
  boost::system::error_code ec;
  auto addr = boost::asio::ip::make_address(std::string(host), ec);
  return !ec && addr.is_loopback();
}

Result<HttpUrl> parse_http_url(std::string_view url) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) return make_error(fmt::format("'{}' is not an absolute URL", url));
  HttpUrl out;
  auto scheme = parsed->scheme();
  if (iequals(scheme, "https")) {
    out.tls = true;
  } else if (iequals(scheme, "http")) {
    out.tls = false;
  } else {
    return make_error(fmt::format("'{}': only http and https URLs are supported", url));
  }
  if (!parsed->has_authority() || parsed->encoded_host().empty())
    return make_error(fmt::format("'{}' has no host", url));
  if (parsed->has_userinfo())
    return make_error("URLs with user information are not supported (credentials come from "
                      "the configuration)");
  // host_address() keeps IPv6 brackets off; encoded_host keeps them.
  out.host = parsed->host_address();
  if (!out.host.empty() && out.host.front() == '[') out.host = out.host.substr(1, out.host.size() - 2);
  out.port = parsed->has_port() ? std::string(parsed->port()) : (out.tls ? "443" : "80");
  std::string target(parsed->encoded_path());
  if (target.empty()) target = "/";
  if (parsed->has_query()) target += "?" + std::string(parsed->encoded_query());
  out.target = std::move(target);
  return out;
}

}  // namespace bsched::platform
