// The simulator's network side: an acceptor coroutine and one coroutine per connection
// (HTTP/1.1 keep-alive, optionally TLS), each read and write under a deadline. The answers
// come from handle_request() (sim_router.cpp) under the state's mutex.
#include "daemon/sim/simulator.h"

#include "daemon/sim/sim_router.h"
#include "daemon/sim/sim_state.h"
#include "daemon/sim/sim_util.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <fmt/format.h>

#include <list>
#include <mutex>

namespace bsched::sim {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
constexpr auto k_tuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t k_body_limit = 1024 * 1024;

namespace {

// What stop() needs to end a connection: its socket and its answer-delay timer.
struct ConnHandle {
  tcp::socket* socket = nullptr;
  asio::steady_timer* timer = nullptr;
};

}  // namespace

// Shared by the acceptor and connection coroutines so they outlive neither it nor each other.
struct SimCore {
  SimCore(asio::io_context& io_, const Clock& clock_, SimOptions o)
      : io(io_), clock(clock_), options(o), state(o), acceptor(io_) {}

  asio::io_context& io;
  const Clock& clock;  // platform time: records, expiry, the rate limit, received_at
  const SimOptions options;
  mutable std::mutex mutex;  // guards state
  SimState state;
  tcp::acceptor acceptor;
  std::optional<ssl::context> tls;
  std::string base_url;
  unsigned short port = 0;
  bool stopped = false;
  std::list<ConnHandle> connections;  // io thread only

  void shutdown() {
    stopped = true;
    boost::system::error_code ec;
    acceptor.close(ec);
    for (ConnHandle& c : connections) {
      c.timer->cancel();
      c.socket->close(ec);
    }
  }
};

namespace {

void log_exception(std::exception_ptr e) {
  if (!e) return;
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    fmt::print(stderr, "sim: connection ended by an internal error: {}\n", ex.what());
  }
}

// Aborts the connection with a TCP reset (linger 0), as a dropped connection looks.
void reset_socket(tcp::socket& socket) {
  boost::system::error_code ec;
  socket.set_option(tcp::socket::linger(true, 0), ec);
  socket.close(ec);
}

// 413 for a body over the limit, 400 for a request that is not HTTP/1.1; nullopt when the
// read failed for another reason (closed, reset, deadline).
std::optional<HttpResponse> refuse_unreadable(const boost::system::error_code& ec) {
  const bool parse_error = ec.category() == make_error_code(http::error::bad_target).category() &&
                           ec != http::error::end_of_stream && ec != http::error::partial_message;
  if (!parse_error) return std::nullopt;
  const bool too_large = ec == http::error::body_limit;
  HttpResponse res{too_large ? http::status::payload_too_large : http::status::bad_request, 11};
  res.set(http::field::server, "boomi-sched-sim");
  res.set(http::field::content_type, "application/json");
  res.keep_alive(false);
  res.body() = error_body(too_large ? "The request body is too large"
                                    : "The request is not valid HTTP/1.1 (" + ec.message() + ")");
  res.prepare_payload();
  return res;
}

template <class Stream>
asio::awaitable<void> serve_requests(std::shared_ptr<SimCore> core, Stream& stream,
                                     asio::steady_timer& timer) {
  auto& lowest = beast::get_lowest_layer(stream);
  beast::flat_buffer buffer;
  while (!core->stopped) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(k_body_limit);
    lowest.expires_after(core->options.io_timeout);
    auto [rec, rn] = co_await http::async_read(stream, buffer, parser, k_tuple);
    if (rec) {
      // Unreadable HTTP gets an answer like a real server's before the close; a closed or
      // idle connection just ends.
      if (auto refusal = refuse_unreadable(rec)) {
        lowest.expires_after(core->options.io_timeout);
        co_await http::async_write(stream, *refusal, k_tuple);
      }
      co_return;
    }
    HttpRequest request = parser.release();
    Reply reply;
    {
      std::lock_guard lock(core->mutex);
      reply = handle_request(core->state, request, core->clock.now(), core->base_url);
    }
    if (core->options.log_requests) {
      fmt::print(stderr, "sim: {} {} -> {}\n", std::string_view(request.method_string()),
                 std::string_view(request.target()),
                 reply.reset ? std::string("reset") : std::to_string(reply.response.result_int()));
    }
    if (reply.delay > Millis{0}) {
      timer.expires_after(reply.delay);
      co_await timer.async_wait(k_tuple);
      if (core->stopped) co_return;
    }
    if (reply.reset) {
      reset_socket(lowest.socket());
      co_return;
    }
    lowest.expires_after(core->options.io_timeout);
    auto [wec, wn] = co_await http::async_write(stream, reply.response, k_tuple);
    if (wec || !reply.response.keep_alive()) co_return;
  }
}

asio::awaitable<void> serve_plain(std::shared_ptr<SimCore> core, tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  asio::steady_timer timer(core->io);
  auto handle = core->connections.insert(core->connections.end(),
                                         ConnHandle{&stream.socket(), &timer});
  co_await serve_requests(core, stream, timer);
  core->connections.erase(handle);
  boost::system::error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
}

