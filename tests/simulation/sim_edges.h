// The simulated edges under the real BoomiClient: a PaceClock on the simulation's fake clock
// and timers, and an HttpTransport that hands each request to the platform simulator's model
// (daemon/sim: handle_request over a SimState) in the same process, with network faults and
// latency drawn from the seed. The transport reports every execution the platform accepted
// (the truth the invariants are checked against).
#pragma once

#include "daemon/platform/http_transport.h"
#include "daemon/platform/pace_clock.h"
#include "daemon/sim/sim_router.h"
#include "daemon/core/timers.h"
#include "tests/support/fake_clock.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <map>
#include <optional>

#include <functional>
#include <random>
#include <string>

namespace bsched::simulation {

// Uniform in [0, 1) from the seed's generator.
inline double uniform(std::mt19937_64& rng) {
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}
// Uniform in [lo, hi] milliseconds.
inline Millis uniform_ms(std::mt19937_64& rng, Millis lo, Millis hi) {
  return Millis(std::uniform_int_distribution<std::int64_t>(lo.count(), hi.count())(rng));
}

class SimTimerFactory;

// A WakeTimer that expires only when the simulation moves the clock and calls fire_due()
// (as tests/core/fake_timers.h), numbered at creation so that timers due at the same instant
// fire in the same order in every run of a seed (never in heap-address order).
class SimWakeTimer final : public core::WakeTimer {
 public:
  SimWakeTimer(boost::asio::io_context& io, SimTimerFactory& owner);
  ~SimWakeTimer() override;
  void expires_after(Millis delay) override;
  boost::asio::awaitable<bool> wait() override;
  void cancel() override;
  bool fire_if_due(std::chrono::steady_clock::time_point now);
  const std::optional<std::chrono::steady_clock::time_point>& deadline() const { return m_deadline; }

 private:
  boost::asio::steady_timer m_inner;
  SimTimerFactory& m_owner;
  std::uint64_t m_number;
  std::optional<std::chrono::steady_clock::time_point> m_deadline;
  bool m_fired = false;
};

class SimTimerFactory final : public core::TimerFactory {
 public:
  SimTimerFactory(boost::asio::io_context& io, const core::FakeClock& clock)
      : m_io(io), m_clock(clock) {}
  std::unique_ptr<core::WakeTimer> make_timer() override {
    return std::make_unique<SimWakeTimer>(m_io, *this);
  }
  // Expires every timer due at the clock's monotonic now, oldest timer first.
  void fire_due();
  std::optional<std::chrono::steady_clock::time_point> earliest() const;
  const core::FakeClock& clock() const { return m_clock; }
  std::uint64_t add(SimWakeTimer* t) {
    m_timers.emplace(++m_count, t);
    return m_count;
  }
  void remove(std::uint64_t number) { m_timers.erase(number); }

 private:
  boost::asio::io_context& m_io;
  const core::FakeClock& m_clock;
  std::map<std::uint64_t, SimWakeTimer*> m_timers;
  std::uint64_t m_count = 0;
};

// PaceClock over the simulation's clock: sleeps are fake timers, so the pacer, backoff and
// auth circuit wait in simulated time.
class SimPaceClock final : public platform::PaceClock {
 public:
  SimPaceClock(const core::FakeClock& clock, core::TimerFactory& timers)
      : m_clock(clock), m_timers(timers) {}
  platform::SteadyTime now() const override { return m_clock.steady_now(); }
  SysMillis wall_now() const override { return m_clock.now(); }
  boost::asio::awaitable<void> sleep_until(platform::SteadyTime t) override;

 private:
  const core::FakeClock& m_clock;
  core::TimerFactory& m_timers;
};

// Faults below HTTP, per request; probabilities in [0, 1].
struct NetFaults {
  double refused = 0;            // connect refused: nothing sent (Sent::no)
  double reset_before_read = 0;  // sent, reset before the platform read it: not acted on
  double reset_after_read = 0;   // read and acted on, then reset: the answer is lost
  double never_answered = 0;     // acted on, no answer until the client's timeout
  double trigger_4xx = 0;        // a trigger refused with 400 (not acted on)
  Millis latency_max{200};       // each way, uniform in [0, latency_max]
};

// One execution the platform accepted: the truth.
struct Accepted {
  std::string request_id;
  std::string execution_id;
  std::string process_id;
  std::string run_id;  // the run-id property of the request ("" when absent)
  SysMillis at{};      // platform time of acceptance
};

// The world's side of the transport: platform time, the seed's generator, the event log
// and the truth.
struct TransportHooks {
  std::function<SysMillis()> platform_now;
  std::function<void(const Accepted&)> on_accepted;
  std::function<void(std::string)> log;
};

class SimTransport final : public platform::HttpTransport {
 public:
  SimTransport(sim::SimState& state, core::TimerFactory& timers, std::mt19937_64& rng,
               const NetFaults& faults, Millis timeout, TransportHooks hooks)
      : m_state(state), m_timers(timers), m_rng(rng), m_faults(faults), m_timeout(timeout),
        m_hooks(std::move(hooks)) {}

  boost::asio::awaitable<Result<platform::HttpResponse, platform::TransportError>> send(
      platform::HttpRequest request) override;

 private:
  boost::asio::awaitable<void> wait(Millis d);
  // Hands the request to the simulator's model at platform time; reports new executions.
  sim::Reply deliver(const platform::HttpRequest& request);

  sim::SimState& m_state;
  core::TimerFactory& m_timers;
  std::mt19937_64& m_rng;
  const NetFaults& m_faults;
  Millis m_timeout;
  TransportHooks m_hooks;
};

}  // namespace bsched::simulation
