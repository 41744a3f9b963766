// HttpTransport over Boost.Beast and OpenSSL on the daemon's io_context (C++20 coroutines).
//
// - HTTPS always verifies the certificate chain (the system store, or `ca_file` when given)
//   and the host name (DNS name or IP address in subjectAltName); there is no switch to turn
//   verification off. Plain http is accepted only for loopback hosts (tests, the simulator).
// - Every resolve, connect, TLS handshake, write and read has its own deadline (`timeout`).
//   A host-name lookup itself cannot be interrupted (getaddrinfo): a hung system resolver
//   holds the send until its own timeouts pass, then the deadline error is returned.
// - Host names are resolved once for every sender waiting at the same time and the answer
//   kept for `resolve_ttl` (a failed connect forgets it); IP literals skip the resolver.
// - At most `max_connections_per_host` exchanges run at once per scheme://host:port; further
//   sends wait their turn, first come first served (a burst of triggers reuses a few
//   keep-alive connections instead of opening one each).
// - Keep-alive: up to `max_idle_per_host` idle connections per scheme://host:port are kept
//   for `max_idle` and reused. Before reuse a connection is checked for a close from the
//   server; an idempotent request that fails on a reused connection before any answer
//   arrived is sent once more on a fresh one, a non-idempotent one never is.
// - Interim answers (1xx but 101) are read and dropped; the final answer must still arrive
//   within one `timeout` of the end of the write, and after at most k_max_interim_answers of
//   them. A 101 (never asked for) is a protocol error.
// - Memory per exchange is bounded: the header block by k_header_limit, the body by
//   `body_limit`, the extensions of one chunk by k_chunk_extension_limit, and the
//   connection's read buffer (bytes received but not yet parsed) by k_read_buffer_limit.
//   Going past any of them fails with TransportError::Kind::too_large and closes the
//   connection.
// - A connection is reused only when the answer left no byte behind: bytes after the end of
//   an answer (a second, unasked answer) mean the stream cannot be trusted, so it is closed.
//
// The transport must outlive every send() it started. Not thread-safe (one io_context thread).
#pragma once

#include "base/time_util.h"
#include "daemon/platform/http_transport.h"

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>

namespace bsched::platform {

// Limits of one answer (docs/operations.md "Limits"). The platform's answers are a few KiB;
// these leave room for large query pages while keeping one hostile answer from taking the
// daemon's memory.
//
// Status line plus header fields. Beast's own default for responses is 8 KiB; proxies and
// the platform's deprecation headers (Link, Warning, Sunset) stay far below 16 KiB.
inline constexpr std::size_t k_header_limit = 16 * 1024;
// The extensions of one chunk (`;name=value` after the chunk size). Nothing the platform
// sends uses them: 1 KiB is generous.
inline constexpr std::size_t k_chunk_extension_limit = 1024;
// Bytes received but not yet parsed, per connection: the header block, one chunk header line
// or a piece of body on its way to the body string. A chunk header line (or trailer) longer
// than this never completes, which is what bounds an endless chunk extension before the
// parser sees it.
inline constexpr std::size_t k_read_buffer_limit = 64 * 1024;
// Interim 1xx answers skipped before the final one; more is a protocol error.
inline constexpr int k_max_interim_answers = 8;
// The default `body_limit`: bytes of one decoded body (a 100-record query page is ~100 KiB).
inline constexpr std::size_t k_default_body_limit = 4 * 1024 * 1024;

struct TransportOptions {
  Millis timeout = std::chrono::seconds{30};  // per resolve / connect / handshake / write / read
  std::optional<std::string> ca_file;         // PEM bundle; absent: the system CA store
  std::size_t body_limit = k_default_body_limit;  // bytes of one response body
  std::size_t max_connections_per_host = 64;  // exchanges in progress at once per host
  std::size_t max_idle_per_host = 64;         // idle keep-alive connections kept per host
  Millis resolve_ttl = std::chrono::seconds{30};  // how long a host name's addresses are reused
  Millis max_idle = std::chrono::seconds{30};  // an idle connection older than this is closed
};

class BeastTransport final : public HttpTransport {
 public:
  // Never fails: a ca_file that cannot be loaded makes every https send fail with a tls error
  // naming the file.
  BeastTransport(boost::asio::io_context& io, TransportOptions options);
  ~BeastTransport() override;
  BeastTransport(const BeastTransport&) = delete;
  BeastTransport& operator=(const BeastTransport&) = delete;

  boost::asio::awaitable<Result<HttpResponse, TransportError>> send(HttpRequest request) override;

  // For tests and benchmarks: connections opened so far, and idle ones in the pool.
  std::size_t connections_opened() const;
  std::size_t idle_connections() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

}  // namespace bsched::platform
