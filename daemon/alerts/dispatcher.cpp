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
    if (auto next = m_store.next_alert_at(); next && *next) {
      delay = std::clamp(std::chrono::duration_cast<Millis>(**next - m_clock.now()), Millis{0},
                         m_options.idle_check);
    }
    m_timer->expires_after(delay);
    co_await m_timer->wait();
  }
}

void Dispatcher::settle(const std::vector<AlertDelivery>& items, const AlertOutcome& o) {
  std::vector<std::int64_t> ids;
  for (const auto& a : items) ids.push_back(a.id);
  if (auto r = m_store.settle_alerts(ids, o); !r) {
    // Left as it was: sent again later (at least once).
    spdlog::error("store.error op=settle_alerts message=\"{}\"", esc(r.error().message));
  }
}

boost::asio::awaitable<int> Dispatcher::pass() {
  auto due = m_store.due_alerts(m_clock.now(), m_options.batch);
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
    settle(items, {AlertOutcome::Kind::given_up, now, now, "the sink is no longer configured"});
    co_return 0;
  }
  auto last_sent = m_store.last_alert_sent(first.sink, first.job, first.kind);
  auto window_end = last_sent && *last_sent ? **last_sent + m_options.group_window : SysMillis{};
  bool any_folded = std::any_of(items.begin(), items.end(), [](auto& a) { return a.folded; });
  if (now < window_end) {  // a message of this group went out recently: hold these for later
    settle(items, {AlertOutcome::Kind::folded, now, window_end, ""});
    co_return 0;
  }
  if (!any_folded && items.size() > 1) {  // the first goes now, the rest after a window
    std::vector<AlertDelivery> rest(items.begin() + 1, items.end());
    settle(rest, {AlertOutcome::Kind::folded, now, now + m_options.group_window, ""});
    items.resize(1);
  }
  bool summary = any_folded;
  auto outcome = co_await m_sender.send(*sink, alert_json(items, summary, m_options.link_base));
  now = m_clock.now();
  const auto& head = items.front();
  if (outcome.delivered) {
    settle(items, {AlertOutcome::Kind::delivered, now, now, ""});
    spdlog::info("alert.delivered sink=\"{}\" job=\"{}\" kind={} events={} summary={}",
                 esc(head.sink), esc(head.job), storage::to_string(head.kind), items.size(),
                 summary);
    co_return 1;
  }
  auto oldest = std::min_element(items.begin(), items.end(), [](auto& a, auto& b) {
    return a.created_at < b.created_at;
  });
  if (now - oldest->created_at > m_options.give_up_after) {
    settle(items, {AlertOutcome::Kind::given_up, now, now, outcome.error});
    spdlog::error("alert.failed sink=\"{}\" job=\"{}\" kind={} events={} attempts={} "
                  "error=\"{}\"",
                  esc(head.sink), esc(head.job), storage::to_string(head.kind), items.size(),
                  head.attempts + 1, esc(outcome.error));
    co_return 0;
  }
  auto next = now + backoff(head.attempts + 1);
  settle(items, {AlertOutcome::Kind::retry, now, next, outcome.error});
  spdlog::warn("alert.retry sink=\"{}\" job=\"{}\" kind={} events={} attempt={} at={} "
               "error=\"{}\"",
               esc(head.sink), esc(head.job), storage::to_string(head.kind), items.size(),
               head.attempts + 1, format_utc_ms(next), esc(outcome.error));
  co_return 0;
}

}  // namespace bsched::alerts
