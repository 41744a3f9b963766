// LeaseKeeper (see lease_keeper.h).
#include "daemon/ha/lease_keeper.h"

#include "config/escape.h"
#include "storage/pg/pg_connection.h"
#include "storage/pg/pg_lease.h"
#include "storage/pg/pg_migrations.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>

namespace bsched::ha {

namespace asio = boost::asio;
namespace pg = storage::pg;
using asio::awaitable;

Result<std::unique_ptr<LeaseKeeper>> LeaseKeeper::make(asio::any_io_executor ex,
                                                       const Clock& clock,
                                                       LeaseKeeperSettings settings) {
  BSCHED_TRY_ASSIGN(timings, resolve_timings(settings.timings));
  settings.timings = timings;
  if (settings.node.empty()) return make_error("the node name is empty: set ha.node");
  BSCHED_TRY_ASSIGN(target, pg::conninfo_target(settings.conninfo));
  std::unique_ptr<LeaseKeeper> k(new LeaseKeeper(std::move(ex), clock, std::move(settings)));
  k->m_target = std::move(target);
  return k;
}

LeaseKeeper::LeaseKeeper(asio::any_io_executor ex, const Clock& clock, LeaseKeeperSettings s)
    : m_ex(ex), m_clock(clock), m_settings(std::move(s)), m_sleep(ex) {}

LeaseKeeper::~LeaseKeeper() = default;

bool LeaseKeeper::may_send() const {
  return m_running && !m_stopping &&
         ha::may_send(state(), m_settings.timings, m_clock.steady_now());
}

bool LeaseKeeper::may_send(std::int64_t epoch) const {
  auto s = state();
  return m_running && !m_stopping && s.epoch == epoch &&
         ha::may_send(s, m_settings.timings, m_clock.steady_now());
}

void LeaseKeeper::stop(StopMode mode) {
  m_stopping = true;
  asio::dispatch(m_ex, [this, mode] {
    m_stop = mode;
    m_sleep.cancel();
    if (m_conn) m_conn->wake();
  });
}

void LeaseKeeper::db_failed(const char* what, const std::string& error) {
  spdlog::warn("lease.db_failed node={} what={} target=\"{}\" error=\"{}\"", esc(m_settings.node),
               what, esc(m_target), esc(error));
}

void LeaseKeeper::note(const Transition& t) {
  auto node = escape_text(m_settings.node);
  switch (t.change) {
    case LeaseChange::none:
      return;
    case LeaseChange::acquired:
      spdlog::info("leader.acquired node={} epoch={} lease_ms={}", node, t.epoch,
                   m_settings.timings.lease.count());
      break;
    case LeaseChange::reacquired:
      spdlog::warn("leader.lost node={} epoch={} reason=expired holder={}", node, t.old_epoch,
                   node);
      spdlog::info("leader.acquired node={} epoch={} lease_ms={}", node, t.epoch,
                   m_settings.timings.lease.count());
      break;
    case LeaseChange::lost:
      spdlog::warn("leader.lost node={} epoch={} reason={} holder=\"{}\"", node, t.epoch,
                   lost_reason_name(t.reason), esc(m_state.holder));
      break;
    case LeaseChange::resigned:
      spdlog::info("leader.resigned node={} epoch={}", node, t.epoch);
      break;
  }
  if (m_on_change) m_on_change(t);
}

Transition LeaseKeeper::overdue() {
  return change([&](LeaseState& st) {
    return check_overdue(st, m_settings.timings, m_clock.steady_now());
  });
}

// A leader reconnecting gives up by the time its sending window closes (at least one
// statement deadline), so `leader.lost reason=overdue` is logged on time.
Millis LeaseKeeper::connect_bound() const {
  const auto& t = m_settings.timings;
  if (m_state.role != Role::leader) return m_settings.connect_deadline;
  auto left = std::chrono::duration_cast<Millis>(m_state.renewed_sent + (t.lease - t.margin) -
                                                 m_clock.steady_now());
  return std::clamp(left, t.statement_deadline,
                    std::max(t.statement_deadline, m_settings.connect_deadline));
}

// Connects, migrates and listens; false (logged) when any step fails.
awaitable<bool> LeaseKeeper::open() {
  auto d = m_settings.timings.statement_deadline;
  auto c = co_await pg::PgConnection::connect(m_ex, m_settings.conninfo, connect_bound());
  if (!c) {
    db_failed("connect", c.error().message);
    co_return false;
  }
  auto migrated = co_await pg::run_migrations(**c, m_settings.connect_deadline);
  if (!migrated) {
    db_failed("migrate", migrated.error().message);
    co_return false;
  }
  // Statements end on the server as they do here (see bound_server_waits).
  auto bounded = co_await (*c)->bound_server_waits(d, 2 * d, d);
  if (!bounded) {
    db_failed("connect", bounded.error().message);
    co_return false;
  }
  auto listening = co_await (*c)->listen(pg::k_leader_channel, d);
  if (!listening) {
    db_failed("listen", listening.error().message);
    co_return false;
  }
  m_conn = std::move(*c);
  co_return true;
}

awaitable<std::optional<ClaimAnswer>> LeaseKeeper::claim() {
  const auto& s = m_settings;
  auto r = co_await pg::claim_lease(*m_conn, s.lease_name, s.node, s.timings.lease,
                                    s.timings.statement_deadline);
  if (!r) {
    db_failed("claim", r.error().message);
    co_return std::nullopt;
  }
  co_return ClaimAnswer{r->held, r->epoch, r->holder, r->remaining};
}

awaitable<void> LeaseKeeper::record(const char* role) {
  if (!m_conn || !m_conn->connected()) co_return;
  pg::NodeRow row{m_settings.node, m_settings.version, role, m_state.epoch};
  auto r = co_await pg::record_node(*m_conn, row, m_settings.timings.statement_deadline);
  if (!r) db_failed("record_node", r.error().message);
}

awaitable<void> LeaseKeeper::sleep_until(SteadyTime when) {
  if (m_stop) co_return;
  m_sleep.expires_after(when - m_clock.steady_now());
  (void)co_await m_sleep.async_wait(asio::as_tuple(asio::use_awaitable));
}

// Waits until `when`, a stop, or (for a standby) a resignation announced on the channel.
awaitable<void> LeaseKeeper::idle_until(SteadyTime when) {
  while (!m_stop) {
    auto now = m_clock.steady_now();
    if (now >= when) co_return;
    if (!m_conn || !m_conn->connected()) co_return co_await sleep_until(when);
    auto wait = std::chrono::duration_cast<Millis>(when - now) + Millis(1);
    auto n = co_await m_conn->next_notification(pg::k_leader_channel, wait);
    if (!n) {
      db_failed("listen", n.error().message);
      co_return;
    }
    if (!*n) continue;  // the wait passed, or stop()
    if ((*n)->payload == m_settings.lease_name && m_state.role == Role::standby) co_return;
  }
}

awaitable<void> LeaseKeeper::shut_down() {
  bool connected = m_conn && m_conn->connected();
  if (*m_stop == StopMode::resign && m_state.role == Role::leader && connected) {
    const auto& s = m_settings;
    auto r = co_await pg::resign_lease(*m_conn, s.lease_name, s.node, m_state.epoch,
                                       s.timings.statement_deadline);
    if (!r) db_failed("resign", r.error().message);
    if (r && *r)
      note(change([](LeaseState& st) { return on_resigned(st); }));
    else
      change([](LeaseState& st) {
        st.role = Role::standby;  // not held any more, or left to run out
        return Transition{};
      });
  }
  if (*m_stop == StopMode::resign) co_await record("stopped");
  m_conn.reset();
}

awaitable<void> LeaseKeeper::run() {
  m_running = true;
  spdlog::info("lease.started node={} target=\"{}\" lease_ms={} renew_ms={} margin_ms={}",
               esc(m_settings.node), esc(m_target), m_settings.timings.lease.count(),
               m_settings.timings.renew_every.count(), m_settings.timings.margin.count());
  while (!m_stop) {
    std::optional<ClaimAnswer> answer;
    if ((m_conn && m_conn->connected()) || co_await open()) {
      auto sent = m_clock.steady_now();
      answer = co_await claim();
      if (answer) note(change([&](LeaseState& st) { return on_claim(st, *answer, sent); }));
    }
    note(overdue());
    if (answer) co_await record(role_name(m_state.role));
    co_await idle_until(next_claim_at(m_state, m_settings.timings, m_clock.steady_now(), answer));
    note(overdue());
  }
  co_await shut_down();
  m_running = false;
}

}  // namespace bsched::ha
