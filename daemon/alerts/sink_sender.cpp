// Webhook and command sinks: see sink_sender.h.
#include "daemon/alerts/sink_sender.h"

#include "daemon/platform/beast_transport.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <fmt/core.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace bsched::alerts {

namespace {

void replace_all(std::string& s, const std::string& what, const std::string& with) {
  if (what.empty()) return;
  for (auto at = s.find(what); at != std::string::npos; at = s.find(what, at + with.size())) {
    s.replace(at, what.size(), with);
  }
}

}  // namespace

std::string webhook_error(const config::AlertSink& sink, std::string message) {
  // The transport names host and port only; this makes sure of it.
  replace_all(message, sink.webhook, sink.shown_webhook());
  if (auto parts = platform::parse_http_url(sink.webhook); parts && parts->target.size() > 1) {
    replace_all(message, parts->target, "/\u2026");
  }
  return message;
}

SinkSender::SinkSender(boost::asio::io_context& io, TransportFactory transports)
    : m_io(io), m_make_transport(std::move(transports)) {
  if (!m_make_transport) {
    m_make_transport = [&io](const config::AlertSink& sink) {
      platform::TransportOptions o;
      o.timeout = sink.timeout;
      o.ca_file = sink.ca_file;
      o.body_limit = 64 * 1024;
      o.max_connections_per_host = 4;
      o.max_idle_per_host = 2;
      return std::make_unique<platform::BeastTransport>(io, o);
    };
  }
}

SinkSender::~SinkSender() = default;

platform::HttpTransport& SinkSender::transport_for(const config::AlertSink& sink) {
  auto key = fmt::format("{}\n{}\n{}", sink.name, sink.timeout.count(), sink.ca_file.value_or(""));
  auto& t = m_transports[key];
  if (!t) t = m_make_transport(sink);
  return *t;
}

boost::asio::awaitable<SendOutcome> SinkSender::send(const config::AlertSink& sink,
                                                     std::string json) {
  if (!sink.webhook.empty()) co_return co_await post(sink, std::move(json));
  co_return co_await run_command(sink, std::move(json));
}

boost::asio::awaitable<SendOutcome> SinkSender::post(const config::AlertSink& sink,
                                                     std::string json) {
  platform::HttpRequest request;
  request.method = "POST";
  request.url = sink.webhook;
  request.headers = {{"Content-Type", "application/json"}};
  request.body = std::move(json);
  auto r = co_await transport_for(sink).send(std::move(request));
  if (!r) co_return SendOutcome{false, webhook_error(sink, r.error().message)};
  if (r->status >= 200 && r->status < 300) co_return SendOutcome{true, ""};
  if (r->status >= 300 && r->status < 400) {
    co_return SendOutcome{false, fmt::format("HTTP {} (a redirect is not followed)", r->status)};
  }
  co_return SendOutcome{false, fmt::format("HTTP {}", r->status)};
}

namespace {

// The child's side of the fork: stdin from the socket, stdout to /dev/null, then exec.
// Only async-signal-safe calls: `args` was built before the fork.
[[noreturn]] void exec_child(int in, char* const* args) {
  ::dup2(in, STDIN_FILENO);
  int null = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  if (null >= 0) ::dup2(null, STDOUT_FILENO);
  ::execv(args[0], args);
  ::_exit(127);
}

std::string exit_error(int status) {
  if (WIFEXITED(status)) {
    return WEXITSTATUS(status) == 127 ? "the command could not be run (exit status 127)"
                                      : fmt::format("exit status {}", WEXITSTATUS(status));
  }
  if (WIFSIGNALED(status)) return fmt::format("killed by signal {}", WTERMSIG(status));
  return "ended abnormally";
}

}  // namespace

// The child is reaped by polling waitpid every 20 ms: no SIGCHLD handler is installed, so
// nothing else in the daemon changes.
boost::asio::awaitable<SendOutcome> SinkSender::run_command(const config::AlertSink& sink,
                                                            std::string json) {
  if (sink.command.empty()) co_return SendOutcome{false, "no command"};
  std::vector<char*> args;
  for (const auto& a : sink.command) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  // A socket pair, not a pipe: a command that exits without reading its input makes the
  // write fail with EPIPE (Asio sends with MSG_NOSIGNAL) instead of raising SIGPIPE.
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
    co_return SendOutcome{false, fmt::format("socketpair: {}", std::strerror(errno))};
  }
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    co_return SendOutcome{false, fmt::format("fork: {}", std::strerror(errno))};
  }
  if (pid == 0) exec_child(fds[0], args.data());
  ::close(fds[0]);
  auto deadline = std::chrono::steady_clock::now() + sink.timeout;
  boost::asio::steady_timer tick(m_io);
  {
    boost::asio::local::stream_protocol::socket in(m_io, boost::asio::local::stream_protocol(),
                                                   fds[1]);
    using namespace boost::asio::experimental::awaitable_operators;
    tick.expires_at(deadline);
    // A command that does not read its input is not waited for past the deadline.
    co_await (boost::asio::async_write(in, boost::asio::buffer(json),
                                       boost::asio::as_tuple(boost::asio::use_awaitable)) ||
              tick.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable)));
  }  // closes the socket: the command sees the end of its input
  int status = 0;
  for (;;) {
    pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (done < 0 && errno != EINTR) co_return SendOutcome{false, "waitpid failed"};
    if (std::chrono::steady_clock::now() >= deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      co_return SendOutcome{false, fmt::format("the command ran past its timeout and was "
                                               "killed")};
    }
    tick.expires_after(std::chrono::milliseconds(20));
    co_await tick.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) co_return SendOutcome{true, ""};
  co_return SendOutcome{false, exit_error(status)};
}

}  // namespace bsched::alerts
