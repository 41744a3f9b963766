// Test helpers of the configuration tests: temporary directories, environment guards, and
// running the real binary with its output captured. Header-only; owned by config tests.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <stdexcept>
#include <string>

namespace bsched::test {

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it on destruction.
class ConfigTempDir {
 public:
  ConfigTempDir() {
    auto base = std::filesystem::temp_directory_path() / "bsched-config-XXXXXX";
    std::string tmpl = base.string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    m_path = tmpl;
  }
  ~ConfigTempDir() {
    std::error_code ec;
    std::filesystem::remove_all(m_path, ec);
  }
  ConfigTempDir(const ConfigTempDir&) = delete;
  ConfigTempDir& operator=(const ConfigTempDir&) = delete;

  const std::filesystem::path& path() const { return m_path; }

  // Writes `text` to `relative` (creating directories); returns the absolute path.
  std::string write(const std::string& relative, const std::string& text) const {
    auto p = m_path / relative;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
    return p.string();
  }

 private:
  std::filesystem::path m_path;
};

// Sets (or unsets, with nullopt) an environment variable for the guard's lifetime.
class ScopedEnv {
 public:
  ScopedEnv(std::string name, const std::optional<std::string>& value) : m_name(std::move(name)) {
    if (const char* old = std::getenv(m_name.c_str())) m_old = old;
    if (value) ::setenv(m_name.c_str(), value->c_str(), 1);
    else ::unsetenv(m_name.c_str());
  }
  ~ScopedEnv() {
    if (m_old) ::setenv(m_name.c_str(), m_old->c_str(), 1);
    else ::unsetenv(m_name.c_str());
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  std::string m_name;
  std::optional<std::string> m_old;
};

inline std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

struct CommandOutput {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs `command` through /bin/sh with stdout and stderr captured into files of `dir`;
// `timeout 30` bounds it.
inline CommandOutput run_command(const std::string& command, const ConfigTempDir& dir) {
  auto out = dir.path() / "cmd.stdout";
  auto err = dir.path() / "cmd.stderr";
  std::string full = "timeout 30 " + command + " >'" + out.string() + "' 2>'" + err.string() + "'";
  int status = std::system(full.c_str());
  CommandOutput r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = read_text(out);
  r.err = read_text(err);
  return r;
}

}  // namespace bsched::test
