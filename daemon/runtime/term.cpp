// Term (see term.h).
#include "daemon/runtime/term.h"

#include "daemon/core/write_batch.h"

#include <boost/asio/co_spawn.hpp>
#include <spdlog/spdlog.h>

#include <exception>

namespace bsched::runtime {

namespace {

alerts::DispatcherOptions dispatcher_options(const config::Config& config,
                                             const TermParts& parts) {
  alerts::DispatcherOptions o;
  o.link_base = config.http.public_url;  // messages link to <public_url>/jobs/<job>
  while (o.link_base.ends_with('/')) o.link_base.pop_back();
  if (parts.commit_thread) {
    // A thread of the dispatcher's own, kept as long as the dispatcher (its coroutine may
    // outlive the term); the store takes calls from any thread.
    auto lane = std::make_shared<core::WriteBatch>(parts.io, parts.store, true);
    o.store_lane = [lane](std::function<storage::StoreResult<void>()> call) {
      return lane->call(std::move(call));
    };
  }
  return o;
}

}  // namespace

Term::Term(const TermParts& parts, std::shared_ptr<const config::Config> config,
           std::function<bool()> may_send)
    : m_dispatcher(std::make_shared<alerts::Dispatcher>(parts.store, parts.clock, parts.timers,
                                                        parts.alert_sender, config->alerts,
                                                        dispatcher_options(*config, parts))),
      m_io(parts.io) {
  // The engine wakes the dispatcher when it wrote an alert event.
  m_engine = std::make_unique<core::Engine>(
      parts.io, parts.store, parts.client, parts.clock, config,
      core::EngineOptions{.timers = &parts.timers,
                          .metrics = parts.metrics,
                          .on_alert = [d = m_dispatcher.get()] { d->wake(); },
                          .may_send = std::move(may_send),
                          .commit_thread = parts.commit_thread});
}

Term::~Term() = default;

boost::asio::awaitable<Result<void>> Term::start() {
  boost::asio::co_spawn(m_io, m_dispatcher->run(), [d = m_dispatcher](std::exception_ptr e) {
    if (e) spdlog::critical("daemon.internal_error where=alert_dispatcher");
  });
  co_return co_await m_engine->start();
}

void Term::reload(std::shared_ptr<const config::Config> config) {
  m_dispatcher->reload(config->alerts);
  m_engine->reload(std::move(config));
}

boost::asio::awaitable<void> Term::stop() {
  co_await m_engine->stop();
  m_dispatcher->stop();
}

}  // namespace bsched::runtime
