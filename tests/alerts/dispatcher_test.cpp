// The alert dispatcher (daemon/alerts/dispatcher.h): grouping, retries with backoff,
// survival across a restart, on a fake clock with a scripted sender.
#include "daemon/alerts/alert_message.h"
#include "daemon/alerts/dispatcher.h"
#include "storage/sqlite_run_store.h"
#include "tests/support/fake_timers.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <doctest/doctest.h>
#include <spdlog/spdlog.h>

#include <deque>

namespace bsched::test {

using storage::AlertKind;

namespace {

// Records every message; answers from a queue (delivered when empty).
class FakeSender final : public alerts::AlertSender {
 public:
  boost::asio::awaitable<alerts::SendOutcome> send(const config::AlertSink& sink,
                                                   std::string json) override {
    sent.emplace_back(sink.name, boost::json::parse(json).as_object());
    if (answers.empty()) co_return alerts::SendOutcome{true, ""};
    auto a = answers.front();
    answers.pop_front();
    co_return a;
  }
  std::vector<std::pair<std::string, boost::json::object>> sent;
  std::deque<alerts::SendOutcome> answers;
};

struct Fixture {
  Fixture() : clock(SysMillis(std::chrono::sys_days(std::chrono::January / 5 / 2026) + std::chrono::hours(10))),
              timers(io, clock) {
    spdlog::set_level(spdlog::level::off);
    store = std::move(*storage::SqliteRunStore::open(":memory:"));
    config::AlertSink s;
    s.name = "chat";
    s.webhook = "https://hooks.example.com/T000/SECRET";
    s.on = {"failed"};
    sinks.push_back(s);
    dispatcher = std::make_unique<alerts::Dispatcher>(*store, clock, timers, sender, sinks,
                                                      alerts::DispatcherOptions{});
  }

  void failed(const std::string& job, std::int64_t run) {
    storage::NewAlert a;
    a.kind = AlertKind::failed;
    a.job = job;
    a.run = run;
    a.state = "error";
    a.message = "boom";
    a.created_at = clock.now();
    a.sinks = {"chat"};
    REQUIRE(store->record_alert(a).has_value());
  }

  int pass() {
    std::optional<int> n;
    boost::asio::co_spawn(io, dispatcher->pass(), [&](std::exception_ptr e, int v) {
      REQUIRE(!e);
      n = v;
    });
    io.restart();
    io.poll();
    REQUIRE(n.has_value());
    return *n;
  }

  std::vector<storage::AlertDelivery> pending() {
    return store->due_alerts(SysMillis::max(), 100000).value();
  }

