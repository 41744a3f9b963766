// The daemon's HTTP listener (daemon/web/) wired to the engine and the state database:
// /healthz from the engine's stats, the status page and JSON API from a read-only
// connection to the database, /metrics from the function given.
#pragma once

#include "config/config.h"
#include "daemon/core/engine.h"
#include "daemon/web/http_server.h"
#include "daemon/web/router.h"
#include "daemon/web/status_reader.h"

#include <boost/asio/io_context.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace bsched::runtime {

// /healthz's answer from the engine's stats: 503 while the store cannot be written or the
// auth circuit is open.
web::Health health_of(const core::EngineStats& stats);

struct WebWiring {
  std::string config_path;  // as `status` names it
  std::function<std::shared_ptr<const config::Config>()> config;  // running now (the loop's)
  std::function<core::EngineStats()> stats;          // the engine's
  std::function<std::string()> metrics;              // the /metrics body
};

class WebListener {
 public:
  WebListener(boost::asio::io_context& io, const config::Config& config, WebWiring wiring,
              web::ServerOptions options = {});
  ~WebListener();

  // Binds http.listen and starts serving; off when it is "". An error says which address
  // and why (e.g. in use).
  Result<void> start(const config::Http& http);
  void stop();
  // The bound address ("127.0.0.1:9089"), empty when not listening.
  const std::string& address() const { return m_address; }

 private:
  web::StatusReader m_reader;
  web::Router m_router;
  web::HttpServer m_server;
  std::string m_address;
};

}  // namespace bsched::runtime
