// The real daemon under valgrind's memcheck for about 25 seconds against the simulator: two jobs
// (every 2 s with ${last_success_time}, and H/3 seconds, in Europe/Berlin), a reload by SIGHUP
// after an edit, then SIGTERM. Any memory error or definitely lost block fails the test.
// Needs valgrind (scripts/install-deps.sh --test); skipped in sanitizer builds, whose binary
// valgrind cannot run.
#include "tests/e2e/e2e_support.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace bsched::e2e;

namespace {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool k_sanitized = true;
#else
constexpr bool k_sanitized = false;
#endif

constexpr int k_valgrind_error_exit = 97;

// `valgrind [options] BSCHED_BINARY run --config CONFIG`, with its report in valgrind.log and the
// daemon's log in daemon.log. Killed and reaped when the handle goes away.
class ValgrindDaemon {
 public:
  ValgrindDaemon(const ConfigTempDir& dir, const std::string& config)
      : m_report((dir.path() / "valgrind.log").string()),
        m_log((dir.path() / "daemon.log").string()) {
    std::vector<std::string> argv{"valgrind",
                                  "--error-exitcode=" + std::to_string(k_valgrind_error_exit),
                                  "--leak-check=full",
                                  "--errors-for-leak-kinds=definite",
                                  "--show-leak-kinds=definite",
                                  "--track-origins=yes",
                                  "--num-callers=40",
                                  "--log-file=" + m_report,
                                  BSCHED_BINARY,
                                  "run",
                                  "--config",
                                  config};
    m_pid = ::fork();
    REQUIRE(m_pid >= 0);
    if (m_pid == 0) exec_child(argv);
  }
  ~ValgrindDaemon() {
    if (m_status) return;
    ::kill(m_pid, SIGKILL);
    ::waitpid(m_pid, nullptr, 0);
  }
  ValgrindDaemon(const ValgrindDaemon&) = delete;
  ValgrindDaemon& operator=(const ValgrindDaemon&) = delete;

  void signal(int sig) const { ::kill(m_pid, sig); }
  std::string log() const { return bsched::test::read_text(m_log); }
  std::string report() const { return bsched::test::read_text(m_report); }
  bool log_has(const std::string& event, std::chrono::milliseconds limit) {
    return wait_until([&] { return log().find(event) != std::string::npos || ended(); }, limit) &&
           log().find(event) != std::string::npos;
  }
  // The exit code once valgrind ended within `limit`; -1 for a signal, nullopt while running.
  std::optional<int> exit_code(std::chrono::milliseconds limit) {
    if (!wait_until([this] { return ended(); }, limit)) return std::nullopt;
    return WIFEXITED(*m_status) ? WEXITSTATUS(*m_status) : -1;
  }

 private:
  bool ended() {
    int status = 0;
    if (!m_status && ::waitpid(m_pid, &status, WNOHANG) == m_pid) m_status = status;
    return m_status.has_value();
  }
  [[noreturn]] void exec_child(const std::vector<std::string>& argv) const {
    int out = ::open(m_log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (out < 0) ::_exit(127);
    ::dup2(out, 1);
    ::dup2(out, 2);
    ::setenv(k_token_env, k_token, 1);
    std::vector<char*> cargv;
    for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
    cargv.push_back(nullptr);
    ::execvp(cargv[0], cargv.data());
    ::_exit(127);
  }

  std::string m_report, m_log;
  pid_t m_pid = -1;
  std::optional<int> m_status;
};

// A job in Europe/Berlin whose FROM_DATE property is `from`; `n` tells the process ids apart.
std::string job(int n, const std::string& name, const std::string& schedule,
                const std::string& from) {
  return "  " + name + ":\n    schedule: \"" + schedule + "\"\n" +
         "    process_id: 6e79aead-40d4-4a35-9037-4370a86cc2f" + std::to_string(n) +
         "\n    atom_id: 8fa55714-8e5e-45f1-a0d1-f57f2000f464\n    timezone: Europe/Berlin\n" +
         "    dynamic_properties: {JOB: \"${job}\", SLOT: \"${scheduled_time}\", FROM_DATE: \"" +
         from + "\"}\n";
}

bool valgrind_installed() { return std::system("valgrind --version >/dev/null 2>&1") == 0; }

}  // namespace

TEST_SUITE("memory::valgrind") {
  TEST_CASE("the daemon runs, reloads and stops with no memory error and no definite leak" *
            doctest::skip(k_sanitized) * doctest::timeout(240)) {
    REQUIRE_MESSAGE(valgrind_installed(), "valgrind is needed: scripts/install-deps.sh --test");
    ConfigTempDir dir;
    SimProcess sim(dir, {"--pickup-delay", "300ms", "--run-duration", "500ms"});
    auto config = write_e2e_config(
        dir, sim, job(1, "every-two", "*/2 * * * * *", "${last_success_time}") +
                      job(2, "hashed", "H/3 * * * * *", "${scheduled_local}"));
    ValgrindDaemon daemon(dir, config);
    // Under valgrind the start-up (reading the debug information) takes seconds.
    REQUIRE_MESSAGE(daemon.log_has("daemon.ready", 120s), daemon.log());
    std::this_thread::sleep_for(11s);

    dir.write("jobs.d/jobs.yaml",
              "jobs:\n" + job(1, "every-two", "*/2 * * * * *", "${last_success_time:-never}") +
                  job(2, "hashed", "H/4 * * * * *", "${scheduled_local}"));
    daemon.signal(SIGHUP);
    CHECK_MESSAGE(daemon.log_has("config.reloaded reason=sighup", 30s), daemon.log());
    std::this_thread::sleep_for(11s);
    daemon.signal(SIGTERM);
    // Memcheck's leak search at exit takes a while.
    auto code = daemon.exit_code(120s);

    auto report = daemon.report();
    INFO("valgrind report:\n" << report);
    INFO("daemon log:\n" << daemon.log());
    REQUIRE(code.has_value());
    CHECK(*code == 0);
    CHECK(report.find("ERROR SUMMARY: 0 errors") != std::string::npos);
    CHECK(report.find("definitely lost:") == std::string::npos);
    CHECK(daemon.log().find("daemon.stopped") != std::string::npos);

    // Both jobs ran, and `every-two` was submitted with the slot of an earlier success.
    int with_last_success = 0, hashed = 0;
    for (const auto& r : sim.requests()) {
      const auto& o = r.as_object();
      if (!o.at("target").as_string().ends_with("/ExecutionRequest")) continue;
      boost::system::error_code ec;
      auto body = boost::json::parse(o.at("body").as_string(), ec);
      if (ec) continue;
      auto name = dynamic_property(body, "JOB");
      auto from = dynamic_property(body, "FROM_DATE");
      if (name == "hashed") ++hashed;
      if (name == "every-two" && !from.empty() && from != "never") ++with_last_success;
    }
    CHECK(hashed >= 2);
    CHECK(with_last_success >= 2);
  }
}
