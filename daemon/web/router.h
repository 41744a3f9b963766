// One request in, one response out: method and token checks, the routes, the path's
// decoding. No sockets here (daemon/web/http_server.h owns those), so every answer is
// testable without a network.
#pragma once

#include "config/secret.h"
#include "base/time_util.h"

#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace bsched::web {

class StatusReader;

// The daemon's health as /healthz reports it.
struct Health {
  bool ok = true;
  std::string reason;  // one line: "ok", or what is wrong ("store not writable: …")
  bool store_healthy = true;
  bool auth_circuit_open = false;
};

struct Request {
  std::string method;  // as sent ("GET", "HEAD", "POST", …)
  std::string target;  // origin-form: path and query
  std::string authorization;  // the Authorization header, empty when absent
};

struct Response {
  unsigned status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
};

// Where the answers come from; each is called on the loop's thread.
struct Sources {
  // The Prometheus text exposition (format 0.0.4) of the daemon's metrics.
  std::function<std::string()> metrics;
  std::function<Health()> health;
  StatusReader* status = nullptr;  // the page and the JSON API; null: they answer 503
  std::function<SysMillis()> now;  // null: the system clock
};

inline constexpr const char* k_metrics_content_type = "text/plain; version=0.0.4; charset=utf-8";
inline constexpr int k_max_history_limit = 1000;  // ?limit= above this is cut to it
inline constexpr std::size_t k_max_target = 2048;  // longer targets answer 414

class Router {
 public:
  // `token` empty: no authentication (a loopback listener without http.token_file).
  Router(Sources sources, config::Secret token);

  Response handle(const Request& request);

 private:
  Response route(const std::string& path, const std::string& query);
  Response api_history(const std::string& job, const std::string& query);
  Response job_page(const std::string& job, const std::string& query);
  SysMillis now() const;

  Sources m_sources;
  config::Secret m_token;
};

// The JSON error body {"error": message} with `status`.
Response json_error(unsigned status, const std::string& message);

}  // namespace bsched::web
