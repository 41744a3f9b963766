// BeastTransport: one coroutine per exchange; connections pooled per scheme://host:port.
#include "daemon/platform/beast_transport.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <fmt/core.h>

#include <sys/socket.h>

#include <algorithm>
#include <deque>
#include <map>
#include <optional>
#include <vector>

namespace bsched::platform {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using asio::awaitable;
using SendResult = Result<HttpResponse, TransportError>;
using Kind = TransportError::Kind;
using Sent = TransportError::Sent;

namespace {

constexpr auto k_use = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t k_read_reserve = 4 * 1024;

// One open connection: plain TCP or TLS over TCP, with its read buffer.
struct Connection {
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> secure;
  beast::flat_buffer buffer;
  std::chrono::steady_clock::time_point idle_since{};

  beast::tcp_stream& tcp() { return secure ? beast::get_lowest_layer(*secure) : *plain; }
};

std::string seconds_text(Millis d) { return format_duration(d); }

TransportError make_transport_error(Kind kind, Sent sent, std::string message) {
  return TransportError{kind, sent, std::move(message)};
}

// True when the peer already closed (or sent something unasked on) an idle connection.
bool looks_closed(Connection& c) {
  char byte;
  auto fd = c.tcp().socket().native_handle();
  auto n = ::recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n >= 0) return true;
  return !(errno == EAGAIN || errno == EWOULDBLOCK);
}

}  // namespace

struct BeastTransport::Impl {
  Impl(asio::io_context& io_, TransportOptions o)
      : io(io_), options(std::move(o)) {}

  asio::io_context& io;
  TransportOptions options;
  // Made on the first https URL: OpenSSL's set-up (about 2 MiB resident) is not paid by a
  // daemon that only talks to a loopback simulator.
  std::optional<ssl::context> tls_context;
  std::string trust_error;  // non-empty when the CA store could not be loaded
  std::map<std::string, std::vector<std::unique_ptr<Connection>>> pool;
  std::size_t opened = 0;

  // A host name's addresses: resolving while `done` is unset; waiters sleep on their timers.
  struct Resolution {
    std::optional<Result<tcp::resolver::results_type, TransportError>> done;
    std::chrono::steady_clock::time_point expires{};
    std::vector<asio::steady_timer*> waiters;
  };
  std::map<std::string, std::shared_ptr<Resolution>> resolutions;  // by host:port

  // Exchanges in progress per scheme://host:port, and the sends waiting for a turn.
  struct HostTurns {
    std::size_t active = 0;
    std::deque<asio::steady_timer*> waiting;
  };
  std::map<std::string, HostTurns> turns;
  Result<HttpUrl, TransportError> usable_url(const std::string& text);
  Result<HttpUrl, TransportError> check_url(const std::string& text);
  // usable_url's verdict per origin (scheme://host:port): parsing and the loopback test were
  // a twentieth of a request's CPU. A handful of origins at most (the configured URLs).
  std::map<std::string, Result<HttpUrl, TransportError>, std::less<>> origins;
  static std::string pool_key(const HttpUrl& url);

  ssl::context& tls();
  std::unique_ptr<Connection> take_idle(const std::string& key);
  void give_back(const std::string& key, std::unique_ptr<Connection> c);
  awaitable<Result<std::unique_ptr<Connection>, TransportError>> open(const HttpUrl& url);
  awaitable<Result<tcp::resolver::results_type, TransportError>> resolve(const HttpUrl& url);
  awaitable<Result<tcp::resolver::results_type, TransportError>> lookup(const HttpUrl& url);
  awaitable<void> take_turn(const std::string& key);
  awaitable<SendResult> send_on_turn(const HttpRequest& request, const HttpUrl& url,
                                     const std::string& key);
  void end_turn(const std::string& key);
  awaitable<Result<void, TransportError>> handshake(Connection& c, const HttpUrl& url);
  awaitable<SendResult> exchange(Connection& c, const HttpRequest& req, const HttpUrl& url,
                                 bool& keep_alive);
  TransportError read_error(const beast::error_code& rec, const HttpRequest& req,
                            const HttpUrl& url) const;
  template <class Stream>
  awaitable<Result<http::response<http::string_body>, TransportError>> read_answer(
      Stream& s, Connection& c, const HttpRequest& req, const HttpUrl& url);
  template <class Stream>
  awaitable<SendResult> exchange_on(Stream& s, Connection& c, const HttpRequest& req,
                                    const HttpUrl& url, bool& keep_alive);
};

