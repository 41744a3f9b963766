// URL parsing and the loopback rule of the HTTP transport, plus HttpResponse::header. The
// rules themselves live in config/url_check.h, shared with `validate`.
#include "daemon/platform/http_transport.h"

#include "config/url_check.h"

#include <fmt/core.h>

#include <algorithm>
#include <cctype>

namespace bsched::platform {

namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

std::string_view HttpResponse::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (iequals(k, name)) return v;
  return {};
}

bool is_loopback_host(std::string_view host) { return config::plain_http_candidate(host); }

std::optional<std::string> plain_http_refusal(const HttpUrl& url,
                                              const boost::asio::ip::address& resolved) {
  if (url.tls || resolved.is_loopback()) return std::nullopt;
  return fmt::format("refusing plain http to {}: it resolves to {}, which is not a loopback "
                     "address (use https)",
                     url.host, resolved.to_string());
}

Result<HttpUrl> parse_http_url(std::string_view url) {
  auto parts = config::parse_url_parts(url);
  if (!parts) return parts.error();
  return HttpUrl{parts->tls, std::move(parts->host), std::move(parts->port),
                 std::move(parts->target)};
}

}  // namespace bsched::platform