  boost::asio::io_context io;
  FakeClock clock;
  FakeTimerFactory timers;
  std::unique_ptr<storage::SqliteRunStore> store;
  FakeSender sender;
  std::vector<config::AlertSink> sinks;
  std::unique_ptr<alerts::Dispatcher> dispatcher;
};

}  // namespace

TEST_SUITE("alerts::dispatcher") {
  TEST_CASE("sixty failures in a row send one alert and one summary") {
    Fixture f;
    for (int i = 1; i <= 60; ++i) {
      f.failed("orders", i);
      f.pass();
      f.clock.advance(std::chrono::seconds(5));
    }
    REQUIRE(f.sender.sent.size() == 1);
    CHECK(f.sender.sent[0].second.at("summary").as_bool() == false);
    CHECK(f.sender.sent[0].second.at("run_id").as_int64() == 1);
    f.clock.advance(std::chrono::minutes(10));
    f.pass();
    REQUIRE(f.sender.sent.size() == 2);
    const auto& summary = f.sender.sent[1].second;
    CHECK(summary.at("summary").as_bool());
    CHECK(summary.at("count").as_int64() == 59);
    CHECK(summary.at("event_ids").as_array().size() == 59);
    auto text = std::string(summary.at("text").as_string());
    CHECK(text.find("orders failed 59 more times since 2026-01-05T10:00:05Z") != std::string::npos);
    CHECK(f.pending().empty());
  }

  TEST_CASE("after a quiet window the next failure goes at once again") {
    Fixture f;
    f.failed("orders", 1);
    f.pass();
    f.clock.advance(std::chrono::minutes(11));
    f.failed("orders", 2);
    f.pass();
    CHECK(f.sender.sent.size() == 2);
    CHECK(f.sender.sent[1].second.at("summary").as_bool() == false);
  }

  TEST_CASE("groups are per job: two failing jobs each get their first alert at once") {
    Fixture f;
    f.failed("orders", 1);
    f.failed("billing", 2);
    f.pass();
    CHECK(f.sender.sent.size() == 2);
  }

  TEST_CASE("a receiver answering 500 is retried with growing backoff until it takes it") {
    Fixture f;
    for (int i = 0; i < 6; ++i) f.sender.answers.push_back({false, "HTTP 500"});
    f.failed("orders", 1);
    std::vector<Millis> waits;
    f.pass();
    for (int i = 0; i < 6; ++i) {
      auto p = f.pending();
      REQUIRE(p.size() == 1);
      CHECK(p[0].attempts == i + 1);
      CHECK(p[0].last_error == "HTTP 500");
      auto wait = std::chrono::duration_cast<Millis>(p[0].next_attempt_at - f.clock.now());
      waits.push_back(wait);
      f.clock.advance(wait - Millis(1));
      CHECK(f.pass() == 0);  // not due a millisecond early
      CHECK(f.sender.sent.size() == static_cast<std::size_t>(i + 1));
      f.clock.advance(Millis(1));
      f.pass();
    }
    CHECK(f.sender.sent.size() == 7);
    CHECK(f.pending().empty());
    // random() is absent: 0.5, so no jitter; 5 s doubling.
    CHECK(waits == std::vector<Millis>{std::chrono::seconds(5), std::chrono::seconds(10),
                                       std::chrono::seconds(20), std::chrono::seconds(40),
                                       std::chrono::seconds(80), std::chrono::seconds(160)});
    // Every attempt carried the same event id: what a receiver dedupes on.
    for (const auto& [name, o] : f.sender.sent) CHECK(o.at("id") == f.sender.sent[0].second.at("id"));
  }

  TEST_CASE("the backoff is capped at ten minutes and jittered within 20%") {
    Fixture f;
    CHECK(f.dispatcher->backoff(30) == std::chrono::minutes(10));
    alerts::DispatcherOptions o;
    o.random = [] { return 0.0; };
    alerts::Dispatcher low(*f.store, f.clock, f.timers, f.sender, f.sinks, o);
    CHECK(low.backoff(1) == std::chrono::seconds(4));
    o.random = [] { return 0.999; };
    alerts::Dispatcher high(*f.store, f.clock, f.timers, f.sender, f.sinks, o);
    CHECK(high.backoff(1) > std::chrono::milliseconds(5990));
    CHECK(high.backoff(1) < std::chrono::seconds(6));
  }

  TEST_CASE("deliveries survive a restart: a new dispatcher on the same store sends them") {
    Fixture f;
    f.sender.answers.push_back({false, "connect refused"});
    f.failed("orders", 1);
    f.pass();
    REQUIRE(f.sender.sent.size() == 1);
    f.dispatcher.reset();
    f.dispatcher = std::make_unique<alerts::Dispatcher>(*f.store, f.clock, f.timers, f.sender,
                                                        f.sinks, alerts::DispatcherOptions{});
    f.clock.advance(std::chrono::seconds(5));
    f.pass();
    CHECK(f.sender.sent.size() == 2);
    CHECK(f.pending().empty());
  }

  TEST_CASE("a delivery to a sink no longer configured is given up, not retried forever") {
    Fixture f;
    f.failed("orders", 1);
    f.dispatcher->reload({});
    f.pass();
    CHECK(f.sender.sent.empty());
    CHECK(f.pending().empty());
  }

  TEST_CASE("an event failing for a day is given up") {
    Fixture f;
    f.failed("orders", 1);
    for (int i = 0; i < 200; ++i) f.sender.answers.push_back({false, "HTTP 503"});
    for (int i = 0; i < 200 && !f.pending().empty(); ++i) {
      f.pass();
      f.clock.advance(std::chrono::minutes(10));
    }
    CHECK(f.pending().empty());
    CHECK(f.sender.sent.size() > 100);
    CHECK(f.sender.sent.size() < 200);
  }

  TEST_CASE("the message carries text, the structured fields and a stable id") {
    storage::AlertDelivery a;
    a.event_id = 42;
    a.kind = AlertKind::failed;
    a.job = "orders";
    a.run = 812;
    a.slot = std::chrono::sys_seconds(std::chrono::sys_days(std::chrono::January / 5 / 2026));
    a.state = "error";
    a.execution_id = "execution-9";
    a.message = "Connector \"db\" failed";
    auto o = boost::json::parse(alerts::alert_json({a}, false, "https://sched.example.com"))
                 .as_object();
    CHECK(o.at("id") == "42");
    CHECK(o.at("job") == "orders");
    CHECK(o.at("run_id") == 812);
    CHECK(o.at("slot") == "2026-01-05T00:00:00Z");
    CHECK(o.at("state") == "error");
    CHECK(o.at("execution_id") == "execution-9");
    CHECK(o.at("message") == "Connector \"db\" failed");
    CHECK(o.at("link") == "https://sched.example.com/jobs/orders");
    CHECK(std::string(o.at("text").as_string()) ==
          "[boomi-sched] orders failed (run 812, slot 2026-01-05T00:00:00Z): error - "
          "Connector \"db\" failed");
    auto without = boost::json::parse(alerts::alert_json({a}, false, "")).as_object();
    CHECK(!without.contains("link"));
  }

  TEST_CASE("with a store lane every store call of a pass goes through it") {
    Fixture f;
    f.failed("orders", 1);
    int calls = 0;
    bool refuse = true;
    alerts::DispatcherOptions options;
    // Each call runs on a later turn of the loop, as the commit thread's answers come back.
    options.store_lane = [&](std::function<storage::StoreResult<void>()> call)
        -> boost::asio::awaitable<storage::StoreResult<void>> {
      ++calls;
      co_await boost::asio::post(f.io, boost::asio::use_awaitable);
      if (refuse) co_return storage::StoreError{storage::StoreErrorKind::io, "lane down"};
      co_return call();
    };
    f.dispatcher = std::make_unique<alerts::Dispatcher>(*f.store, f.clock, f.timers, f.sender,
                                                        f.sinks, options);
    // The lane refuses: nothing is read, sent or settled.
    CHECK(f.pass() == 0);
    CHECK(calls == 1);  // due_alerts
    CHECK(f.sender.sent.empty());
    CHECK(f.pending().size() == 1);
    // The lane answers: read, sent, settled, each call through it.
    refuse = false;
    CHECK(f.pass() == 1);
    CHECK(calls == 4);  // due_alerts, last_alert_sent, settle_alerts
    CHECK(f.sender.sent.size() == 1);
    CHECK(f.pending().empty());
  }
}

}  // namespace bsched::test
