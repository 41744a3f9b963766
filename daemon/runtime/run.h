// `boomi-sched run`: wires the daemon together in one place (product.md §5, §8) — logging,
// configuration, instance lock, run store, platform client, engine, supervisor — and runs
// the single-threaded io_context until a stop signal.
#pragma once

#include <optional>
#include <string>

namespace bsched::runtime {

struct RunOptions {
  std::optional<std::string> config;     // --config (else $BOOMI_SCHED_CONFIG, else /etc/…)
  bool dev = false;                      // --dev: simulator, demo jobs, temporary database
  std::optional<std::string> log_level;  // --log-level (else $BOOMI_SCHED_LOG_LEVEL, else info)
};

// The process exit code: 0 after a clean stop; 1 when something fatal happened (a clear
// one-line message on stderr says what and what to do); 2 for a bad --log-level, or --dev
// with --config.
int run_daemon(const RunOptions& options);

}  // namespace bsched::runtime
