// The command-line surface (product.md §1). main.cpp builds one CLI11 app and asks each
// command module to add its subcommand; the chosen one leaves its Action behind, which main
// runs after parsing. Actions return the process exit code and print their own errors.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

namespace bsched::cli {

using Action = std::function<int()>;

inline constexpr int k_exit_ok = 0;       // success
inline constexpr int k_exit_failure = 1;  // failure or invalid input
inline constexpr int k_exit_usage = 2;    // bad command line

// The help of every command's --config option.
inline constexpr const char* k_config_help =
    "main configuration file (default: $BOOMI_SCHED_CONFIG, else "
    "/etc/boomi-sched/boomi-sched.yaml)";

void add_run_command(CLI::App& root, Action& chosen);        // run [--config P] [--dev]
void add_validate_command(CLI::App& root, Action& chosen);   // validate
void add_next_command(CLI::App& root, Action& chosen);       // next
void add_status_command(CLI::App& root, Action& chosen);     // status
void add_history_command(CLI::App& root, Action& chosen);    // history
void add_control_commands(CLI::App& root, Action& chosen);   // trigger, pause, resume
void add_exec_command(CLI::App& root, Action& chosen);       // exec
void add_sim_command(CLI::App& root, Action& chosen);        // sim
void add_import_command(CLI::App& root, Action& chosen);     // import
void add_store_command(CLI::App& root, Action& chosen);      // store copy
void add_complete_command(CLI::App& root, Action& chosen);   // __complete (hidden)

}  // namespace bsched::cli
