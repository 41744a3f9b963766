#include "daemon/web/http_server.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <list>

namespace bsched::web {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using asio::awaitable;
constexpr auto k_tuple = asio::as_tuple(asio::use_awaitable);

// What the accept loop and the connections share; outlives the server while a connection's
// coroutine frame still holds it.
struct HttpServer::Shared {
  Router* router = nullptr;  // null once stopped
  ServerOptions options;
  asio::thread_pool* reads = nullptr;  // the reader thread (HttpServer::m_reads)
  std::size_t reads_queued = 0;        // reads handed to it and not yet answered
  std::optional<tcp::acceptor> acceptor;
  // Every connection, oldest first: to close them on stop(), and to make room for a new one.
  struct Slot {
    std::weak_ptr<beast::tcp_stream> stream;
    std::shared_ptr<bool> waiting;  // true while it waits for (the rest of) a request header
  };
  std::list<Slot> slots;
  std::size_t active = 0;

  // At the connection limit: closes the oldest connection that waits for a request (idle
  // keep-alive, or a slow or silent client) and answers true; false when every connection
  // is busy answering.
  bool make_room() {
    slots.remove_if([](const Slot& s) { return s.stream.expired(); });
    for (auto& s : slots) {
      auto stream = s.stream.lock();
      if (!stream || !*s.waiting) continue;
      beast::error_code ignored;
      stream->socket().close(ignored);
      *s.waiting = false;
      return true;
    }
    return false;
  }
};

namespace {

http::response<http::string_body> to_beast(const Response& r, unsigned version, bool head,
                                           bool keep_alive) {
  http::response<http::string_body> res{static_cast<http::status>(r.status), version};
  res.set(http::field::server, "boomi-sched");
  res.set(http::field::content_type, r.content_type);
  for (const auto& [name, value] : r.headers) res.set(name, value);
  res.body() = r.body;
  res.prepare_payload();
  if (head) res.body().clear();  // Content-Length stays that of the GET answer
  res.keep_alive(keep_alive);
  return res;
}

// A refusal before routing: its answer, and the connection closes after it.
Response refusal(unsigned status, const char* text) {
  Response r;
  r.status = status;
  r.body = text;
  return r;
}

std::optional<Response> read_error_answer(const beast::error_code& ec) {
  if (ec == http::error::header_limit) return refusal(431, "request header too large\n");
  if (ec == http::error::body_limit) return refusal(413, "requests carry no body here\n");
  if (ec.category() == http::make_error_code(http::error::bad_method).category() &&
      ec != http::error::end_of_stream && ec != http::error::partial_message)
    return refusal(400, "malformed request\n");
  return std::nullopt;  // timeout, reset, truncated: nobody to answer
}

}  // namespace

namespace {

// A read of the state database, on the reader thread.
awaitable<Response> read_database(std::function<Response()> read) {
  try {
    co_return read();
  } catch (const std::exception&) {
    spdlog::error("http.internal_error where=read");
    co_return refusal(500, "the status could not be read\n");
  }
}

awaitable<bool> write_response(beast::tcp_stream& stream, http::response<http::string_body> res,
                               Millis timeout) {
  stream.expires_after(timeout);
  auto [ec, n] = co_await http::async_write(stream, res, k_tuple);
  co_return !ec;
}

awaitable<void> serve(std::shared_ptr<HttpServer::Shared> shared,
                      std::shared_ptr<beast::tcp_stream> stream, std::shared_ptr<bool> waiting);

}  // namespace

HttpServer::HttpServer(asio::io_context& io, Router& router, ServerOptions options)
    : m_io(io), m_shared(std::make_shared<Shared>()),
      m_reads(std::make_unique<asio::thread_pool>(1)) {
  m_shared->router = &router;
  m_shared->options = options;
  m_shared->reads = m_reads.get();
}

HttpServer::~HttpServer() {
  stop();
  m_reads->join();  // the read in progress ends; the router is not used after this
}

Result<tcp::endpoint> HttpServer::listen(const config::ListenAddress& address) {
  beast::error_code ec;
  auto ip = asio::ip::make_address(address.host, ec);
  if (ec) return make_error(fmt::format("'{}' is not an IP address", address.host));
  tcp::endpoint ep{ip, address.port};
  auto& a = m_shared->acceptor.emplace(m_io);
  auto shown = address.ipv6 ? "[" + address.host + "]:" + std::to_string(address.port)
                            : address.host + ":" + std::to_string(address.port);
  auto fail = [&](const char* what) {
    m_shared->acceptor.reset();
    return make_error(fmt::format("cannot {} {}: {}", what, shown, ec.message()));
  };
  a.open(ep.protocol(), ec);
  if (ec) return fail("open a socket for");
  a.set_option(tcp::acceptor::reuse_address(true), ec);
  if (ec) return fail("configure");
  a.bind(ep, ec);
  if (ec) return fail("listen on");
  a.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return fail("listen on");
  return a.local_endpoint(ec);
}

void HttpServer::start() {
  if (!m_shared->acceptor) return;
  auto shared = m_shared;
  asio::co_spawn(
      m_io,
      [shared]() -> awaitable<void> {
        while (shared->router && shared->acceptor && shared->acceptor->is_open()) {
          auto [ec, socket] = co_await shared->acceptor->async_accept(k_tuple);
          if (ec == asio::error::operation_aborted || !shared->router) co_return;
          if (ec) continue;  // e.g. EMFILE: the next accept may succeed
          if (shared->active >= shared->options.max_connections && !shared->make_room()) {
            beast::error_code ignored;
            socket.close(ignored);  // over the limit and nobody idle: closed at once
            continue;
          }
          auto stream = std::make_shared<beast::tcp_stream>(std::move(socket));
          auto waiting = std::make_shared<bool>(true);
          shared->slots.push_back({stream, waiting});
          ++shared->active;
          asio::co_spawn(shared->acceptor->get_executor(), serve(shared, stream, waiting),
                         [shared](std::exception_ptr e) {
                           --shared->active;
                           if (e) spdlog::error("http.internal_error where=connection");
                         });
        }
      },
      [](std::exception_ptr e) {
        if (e) spdlog::error("http.internal_error where=accept");
      });
}

void HttpServer::stop() {
  auto& s = *m_shared;
  s.router = nullptr;
  beast::error_code ignored;
  if (s.acceptor) s.acceptor->close(ignored);
  for (auto& slot : s.slots) {
    if (auto stream = slot.stream.lock()) stream->socket().close(ignored);
  }
  s.slots.clear();
}

std::size_t HttpServer::connections() const { return m_shared->active; }

namespace {

// One connection: requests in turn (keep-alive) until the client closes, a deadline passes,
// an answer says close, or the server stops.
awaitable<void> serve(std::shared_ptr<HttpServer::Shared> shared,
                      std::shared_ptr<beast::tcp_stream> stream, std::shared_ptr<bool> waiting) {
  const auto& o = shared->options;
  beast::flat_buffer buffer(o.header_limit + 1024);
  for (bool first = true;; first = false) {
    http::request_parser<http::empty_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(o.header_limit));
    parser.body_limit(0);
    stream->expires_after(first ? o.read_timeout : o.idle_timeout);
    *waiting = true;
    auto [ec, n] = co_await http::async_read_header(*stream, buffer, parser, k_tuple);
    *waiting = false;
    if (!shared->router) break;
    if (ec) {
      if (auto answer = read_error_answer(ec))
        co_await write_response(*stream, to_beast(*answer, 11, false, false), o.write_timeout);
      break;
    }
    const auto& req = parser.get();
    if (parser.chunked() || parser.content_length().value_or(0) > 0) {
      co_await write_response(*stream,
                              to_beast(refusal(413, "requests carry no body here\n"),
                                       req.version(), false, false),
                              o.write_timeout);
      break;
    }
    Request request{std::string(req.method_string()), std::string(req.target()),
                    std::string(req[http::field::authorization])};
    auto decision = shared->router->decide(request);
    Response answer;
    if (decision.answer) {
      answer = std::move(*decision.answer);
    } else if (shared->reads_queued >= o.max_queued_reads) {
      answer = refusal(503, "the status pages are busy reading the database; try again\n");
      answer.headers.emplace_back("Retry-After", "1");
    } else {
      ++shared->reads_queued;
      auto on_reader = asio::co_spawn(*shared->reads, read_database(std::move(decision.read)),
                                      asio::use_awaitable);
      answer = co_await std::move(on_reader);
      --shared->reads_queued;
      if (!shared->router) break;  // stopped while the database was read
    }
    bool keep = req.keep_alive();
    bool head = req.method() == http::verb::head;
    if (!co_await write_response(*stream, to_beast(answer, req.version(), head, keep),
                                 o.write_timeout) ||
        !keep)
      break;
  }
  beast::error_code ignored;
  stream->socket().shutdown(tcp::socket::shutdown_send, ignored);
  stream->socket().close(ignored);
}

}  // namespace

}  // namespace bsched::web
