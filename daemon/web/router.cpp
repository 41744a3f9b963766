#include "daemon/web/router.h"

#include "daemon/status/status_json.h"
#include "daemon/web/auth.h"
#include "daemon/web/html.h"
#include "daemon/web/status_page.h"
#include "daemon/web/status_reader.h"

#include <boost/json.hpp>
#include <fmt/format.h>

#include <charconv>
#include <optional>

namespace bsched::web {

namespace {

Response text(unsigned status, std::string body) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

Response json_ok(const boost::json::value& v) {
  Response r;
  r.content_type = "application/json";
  r.body = boost::json::serialize(v) + "\n";
  return r;
}

Response html(unsigned status, std::string body) {
  Response r;
  r.status = status;
  r.content_type = "text/html; charset=utf-8";
  r.body = std::move(body);
  // The page is self-contained: nothing from elsewhere, no framing by other sites.
  r.headers = {{"Content-Security-Policy",
                "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
                "connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'"},
               {"X-Content-Type-Options", "nosniff"},
               {"Cache-Control", "no-store"}};
  return r;
}

// The value of `key` in a query string (first occurrence, percent-decoded), or nullopt.
std::optional<std::string> query_value(const std::string& query, std::string_view key) {
  std::string_view rest = query;
  while (!rest.empty()) {
    auto amp = rest.find('&');
    auto pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
    auto eq = pair.find('=');
    if (pair.substr(0, eq) != key) continue;
    std::string out;
    if (eq == std::string_view::npos) return out;
    if (!percent_decode(pair.substr(eq + 1), out)) return std::nullopt;
    return out;
  }
  return std::nullopt;
}

struct Page {
  int limit = 20;
  std::optional<std::chrono::sys_seconds> before;
  std::string error;  // non-empty: the query is wrong
};

Page read_page(const std::string& query, int default_limit) {
  Page p;
  p.limit = default_limit;
  if (auto v = query_value(query, "limit")) {
    int n = 0;
    auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
    if (v->empty() || ec != std::errc{} || end != v->data() + v->size() || n < 1) {
      p.error = "limit must be a whole number of at least 1";
      return p;
    }
    p.limit = std::min(n, k_max_history_limit);
  }
  if (auto v = query_value(query, "before"); v && !v->empty()) {
    auto t = parse_instant(*v, utc_zone());
    if (!t) {
      p.error = "before must be an instant such as 2026-12-06T10:00:00Z";
      return p;
    }
    p.before = *t;
  }
  return p;
}

// A job name from the URL: percent-decoded and within the rules of job names
// ([A-Za-z0-9._-]{1,64}); nullopt otherwise.
std::optional<std::string> job_segment(std::string_view raw) {
  std::string name;
  if (!percent_decode(raw, name) || name.empty() || name.size() > 64) return std::nullopt;
  for (char c : name) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) return std::nullopt;
  }
  if (name == "." || name == "..") return std::nullopt;
  return name;
}

// A decision answered on the loop, with no read of the database.
Decision at_once(Response r) { return Decision{std::move(r), {}}; }

Response store_error(const storage::StoreError& e) {
  return json_error(503, "the state database cannot be read: " + e.message);
}

}  // namespace

Response json_error(unsigned status, const std::string& message) {
  Response r;
  r.status = status;
  r.content_type = "application/json";
  r.body = boost::json::serialize(boost::json::object{{"error", message}}) + "\n";
  return r;
}

Router::Router(Sources sources, config::Secret token)
    : m_sources(std::move(sources)), m_token(std::move(token)) {}

SysMillis Router::now() const {
  if (m_sources.now) return m_sources.now();
  return std::chrono::time_point_cast<Millis>(std::chrono::system_clock::now());
}

Decision Router::decide(const Request& request) {
  if (request.target.size() > k_max_target) return at_once(text(414, "the URL is too long\n"));
  if (request.method != "GET" && request.method != "HEAD") {
    auto r = text(405, "only GET and HEAD: this listener changes nothing\n");
    r.headers.emplace_back("Allow", "GET, HEAD");
    return at_once(std::move(r));
  }
  if (!authorized(request.authorization, m_token)) {
    auto r = text(401, "a bearer token is required (Authorization: Bearer <http.token_file>)\n");
    r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"boomi-sched\"");
    return at_once(std::move(r));
  }
  if (request.target.empty() || request.target.front() != '/')
    return at_once(text(400, "the request target must be a path\n"));
  auto q = request.target.find('?');
  auto path = request.target.substr(0, q);
  auto query = q == std::string::npos ? std::string() : request.target.substr(q + 1);
  return route(path, query);
}