ssl::context& BeastTransport::Impl::tls() {
  if (tls_context) return *tls_context;
  auto& ctx = tls_context.emplace(ssl::context::tls_client);
  boost::system::error_code ec;
  ctx.set_verify_mode(ssl::verify_peer, ec);
  if (options.ca_file) {
    ctx.load_verify_file(*options.ca_file, ec);
    if (ec)
      trust_error = fmt::format("cannot load ca_file '{}': {}; check the path and that it "
                                "holds PEM certificates",
                                *options.ca_file, ec.message());
  } else {
    ctx.set_default_verify_paths(ec);
    if (ec) trust_error = fmt::format("cannot load the system CA store: {}", ec.message());
  }
  return ctx;
}

std::unique_ptr<Connection> BeastTransport::Impl::take_idle(const std::string& key) {
  auto it = pool.find(key);
  if (it == pool.end()) return nullptr;
  auto now = std::chrono::steady_clock::now();
  while (!it->second.empty()) {
    auto c = std::move(it->second.back());
    it->second.pop_back();
    if (now - c->idle_since < options.max_idle && !looks_closed(*c)) return c;
  }
  return nullptr;
}

void BeastTransport::Impl::give_back(const std::string& key, std::unique_ptr<Connection> c) {
  auto& idle = pool[key];
  if (idle.size() >= options.max_idle_per_host) return;  // closed by the destructor
  c->idle_since = std::chrono::steady_clock::now();
  idle.push_back(std::move(c));
}

// The addresses of url.host: an IP literal at once; a name from the shared resolution (one
// getaddrinfo for every sender that needs it meanwhile, kept resolve_ttl).
awaitable<Result<tcp::resolver::results_type, TransportError>> BeastTransport::Impl::resolve(
    const HttpUrl& url) {
  boost::system::error_code ec;
  auto literal = asio::ip::make_address(url.host, ec);
  if (!ec) {
    auto port = static_cast<unsigned short>(std::stoul(url.port));
    co_return tcp::resolver::results_type::create(tcp::endpoint(literal, port), url.host,
                                                  url.port);
  }
  auto key = url.host + ":" + url.port;
  auto now = std::chrono::steady_clock::now();
  auto it = resolutions.find(key);
  if (it != resolutions.end() && it->second->done && it->second->expires <= now) {
    resolutions.erase(it);
    it = resolutions.end();
  }
  if (it != resolutions.end()) {
    auto shared = it->second;
    if (!shared->done) {
      asio::steady_timer wake(io, asio::steady_timer::time_point::max());
      shared->waiters.push_back(&wake);
      while (!shared->done) co_await wake.async_wait(k_use);
    }
    co_return *shared->done;
  }
  auto shared = std::make_shared<Resolution>();
  resolutions[key] = shared;
  shared->done = co_await lookup(url);
  shared->expires = std::chrono::steady_clock::now() + options.resolve_ttl;
  for (auto* w : shared->waiters) w->cancel();
  shared->waiters.clear();
  if (!*shared->done) resolutions.erase(key);  // failures are not kept
  co_return *shared->done;
}

awaitable<Result<tcp::resolver::results_type, TransportError>> BeastTransport::Impl::lookup(
    const HttpUrl& url) {
  using namespace asio::experimental::awaitable_operators;
  tcp::resolver resolver(io);
  asio::steady_timer timer(io, options.timeout);
  auto r = co_await (resolver.async_resolve(url.host, url.port, k_use) || timer.async_wait(k_use));
  if (r.index() == 1)
    co_return make_transport_error(Kind::resolve, Sent::no,
                                   fmt::format("resolving {} timed out after {}", url.host,
                                               seconds_text(options.timeout)));
  auto [ec, results] = std::get<0>(std::move(r));
  if (ec)
    co_return make_transport_error(Kind::resolve, Sent::no,
                                   fmt::format("cannot resolve {}: {}", url.host, ec.message()));
  co_return results;
}

// Resumes once fewer than max_connections_per_host exchanges run on `key`; FIFO.
awaitable<void> BeastTransport::Impl::take_turn(const std::string& key) {
  auto& t = turns[key];
  if (t.active < std::max<std::size_t>(1, options.max_connections_per_host) && t.waiting.empty()) {
    ++t.active;
    co_return;
  }
  asio::steady_timer wake(io, asio::steady_timer::time_point::max());
  t.waiting.push_back(&wake);
  // end_turn() hands its turn over (active stays counted) and wakes this sender.
  auto [ec] = co_await wake.async_wait(k_use);
  (void)ec;
}

