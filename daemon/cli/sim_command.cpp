// `boomi-sched sim [--listen ADDR:PORT] [options]` (product.md §8): the Platform API
// simulator in the foreground until SIGINT or SIGTERM. Its one stdout line names the base URL
// and account so a parent process can read the port; everything else goes to stderr.
#include "base/time_util.h"
#include "daemon/cli/command.h"
#include "daemon/sim/simulator.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <fmt/core.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <string>

namespace bsched::cli {

namespace {

struct SimCliOptions {
  std::string listen = "127.0.0.1:0";
  std::optional<std::string> token_env;
  std::string pickup_delay = "1s", run_duration = "2s", latency = "0s";
  std::string slow = "5s", async_expiry = "0s";
  std::optional<std::string> outcomes;
  sim::SimOptions sim;
};

// "ADDR:PORT", "[V6]:PORT" or ":PORT" into the options.
Result<void> parse_listen(const std::string& text, sim::SimOptions& o) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos) {
    return make_error(fmt::format("--listen '{}': expected ADDR:PORT (e.g. 127.0.0.1:0)", text));
  }
  std::string host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (!host.empty()) o.listen_address = host;
  const std::string port = text.substr(colon + 1);
  char* end = nullptr;
  const long n = std::strtol(port.c_str(), &end, 10);
  if (port.empty() || *end != '\0' || n < 0 || n > 65535) {
    return make_error(fmt::format("--listen '{}': the port must be 0..65535", text));
  }
  o.port = static_cast<unsigned short>(n);
  return {};
}

// "complete=0.8,error=0.2": the named weights, the others zero.
Result<void> parse_outcomes(const std::string& text, sim::OutcomeMix& mix) {
  mix = sim::OutcomeMix{0, 0, 0, 0, 0};
  const std::map<std::string, double*> fields{
      {"complete", &mix.complete}, {"complete_warn", &mix.complete_warn},
      {"error", &mix.error},       {"aborted", &mix.aborted},
      {"discarded", &mix.discarded}};
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto comma = text.find(',', start);
    const std::string item = text.substr(start, comma - start);
    const auto eq = item.find('=');
    const auto it = fields.find(item.substr(0, eq));
    char* end = nullptr;
    const double w = eq == std::string::npos ? -1 : std::strtod(item.c_str() + eq + 1, &end);
    if (it == fields.end() || w < 0 || end == item.c_str() + eq + 1 || *end != '\0') {
      return make_error(fmt::format(
          "--outcomes: '{}' is not NAME=WEIGHT with NAME one of complete, complete_warn, "
          "error, aborted, discarded",
          item));
    }
    *it->second = w;
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return {};
}

Result<void> parse_durations(SimCliOptions& o) {
  const std::pair<const char*, std::pair<std::string*, Millis*>> durations[] = {
      {"--pickup-delay", {&o.pickup_delay, &o.sim.pickup_delay}},
      {"--run-duration", {&o.run_duration, &o.sim.run_duration}},
      {"--latency", {&o.latency, &o.sim.latency}},
      {"--slow", {&o.slow, &o.sim.faults.slow}},
      {"--async-expiry", {&o.async_expiry, &o.sim.faults.async_expiry}},
  };
  for (const auto& [flag, fields] : durations) {
    auto d = parse_duration(*fields.first);
    if (!d) return make_error(fmt::format("{}: {}", flag, d.error().message));
    *fields.second = *d;
  }
  return {};
}

// Everything the flags did not check themselves.
Result<void> finish_options(SimCliOptions& o) {
  BSCHED_TRY(parse_listen(o.listen, o.sim));
  BSCHED_TRY(parse_durations(o));
  if (o.outcomes) BSCHED_TRY(parse_outcomes(*o.outcomes, o.sim.outcomes));
  if (o.token_env) {
    const char* token = std::getenv(o.token_env->c_str());
    if (token == nullptr || *token == '\0') {
      return make_error(fmt::format("--token-env: the environment variable {} is not set",
                                    *o.token_env));
    }
    o.sim.token = token;
  } else {
    fmt::print(stderr, "sim: using the built-in test token (set --token-env NAME to choose one); "
                       "for testing only\n");
  }
  return {};
}

