// LeaderScheduler (see leader_scheduler.h).
#include "daemon/runtime/leader_scheduler.h"

#include "config/escape.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <spdlog/spdlog.h>

#include <exception>

namespace bsched::runtime {

namespace asio = boost::asio;

LeaderScheduler::LeaderScheduler(asio::io_context& io, ha::LeaseKeeper& keeper,
                                 std::shared_ptr<const config::Config> config, MakeTerm make_term,
                                 Millis retry_after)
    : m_io(io),
      m_keeper(keeper),
      m_config(std::move(config)),
      m_make_term(std::move(make_term)),
      m_retry_after(retry_after),
      m_wake(io),
      m_done(io) {}

LeaderScheduler::~LeaderScheduler() = default;

asio::awaitable<Result<void>> LeaderScheduler::start() {
  // The keeper runs on its own executor (a thread of its own in the daemon): what it reports
  // comes over to this loop.
  m_keeper.on_change([this](const ha::Transition&) { asio::dispatch(m_io, [this] { wake(); }); });
  asio::co_spawn(m_keeper.executor(), m_keeper.run(), [this](std::exception_ptr e) {
    if (e) spdlog::critical("daemon.internal_error where=lease_keeper");
    asio::dispatch(m_io, [this] {
      m_keeper_done = true;
      m_done.cancel();
    });
  });
  asio::co_spawn(m_io, follow(), [this](std::exception_ptr e) {
    if (e) spdlog::critical("daemon.internal_error where=leader_scheduler");
    m_follow_done = true;
    m_done.cancel();
  });
  co_return Result<void>{};
}

void LeaderScheduler::wake() {
  m_woken = true;
  m_wake.cancel();
}

// Brings the term in line with the lease, one change at a time, until stop().
asio::awaitable<void> LeaderScheduler::follow() {
  const auto node = escape_text(m_keeper.node());
  while (!m_stopping) {
    m_woken = false;
    auto deadline = asio::steady_timer::time_point::max();
    auto lease = m_keeper.state();
    std::int64_t want = lease.role == ha::Role::leader ? lease.epoch : 0;
    if (m_term && want != m_epoch) co_await end_term();
    if (want != 0 && !m_term && !m_stopping) {
      m_epoch = want;
      m_term = m_make_term(want, m_config);
      auto started = co_await m_term->start();
      if (started) {
        m_ready = true;
        spdlog::info("leader.serving node={} epoch={}", node, want);
        continue;  // the lease may have changed during the recovery
      }
      spdlog::error("leader.start_failed node={} epoch={} error=\"{}\" retry_ms={}", node, want,
                    esc(started.error().message), m_retry_after.count());
      co_await end_term();
      deadline = asio::steady_timer::clock_type::now() + m_retry_after;
    }
    if (m_woken || m_stopping) continue;
    m_wake.expires_at(deadline);
    (void)co_await m_wake.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  if (m_term) co_await end_term();
}

asio::awaitable<void> LeaderScheduler::end_term() {
  auto term = std::move(m_term);
  bool was_ready = m_ready;
  m_ready = false;
  co_await term->stop();
  if (was_ready)
    spdlog::info("leader.term_ended node={} epoch={}", escape_text(m_keeper.node()), m_epoch);
  m_epoch = 0;
}

void LeaderScheduler::reload(std::shared_ptr<const config::Config> config) {
  m_config = config;
  if (m_ready) m_term->reload(std::move(config));
}

void LeaderScheduler::on_clock_step() {
  if (m_ready) m_term->on_clock_step();
}

void LeaderScheduler::check_commands() {
  if (m_ready) m_term->check_commands();
}

asio::awaitable<void> LeaderScheduler::stop() {
  m_stopping = true;
  wake();
  while (!m_follow_done) {
    m_done.expires_at(asio::steady_timer::time_point::max());
    (void)co_await m_done.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  // No term runs any more: nothing is sent from here on, so the lease can go.
  m_keeper.stop(ha::StopMode::resign);
  while (!m_keeper_done) {
    m_done.expires_at(asio::steady_timer::time_point::max());
    (void)co_await m_done.async_wait(asio::as_tuple(asio::use_awaitable));
  }
}

core::EngineStats LeaderScheduler::stats() const {
  return m_ready ? m_term->stats() : core::EngineStats{};
}

}  // namespace bsched::runtime
