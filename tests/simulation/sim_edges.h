// The simulated edge under the real BoomiClient (which paces and backs off on the
// simulation's fake clock and timers, tests/support/fake_timers.h): an HttpTransport that
// hands each request to the platform simulator's model (daemon/sim: handle_request over a
// SimState) in the same process, with network faults and latency drawn from the seed. The transport reports every execution the platform accepted
// (the truth the invariants are checked against).
#pragma once

#include "base/timers.h"
#include "daemon/platform/http_transport.h"
#include "daemon/sim/sim_router.h"

#include <boost/asio/awaitable.hpp>

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

// The world's side of the transport: platform time, the seed's generator, the event log,
// the truth and, in pair mode, the instant each trigger leaves.
struct TransportHooks {
  std::function<SysMillis()> platform_now;
  std::function<void(const Accepted&)> on_accepted;
  std::function<void(std::string)> log;
  std::function<void()> on_trigger;  // a trigger leaves (pair mode); may be empty
};

class SimTransport final : public platform::HttpTransport {
 public:
  SimTransport(sim::SimState& state, TimerFactory& timers, std::mt19937_64& rng,
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
  TimerFactory& m_timers;
  std::mt19937_64& m_rng;
  const NetFaults& m_faults;
  Millis m_timeout;
  TransportHooks m_hooks;
};

}  // namespace bsched::simulation
