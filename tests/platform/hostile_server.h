// A scripted hostile HTTP server on 127.0.0.1 for the transport's regression tests. Each
// accepted connection plays one script: for every request it reads, the next step writes raw
// bytes (nothing is framed for it, so status lines, interim answers, chunk extensions and
// trailing garbage are exactly what the test wrote), optionally followed by a stream of
// filler, or resets the connection instead.
//
// Blocking sockets on threads of its own, so it answers while the test thread runs the
// transport's io_context. Every wait is sliced into 20 ms polls bounded by the server's
// lifetime; the destructor stops and joins everything within about that slice. Test code only.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace bsched::platform::test {

// What the server does with one request.
struct HostileStep {
  std::string bytes;              // written as they are once the request was read
  std::string filler;             // then written again and again …
  std::size_t filler_total = 0;   // … until this many filler bytes or the peer stops reading
  bool reset = false;             // instead of writing: close with RST (SO_LINGER 0)
  bool close = false;             // close after writing (else wait for the next request)
};
// Steps of one connection, one per request; a request beyond the last step closes it.
using HostileScript = std::vector<HostileStep>;

class HostileServer {
 public:
  // Connection n (from 0) plays scripts[n], the last script once they run out.
  explicit HostileServer(std::vector<HostileScript> scripts,
                         std::chrono::milliseconds lifetime = std::chrono::seconds{8})
      : m_scripts(std::move(scripts)),
        m_deadline(std::chrono::steady_clock::now() + lifetime) {
    if (m_scripts.empty()) throw std::invalid_argument("HostileServer needs a script");
    m_listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof addr;
    if (m_listener < 0 || ::bind(m_listener, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
        ::listen(m_listener, 16) != 0 ||
        ::getsockname(m_listener, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
      throw std::runtime_error("HostileServer: cannot listen on 127.0.0.1");
    m_port = ntohs(addr.sin_port);
    m_accepter = std::thread([this] { accept_loop(); });
  }

  ~HostileServer() {
    m_stop = true;
    m_accepter.join();  // no worker starts after this
    std::vector<std::thread> workers;
    {
      std::lock_guard lock(m_mutex);
      workers.swap(m_workers);
    }
    for (auto& t : workers) t.join();
    ::close(m_listener);
  }

  HostileServer(const HostileServer&) = delete;
  HostileServer& operator=(const HostileServer&) = delete;

  unsigned short port() const { return m_port; }
  std::string url(std::string_view path = "/") const {
    return "http://127.0.0.1:" + std::to_string(m_port) + std::string(path);
  }
  int connections() const { return m_connections; }
  int requests() const { return m_requests; }
  // Filler bytes the kernel took from the server (what the client read, plus socket buffers).
  std::size_t filler_written() const { return m_filler_written; }
  // The request lines received ("POST /x HTTP/1.1"), in order.
  std::vector<std::string> request_lines() const {
    std::lock_guard lock(m_mutex);
    return m_request_lines;
  }

 private:
  using Clock = std::chrono::steady_clock;
  static constexpr int k_slice_ms = 20;

  bool over() const { return m_stop || Clock::now() >= m_deadline; }

  // Waits for `events` on fd in slices; false when the server stops or its lifetime ends.
  bool wait_for(int fd, short events) const {
    while (!over()) {
      pollfd p{fd, events, 0};
      int n = ::poll(&p, 1, k_slice_ms);
      if (n > 0) return true;
      if (n < 0 && errno != EINTR) return false;
    }
    return false;
  }

  void accept_loop() {
    for (int n = 0; wait_for(m_listener, POLLIN); ++n) {
      int fd = ::accept4(m_listener, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      ++m_connections;
      const auto& script = m_scripts[std::min<std::size_t>(n, m_scripts.size() - 1)];
      std::lock_guard lock(m_mutex);
      m_workers.emplace_back([this, fd, &script] { serve(fd, script); });
    }
  }

  // Reads one request (header block, then Content-Length bytes of body). False on EOF/stop.
  bool read_request(int fd, std::string& pending) {
    std::size_t end;
    while ((end = pending.find("\r\n\r\n")) == std::string::npos)
      if (!read_more(fd, pending)) return false;
    std::string head = pending.substr(0, end);
    std::string lower = head;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    std::size_t body = 0;
    if (auto at = lower.find("\r\ncontent-length:"); at != std::string::npos)
      body = std::stoul(lower.substr(at + 17));
    while (pending.size() < end + 4 + body)
      if (!read_more(fd, pending)) return false;
    pending.erase(0, end + 4 + body);
    ++m_requests;
    std::lock_guard lock(m_mutex);
    m_request_lines.push_back(head.substr(0, head.find("\r\n")));
    return true;
  }

  bool read_more(int fd, std::string& pending) const {
    if (!wait_for(fd, POLLIN)) return false;
    char buf[4096];
    auto n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return false;
    pending.append(buf, static_cast<std::size_t>(n));
    return true;
  }

  // Writes all of `data`; false when the peer stopped reading (closed, reset) or time is up.
  bool write_all(int fd, std::string_view data) const {
    while (!data.empty()) {
      if (!wait_for(fd, POLLOUT)) return false;
      auto n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      if (n <= 0) return false;
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  void play(int fd, const HostileStep& step, bool& open) {
    if (step.reset) {
      linger l{1, 0};
      ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
      open = false;
      return;
    }
    if (!write_all(fd, step.bytes)) {
      open = false;
      return;
    }
    for (std::size_t sent = 0; !step.filler.empty() && sent < step.filler_total;) {
      auto piece = std::string_view(step.filler).substr(
          0, std::min(step.filler.size(), step.filler_total - sent));
      if (!write_all(fd, piece)) {
        open = false;
        return;
      }
      sent += piece.size();
      m_filler_written += piece.size();
    }
    if (step.close) open = false;
  }

  void serve(int fd, const HostileScript& script) {
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    std::string pending;
    bool open = true;
    for (std::size_t i = 0; open && read_request(fd, pending); ++i) {
      if (i >= script.size()) break;
      play(fd, script[i], open);
    }
    ::close(fd);
  }

  std::vector<HostileScript> m_scripts;
  Clock::time_point m_deadline;
  int m_listener = -1;
  unsigned short m_port = 0;
  std::atomic<bool> m_stop{false};
  std::atomic<int> m_connections{0};
  std::atomic<int> m_requests{0};
  std::atomic<std::size_t> m_filler_written{0};
  mutable std::mutex m_mutex;
  std::vector<std::string> m_request_lines;
  std::vector<std::thread> m_workers;
  std::thread m_accepter;
};

// An answer with a Content-Length, as raw bytes.
inline std::string raw_answer(int status, std::string_view reason, std::string_view body,
                              std::string_view extra_headers = "") {
  return "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) +
         "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\n" + std::string(extra_headers) + "\r\n" + std::string(body);
}

}  // namespace bsched::platform::test
