// A webhook receiver on 127.0.0.1 for the alert tests: answers every POST with `status`
// (changeable while it runs) and keeps the bodies it answered 2xx. Blocking sockets on a
// thread of its own, every wait sliced into 20 ms polls; the destructor joins it. Test code only.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace bsched::e2e {

class WebhookReceiver {
 public:
  WebhookReceiver() {
    m_listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (m_listener < 0 || ::bind(m_listener, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
        ::listen(m_listener, 16) != 0 ||
        ::getsockname(m_listener, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      throw std::runtime_error("webhook receiver: cannot listen on 127.0.0.1");
    }
    m_port = ntohs(addr.sin_port);
    m_thread = std::thread([this] { serve(); });
  }
  ~WebhookReceiver() {
    m_stop = true;
    m_thread.join();
    ::close(m_listener);
  }
  WebhookReceiver(const WebhookReceiver&) = delete;
  WebhookReceiver& operator=(const WebhookReceiver&) = delete;

  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(m_port) + path;
  }
  std::vector<std::string> bodies() {
    std::lock_guard lock(m_mutex);
    return m_bodies;
  }
  int requests() const { return m_requests; }
  std::atomic<int> status{200};

 private:
  bool wait_readable(int fd) {
    while (!m_stop) {
      pollfd p{fd, POLLIN, 0};
      int r = ::poll(&p, 1, 20);
      if (r > 0) return true;
      if (r < 0) return false;
    }
    return false;
  }

  void serve() {
    while (wait_readable(m_listener)) {
      int fd = ::accept4(m_listener, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      one(fd);
      ::close(fd);
    }
  }

  // One request per connection (answered with Connection: close).
  void one(int fd) {
    std::string in;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    std::size_t need = std::string::npos;
    while (std::chrono::steady_clock::now() < deadline && wait_readable(fd)) {
      char buf[4096];
      auto n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) return;
      in.append(buf, static_cast<std::size_t>(n));
      auto end = in.find("\r\n\r\n");
      if (end == std::string::npos) continue;
      if (need == std::string::npos) {
        auto at = in.find("Content-Length: ");
        if (at == std::string::npos) at = in.find("content-length: ");
        need = end + 4 + (at == std::string::npos ? 0 : std::strtoul(in.c_str() + at + 16, nullptr, 10));
      }
      if (in.size() >= need) break;
    }
    if (need == std::string::npos || in.size() < need) return;
    ++m_requests;
    int s = status;
    if (s >= 200 && s < 300) {
      std::lock_guard lock(m_mutex);
      m_bodies.push_back(in.substr(in.find("\r\n\r\n") + 4));
    }
    auto answer = "HTTP/1.1 " + std::to_string(s) + " X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    ::send(fd, answer.data(), answer.size(), MSG_NOSIGNAL);
  }

  int m_listener = -1;
  unsigned short m_port = 0;
  std::atomic<bool> m_stop{false};
  std::atomic<int> m_requests{0};
  std::mutex m_mutex;
  std::vector<std::string> m_bodies;
  std::thread m_thread;
};

}  // namespace bsched::e2e
