// Loads and validates a generated configuration of N jobs (default 10,000) spread over a main
// file and ten jobs.d files, the way `boomi-sched validate` does, and prints the timings.
//   build-release/bench_validate [jobs] [repetitions]
// Numbers: docs/benchmarks.md, section "Configuration".
#include "config/loader.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <unistd.h>
#include <string>
#include <vector>

namespace {

const char* const k_schedules[] = {"30 2 * * MON-FRI", "*/5 * * * *",   "0 0 L * *",
                                   "@every 15m",        "0 9-17 * * 1-5", "H H * * *",
                                   "0 6 * * 1#2",       "15 3 * * *"};
const char* const k_zones[] = {"Europe/Berlin", "America/New_York", "UTC", "Asia/Tokyo"};

std::string job_text(int i) {
  return fmt::format(
      "  job-{:05}:\n"
      "    schedule: \"{}\"\n"
      "    process_id: 6e79aead-40d4-4a35-9037-{:012}\n"
      "    atom_id: 8fa55714-8e5e-45f1-a0d1-f57f2000f464\n"
      "    timezone: {}\n"
      "    overlap: {}\n"
      "    dynamic_properties:\n"
      "      FROM_DATE: \"${{last_success_time:-${{scheduled_time}}}}\"\n"
      "      TO_DATE: \"${{scheduled_local}}\"\n",
      i, k_schedules[i % 8], i, k_zones[i % 4], i % 3 == 0 ? "queue" : "skip");
}

std::vector<bsched::config::SourceText> generate(const std::filesystem::path& dir, int jobs) {
  std::vector<bsched::config::SourceText> files;
  files.push_back({(dir / "boomi-sched.yaml").string(),
                   "platform:\n  account_id: acme-AB12CD\n  username: u\n"
                   "  token_env: BENCH_TOKEN\n"
                   "defaults:\n  poll: {initial: 5s, max: 60s}\njobs:\n"});
  for (int f = 0; f < 10; ++f)
    files.push_back({(dir / fmt::format("jobs.d/{:02}.yaml", f)).string(), "jobs:\n"});
  for (int i = 0; i < jobs; ++i) files[static_cast<size_t>(i % 11)].text += job_text(i);
  std::filesystem::create_directories(dir / "jobs.d");
  for (const auto& f : files) std::ofstream(f.path) << f.text;
  return files;
}

template <class F>
double best_ms(int reps, F&& f) {
  double best = 1e18;
  for (int r = 0; r < reps; ++r) {
    auto t0 = std::chrono::steady_clock::now();
    f();
    best = std::min(best, std::chrono::duration<double, std::milli>(
                              std::chrono::steady_clock::now() - t0)
                              .count());
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  int jobs = argc > 1 ? std::atoi(argv[1]) : 10'000;
  int reps = argc > 2 ? std::atoi(argv[2]) : 5;
  ::setenv("BENCH_TOKEN", "bench-token", 1);
  auto dir = std::filesystem::temp_directory_path() / fmt::format("bsched-bench-{}", ::getpid());
  auto files = generate(dir, jobs);
  size_t bytes = 0;
  for (const auto& f : files) bytes += f.text.size();

  bool ok = true;
  auto from_disk = best_ms(reps, [&] {
    ok = ok && bsched::config::load_config(files.front().path).has_value();
  });
  auto in_memory = best_ms(reps, [&] {
    ok = ok && bsched::config::load_config_from_sources(files).has_value();
  });
  if (ok) std::filesystem::remove_all(dir);
  if (!ok) {
    fmt::print(stderr, "bench_validate: the generated configuration did not load\n");
    return 1;
  }
  fmt::print("jobs={} files={} bytes={} reps={}\n", jobs, files.size(), bytes, reps);
  fmt::print("load_config (files, validate, fingerprint): best {:.1f} ms\n", from_disk);
  fmt::print("load_config_from_sources (in memory):       best {:.1f} ms\n", in_memory);
  return 0;
}