void BeastTransport::Impl::end_turn(const std::string& key) {
  auto& t = turns[key];
  if (!t.waiting.empty()) {
    auto* next = t.waiting.front();
    t.waiting.pop_front();
    next->cancel();
    return;
  }
  --t.active;
}

awaitable<Result<void, TransportError>> BeastTransport::Impl::handshake(Connection& c,
                                                                        const HttpUrl& url) {
  auto& s = *c.secure;
  // SNI only for names, never for IP literals (RFC 6066).
  boost::system::error_code ec;
  asio::ip::make_address(url.host, ec);
  if (ec && !SSL_set_tlsext_host_name(s.native_handle(), url.host.c_str()))
    co_return make_transport_error(Kind::tls, Sent::no, "cannot set the TLS server name");
  s.set_verify_callback(ssl::host_name_verification(url.host));
  c.tcp().expires_after(options.timeout);
  auto [hec] = co_await s.async_handshake(ssl::stream_base::client, k_use);
  if (hec == beast::error::timeout)
    co_return make_transport_error(Kind::tls, Sent::no,
                                   fmt::format("TLS handshake with {} timed out after {}",
                                               url.host, seconds_text(options.timeout)));
  if (hec) {
    auto verify = SSL_get_verify_result(s.native_handle());
    std::string detail = verify != X509_V_OK ? X509_verify_cert_error_string(verify) : hec.message();
    co_return make_transport_error(
        Kind::tls, Sent::no,
        fmt::format("TLS handshake with {}:{} failed: {}{}", url.host, url.port, detail,
                    verify != X509_V_OK ? " (set platform.ca_file if the server uses a private CA)"
                                        : ""));
  }
  co_return Result<void, TransportError>{};
}

awaitable<Result<std::unique_ptr<Connection>, TransportError>> BeastTransport::Impl::open(
    const HttpUrl& url) {
  auto endpoints = co_await resolve(url);
  if (!endpoints) co_return endpoints.error();
  for (const auto& e : *endpoints)  // plain http only to addresses that are loopback
    if (auto refusal = plain_http_refusal(url, e.endpoint().address()))
      co_return make_transport_error(Kind::insecure, Sent::no, std::move(*refusal));
  auto c = std::make_unique<Connection>();
  c->buffer.max_size(k_read_buffer_limit);
  // Room for a usual answer (under 1 KiB) in one read: Beast otherwise starts the buffer at 512
  // bytes, and an answer a little larger costs a second wake-up and recvmsg every exchange.
  c->buffer.reserve(k_read_reserve);
  if (url.tls)
    c->secure.emplace(io, tls());
  else
    c->plain.emplace(io);
  c->tcp().expires_after(options.timeout);
  auto [ec, ep] = co_await c->tcp().async_connect(*endpoints, k_use);
  if (ec == beast::error::timeout)
    co_return make_transport_error(Kind::connect, Sent::no,
                                   fmt::format("connect to {}:{} timed out after {}", url.host,
                                               url.port, seconds_text(options.timeout)));
  if (ec) {
    resolutions.erase(url.host + ":" + url.port);  // the next attempt asks the resolver again
    co_return make_transport_error(
        Kind::connect, Sent::no,
        fmt::format("cannot connect to {}:{}: {}", url.host, url.port, ec.message()));
  }
  ++opened;
  c->tcp().socket().set_option(tcp::no_delay(true), ec);
  if (url.tls) {
    auto hs = co_await handshake(*c, url);
    if (!hs) co_return hs.error();
  }
  co_return std::move(c);
}

// A failed read of the answer, after the whole request was written.
TransportError BeastTransport::Impl::read_error(const beast::error_code& rec,
                                                const HttpRequest& req, const HttpUrl& url) const {
  Kind kind = Kind::io;
  std::string what = rec.message();
  if (rec == beast::error::timeout) {
    kind = Kind::timeout;
    what = fmt::format("no answer within {}", seconds_text(options.timeout));
  } else if (rec == http::error::body_limit) {
    kind = Kind::too_large;
    what = fmt::format("answer body larger than {} bytes", options.body_limit);
  } else if (rec == http::error::header_limit) {
    kind = Kind::too_large;
    what = fmt::format("answer header larger than {} bytes", k_header_limit);
  } else if (rec == http::error::buffer_overflow) {
    kind = Kind::too_large;
    what = fmt::format("answer line or header larger than {} bytes", k_read_buffer_limit);
  } else if (rec == http::error::end_of_stream || rec == http::error::partial_message) {
    what = "the server closed the connection before answering";
  } else if (rec.category() == http::make_error_code(http::error::end_of_stream).category()) {
    kind = Kind::protocol;
  }
  return make_transport_error(kind, Sent::fully,
                              fmt::format("{} {}: {}", req.method, url.host, what));
}

