#include "config/url_check.h"

#include <boost/asio/ip/address.hpp>
#include <boost/url/parse.hpp>

#include <fmt/core.h>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace bsched::config {

namespace {

constexpr std::size_t k_max_name = 253;
constexpr std::size_t k_max_label = 63;

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// What inet_aton would take for a number: decimal, or 0x hex.
bool numeric_label(std::string_view s) {
  if (all_digits(s)) return true;
  if (s.size() < 2 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X')) return false;
  return std::all_of(s.begin() + 2, s.end(),
                     [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; });
}

bool valid_label(std::string_view l) {
  if (l.empty() || l.size() > k_max_label || l.front() == '-' || l.back() == '-') return false;
  return std::all_of(l.begin(), l.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-';
  });
}

bool is_ipv6_loopback_or_valid(std::string_view host, bool& loopback) {
  boost::system::error_code ec;
  auto addr = boost::asio::ip::make_address_v6(std::string(host), ec);
  loopback = !ec && addr.is_loopback();
  return !ec && addr.scope_id() == 0;
}

Result<std::string> check_host(std::string_view url, std::string_view host) {
  if (host.empty()) return make_error(fmt::format("'{}' has no host", url));
  if (host.front() == '[') {
    bool loopback = false;
    if (host.back() != ']' || !is_ipv6_loopback_or_valid(host.substr(1, host.size() - 2), loopback))
      return make_error(fmt::format("'{}': '{}' is not a valid IPv6 address", url, host));
    return std::string(host.substr(1, host.size() - 2));
  }
  if (is_ipv4_literal(host) || is_dns_name(host)) return std::string(host);
  return make_error(fmt::format("'{}': '{}' is neither a host name (labels of A-Z a-z 0-9 -, "
                                "not starting or ending with -, the last one not a number) nor "
                                "an IPv4 address",
                                url, host));
}

Result<std::string> check_port(std::string_view url, std::string_view port, bool tls) {
  if (port.empty()) return std::string(tls ? "443" : "80");
  unsigned n = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), n);
  if (ec != std::errc{} || end != port.data() + port.size() || n == 0 || n > 65535)
    return make_error(fmt::format("'{}': port '{}' is not a number from 1 to 65535", url, port));
  return std::to_string(n);
}

}  // namespace

bool is_ipv4_literal(std::string_view host) {
  int parts = 0;
  for (std::size_t start = 0;; ++parts) {
    auto dot = host.find('.', start);
    auto part = host.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (!all_digits(part) || part.size() > 3 || (part.size() > 1 && part[0] == '0')) return false;
    if (std::stoi(std::string(part)) > 255) return false;
    if (dot == std::string_view::npos) return parts + 1 == 4;
    start = dot + 1;
  }
}

bool is_dns_name(std::string_view host) {
  if (host.empty() || host.size() > k_max_name) return false;
  std::string_view last;
  for (std::size_t start = 0;;) {
    auto dot = host.find('.', start);
    last = host.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (!valid_label(last)) return false;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return !numeric_label(last);
}

bool plain_http_candidate(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  if (is_ipv4_literal(host)) return host.starts_with("127.");
  bool loopback = false;
  if (is_ipv6_loopback_or_valid(host, loopback)) return loopback;
  constexpr std::string_view k_suffix = ".localhost";
  return is_dns_name(host) &&
         (iequals(host, "localhost") ||
          (host.size() > k_suffix.size() && iequals(host.substr(host.size() - k_suffix.size()), k_suffix)));
}

Result<UrlParts> parse_platform_url(std::string_view url) {
  auto parts = parse_url_parts(url);
  if (parts && !parts->tls && !plain_http_candidate(parts->host))
    return make_error(fmt::format("'{}': plain http is allowed only to a loopback address "
                                  "(127.0.0.1, [::1], localhost); use https",
                                  url));
  return parts;
}

Result<UrlParts> parse_url_parts(std::string_view url) {
  UrlParts out;
  auto scheme_end = url.find("://");
  auto scheme = scheme_end == std::string_view::npos ? std::string_view{} : url.substr(0, scheme_end);
  if (iequals(scheme, "https")) out.tls = true;
  else if (iequals(scheme, "http")) out.tls = false;
  else return make_error(fmt::format("'{}' is not an http:// or https:// URL", url));
  // The authority as written: up to the first / ? or #.
  auto rest = url.substr(scheme_end + 3);
  auto authority = rest.substr(0, rest.find_first_of("/?#"));
  if (authority.find('@') != std::string_view::npos)
    return make_error(fmt::format("'{}': user information (user:password@) is not allowed in a "
                                  "URL; the credentials come from username and token_file / "
                                  "token_env",
                                  fmt::format("{}://...{}", scheme, rest.substr(authority.size()))));
  auto port_colon = authority.rfind(':');
  if (port_colon != std::string_view::npos && authority.find(']', port_colon) != std::string_view::npos)
    port_colon = std::string_view::npos;  // a colon inside [IPv6]
  auto host = authority.substr(0, port_colon);
  BSCHED_TRY_ASSIGN(host_text, check_host(url, host));
  BSCHED_TRY_ASSIGN(port, check_port(url, port_colon == std::string_view::npos
                                              ? std::string_view{}
                                              : authority.substr(port_colon + 1),
                                     out.tls));
  // Boost.URL checks the path and query (characters, percent-encoding), behind a stand-in
  // host it cannot misread.
  auto stand_in = fmt::format("{}://h{}", scheme, rest.substr(authority.size()));
  auto parsed = boost::urls::parse_uri(stand_in);
  if (!parsed || parsed->encoded_host() != "h")
    return make_error(fmt::format("'{}' is not a valid URL", url));
  out.host = std::move(host_text);
  out.port = std::move(port);
  std::string target(parsed->encoded_path());
  if (target.empty()) target = "/";
  if (parsed->has_query()) target += "?" + std::string(parsed->encoded_query());
  out.target = std::move(target);
  return out;
}

}  // namespace bsched::config
