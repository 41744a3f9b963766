// Helpers for the systemd and packaging tests: run a shell command with a time bound and
// capture its output, own a temporary directory, and find the build and source trees.
// These tests drive the real tools (systemd-analyze, cmake, cpack, dpkg-deb); a missing tool
// fails the test with the package that provides it.
#pragma once

#include <doctest/doctest.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/wait.h>

namespace bsched::systemd_test {

namespace fs = std::filesystem;

// The outcome of one command: its exit status (-1 if it did not exit normally) and its
// stdout and stderr, merged.
struct CommandResult {
  int exit_code = -1;
  std::string output;
};

// `text` as one single-quoted shell word.
inline std::string shell_quote(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

// Runs `command` through /bin/sh, killed after `timeout_s` seconds (coreutils `timeout`,
// exit code 124 then).
inline CommandResult run_command(const std::string& command, int timeout_s = 120) {
  const std::string wrapped =
      "timeout -k 5 " + std::to_string(timeout_s) + " sh -c " + shell_quote(command) + " 2>&1";
  CommandResult result;
  FILE* pipe = ::popen(wrapped.c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> buffer{};
  while (std::fgets(buffer.data(), static_cast<int>(buffer.size()), pipe) != nullptr) {
    result.output += buffer.data();
  }
  const int status = ::pclose(pipe);
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  return result;
}

// True when `tool` is on PATH.
inline bool have_tool(const std::string& tool) {
  return run_command("command -v " + tool + " >/dev/null", 10).exit_code == 0;
}

// Fails the current test (REQUIRE) unless `tool` is on PATH, naming the Debian package.
inline void require_tool(const std::string& tool, const std::string& package) {
  INFO("'" << tool << "' is missing: install the Debian package '" << package
           << "' (scripts/install-deps.sh --test does)");
  REQUIRE(have_tool(tool));
}

// A fresh directory under the system temporary directory, removed with everything in it.
class TempDir {
 public:
  explicit TempDir(const std::string& tag) {
    std::string pattern = (fs::temp_directory_path() / ("bsched-" + tag + "-XXXXXX")).string();
    if (::mkdtemp(pattern.data()) != nullptr) m_path = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    if (!m_path.empty()) fs::remove_all(m_path, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const fs::path& path() const { return m_path; }

 private:
  fs::path m_path;
};

inline std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

inline void write_text(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

// Replaces every occurrence of `from` in `text` by `to`.
inline std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

// The build tree holds the tested binary; the source tree is the repository.
inline fs::path build_dir() { return fs::path(BSCHED_BINARY).parent_path(); }
inline fs::path source_dir() { return fs::path(BSCHED_SOURCE_DIR); }

}  // namespace bsched::systemd_test
