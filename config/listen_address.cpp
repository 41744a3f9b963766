#include "config/listen_address.h"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <charconv>
#include <cstring>

namespace bsched::config {

namespace {

Result<unsigned short> parse_port(std::string_view text) {
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || value > 65535)
    return make_error(fmt::format("'{}' is not a port (0-65535)", text));
  return static_cast<unsigned short>(value);
}

}  // namespace

Result<ListenAddress> parse_listen_address(std::string_view text) {
  ListenAddress a;
  std::string_view port;
  if (text.starts_with('[')) {
    auto close = text.find("]:");
    if (close == std::string_view::npos)
      return make_error("an IPv6 address is written [ADDRESS]:PORT, e.g. [::1]:9089");
    a.host = std::string(text.substr(1, close - 1));
    port = text.substr(close + 2);
    a.ipv6 = true;
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos || text.find(':') != colon)
      return make_error("expected HOST:PORT, e.g. 127.0.0.1:9089 ([ADDRESS]:PORT for IPv6)");
    a.host = std::string(text.substr(0, colon));
    port = text.substr(colon + 1);
  }
  BSCHED_TRY_ASSIGN(p, parse_port(port));
  a.port = p;
  unsigned char bytes[16];
  if (::inet_pton(a.ipv6 ? AF_INET6 : AF_INET, a.host.c_str(), bytes) != 1) {
    return make_error(fmt::format("'{}' is not an IP{} address (host names are not accepted)",
                                  a.host, a.ipv6 ? "v6" : "v4"));
  }
  static const unsigned char k_v6_loopback[16] = {0, 0, 0, 0, 0, 0, 0, 0,
                                                  0, 0, 0, 0, 0, 0, 0, 1};
  a.loopback = a.ipv6 ? std::memcmp(bytes, k_v6_loopback, 16) == 0 : bytes[0] == 127;
  return a;
}

}  // namespace bsched::config
