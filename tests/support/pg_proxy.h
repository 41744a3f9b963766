// A unix-socket proxy to a PostgreSQL socket, for tests of a database connection that goes
// silent: with `blackhole` set it reads and drops everything — no answer, no close, like a
// network that stopped forwarding. Clients connect with host=<dir> (it listens on
// <dir>/.s.PGSQL.5432).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace bsched::test {

class PgProxy {
 public:
  using local = boost::asio::local::stream_protocol;

  PgProxy(boost::asio::io_context& io, const std::string& dir, std::string upstream)
      : m_io(io),
        m_upstream(std::move(upstream)),
        m_acceptor(io, local::endpoint(dir + "/.s.PGSQL.5432")) {
    accept();
  }
  ~PgProxy() {
    boost::system::error_code ec;
    m_acceptor.close(ec);
    for (auto& s : m_sockets) s->close(ec);
  }
  std::atomic<bool> blackhole = false;

 private:
  using Socket = std::shared_ptr<local::socket>;
  void accept() {
    auto client = std::make_shared<local::socket>(m_io);
    m_acceptor.async_accept(*client, [this, client](auto ec) {
      if (ec) return;
      auto up = std::make_shared<local::socket>(m_io);
      boost::system::error_code cec;
      up->connect(local::endpoint(m_upstream), cec);
      if (cec) return client->close();
      m_sockets.push_back(client);
      m_sockets.push_back(up);
      pump(client, up);
      pump(up, client);
      accept();
    });
  }
  void pump(Socket from, Socket to) {
    auto buf = std::make_shared<std::array<char, 8192>>();
    from->async_read_some(boost::asio::buffer(*buf), [this, from, to, buf](auto ec, size_t n) {
      if (ec) return to->close();
      if (blackhole) return pump(from, to);
      boost::asio::async_write(*to, boost::asio::buffer(*buf, n),
                               [this, from, to](auto wec, size_t) {
                                 if (!wec) pump(from, to);
                               });
    });
  }
  boost::asio::io_context& m_io;
  std::string m_upstream;
  local::acceptor m_acceptor;
  std::vector<Socket> m_sockets;
};

// A PgProxy on its own thread (for tests whose clients are other processes).
class ThreadedPgProxy {
 public:
  ThreadedPgProxy(const std::string& dir, std::string upstream)
      : m_work(m_io.get_executor()), m_proxy(m_io, dir, std::move(upstream)),
        m_thread([this] { m_io.run(); }) {}
  ~ThreadedPgProxy() {
    boost::asio::post(m_io, [this] { m_io.stop(); });
    m_thread.join();
  }
  void set_blackhole(bool on) { m_proxy.blackhole = on; }

 private:
  boost::asio::io_context m_io;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> m_work;
  PgProxy m_proxy;
  std::thread m_thread;
};

}  // namespace bsched::test
