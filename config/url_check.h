// The rules a platform URL (base_url, graphql_url, jwt_url) must meet, shared by `validate`
// (config/loader_platform.cpp) and the HTTP transport (daemon/platform/http_url.cpp), so that
// `validate` refuses every URL the daemon would refuse.
//
// The authority is taken apart here, not by Boost.URL: Boost.URL 1.81 reads
// "https://10.0.0.1.example.com" as the address 10.0.0.1 followed by the path ".example.com".
#pragma once

#include "base/result.h"

#include <string>
#include <string_view>

namespace bsched::config {

struct UrlParts {
  bool tls = true;
  std::string host;    // a DNS name, a dotted-quad IPv4 address, or IPv6 without brackets
  std::string port;    // "443" / "80" when absent
  std::string target;  // path and query, at least "/"
};

// An http(s) URL with a valid host, no user information and a port from 1 to 65535. Errors
// say what is wrong (never quoting user information, which may hold a password).
Result<UrlParts> parse_url_parts(std::string_view url);

// parse_url_parts, and plain http only to a host plain_http_candidate() accepts: the rules
// of `validate`. (The transport checks the plain http rule itself, as its own error kind.)
Result<UrlParts> parse_platform_url(std::string_view url);

// Exactly four decimal numbers 0..255 separated by dots ("10.0.0.1", not "10.1" or "0x7f.1").
bool is_ipv4_literal(std::string_view host);

// A DNS name: dot-separated labels of A-Z a-z 0-9 and '-', 1 to 63 characters, no label
// starting or ending with '-', 253 characters at most, and a last label that is not a number
// (the resolver would read "10.1" or "1.2.0x3" as an address).
bool is_dns_name(std::string_view host);

// Whether plain http may be tried: a loopback address literal (127.0.0.0/8, ::1), or the
// name localhost or *.localhost, whose resolved addresses the transport must still find to
// be loopback before it connects (the name alone proves nothing).
bool plain_http_candidate(std::string_view host);

}  // namespace bsched::config
