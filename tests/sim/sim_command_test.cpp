// `boomi-sched sim` as a process (BSCHED_BINARY): its one listening line, serving the API,
// stopping on SIGTERM, and refusing bad options.
#include "tests/sim/sim_test_support.h"

#include <csignal>
#include <fcntl.h>
#include <cstdlib>
#include <poll.h>
#include <regex>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

extern char** environ;

namespace bsched::sim::test {

namespace {

// A child process with its stdout on a pipe; killed if the test leaves it running.
class Child {
 public:
  explicit Child(std::vector<std::string> args) {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, fds[0]);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    const int rc = posix_spawn(&m_pid, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(fds[1]);
    m_out = fds[0];
    REQUIRE(rc == 0);
  }
  ~Child() {
    if (m_pid > 0) {
      ::kill(m_pid, SIGKILL);
      ::waitpid(m_pid, nullptr, 0);
    }
    ::close(m_out);
  }

  // The first line of stdout, waiting at most `limit`; empty on timeout or EOF.
  std::string read_line(std::chrono::milliseconds limit) {
    std::string line;
    const auto until = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < until) {
      pollfd p{m_out, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      char c;
      if (::read(m_out, &c, 1) != 1) break;
      if (c == '\n') return line;
      line += c;
    }
    return {};
  }

  void signal(int sig) { ::kill(m_pid, sig); }

  // The exit code, waiting at most `limit`; -1 when it did not exit normally in time.
  int wait_exit(std::chrono::milliseconds limit) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < until) {
      int status = 0;
      if (::waitpid(m_pid, &status, WNOHANG) == m_pid) {
        m_pid = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      std::this_thread::sleep_for(10ms);  // a child process exits on its own time; bounded
    }
    return -1;
  }

 private:
  pid_t m_pid = -1;
  int m_out = -1;
};

}  // namespace

TEST_SUITE("sim::command") {

TEST_CASE("boomi-sched sim prints one listening line, serves the API and stops on SIGTERM") {
  Child child({BSCHED_BINARY, "sim", "--listen", "127.0.0.1:0", "--account", "acct-7",
               "--pickup-delay", "0s"});
  const std::string line = child.read_line(5000ms);
  std::smatch m;
  REQUIRE_MESSAGE(std::regex_match(line, m, std::regex(R"(listening on http://127\.0\.0\.1:(\d+)/api/rest/v1 account=acct-7)")),
                  line);
  const auto port = static_cast<unsigned short>(std::stoi(m[1].str()));
  TestClient client(port);
  HttpAnswer a = client.post_json(rest_path("ExecutionRequest", "acct-7"), submit_body());
  CHECK(a.status == 200);
  child.signal(SIGTERM);
  CHECK(child.wait_exit(5000ms) == 0);
}

TEST_CASE("boomi-sched sim reads its token from the environment variable it is given") {
  ::setenv("BSCHED_SIM_TEST_TOKEN", "t0ken-from-env", 1);
  Child child({BSCHED_BINARY, "sim", "--token-env", "BSCHED_SIM_TEST_TOKEN"});
  const std::string line = child.read_line(5000ms);
  const auto colon = line.find("127.0.0.1:");
  REQUIRE(colon != std::string::npos);
  const auto port = static_cast<unsigned short>(std::stoi(line.substr(colon + 10)));
  TestClient client(port);
  CHECK(client.post_json(rest_path("ExecutionRequest"), submit_body()).status == 401);
  HttpAnswer ok = client.send(http::verb::post, rest_path("ExecutionRequest"), submit_body(),
                              {{"Authorization", basic_auth(SimOptions{}.username, "t0ken-from-env")}});
  CHECK(ok.status == 200);
  child.signal(SIGINT);
  CHECK(child.wait_exit(5000ms) == 0);
  ::unsetenv("BSCHED_SIM_TEST_TOKEN");
}

TEST_CASE("boomi-sched sim refuses bad options with the usage exit code") {
  const std::vector<std::vector<std::string>> bad = {
      {"--listen", "nonsense"},
      {"--listen", "127.0.0.1:99999"},
      {"--pickup-delay", "soon"},
      {"--outcomes", "complete=0.5,boom=0.5"},
      {"--token-env", "BSCHED_SIM_TEST_UNSET_VARIABLE"},
  };
  for (const auto& extra : bad) {
    std::vector<std::string> args{BSCHED_BINARY, "sim"};
    args.insert(args.end(), extra.begin(), extra.end());
    Child child(args);
    CHECK_MESSAGE(child.read_line(5000ms).empty(), extra[0]);
    CHECK_MESSAGE(child.wait_exit(5000ms) == 2, (extra[0] + " " + extra[1]));
  }
}

}  // TEST_SUITE

}  // namespace bsched::sim::test
