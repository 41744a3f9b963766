#include "daemon/runtime/web_listener.h"

#include "config/listen_address.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace bsched::runtime {

web::Health health_of(const core::EngineStats& stats) {
  web::Health h{true, "ok", stats.store_healthy, stats.auth_circuit_open};
  if (!stats.store_healthy) {
    h.ok = false;
    h.reason = "store not writable: " + stats.store;
  } else if (stats.auth_circuit_open) {
    h.ok = false;
    h.reason = "auth circuit open: " + stats.platform;
  }
  return h;
}

namespace {

web::Sources sources_of(WebWiring& w, web::StatusReader& reader) {
  web::Sources s;
  s.metrics = std::move(w.metrics);
  auto stats = std::move(w.stats);
  s.health = [stats] { return health_of(stats()); };
  s.status = &reader;
  s.config = std::move(w.config);
  return s;
}

}  // namespace

WebListener::WebListener(boost::asio::io_context& io, const config::Config& config,
                         WebWiring wiring, web::ServerOptions options)
    : m_reader(wiring.config_path, config.storage.path),
      m_router(sources_of(wiring, m_reader), config.http.token),
      m_server(io, m_router, options) {}

WebListener::~WebListener() { stop(); }

Result<void> WebListener::start(const config::Http& http) {
  if (http.listen.empty()) {
    spdlog::info("http.disabled reason=\"http.listen is empty\"");
    return {};
  }
  auto address = config::parse_listen_address(http.listen);
  if (!address) return make_error(address.error().message);  // the loader checked it
  auto bound = m_server.listen(*address);
  if (!bound) return bound.error();
  m_address = address->ipv6 ? fmt::format("[{}]:{}", bound->address().to_string(), bound->port())
                            : fmt::format("{}:{}", bound->address().to_string(), bound->port());
  m_server.start();
  spdlog::info("http.listening address={} auth={}", m_address,
               http.token.empty() ? "none" : "bearer");
  return {};
}

void WebListener::stop() { m_server.stop(); }

}  // namespace bsched::runtime