// The final answer to a request just written. Interim answers are skipped (each needs a
// parser of its own); they do not extend the deadline of the final answer.
template <class Stream>
awaitable<Result<http::response<http::string_body>, TransportError>>
BeastTransport::Impl::read_answer(Stream& s, Connection& c, const HttpRequest& req,
                                  const HttpUrl& url) {
  std::optional<http::response_parser<http::string_body>> parser;
  bool ext_too_long = false;
  auto check_extensions = [&](std::uint64_t, beast::string_view extensions,
                              beast::error_code& ec) {
    if (extensions.size() <= k_chunk_extension_limit) return;
    ext_too_long = true;
    ec = http::error::bad_chunk_extension;
  };
  auto deadline = std::chrono::steady_clock::now() + options.timeout;
  for (int interim = 0;; ++interim) {
    parser.emplace();
    parser->header_limit(static_cast<std::uint32_t>(k_header_limit));
    parser->body_limit(options.body_limit);
    parser->on_chunk_header(check_extensions);
    c.tcp().expires_at(deadline);
    auto [rec, read] = co_await http::async_read(s, c.buffer, *parser, k_use);
    if (rec && ext_too_long)
      co_return make_transport_error(
          Kind::too_large, Sent::fully,
          fmt::format("{} {}: chunk extensions longer than {} bytes", req.method, url.host,
                      k_chunk_extension_limit));
    if (rec) co_return read_error(rec, req, url);
    auto status = parser->get().result_int();
    if (status < 100 || status >= 200) co_return parser->release();
    if (status == 101 || interim + 1 > k_max_interim_answers)
      co_return make_transport_error(
          Kind::protocol, Sent::fully,
          fmt::format("{} {}: {}", req.method, url.host,
                      status == 101 ? std::string("unasked 101 Switching Protocols")
                                    : fmt::format("more than {} interim 1xx answers",
                                                  k_max_interim_answers)));
  }
}

template <class Stream>
awaitable<SendResult> BeastTransport::Impl::exchange_on(Stream& s, Connection& c,
                                                        const HttpRequest& req,
                                                        const HttpUrl& url, bool& keep_alive) {
  http::request<http::string_body> msg{req.method == "POST" ? http::verb::post : http::verb::get,
                                       url.target, 11};
  msg.set(http::field::host, url.port == (url.tls ? "443" : "80")
                                 ? url.host
                                 : fmt::format("{}:{}", url.host.find(':') != std::string::npos
                                                            ? "[" + url.host + "]"
                                                            : url.host,
                                               url.port));
  msg.set(http::field::user_agent, "boomi-sched/" BSCHED_VERSION);
  for (const auto& [k, v] : req.headers) msg.set(k, v);
  msg.body() = req.body;
  msg.keep_alive(true);
  msg.prepare_payload();

  c.tcp().expires_after(options.timeout);
  auto [wec, written] = co_await http::async_write(s, msg, k_use);
  if (wec) {
    auto sent = written > 0 ? Sent::partly : Sent::no;
    auto kind = wec == beast::error::timeout ? Kind::timeout : Kind::io;
    co_return make_transport_error(
        kind, sent,
        kind == Kind::timeout
            ? fmt::format("sending to {} timed out after {}", url.host,
                          seconds_text(options.timeout))
            : fmt::format("sending to {} failed: {}", url.host, wec.message()));
  }
  auto answer = co_await read_answer(s, c, req, url);
  if (!answer) co_return answer.error();
  auto& res = *answer;
  // Bytes after the answer were not asked for: reading them as the next request's answer
  // would credit it with someone else's result.
  keep_alive = res.keep_alive() && c.buffer.size() == 0;
  HttpResponse out;
  out.status = static_cast<int>(res.result_int());
  for (const auto& f : res) out.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
  out.body = std::move(res.body());
  co_return out;
}

awaitable<SendResult> BeastTransport::Impl::exchange(Connection& c, const HttpRequest& req,
                                                     const HttpUrl& url, bool& keep_alive) {
  if (c.secure) co_return co_await exchange_on(*c.secure, c, req, url, keep_alive);
  co_return co_await exchange_on(*c.plain, c, req, url, keep_alive);
}

