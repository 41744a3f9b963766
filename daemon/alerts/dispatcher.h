// The alert outbox's sender: a coroutine on the daemon's io_context that takes the deliveries
// due from the store (RunStore::due_alerts), folds repeats, sends each message through an
// AlertSender and marks the rows (delivered, retried with backoff, given up). Everything it
// knows lives in the store, so a restart picks up where it stopped: at-least-once delivery.
//
// Grouping: deliveries of one (sink, job, kind) are a group. While the group's window is open
// (a message of it was delivered less than `group_window` ago) new ones are folded: held to
// the window's end and then sent as one summary. With the window closed, the oldest due one
// goes at once and the rest of the batch are folded behind it.
#pragma once

#include "base/clock.h"
#include "base/timers.h"
#include "config/config.h"
#include "daemon/alerts/alert_sender.h"
#include "storage/run_store.h"
#include "storage/store_lane.h"

#include <boost/asio/awaitable.hpp>

#include <functional>
#include <memory>

namespace bsched::alerts {

struct DispatcherOptions {
  Millis group_window = std::chrono::minutes(10);  // repeats within it become one summary
  Millis first_retry = std::chrono::seconds(5);    // doubling per failed attempt ...
  Millis max_retry = std::chrono::minutes(10);     // ... up to this
  Millis give_up_after = std::chrono::hours(24);   // an event older than this is given up
  Millis idle_check = std::chrono::minutes(1);     // store re-read when nothing is due
  int batch = 200;                                 // deliveries read per pass
  std::function<double()> random;                  // [0, 1) for jitter; null: fixed 0.5
  std::string link_base;  // "<http.public_url>", or "" (no link in the messages)
  // Where the store calls run (storage/store_lane.h); null: on the loop. The daemon on
  // PostgreSQL gives a thread of the dispatcher's own: a database that stalls holds only the
  // alerts.
  storage::StoreLane store_lane;
};

class Dispatcher {
 public:
  Dispatcher(storage::RunStore& store, const Clock& clock, TimerFactory& timers,
             AlertSender& sender, std::vector<config::AlertSink> sinks,
             DispatcherOptions options = {});

  // Runs until stop(): a pass over the due deliveries, then a sleep until the next is due (or
  // wake()).
  boost::asio::awaitable<void> run();
  // One pass: sends every delivery due now (tests drive it directly). Returns messages sent.
  boost::asio::awaitable<int> pass();
  void wake();  // an event was written
  void stop();
  void reload(std::vector<config::AlertSink> sinks);  // the configuration's `alerts`

  // The retry delay after `attempts` failed sends (jitter ±20% from `random`).
  Millis backoff(int attempts) const;

 private:
  boost::asio::awaitable<int> send_group(std::vector<storage::AlertDelivery> items);
  boost::asio::awaitable<void> settle(const std::vector<storage::AlertDelivery>& items,
                                      storage::AlertOutcome o);
  // `fn(store)` through the store lane (see StoreLane); `fn` owns what it uses.
  template <class T>
  boost::asio::awaitable<storage::StoreResult<T>> call(
      std::function<storage::StoreResult<T>(storage::RunStore&)> fn);

  storage::RunStore& m_store;
  const Clock& m_clock;
  std::unique_ptr<WakeTimer> m_timer;
  AlertSender& m_sender;
  std::vector<config::AlertSink> m_sinks;
  DispatcherOptions m_options;
  bool m_stopped = false;
  bool m_woken = false;
};

}  // namespace bsched::alerts
