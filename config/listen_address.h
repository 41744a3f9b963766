// The listener's address as written in `http.listen`: "127.0.0.1:9089", "[::1]:9089".
#pragma once

#include "base/result.h"

#include <string>
#include <string_view>

namespace bsched::config {

struct ListenAddress {
  std::string host;  // the IP literal, without brackets
  unsigned short port = 0;  // 0: an ephemeral port (tests)
  bool ipv6 = false;
  bool loopback = false;  // 127.0.0.0/8 or ::1: reachable only from this host
};

// Parses "IPv4:PORT" or "[IPv6]:PORT" (IP literals only: a host name could resolve to
// anything). The error says what is wrong, without the input's position.
Result<ListenAddress> parse_listen_address(std::string_view text);

}  // namespace bsched::config
