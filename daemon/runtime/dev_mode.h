// `boomi-sched run --dev` (product.md §8): everything a newcomer needs to watch the daemon
// work without a Boomi account. The in-process simulator plays the platform; a temporary
// directory holds a generated configuration (pointing at the simulator), a demo job set in
// jobs.d/ and the state database; the directory goes away when the daemon exits.
//
// The token reaches the configuration through token_env of a variable name (k_dev_token_env)
// whose value the daemon hands to the loader itself (LoadOptions::env_tokens): no secret file
// is written and the process environment is not touched.
//
// While it runs, the dev daemon says where its configuration is in a small file of the
// user's runtime directory (dev_pointer_path), so that a plain `boomi-sched status` in another
// terminal finds it.
#pragma once

#include "base/result.h"
#include "daemon/sim/simulator.h"

#include <filesystem>
#include <optional>
#include <string>

namespace bsched::runtime {

inline constexpr const char* k_dev_token_env = "BOOMI_SCHED_DEV_TOKEN";

// Where the simulator listens and whom it accepts.
struct DevPlatform {
  std::string base_url;  // Simulator::base_url()
  std::string account_id;
  std::string username;
};

// The simulator's settings for dev mode: quick runs and a mix of outcomes, some failing.
sim::SimOptions dev_sim_options();

// The generated main file (platform, storage, defaults) and the demo jobs.
std::string dev_main_yaml(const DevPlatform& platform, const std::string& db_path);
std::string dev_jobs_yaml();

// The temporary directory: boomi-sched.yaml, jobs.d/demo.yaml, state.db.
class DevDirectory {
 public:
  // Creates it under $TMPDIR (or /tmp) and writes the files.
  static Result<DevDirectory> create(const DevPlatform& platform);
  DevDirectory(DevDirectory&& other) noexcept : m_root(std::move(other.m_root)) {
    other.m_root.clear();
  }
  DevDirectory(const DevDirectory&) = delete;
  DevDirectory& operator=(const DevDirectory&) = delete;
  DevDirectory& operator=(DevDirectory&&) = delete;
  ~DevDirectory();  // removes the directory and everything in it

  const std::filesystem::path& root() const { return m_root; }
  std::string config_path() const { return (m_root / "boomi-sched.yaml").string(); }
  std::string db_path() const { return (m_root / "state.db").string(); }

 private:
  explicit DevDirectory(std::filesystem::path root) : m_root(std::move(root)) {}
  std::filesystem::path m_root;
};

// The lines `run --dev` prints: where things are and how to watch them.
std::string dev_banner(const DevDirectory& dir, const std::string& base_url);

// $XDG_RUNTIME_DIR/boomi-sched-dev when that variable names a directory, else
// ${TMPDIR:-/tmp}/boomi-sched-dev-<uid>.
std::string dev_pointer_path();

// A running dev daemon of this user.
struct DevDaemon {
  std::string config_path;
  int pid = 0;
};

// Publishes `config_path` at dev_pointer_path() (mode 0600, replaced atomically) until
// destroyed, when the file is removed if it still names this process.
class DevPointer {
 public:
  static Result<DevPointer> publish(const std::string& config_path);
  DevPointer(DevPointer&& other) noexcept : m_path(std::move(other.m_path)) { other.m_path.clear(); }
  DevPointer(const DevPointer&) = delete;
  DevPointer& operator=(const DevPointer&) = delete;
  DevPointer& operator=(DevPointer&&) = delete;
  ~DevPointer();

 private:
  explicit DevPointer(std::string path) : m_path(std::move(path)) {}
  std::string m_path;
};

// The dev daemon named at dev_pointer_path(), when the file is this user's (owned by the
// effective user, writable by no one else, not a symlink), its pid is alive and its
// configuration exists; else nullopt.
std::optional<DevDaemon> find_dev_daemon();

}  // namespace bsched::runtime