BeastTransport::BeastTransport(asio::io_context& io, TransportOptions options)
    : m_impl(std::make_unique<Impl>(io, std::move(options))) {}

BeastTransport::~BeastTransport() = default;

std::size_t BeastTransport::connections_opened() const { return m_impl->opened; }

std::size_t BeastTransport::idle_connections() const {
  std::size_t n = 0;
  for (const auto& [k, v] : m_impl->pool) n += v.size();
  return n;
}

// The URL of a send, refused before anything goes out when it is not one this transport
// talks to (malformed, plain http off loopback, https without a usable CA store). The origin's
// verdict is kept; the path and query after it are taken as they are.
Result<HttpUrl, TransportError> BeastTransport::Impl::usable_url(const std::string& text) {
  constexpr std::size_t k_max_origins = 16;
  auto scheme_end = text.find("://");
  auto rest_at = scheme_end == std::string::npos ? std::string::npos
                                                 : text.find_first_of("/?#", scheme_end + 3);
  std::string_view rest = rest_at == std::string::npos ? std::string_view{}
                                                       : std::string_view(text).substr(rest_at);
  auto plain_char = [](char ch) {
    auto u = static_cast<unsigned char>(ch);
    return u > 0x20 && u < 0x7f && std::string_view("\"<>\\^`{|}#").find(ch) == std::string_view::npos;
  };
  if (scheme_end == std::string::npos || !std::all_of(rest.begin(), rest.end(), plain_char))
    return check_url(text);  // not the usual shape: the full check says what is wrong or right
  auto origin = std::string_view(text).substr(0, rest_at == std::string::npos ? text.size() : rest_at);
  auto it = origins.find(origin);
  if (it == origins.end()) {
    if (origins.size() >= k_max_origins) origins.clear();
    it = origins.emplace(std::string(origin), check_url(std::string(origin))).first;
  }
  if (!it->second) return it->second.error();
  HttpUrl url = *it->second;
  url.target = rest.empty() || rest.front() == '?' ? "/" + std::string(rest) : std::string(rest);
  return url;
}

Result<HttpUrl, TransportError> BeastTransport::Impl::check_url(const std::string& text) {
  auto url = parse_http_url(text);
  if (!url) return make_transport_error(Kind::bad_url, Sent::no, url.error().message);
  if (!url->tls && !is_loopback_host(url->host))
    return make_transport_error(
        Kind::insecure, Sent::no,
        fmt::format("refusing plain http to {}: use https (plain http is allowed only for "
                    "loopback addresses)",
                    url->host));
  if (url->tls) {
    tls();  // loads the CA store on the first https URL; sets trust_error when it cannot
    if (!trust_error.empty()) return make_transport_error(Kind::tls, Sent::no, trust_error);
  }
  return *url;
}

std::string BeastTransport::Impl::pool_key(const HttpUrl& url) {
  return fmt::format("{}://{}:{}", url.tls ? "https" : "http", url.host, url.port);
}

awaitable<SendResult> BeastTransport::send(HttpRequest request) {
  auto url = m_impl->usable_url(request.url);
  if (!url) co_return url.error();
  auto key = m_impl->pool_key(*url);
  co_await m_impl->take_turn(key);
  auto r = co_await m_impl->send_on_turn(request, *url, key);
  m_impl->end_turn(key);
  co_return r;
}

// One exchange: on an idle keep-alive connection, else (or after a stale one) a fresh one.
awaitable<SendResult> BeastTransport::Impl::send_on_turn(const HttpRequest& request,
                                                         const HttpUrl& url,
                                                         const std::string& key) {
  if (auto idle = take_idle(key)) {
    bool keep_alive = false;
    auto r = co_await exchange(*idle, request, url, keep_alive);
    if (r) {
      if (keep_alive) give_back(key, std::move(idle));
      co_return r;
    }
    // A stale keep-alive connection: only a request that may safely be repeated is.
    bool no_answer = r.error().kind == Kind::io || r.error().kind == Kind::protocol;
    if (!(no_answer && (request.idempotent || !r.error().maybe_sent()))) co_return r;
  }
  auto fresh = co_await open(url);
  if (!fresh) co_return fresh.error();
  bool keep_alive = false;
  auto r = co_await exchange(**fresh, request, url, keep_alive);
  if (r && keep_alive) give_back(key, std::move(*fresh));
  co_return r;
}

}  // namespace bsched::platform