int run_sim(SimCliOptions& o) {
  if (auto ok = finish_options(o); !ok) {
    fmt::print(stderr, "sim: {}\n", ok.error().message);
    return k_exit_usage;
  }
  boost::asio::io_context io;
  SystemClock clock;
  sim::Simulator simulator(io, clock, o.sim);
  if (auto started = simulator.start(); !started) {
    fmt::print(stderr, "{}\n", started.error().message);
    return k_exit_failure;
  }
  fmt::print("listening on {} account={}\n", simulator.base_url(), o.sim.account_id);
  std::fflush(stdout);
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    fmt::print(stderr, "sim: signal {} received, stopping\n", signal);
    simulator.stop();
    io.stop();
  });
  io.run();
  fmt::print(stderr, "sim: stopped after {} API requests\n", simulator.requests().size());
  return k_exit_ok;
}

void add_fault_flags(CLI::App* cmd, sim::SimFaults& f, SimCliOptions& o) {
  auto rate = CLI::Range(0.0, 1.0);
  cmd->add_option("--fault-503", f.rate_503, "Rate of 503 'rate exceeded' answers")->check(rate);
  cmd->add_option("--burst-503", f.burst_503, "Answer the first N API requests with 503")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--fault-429", f.rate_429, "Rate of 429 answers with Retry-After")->check(rate);
  cmd->add_option("--retry-after", f.retry_after_s, "Retry-After of 429 answers, seconds")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--fault-500", f.rate_500, "Rate of 500 answers")->check(rate);
  cmd->add_option("--fault-slow", f.rate_slow, "Rate of slow answers (see --slow)")->check(rate);
  cmd->add_option("--slow", o.slow, "Delay of slow answers (default 5s)");
  cmd->add_option("--fault-reset", f.rate_reset_after_read,
                  "Rate of requests acted on, then answered by a connection reset")
      ->check(rate);
  cmd->add_option("--fault-malformed", f.rate_malformed, "Rate of 200 answers that are not JSON")
      ->check(rate);
  cmd->add_option("--fault-no-record", f.rate_no_record,
                  "Rate of runs that never get a record (202 forever)")
      ->check(rate);
  cmd->add_option("--async-expiry", o.async_expiry,
                  "Answer polls 410 this long after a run ended (0s: never)");
  cmd->add_flag("--faults-only-submits", f.only_submits,
                "Apply the random faults to ExecutionRequest only");
}

}  // namespace

void add_sim_command(CLI::App& root, Action& chosen) {
  auto o = std::make_shared<SimCliOptions>();
  auto* cmd = root.add_subcommand("sim", "Run the Platform API simulator (for tests and demos)");
  cmd->add_option("--listen", o->listen, "ADDR:PORT to listen on; port 0 picks a free one")
      ->capture_default_str();
  cmd->add_option("--account", o->sim.account_id, "Account id in the API paths")
      ->capture_default_str();
  cmd->add_option("--username", o->sim.username, "Basic auth user name")->capture_default_str();
  cmd->add_option("--token-env", o->token_env, "Environment variable holding the API token");
  cmd->add_option("--cert", o->sim.cert_file, "TLS certificate chain (PEM); HTTPS with --key");
  cmd->add_option("--key", o->sim.key_file, "TLS private key (PEM)");
  cmd->add_option("--pickup-delay", o->pickup_delay, "Polls answer 202 this long (default 1s)");
  cmd->add_option("--run-duration", o->run_duration, "Runs stay STARTED/INPROCESS this long (2s)");
  cmd->add_option("--latency", o->latency, "Added to every answer (default 0s)");
  cmd->add_option("--outcomes", o->outcomes, "Outcome weights, e.g. complete=0.8,error=0.2");
  cmd->add_flag("--poll-envelope", o->sim.poll_envelope,
                "Answer polls in the AsyncOperationResult envelope, not the bare record");
  cmd->add_option("--run-id-property", o->sim.run_id_property,
                  "Dynamic property recorded as the run id")
      ->capture_default_str();
  cmd->add_option("--seed", o->sim.seed, "Seed of the random choices")->capture_default_str();
  cmd->add_option("--rate-limit", o->sim.rate_limit_per_s,
                  "Answer 503 past this many API requests per second (0: no limit)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("--verbose", o->sim.log_requests, "Log every API request on stderr");
  add_fault_flags(cmd, o->sim.faults, *o);
  cmd->callback([o, &chosen] {
    chosen = [o] { return run_sim(*o); };
  });
}

}  // namespace bsched::cli
