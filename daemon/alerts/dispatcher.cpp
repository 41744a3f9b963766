// The alert dispatcher: see dispatcher.h.
#include "daemon/alerts/dispatcher.h"

#include "daemon/alerts/alert_message.h"

#include "config/escape.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <tuple>

namespace bsched::alerts {

using storage::AlertDelivery;
using storage::AlertOutcome;

Dispatcher::Dispatcher(storage::RunStore& store, const Clock& clock,
                       TimerFactory& timers, AlertSender& sender,
                       std::vector<config::AlertSink> sinks, DispatcherOptions options)
    : m_store(store),
      m_clock(clock),
      m_timer(timers.make_timer()),
      m_sender(sender),
      m_sinks(std::move(sinks)),
      m_options(std::move(options)) {}

void Dispatcher::wake() {
  m_woken = true;
  m_timer->cancel();
}

void Dispatcher::stop() {
  m_stopped = true;
  m_timer->cancel();
}

void Dispatcher::reload(std::vector<config::AlertSink> sinks) {
  m_sinks = std::move(sinks);
  wake();
}

Millis Dispatcher::backoff(int attempts) const {
  auto delay = m_options.first_retry;
  for (int i = 1; i < attempts && delay < m_options.max_retry; ++i) delay *= 2;
  delay = std::min(delay, m_options.max_retry);
  double r = m_options.random ? m_options.random() : 0.5;
  return Millis(static_cast<Millis::rep>(static_cast<double>(delay.count()) * (0.8 + 0.4 * r)));
}

boost::asio::awaitable<void> Dispatcher::run() {
  while (!m_stopped) {
    m_woken = false;
    co_await pass();
    if (m_stopped) break;
    if (m_woken) continue;  // written while the pass ran
    auto delay = m_options.idle_check;
    std::function<storage::StoreResult<std::optional<SysMillis>>(storage::RunStore&)> read_next =
        [](storage::RunStore& s) { return s.next_alert_at(); };
    const auto next = co_await call(std::move(read_next));  // named first (g++ 12)
    if (next && *next) {
      delay = std::clamp(std::chrono::duration_cast<Millis>(**next - m_clock.now()), Millis{0},
                         m_options.idle_check);
    }
    m_timer->expires_after(delay);
    co_await m_timer->wait();
  }
}

template <class T>
boost::asio::awaitable<storage::StoreResult<T>> Dispatcher::call(
    std::function<storage::StoreResult<T>(storage::RunStore&)> fn) {
  if (!m_options.store_lane) co_return fn(m_store);
  co_return co_await storage::call_on_lane(m_options.store_lane, m_store, std::move(fn));
}

boost::asio::awaitable<void> Dispatcher::settle(const std::vector<AlertDelivery>& items,
                                                AlertOutcome o) {
  std::vector<std::int64_t> ids;
  for (const auto& a : items) ids.push_back(a.id);
  std::function<storage::StoreResult<void>(storage::RunStore&)> write =
      [ids, o](storage::RunStore& s) { return s.settle_alerts(ids, o); };
  const auto r = co_await call(std::move(write));
  if (!r) {
    // Left as it was: sent again later (at least once).
    spdlog::error("store.error op=settle_alerts message=\"{}\"", esc(r.error().message));
  }
}

boost::asio::awaitable<int> Dispatcher::pass() {
  std::function<storage::StoreResult<std::vector<AlertDelivery>>(storage::RunStore&)> read_due =
      [now = m_clock.now(), batch = m_options.batch](storage::RunStore& s) {
        return s.due_alerts(now, batch);
      };
  auto due = co_await call(std::move(read_due));
  if (!due) {
    spdlog::error("store.error op=due_alerts message=\"{}\"", esc(due.error().message));
    co_return 0;
  }
  // Groups in the order of their oldest due delivery.
  std::vector<std::vector<AlertDelivery>> groups;
  std::map<std::tuple<std::string, std::string, int>, std::size_t> index;
  for (auto& a : *due) {
    auto key = std::make_tuple(a.sink, a.job, static_cast<int>(a.kind));
    auto [it, fresh] = index.emplace(key, groups.size());
    if (fresh) groups.emplace_back();
    groups[it->second].push_back(std::move(a));
  }
  int sent = 0;
  for (auto& g : groups) {
    if (m_stopped) break;
    sent += co_await send_group(std::move(g));
  }
  co_return sent;
}

boost::asio::awaitable<int> Dispatcher::send_group(std::vector<AlertDelivery> items) {
  auto now = m_clock.now();
  const auto& first = items.front();
  const auto& sinks = m_sinks;
  auto sink = std::find_if(sinks.begin(), sinks.end(), [&](auto& s) { return s.name == first.sink; });
  if (sink == sinks.end()) {
    spdlog::warn("alert.failed sink=\"{}\" job=\"{}\" kind={} events={} error=\"the sink is no "
                 "longer configured\"",
                 esc(first.sink), esc(first.job), storage::to_string(first.kind), items.size());
    const AlertOutcome o{AlertOutcome::Kind::given_up, now, now,
                         "the sink is no longer configured"};
    co_await settle(items, o);
    co_return 0;
  }
  std::function<storage::StoreResult<std::optional<SysMillis>>(storage::RunStore&)> read_last =
      [sink = first.sink, job = first.job, kind = first.kind](storage::RunStore& s) {
        return s.last_alert_sent(sink, job, kind);
      };
  auto last_sent = co_await call(std::move(read_last));
  auto window_end = last_sent && *last_sent ? **last_sent + m_options.group_window : SysMillis{};
  bool any_folded = std::any_of(items.begin(), items.end(), [](auto& a) { return a.folded; });
  if (now < window_end) {  // a message of this group went out recently: hold these for later
    const AlertOutcome o{AlertOutcome::Kind::folded, now, window_end, ""};
    co_await settle(items, o);
    co_return 0;
  }
  if (!any_folded && items.size() > 1) {  // the first goes now, the rest after a window
    std::vector<AlertDelivery> rest(items.begin() + 1, items.end());
    const AlertOutcome o{AlertOutcome::Kind::folded, now, now + m_options.group_window, ""};
    co_await settle(rest, o);
    items.resize(1);
  }
  bool summary = any_folded;
  auto outcome = co_await m_sender.send(*sink, alert_json(items, summary, m_options.link_base));
  now = m_clock.now();
  const auto& head = items.front();
  if (outcome.delivered) {
    const AlertOutcome o{AlertOutcome::Kind::delivered, now, now, ""};
    co_await settle(items, o);
    spdlog::info("alert.delivered sink=\"{}\" job=\"{}\" kind={} events={} summary={}",
                 esc(head.sink), esc(head.job), storage::to_string(head.kind), items.size(),
                 summary);
    co_return 1;
  }
  auto oldest = std::min_element(items.begin(), items.end(), [](auto& a, auto& b) {
    return a.created_at < b.created_at;
  });
  if (now - oldest->created_at > m_options.give_up_after) {
    const AlertOutcome o{AlertOutcome::Kind::given_up, now, now, outcome.error};
    co_await settle(items, o);
    spdlog::error("alert.failed sink=\"{}\" job=\"{}\" kind={} events={} attempts={} "
                  "error=\"{}\"",
                  esc(head.sink), esc(head.job), storage::to_string(head.kind), items.size(),
                  head.attempts + 1, esc(outcome.error));
    co_return 0;
  }
  auto next = now + backoff(head.attempts + 1);
  const AlertOutcome o{AlertOutcome::Kind::retry, now, next, outcome.error};
  co_await settle(items, o);
  spdlog::warn("alert.retry sink=\"{}\" job=\"{}\" kind={} events={} attempt={} at={} "
               "error=\"{}\"",
               esc(head.sink), esc(head.job), storage::to_string(head.kind), items.size(),
               head.attempts + 1, format_utc_ms(next), esc(outcome.error));
  co_return 0;
}

}  // namespace bsched::alerts
