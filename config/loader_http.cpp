// The `http` section: the daemon's listener (docs/configuration.md, "http").
#include "config/listen_address.h"
#include "config/loader_platform.h"

#include <fmt/format.h>

#include <map>

namespace bsched::config::detail {

namespace {

void read_listen(const Field& f, Http& h, Sink& sink) {
  auto v = read_string(f, sink);
  if (!v) return;
  if (!v->empty()) {
    if (auto a = parse_listen_address(*v); !a) {
      sink.error(f.pos(), fmt::format("{}: {} (\"\" turns the listener off)", f.path,
                                      a.error().message));
      return;
    }
  }
  h.listen = *v;
}

void read_public_url(const Field& f, Http& h, Sink& sink) {
  auto v = read_string(f, sink);
  if (!v) return;
  if (!v->starts_with("https://") && !v->starts_with("http://")) {
    sink.error(f.pos(), fmt::format("{}: '{}' is not an http:// or https:// URL", f.path, *v));
    return;
  }
  h.public_url = *v;
}

// A listener others can reach serves the run history: it needs a token, or the explicit
// choice to go without one.
void check_exposure(const Field& section, const Http& h, Sink& sink,
                    const std::map<std::string, Field, std::less<>>& seen) {
  if (h.listen.empty() || h.token_file || h.allow_unauthenticated) return;
  auto a = parse_listen_address(h.listen);
  if (!a || a->loopback) return;
  auto at = seen.find("listen");
  sink.error(at != seen.end() ? at->second.pos() : section.key_pos,
             fmt::format("{}.listen: {} is not a loopback address, so other hosts can read the "
                         "status page and the run history: set {}.token_file (a bearer token "
                         "clients must send) or write allow_unauthenticated: true",
                         section.path, h.listen, section.path));
}

}  // namespace

void read_http(const Field& section, Http& h, Sink& sink, const LoadOptions& options,
               const std::string& base_dir) {
  std::map<std::string, Field, std::less<>> seen;
  bool is_map = walk_map(
      section, {.known = {"listen", "token_file", "allow_unauthenticated", "public_url"}}, sink,
      [&](const std::string& key, const Field& f) {
        seen.emplace(key, f);
        if (key == "listen") {
          read_listen(f, h, sink);
        } else if (key == "public_url") {
          read_public_url(f, h, sink);
        } else if (key == "allow_unauthenticated") {
          if (auto b = read_bool(f, sink)) h.allow_unauthenticated = *b;
        } else if (auto v = read_string(f, sink)) {
          if (v->empty()) sink.error(f.pos(), fmt::format("{}: must not be empty", f.path));
          else h.token_file = resolve_relative(*v, base_dir);
        }
      },
      /*null_ok=*/true);
  if (!is_map) return;
  check_exposure(section, h, sink, seen);
  if (options.read_secret && h.token_file)
    read_secret_file(seen.find("token_file")->second, *h.token_file, h.token, sink);
}

}  // namespace bsched::config::detail
