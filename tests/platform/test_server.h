// A tiny loopback HTTP(S) server for the transport tests: answers from a handler, can delay,
// reset the connection after reading, or send oversized bodies. Also a self-signed
// certificate maker (openssl CLI) for the HTTPS tests. Header-only; test code only.
#pragma once

#include "daemon/platform/http_transport.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace bsched::platform::test {

struct ServerReply {
  int status = 200;
  std::string body;
  Headers headers;
  std::chrono::milliseconds delay{0};
  bool reset = false;  // close the connection instead of answering (after reading the request)
  bool close = false;  // answer with Connection: close
  bool close_after = false;  // answer with keep-alive, then close the connection anyway
};

struct ServerRequest {
  std::string method, target, body;
  Headers headers;
};

class TestServer {
 public:
  using Handler = std::function<ServerReply(const ServerRequest&)>;

  TestServer(boost::asio::io_context& io, Handler handler, std::optional<std::string> cert = {},
             std::optional<std::string> key = {})
      : m_io(io), m_handler(std::move(handler)), m_acceptor(io), m_tls(boost::asio::ssl::context::tls_server) {
    using tcp = boost::asio::ip::tcp;
    tcp::endpoint ep(boost::asio::ip::make_address("127.0.0.1"), 0);
    m_acceptor.open(ep.protocol());
    m_acceptor.set_option(tcp::acceptor::reuse_address(true));
    m_acceptor.bind(ep);
    m_acceptor.listen();
    if (cert && key) {
      m_secure = true;
      m_tls.use_certificate_chain_file(*cert);
      m_tls.use_private_key_file(*key, boost::asio::ssl::context::pem);
    }
    boost::asio::co_spawn(m_io, accept_loop(m_alive), boost::asio::detached);
  }
  ~TestServer() {
    *m_alive = false;
    stop();
  }

  void stop() {
    boost::system::error_code ec;
    m_acceptor.close(ec);
  }
  unsigned short port() const { return m_acceptor.local_endpoint().port(); }
  std::string url(const std::string& path, const std::string& host = "127.0.0.1") const {
    return (m_secure ? "https://" : "http://") + host + ":" + std::to_string(port()) + path;
  }

  int connections = 0;
  std::vector<ServerRequest> received;

 private:
  using tcp_stream = boost::beast::tcp_stream;

  boost::asio::awaitable<void> accept_loop(std::shared_ptr<bool> alive) {
    while (*alive) {  // the server may be gone before this coroutine first runs
      auto [ec, socket] = co_await m_acceptor.async_accept(
          boost::asio::as_tuple(boost::asio::use_awaitable));
      if (ec || !*alive) co_return;
      ++connections;
      if (m_secure) {
        auto s = std::make_shared<boost::beast::ssl_stream<tcp_stream>>(tcp_stream(std::move(socket)), m_tls);
        boost::asio::co_spawn(m_io, serve_tls(s, alive), boost::asio::detached);
      } else {
        auto s = std::make_shared<tcp_stream>(std::move(socket));
        boost::asio::co_spawn(m_io, serve(s, *s, alive), boost::asio::detached);
      }
    }
  }

  boost::asio::awaitable<void> serve_tls(std::shared_ptr<boost::beast::ssl_stream<tcp_stream>> s,
                                         std::shared_ptr<bool> alive) {
    auto [ec] = co_await s->async_handshake(boost::asio::ssl::stream_base::server,
                                            boost::asio::as_tuple(boost::asio::use_awaitable));
    if (ec || !*alive) co_return;
    co_await serve(s, *s, alive);
  }

  template <class Owner, class Stream>
  boost::asio::awaitable<void> serve(std::shared_ptr<Owner> owner, Stream& s,
                                     std::shared_ptr<bool> alive) {
    namespace http = boost::beast::http;
    auto use = boost::asio::as_tuple(boost::asio::use_awaitable);
    boost::beast::flat_buffer buffer;
    for (;;) {
      http::request<http::string_body> req;
      auto [rec, n] = co_await http::async_read(s, buffer, req, use);
      if (rec || !*alive) co_return;
      ServerRequest in{std::string(req.method_string()), std::string(req.target()), req.body(), {}};
      for (const auto& f : req) in.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
      received.push_back(in);
      auto reply = m_handler(in);
      if (reply.delay.count() > 0) {
        boost::asio::steady_timer t(m_io, reply.delay);
        co_await t.async_wait(use);
      }
      if (reply.reset || !*alive) {
        boost::system::error_code ec;
        boost::beast::get_lowest_layer(s).socket().close(ec);
        co_return;
      }
      http::response<http::string_body> res{static_cast<http::status>(reply.status), 11};
      for (const auto& [k, v] : reply.headers) res.set(k, v);
      res.body() = reply.body;
      res.keep_alive(!reply.close && req.keep_alive());
      res.prepare_payload();
      auto [wec, w] = co_await http::async_write(s, res, use);
      if (wec || !res.keep_alive() || reply.close_after) {
        boost::system::error_code ec;
        boost::beast::get_lowest_layer(s).socket().shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
        co_return;
      }
    }
    (void)owner;
  }

  boost::asio::io_context& m_io;
  Handler m_handler;
  boost::asio::ip::tcp::acceptor m_acceptor;
  boost::asio::ssl::context m_tls;
  bool m_secure = false;
  std::shared_ptr<bool> m_alive = std::make_shared<bool>(true);
};

// A self-signed certificate in `dir` (<name>.cert.pem, <name>.key.pem) for the names in
// `san` ("IP:127.0.0.1,DNS:localhost"). Returns false when the openssl command failed.
inline bool make_self_signed(const std::filesystem::path& dir, const std::string& name,
                             const std::string& san = "IP:127.0.0.1,DNS:localhost") {
  auto cmd = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2"
             " -subj /CN=boomi-sched-test -addext subjectAltName=" + san +
             " -keyout '" + (dir / (name + ".key.pem")).string() + "' -out '" +
             (dir / (name + ".cert.pem")).string() + "' >/dev/null 2>&1";
  return std::system(cmd.c_str()) == 0;
}

}  // namespace bsched::platform::test