asio::awaitable<void> serve_tls(std::shared_ptr<SimCore> core, tcp::socket socket) {
  beast::ssl_stream<beast::tcp_stream> stream(beast::tcp_stream(std::move(socket)), *core->tls);
  asio::steady_timer timer(core->io);
  auto handle = core->connections.insert(
      core->connections.end(), ConnHandle{&beast::get_lowest_layer(stream).socket(), &timer});
  beast::get_lowest_layer(stream).expires_after(core->options.io_timeout);
  auto [hec] = co_await stream.async_handshake(ssl::stream_base::server, k_tuple);
  if (!hec) co_await serve_requests(core, stream, timer);
  if (!hec && !core->stopped && beast::get_lowest_layer(stream).socket().is_open()) {
    beast::get_lowest_layer(stream).expires_after(core->options.io_timeout);
    co_await stream.async_shutdown(k_tuple);
  }
  core->connections.erase(handle);
}

asio::awaitable<void> accept_loop(std::shared_ptr<SimCore> core) {
  asio::steady_timer pause(core->io);
  while (!core->stopped) {
    auto [ec, socket] = co_await core->acceptor.async_accept(k_tuple);
    if (core->stopped) co_return;
    if (ec) {
      // Out of descriptors or similar: wait a little instead of spinning.
      pause.expires_after(std::chrono::milliseconds(50));
      co_await pause.async_wait(k_tuple);
      continue;
    }
    if (core->tls) {
      asio::co_spawn(core->io, serve_tls(core, std::move(socket)), log_exception);
    } else {
      asio::co_spawn(core->io, serve_plain(core, std::move(socket)), log_exception);
    }
  }
}

Result<asio::ip::address> listen_address(const std::string& text) {
  if (text == "localhost") return asio::ip::address(asio::ip::address_v4::loopback());
  boost::system::error_code ec;
  auto address = asio::ip::make_address(text, ec);
  if (ec) return make_error(fmt::format("simulator: '{}' is not an IP address", text));
  return address;
}

// The host part of the base URL: loopback for a wildcard listener, v6 in brackets.
std::string url_host(const asio::ip::address& a) {
  if (a.is_unspecified()) return a.is_v6() ? "[::1]" : "127.0.0.1";
  return a.is_v6() ? "[" + a.to_string() + "]" : a.to_string();
}

Result<void> load_tls(SimCore& core) {
  if (!core.options.cert_file && !core.options.key_file) return {};
  if (!core.options.cert_file || !core.options.key_file) {
    return make_error("simulator: HTTPS needs both a certificate and a key file");
  }
  ssl::context ctx(ssl::context::tls_server);
  boost::system::error_code ec;
  ctx.use_certificate_chain_file(*core.options.cert_file, ec);
  if (ec) {
    return make_error(fmt::format("simulator: cannot load the certificate '{}': {}",
                                  *core.options.cert_file, ec.message()));
  }
  ctx.use_private_key_file(*core.options.key_file, ssl::context::pem, ec);
  if (ec) {
    return make_error(fmt::format("simulator: cannot load the private key '{}': {}",
                                  *core.options.key_file, ec.message()));
  }
  core.tls.emplace(std::move(ctx));
  return {};
}

Result<void> open_acceptor(SimCore& core, const asio::ip::address& address) {
  const tcp::endpoint endpoint(address, core.options.port);
  boost::system::error_code ec;
  core.acceptor.open(endpoint.protocol(), ec);
  if (!ec) core.acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) core.acceptor.bind(endpoint, ec);
  if (!ec) core.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    boost::system::error_code ignored;
    core.acceptor.close(ignored);
    return make_error(fmt::format("simulator: cannot listen on {}:{}: {}", address.to_string(),
                                  core.options.port, ec.message()));
  }
  core.port = core.acceptor.local_endpoint().port();
  core.base_url = fmt::format("{}://{}:{}/api/rest/v1", core.tls ? "https" : "http",
                              url_host(address), core.port);
  return {};
}

}  // namespace

struct Simulator::Impl {
  std::shared_ptr<SimCore> core;
};

Simulator::Simulator(asio::io_context& io, const Clock& clock, SimOptions options)
    : m_impl(std::make_unique<Impl>(
          Impl{std::make_shared<SimCore>(io, clock, std::move(options))})) {}

Simulator::~Simulator() { stop(); }

Result<void> Simulator::start() {
  SimCore& core = *m_impl->core;
  if (core.acceptor.is_open()) return make_error("simulator: already started");
  BSCHED_TRY_ASSIGN(address, listen_address(core.options.listen_address));
  BSCHED_TRY(load_tls(core));
  BSCHED_TRY(open_acceptor(core, address));
  asio::co_spawn(core.io, accept_loop(m_impl->core), log_exception);
  return {};
}

void Simulator::stop() {
  asio::dispatch(m_impl->core->io, [core = m_impl->core] { core->shutdown(); });
}

unsigned short Simulator::port() const { return m_impl->core->port; }

std::string Simulator::base_url() const { return m_impl->core->base_url; }

std::vector<ReceivedRequest> Simulator::requests() const {
  std::lock_guard lock(m_impl->core->mutex);
  return m_impl->core->state.requests();
}

std::size_t Simulator::run_count() const {
  std::lock_guard lock(m_impl->core->mutex);
  return m_impl->core->state.runs().size();
}

void Simulator::set_faults(const SimFaults& faults) {
  std::lock_guard lock(m_impl->core->mutex);
  m_impl->core->state.set_faults(faults);
}

}  // namespace bsched::sim
