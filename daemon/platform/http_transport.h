// The HTTP edge of the platform client: one request in, one response (or a classified
// transport failure) out. BeastTransport (beast_transport.h) is the real implementation;
// tests script a fake. Implementations run on the daemon's single-threaded io_context and
// never throw out of send().
#pragma once

#include "base/result.h"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/address.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bsched::platform {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method = "GET";  // GET or POST
  std::string url;             // absolute: http(s)://host[:port]/path[?query]
  Headers headers;             // sent as given (Host, Content-Length and User-Agent are added)
  std::string body;
  // True when sending the request twice does no harm (polls, queries). A request that is not
  // idempotent (a trigger) is never re-sent by the transport, not even on a stale keep-alive
  // connection.
  bool idempotent = false;
};

struct HttpResponse {
  int status = 0;
  Headers headers;
  std::string body;

  // The first header of that name (case-insensitive), or "" when absent.
  std::string_view header(std::string_view name) const;
};

struct TransportError {
  enum class Kind {
    bad_url,    // not an absolute http(s) URL
    insecure,   // plain http to a host that is not loopback
    resolve,    // host name did not resolve
    connect,    // refused / unreachable / connect timed out
    tls,        // TLS handshake or certificate verification failed
    timeout,    // a deadline passed while writing or reading
    io,         // reset, EOF or another socket error while writing or reading
    too_large,  // the response exceeded the body or header limit
    protocol,   // the answer was not valid HTTP
  };
  // How far the request got before the failure. Everything from `partly` on means the server
  // may have acted on it: a trigger in that state has an uncertain outcome.
  enum class Sent {
    no,      // nothing written: the server cannot have seen the request
    partly,  // some bytes written
    fully,   // the whole request written; the answer did not (completely) arrive
  };
  Kind kind = Kind::io;
  Sent sent = Sent::no;
  std::string message;  // "connect to api.boomi.com:443 timed out after 30s" — never credentials

  bool maybe_sent() const { return sent != Sent::no; }
};

class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  // One exchange. A non-2xx status is a response, not an error.
  virtual boost::asio::awaitable<Result<HttpResponse, TransportError>> send(HttpRequest request) = 0;
};

// A parsed absolute URL, and whether plain HTTP is allowed to it.
struct HttpUrl {
  bool tls = true;
  std::string host;  // without brackets for IPv6
  std::string port;  // "443" / "80" when absent
  std::string target;  // path and query, at least "/"
};

// Parses http(s) URLs by config::parse_url_parts (host names validated, no user
// information); errors say what is wrong.
Result<HttpUrl> parse_http_url(std::string_view url);
// Whether plain http may be tried before resolution: 127.0.0.0/8, ::1, or the name localhost
// (and *.localhost), which must then pass plain_http_refusal for every resolved address.
bool is_loopback_host(std::string_view host);
// After resolution: the message refusing plain http to `url` when `resolved` is not a
// loopback address; nullopt for https and for loopback addresses.
std::optional<std::string> plain_http_refusal(const HttpUrl& url,
                                              const boost::asio::ip::address& resolved);

}  // namespace bsched::platform