Response Router::handle(const Request& request) {
  auto d = decide(request);
  return d.answer ? std::move(*d.answer) : d.read();
}

namespace {

// The reads of the state database: each runs where Router::decide's caller puts it, with
// what the loop gave it.
Response api_status(StatusReader& reader, std::shared_ptr<const config::Config> config,
                    SysMillis now) {
  auto doc = reader.status(config, now);
  return doc ? json_ok(*doc) : store_error(doc.error());
}

Response api_history(StatusReader& reader, std::shared_ptr<const config::Config> config,
                     const std::string& job, const Page& page) {
  auto known = reader.known_job(config, job);
  if (!known) return store_error(known.error());
  if (!*known) return json_error(404, "no job '" + job + "' in the configuration or the history");
  auto entries = reader.history(config, job, page.limit, page.before);
  if (!entries) return store_error(entries.error());
  boost::json::array list;
  for (const auto& e : *entries) list.push_back(status::history_entry_json(e));
  return json_ok(list);
}

Response index_page(StatusReader& reader, std::shared_ptr<const config::Config> config,
                    const Health& health, SysMillis now) {
  auto jobs = reader.jobs(config, now);
  if (!jobs) return html(503, render_error_page(jobs.error().message));
  return html(200, render_index_page(*jobs, health, now));
}

Response job_page(StatusReader& reader, std::shared_ptr<const config::Config> config,
                  const std::string& job, const Page& page, SysMillis now) {
  auto known = reader.known_job(config, job);
  if (!known) return html(503, render_error_page(known.error().message));
  if (!*known) return html(404, render_error_page("no job '" + job + "'"));
  auto entries = reader.history(config, job, page.limit, page.before);
  if (!entries) return html(503, render_error_page(entries.error().message));
  return html(200, render_job_page(job, *entries, page.limit, now));
}

}  // namespace

Decision Router::route(const std::string& path, const std::string& query) {
  if (path == "/metrics") {
    auto r = text(200, m_sources.metrics ? m_sources.metrics() : std::string());
    r.content_type = k_metrics_content_type;
    return at_once(std::move(r));
  }
  if (path == "/healthz") {
    auto h = m_sources.health ? m_sources.health() : Health{};
    return at_once(text(h.ok ? 200 : 503, (h.ok ? std::string("ok") : h.reason) + "\n"));
  }
  if (!m_sources.status) return at_once(json_error(503, "the status is not available"));
  auto& reader = *m_sources.status;
  auto config = m_sources.config ? m_sources.config() : nullptr;
  const auto at = now();
  if (path == "/api/status") {
    return {{}, [&reader, config, at] { return api_status(reader, config, at); }};
  }
  constexpr std::string_view k_api_jobs = "/api/jobs/", k_history = "/history";
  if (path.starts_with(k_api_jobs) && path.ends_with(k_history) &&
      path.size() > k_api_jobs.size() + k_history.size()) {
    auto raw = std::string_view(path).substr(
        k_api_jobs.size(), path.size() - k_api_jobs.size() - k_history.size());
    if (raw.find('/') != std::string_view::npos) return at_once(json_error(404, "no such resource"));
    auto job = job_segment(raw);
    if (!job)
      return at_once(json_error(404, "no such job (job names are [A-Za-z0-9._-]{1,64})"));
    auto page = read_page(query, 20);
    if (!page.error.empty()) return at_once(json_error(400, page.error));
    return {{}, [&reader, config, job = *job, page] {
              return api_history(reader, config, job, page);
            }};
  }
  if (path == "/") {
    auto health = m_sources.health ? m_sources.health() : Health{};
    return {{}, [&reader, config, health, at] { return index_page(reader, config, health, at); }};
  }
  constexpr std::string_view k_jobs = "/jobs/";
  if (path.starts_with(k_jobs) && path.find('/', k_jobs.size()) == std::string::npos) {
    auto job = job_segment(std::string_view(path).substr(k_jobs.size()));
    if (!job) return at_once(html(404, render_error_page("no such job")));
    auto page = read_page(query, 50);
    if (!page.error.empty()) return at_once(html(400, render_error_page(page.error)));
    return {{}, [&reader, config, job = *job, page, at] {
              return job_page(reader, config, job, page, at);
            }};
  }
  return at_once(json_error(404, "no such resource (see /, /metrics, /healthz, /api/status, "
                                "/api/jobs/NAME/history, /jobs/NAME)"));
}

}  // namespace bsched::web
