// The daemon's HTTP/1.1 listener (Beast) on the daemon's single-threaded io_context: one
// coroutine per connection, every read and write under a deadline, a cap on connections,
// header size and body (requests carry none). Answers come from a Router: what it answers
// at once on the loop, the reads of the state database on a reader thread of the server's
// own, one at a time, so a database that does not answer holds up only the pages.
#pragma once

#include "base/result.h"
#include "base/time_util.h"
#include "config/listen_address.h"
#include "daemon/web/router.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/thread_pool.hpp>

#include <chrono>
#include <cstddef>
#include <memory>

namespace bsched::web {

struct ServerOptions {
  // At this many, a new connection closes the oldest one waiting for a request (idle, slow
  // or silent); when none waits, the new one is closed at once.
  std::size_t max_connections = 256;
  std::size_t header_limit = 8192;    // bytes of request line and headers; more: 431
  Millis read_timeout = std::chrono::seconds(10);   // a request's whole header
  Millis write_timeout = std::chrono::seconds(10);  // a response
  Millis idle_timeout = std::chrono::seconds(30);   // keep-alive: wait for the next request
  // Database reads waiting for the reader thread; one more answers 503 with Retry-After.
  std::size_t max_queued_reads = 16;
};

class HttpServer {
 public:
  // `router` must outlive the server: the destructor waits for the read in progress.
  HttpServer(boost::asio::io_context& io, Router& router, ServerOptions options = {});
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and listens; an error (address in use, not permitted, no such address) as a value.
  Result<boost::asio::ip::tcp::endpoint> listen(const config::ListenAddress& address);
  // Starts accepting (after listen()).
  void start();
  // Closes the listening socket and every connection; no router call happens after it.
  void stop();

  std::size_t connections() const;

  struct Shared;  // what the connections share with the server (http_server.cpp)

 private:
  boost::asio::io_context& m_io;
  std::shared_ptr<Shared> m_shared;
  std::unique_ptr<boost::asio::thread_pool> m_reads;  // the reader thread
};

}  // namespace bsched::web
