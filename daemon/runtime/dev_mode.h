// `boomi-sched run --dev` (product.md §8): everything a newcomer needs to watch the daemon
// work without a Boomi account. The in-process simulator plays the platform; a temporary
// directory holds a generated configuration (pointing at the simulator), a demo job set in
// jobs.d/ and the state database; the directory goes away when the daemon exits.
//
// The token reaches the configuration through token_env of a variable this process sets
// itself (k_dev_token_env), so no secret file is written.
#pragma once

#include "base/result.h"
#include "daemon/sim/simulator.h"

#include <filesystem>
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

}  // namespace bsched::runtime
