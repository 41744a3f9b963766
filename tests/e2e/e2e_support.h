// End-to-end test harness: the real binary (BSCHED_BINARY) as separate processes — the
// simulator (`boomi-sched sim`) and the daemon (`boomi-sched run`) — on loopback, with a
// temporary configuration and database. Every wait is bounded; every child is killed and
// reaped when its handle goes away. Header-only.
#pragma once

#include "tests/support/config_test_util.h"

#include "base/time_util.h"
#include "storage/sqlite_run_store.h"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace bsched::e2e {

using namespace std::chrono_literals;
using test::ConfigTempDir;
namespace json = boost::json;

inline constexpr const char* k_token_env = "BSCHED_E2E_TOKEN";
inline constexpr const char* k_token = "e2e-token-never-logged";

// True when the long variants run (BSCHED_E2E_LONG=1).
inline bool long_variant() {
  const char* v = std::getenv("BSCHED_E2E_LONG");
  return v && std::string(v) == "1";
}

// Polls `done` every 20 ms until it holds or `limit` passed; returns its last value.
inline bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds limit) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (done()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return done();
}

// A child process running BSCHED_BINARY with `args`; stdout and stderr go to files.
class Child {
 public:
  Child(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
        std::string out_path, std::string err_path)
      : m_out(std::move(out_path)), m_err(std::move(err_path)) {
    std::vector<std::string> argv{BSCHED_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    m_pid = ::fork();
    REQUIRE(m_pid >= 0);
    if (m_pid == 0) exec_child(argv, env);
  }
  ~Child() { kill_and_reap(); }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  pid_t pid() const { return m_pid; }
  void signal(int sig) { if (running()) ::kill(m_pid, sig); }
  bool running() { return !reap(); }

  // The exit status once the child ended within `limit` (waitpid status), else nullopt.
  std::optional<int> wait_exit(std::chrono::milliseconds limit) {
    wait_until([this] { return reap(); }, limit);
    return m_status;
  }
  // WEXITSTATUS, or -1 when killed by a signal or still running.
  std::optional<int> exit_code(std::chrono::milliseconds limit) {
    auto s = wait_exit(limit);
    if (!s) return std::nullopt;
    return WIFEXITED(*s) ? WEXITSTATUS(*s) : -1;
  }
  void kill_and_reap() {
    if (!running()) return;
    ::kill(m_pid, SIGKILL);
    int status = 0;
    ::waitpid(m_pid, &status, 0);
    m_status = status;
  }
  std::string out() const { return test::read_text(m_out); }
  std::string err() const { return test::read_text(m_err); }

 private:
  // True once the child has ended (reaped now or before).
  bool reap() {
    if (m_pid <= 0 || m_status) return true;
    int status = 0;
    if (::waitpid(m_pid, &status, WNOHANG) == m_pid) m_status = status;
    return m_status.has_value();
  }
  [[noreturn]] void exec_child(const std::vector<std::string>& argv,
                               const std::map<std::string, std::string>& env) {
    int out = ::open(m_out.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    int err = ::open(m_err.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (out < 0 || err < 0) ::_exit(127);
    ::dup2(out, 1);
    ::dup2(err, 2);
    for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
    std::vector<char*> cargv;
    for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
    cargv.push_back(nullptr);
    ::execv(cargv[0], cargv.data());
    ::_exit(127);
  }

  pid_t m_pid = -1;
  std::optional<int> m_status;
  std::string m_out, m_err;
};

// One HTTP exchange with the simulator's control endpoints (loopback, 5 s socket timeouts).
inline std::string sim_http(unsigned short port, boost::beast::http::verb verb,
                            const std::string& target, const std::string& body = "") {
  namespace http = boost::beast::http;
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket socket(io);
  socket.connect({boost::asio::ip::make_address("127.0.0.1"), port});
  timeval tv{5, 0};
  ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  http::request<http::string_body> req{verb, target, 11};
  req.set(http::field::host, "127.0.0.1");
  req.set(http::field::content_type, "application/json");
  req.body() = body;
  req.prepare_payload();
  http::write(socket, req);
  boost::beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::read(socket, buffer, res);
  return res.body();
}

// A submit the simulator received, with what the job's properties say about it.
struct Submit {
  std::string run_id;
  std::string job;   // the JOB dynamic property (the e2e configs set it to ${job})
  std::string slot;  // the SLOT dynamic property (${scheduled_time})
  std::int64_t received_at_ms = 0;
  int status = 0;    // HTTP status the simulator answered (0: connection reset)
};

// The value of the dynamic property `name` in an ExecutionRequest body, if present.
inline std::string dynamic_property(const json::value& body, const std::string& name) {
  const auto* o = body.if_object();
  if (!o) return {};
  const auto* block = o->if_contains("DynamicProcessProperties");
  if (!block || !block->is_object()) return {};
  const auto* list = block->as_object().if_contains("DynamicProcessProperty");
  if (!list || !list->is_array()) return {};
  for (const auto& p : list->as_array()) {
    if (!p.is_object()) continue;
    const auto& po = p.as_object();
    const auto* n = po.if_contains("name") ? po.if_contains("name") : po.if_contains("Name");
    const auto* v = po.if_contains("value") ? po.if_contains("value") : po.if_contains("Value");
    if (n && v && n->is_string() && v->is_string() && n->as_string() == name) {
      return std::string(v->as_string());
    }
  }
  return {};
}

// `boomi-sched sim` on 127.0.0.1 and an ephemeral port.
class SimProcess {
 public:
  SimProcess(const ConfigTempDir& dir, const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args{"sim", "--listen", "127.0.0.1:0", "--token-env", k_token_env};
    args.insert(args.end(), extra.begin(), extra.end());
    auto out = (dir.path() / "sim.stdout").string();
    m_child = std::make_unique<Child>(args, std::map<std::string, std::string>{{k_token_env, k_token}},
                                      out, (dir.path() / "sim.stderr").string());
    // "listening on http://127.0.0.1:PORT/api/rest/v1 account=ID"
    REQUIRE(wait_until([&] { return test::read_text(out).find('\n') != std::string::npos; }, 10s));
    auto line = test::read_text(out);
    auto url_at = line.find("http://");
    auto acct_at = line.find(" account=");
    REQUIRE(url_at != std::string::npos);
    REQUIRE(acct_at != std::string::npos);
    base_url = line.substr(url_at, acct_at - url_at);
    account = line.substr(acct_at + 9, line.find('\n') - acct_at - 9);
    auto port_at = base_url.find(':', 7) + 1;
    port = static_cast<unsigned short>(std::stoi(base_url.substr(port_at)));
  }

  json::array requests() const {
    return json::parse(sim_http(port, boost::beast::http::verb::get, "/__sim/requests")).as_array();
  }
  std::vector<Submit> submits() const {
    std::vector<Submit> out;
    for (const auto& r : requests()) {
      const auto& o = r.as_object();
      if (o.at("method").as_string() != "POST") continue;
      std::string target(o.at("target").as_string());
      if (!target.ends_with("/ExecutionRequest")) continue;
      Submit s;
      s.run_id = std::string(o.at("run_id").as_string());
      s.received_at_ms = o.at("received_at_ms").to_number<std::int64_t>();
      s.status = static_cast<int>(o.at("status").to_number<std::int64_t>());
      boost::system::error_code ec;
      auto body = json::parse(o.at("body").as_string(), ec);
      if (!ec) {
        s.job = dynamic_property(body, "JOB");
        s.slot = dynamic_property(body, "SLOT");
      }
      out.push_back(std::move(s));
    }
    return out;
  }
  void set_faults(const std::string& faults_json) const {
    sim_http(port, boost::beast::http::verb::post, "/__sim/faults", faults_json);
  }
  Child& child() { return *m_child; }

  std::string base_url;
  std::string account;
  unsigned short port = 0;

 private:
  std::unique_ptr<Child> m_child;
};

// One job in an e2e configuration: sends JOB and SLOT so submits can be matched to slots.
// Each job gets its own process id, so that reconciling by process and time finds its runs.
inline std::string e2e_job(const std::string& name, const std::string& schedule,
                           const std::string& extra = "") {
  char pid[64];
  std::snprintf(pid, sizeof pid, "6e79aead-40d4-4a35-9037-%012llx",
                static_cast<unsigned long long>(std::hash<std::string>{}(name) & 0xffffffffffffULL));
  return "  " + name + ":\n    schedule: \"" + schedule + "\"\n" +
         "    process_id: " + pid + "\n"
         "    atom_id: 8fa55714-8e5e-45f1-a0d1-f57f2000f464\n"
         "    dynamic_properties: {JOB: \"${job}\", SLOT: \"${scheduled_time}\"}\n" +
         extra;
}

// Writes boomi-sched.yaml (pointing at `sim`, database in `dir`) and jobs.d/jobs.yaml.
inline std::string write_e2e_config(const ConfigTempDir& dir, const SimProcess& sim,
                                    const std::string& jobs, const std::string& defaults = "") {
  dir.write("jobs.d/jobs.yaml", "jobs:\n" + jobs);
  return dir.write("boomi-sched.yaml",
                   "platform:\n  account_id: " + sim.account + "\n  base_url: " + sim.base_url +
                       "\n  username: BOOMI_TOKEN.sim@example.com\n  token_env: " + k_token_env +
                       "\n  requests_per_second: 0\n  timeout: 3s\n"
                       "storage:\n  path: " + (dir.path() / "state.db").string() + "\n"
                       "http:\n  listen: 127.0.0.1:0\n"  // an ephemeral port: tests run side by side
                       "defaults:\n  timezone: UTC\n  poll: {initial: 300ms, max: 1s}\n" +
                       (defaults.find("submit_retry:") == std::string::npos
                            ? "  submit_retry: {attempts: 5, initial: 200ms, max: 1s}\n"
                            : "") +
                       defaults);
}

// `boomi-sched run --config P`, stderr in daemon-N.log.
class DaemonProcess {
 public:
  DaemonProcess(const ConfigTempDir& dir, const std::string& config,
                std::map<std::string, std::string> env = {}, int n = 0) {
    env[k_token_env] = k_token;
    m_log = (dir.path() / ("daemon-" + std::to_string(n) + ".log")).string();
    m_child = std::make_unique<Child>(std::vector<std::string>{"run", "--config", config}, env,
                                      (dir.path() / "daemon.stdout").string(), m_log);
  }
  Child& child() { return *m_child; }
  std::string log() const { return test::read_text(m_log); }
  // Waits for the daemon's "daemon.ready" log event.
  bool wait_ready(std::chrono::milliseconds limit = 15s) {
    INFO("daemon log:\n" << log());
    return wait_until([this] { return log().find("daemon.ready") != std::string::npos ||
                                      !m_child->running(); }, limit) &&
           m_child->running();
  }
  // The port of the daemon's HTTP listener, from its "http.listening address=HOST:PORT" log
  // event (the e2e configurations listen on an ephemeral port); 0 when not listening.
  unsigned short http_port() const {
    auto text = log();
    auto at = text.find("http.listening address=");
    if (at == std::string::npos) return 0;
    auto end = text.find(' ', at + 23);
    auto address = text.substr(at + 23, end - at - 23);
    return static_cast<unsigned short>(std::stoi(address.substr(address.rfind(':') + 1)));
  }

 private:
  std::string m_log;
  std::unique_ptr<Child> m_child;
};

// Runs a CLI command of the binary with the token variable set; output captured.
inline test::CommandOutput cli(const ConfigTempDir& dir, const std::string& args) {
  return test::run_command("env " + std::string(k_token_env) + "=" + k_token + " '" + BSCHED_BINARY +
                               "' " + args,
                           dir);
}

// What the database says after a test (read-only, as `history` reads it).
struct Ledger {
  std::vector<storage::RunRow> runs;
  std::vector<storage::SlotGap> gaps;
  int non_terminal = 0;
};

// Every run and gap `store` holds.
inline Ledger ledger_of(storage::StateReads& store) {
  auto history = store.history("", 1000000);
  REQUIRE(history.has_value());
  Ledger l;
  for (auto& e : *history) {
    if (auto* r = std::get_if<storage::RunRow>(&e)) {
      if (!storage::is_terminal(r->state)) ++l.non_terminal;
      l.runs.push_back(std::move(*r));
    } else {
      l.gaps.push_back(std::get<storage::SlotGap>(e));
    }
  }
  return l;
}

inline Ledger read_ledger(const std::string& db) {
  auto store = storage::SqliteRunStore::open(db, storage::OpenMode::read_only);
  REQUIRE(store.has_value());
  return ledger_of(**store);
}

// Submits the platform may have acted on: accepted (2xx) or reset after it read them.
inline bool maybe_accepted(const Submit& s) { return s.status == 0 || (s.status >= 200 && s.status < 300); }

// (job, slot) pairs the simulator may have started more than once.
inline std::vector<std::string> duplicated_slots(const std::vector<Submit>& submits) {
  std::map<std::string, int> count;
  for (const auto& s : submits) {
    if (maybe_accepted(s) && !s.slot.empty()) ++count[s.job + "@" + s.slot];
  }
  std::vector<std::string> dups;
  for (const auto& [k, n] : count) {
    if (n > 1) dups.push_back(k + " x" + std::to_string(n));
  }
  return dups;
}

// The slot instant of a submit, in ms since the epoch.
inline std::int64_t slot_ms(const Submit& s) {
  auto t = parse_instant(s.slot);
  REQUIRE(t.has_value());
  return std::chrono::duration_cast<std::chrono::milliseconds>(t->time_since_epoch()).count();
}

}  // namespace bsched::e2e
