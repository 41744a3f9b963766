// One request in, one response out: method and token checks, the routes, the path's
// decoding. No sockets here (daemon/web/http_server.h owns those), so every answer is
// testable without a network.
#pragma once

#include "config/secret.h"
#include "base/time_util.h"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace bsched::config {
struct Config;
}

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

// Where the answers come from. Every function is called on the loop's thread; the status
// reader only from the reads Router::decide hands out (the listener's reader thread).
struct Sources {
  // The Prometheus text exposition (format 0.0.4) of the daemon's metrics.
  std::function<std::string()> metrics;
  std::function<Health()> health;
  StatusReader* status = nullptr;  // the page and the JSON API; null: they answer 503
  // The configuration running now (it changes on reloads); null or empty: none.
  std::function<std::shared_ptr<const config::Config>()> config;
  std::function<SysMillis()> now;  // null: the system clock
};

// What Router::decide makes of a request: the answer at once (checks, /healthz, /metrics:
// what the engine knows), or a read of the state database to run where a wait on the
// database holds nothing else up. The read owns everything it uses (a snapshot of the
// configuration, the health, the time), so it may run on another thread; the only thing it
// shares is the StatusReader, whose calls must come from one thread at a time.
struct Decision {
  std::optional<Response> answer;
  std::function<Response()> read;  // set when `answer` is not
};

inline constexpr const char* k_metrics_content_type = "text/plain; version=0.0.4; charset=utf-8";
inline constexpr int k_max_history_limit = 1000;  // ?limit= above this is cut to it
inline constexpr std::size_t k_max_target = 2048;  // longer targets answer 414

class Router {
 public:
  // `token` empty: no authentication (a loopback listener without http.token_file).
  Router(Sources sources, config::Secret token);

  // On the loop: the checks and the answers from the engine, or the read to run elsewhere.
  Decision decide(const Request& request);
  // decide() with its read run here (tests, and callers with nothing else to do).
  Response handle(const Request& request);

 private:
  Decision route(const std::string& path, const std::string& query);
  SysMillis now() const;

  Sources m_sources;
  config::Secret m_token;
};

// The JSON error body {"error": message} with `status`.
Response json_error(unsigned status, const std::string& message);

}  // namespace bsched::web
