// Loading a configuration (product.md §2): the main YAML file plus every *.yaml of the
// jobs.d/ directory beside it, validated as a whole into an immutable Config, or the complete,
// sorted list of problems. Never a partial result: the daemon's reload swaps the whole value.
#pragma once

#include "config/config.h"

#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace bsched::config {

struct Diagnostic {
  SourcePos pos;
  std::string message;
  bool warning = false;

  // "file:line:col: message" ("file:line:col: warning: message" for warnings)
  std::string to_string() const;
};

struct Loaded {
  std::shared_ptr<const Config> config;
  std::vector<Diagnostic> warnings;  // e.g. token file readable by others, dom/dow AND trap
};

// Tokens read from token_env variables, by variable name (see LoadOptions::env_tokens).
using EnvTokens = std::map<std::string, Secret, std::less<>>;

struct LoadOptions {
  // Read the token from token_file / token_env. Commands that never call the platform
  // (status, history, next) pass false so they work without access to the secret.
  bool read_secret = true;
  // Not owned; null for commands that exit soon. The daemon passes one for its whole life: a
  // token_env variable, once read, is overwritten and removed from the environment (so that
  // /proc/PID/environ and child processes do not hold the token) and its token kept here,
  // where later loads (reloads) find it while the variable is gone.
  EnvTokens* env_tokens = nullptr;
};

// Loads `main_path` and <dir of main_path>/jobs.d/*.yaml (sorted by name).
Result<Loaded, std::vector<Diagnostic>> load_config(const std::string& main_path,
                                                    const LoadOptions& options = {});

// One configuration file held in memory: `path` names it in diagnostics and anchors relative
// paths (token_file, ca_file, storage.path resolve against the main file's directory).
struct SourceText {
  std::string path;
  std::string text;
};

// The in-memory entry point that load_config also uses (tests, fuzzing, benchmarks):
// files[0] is the main file, the rest are jobs.d files in the order given. Secrets are still
// read from the file system / environment when options.read_secret.
Result<Loaded, std::vector<Diagnostic>> load_config_from_sources(
    const std::vector<SourceText>& files, const LoadOptions& options = {});

// The effective configuration as YAML that loads back to the same fingerprint: every job
// fully spelled out with defaults applied, no `defaults` section, the token never shown
// (a comment says "<redacted>"). storage.postgres, which may hold a password, is printed as
// "<redacted>": such a configuration does not load back.
std::string dump_config(const Config& config);

// Writes every diagnostic to `out`, one "file:line:col: message" line each, in order; returns
// how many are errors (not warnings). What each command prints of a failed or warned load.
std::size_t print_diagnostics(std::FILE* out, const std::vector<Diagnostic>& diagnostics);

// --config if given, else $BOOMI_SCHED_CONFIG, else /etc/boomi-sched/boomi-sched.yaml.
std::string resolve_config_path(const std::optional<std::string>& flag);

}  // namespace bsched::config
