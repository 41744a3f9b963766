// Helpers of the listener tests: an HttpServer on its own thread and loopback clients on
// plain blocking sockets, every read under a timeout.
#pragma once

#include "daemon/web/http_server.h"
#include "daemon/web/router.h"

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <chrono>
#include <future>
#include <string>
#include <thread>

namespace bsched::webtest {

// A server on 127.0.0.1 and an ephemeral port, its io_context on a thread of its own.
class TestServer {
 public:
  TestServer(web::Sources sources, config::Secret token = {}, web::ServerOptions options = {})
      : m_router(std::move(sources), std::move(token)), m_server(m_io, m_router, options) {
    auto bound = m_server.listen({"127.0.0.1", 0, false, true});
    REQUIRE(bound.has_value());
    port = bound->port();
    m_server.start();
    m_thread = std::thread([this] { m_io.run(); });
  }
  ~TestServer() {
    boost::asio::post(m_io, [this] { m_server.stop(); });
    m_io.stop();
    m_thread.join();
  }
  // The server's count of open connections, read on its thread.
  std::size_t connections() {
    std::promise<std::size_t> p;
    boost::asio::post(m_io, [&] { p.set_value(m_server.connections()); });
    return p.get_future().get();
  }

  unsigned short port = 0;

 private:
  boost::asio::io_context m_io;
  web::Router m_router;
  web::HttpServer m_server;
  std::thread m_thread;
};

// A connected loopback socket with a receive timeout; -1 when the connection failed.
inline int connect_to(unsigned short port, int timeout_ms = 5000) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

inline void send_text(int fd, const std::string& text) {
  std::size_t sent = 0;
  while (sent < text.size()) {
    auto n = ::send(fd, text.data() + sent, text.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return;
    sent += static_cast<std::size_t>(n);
  }
}

// Everything until the peer closes (or the receive timeout passes: then `closed` is false).
inline std::string read_all(int fd, bool* closed = nullptr) {
  std::string out;
  char buf[4096];
  for (;;) {
    auto n = ::recv(fd, buf, sizeof buf, 0);
    if (n > 0) {
      out.append(buf, static_cast<std::size_t>(n));
      continue;
    }
    if (closed) *closed = n == 0 || (n < 0 && errno == ECONNRESET);
    return out;
  }
}

// One request on a new connection; the answer, read until the server closes.
inline std::string http_exchange(unsigned short port, const std::string& request) {
  int fd = connect_to(port);
  REQUIRE(fd >= 0);
  send_text(fd, request);
  auto out = read_all(fd);
  ::close(fd);
  return out;
}

inline std::string get(unsigned short port, const std::string& target,
                       const std::string& extra_headers = "") {
  return http_exchange(port, "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extra_headers +
                            "Connection: close\r\n\r\n");
}

inline std::string body_of(const std::string& response) {
  auto at = response.find("\r\n\r\n");
  return at == std::string::npos ? std::string() : response.substr(at + 4);
}

}  // namespace bsched::webtest
