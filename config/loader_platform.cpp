#include "config/loader_platform.h"

#include "config/url_check.h"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>

namespace bsched::config::detail {

namespace {

const std::vector<std::string_view> k_platform_keys = {
    "account_id", "base_url", "username", "token_file", "token_env",   "requests_per_second",
    "timeout",    "ca_file",  "api",      "space_guid", "graphql_url", "jwt_url"};

void read_url(const Field& f, std::string& out, Sink& sink) {
  auto v = read_string(f, sink);
  if (!v) return;
  if (!v->starts_with("https://") && !v->starts_with("http://")) {
    sink.error(f.pos(), fmt::format("{}: '{}' is not an http:// or https:// URL", f.path, *v));
    return;
  }
  // The transport's own rules (config/url_check.h): what it would refuse is refused here.
  if (auto parts = parse_platform_url(*v); !parts) {
    sink.error(f.pos(), fmt::format("{}: {}", f.path, parts.error().message));
    return;
  }
  while (v->ends_with("/")) v->pop_back();
  out = *v;
}

void read_nonempty(const Field& f, std::string& out, Sink& sink) {
  auto v = read_string(f, sink);
  if (!v) return;
  if (v->empty()) {
    sink.error(f.pos(), fmt::format("{}: must not be empty", f.path));
    return;
  }
  out = *v;
}

bool is_env_name(std::string_view name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name.front()))) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
  });
}

// Overwrites the variable's value in place before removing it: unsetenv alone leaves the
// bytes of the initial environment, which /proc/PID/environ shows, where they were.
void wipe_env(const std::string& name) {
  if (char* v = std::getenv(name.c_str()))
    for (; *v; ++v) *static_cast<volatile char*>(v) = 0;
  ::unsetenv(name.c_str());
}

void read_token_env(const Field& f, Platform& p, Sink& sink, const LoadOptions& options) {
  const auto& name = *p.token_env;
  const char* v = std::getenv(name.c_str());
  if (v && *v) {
    p.token = Secret(v);
    if (options.env_tokens) {
      (*options.env_tokens)[name] = p.token;
      wipe_env(name);
    }
    return;
  }
  if (options.env_tokens) {
    if (auto it = options.env_tokens->find(name); it != options.env_tokens->end()) {
      p.token = it->second;
      return;
    }
  }
  sink.error(f.pos(), fmt::format("{}: environment variable '{}' is not set or is empty", f.path,
                                  name));
}

void check_platform(const Field& section, Platform& p, Sink& sink, const LoadOptions& options,
                    std::map<std::string, Field, std::less<>>& seen) {
  for (std::string_view required : {"account_id", "username"})
    if (!seen.contains(required))
      sink.error(section.key_pos,
                 fmt::format("{}: missing required key '{}'", section.path, required));
  bool file = seen.contains("token_file"), env = seen.contains("token_env");
  if (file && env)
    sink.error(seen.find("token_env")->second.key_pos,
               fmt::format("{}: set either token_file or token_env, not both", section.path));
  if (!file && !env)
    sink.error(section.key_pos,
               fmt::format("{}: missing token_file or token_env (where the API token is read "
                           "from; the token itself never goes into this file)",
                           section.path));
  if (p.api == ApiKind::graphql && p.space_guid.empty()) {
    // At the `api: graphql` line, the choice that asks for it.
    auto api = seen.find("api");
    sink.error(api != seen.end() ? api->second.key_pos : section.key_pos,
               fmt::format("{}: api graphql needs space_guid", section.path));
  }
  if (!options.read_secret || (file && env)) return;
  if (file && p.token_file)
    read_secret_file(seen.find("token_file")->second, *p.token_file, p.token, sink);
  if (env && p.token_env) read_token_env(seen.find("token_env")->second, p, sink, options);
  if (p.ca_file && ::access(p.ca_file->c_str(), R_OK) != 0) {
    auto f = seen.find("ca_file")->second;
    sink.error(f.pos(),
               fmt::format("{}: cannot read '{}': {}", f.path, *p.ca_file, std::strerror(errno)));
  }
}

}  // namespace

void read_secret_file(const Field& f, const std::string& path, Secret& out, Sink& sink) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    sink.error(f.pos(), fmt::format("{}: cannot read '{}': {} (check the path and its permissions; "
                                    "'validate --no-secret' checks everything else)",
                                    f.path, path, std::strerror(errno)));
    return;
  }
  if (!S_ISREG(st.st_mode)) {
    sink.error(f.pos(), fmt::format("{}: '{}' is not a regular file", f.path, path));
    return;
  }
  if ((st.st_mode & 07777 & ~0640) != 0)
    sink.warning(f.pos(), fmt::format("{}: '{}' has mode {:04o}, wider than 0640; restrict it "
                                      "with chmod 600",
                                      f.path, path, st.st_mode & 07777));
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    sink.error(f.pos(), fmt::format("{}: cannot read '{}': {}", f.path, path,
                                    std::strerror(errno ? errno : EACCES)));
    return;
  }
  std::string token{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
  if (token.empty()) {
    sink.error(f.pos(), fmt::format("{}: '{}' is empty", f.path, path));
    return;
  }
  out = Secret(std::move(token));
}

std::string resolve_relative(const std::string& path, const std::string& base_dir) {
  if (path.empty() || path.front() == '/' || base_dir.empty()) return path;
  return (std::filesystem::path(base_dir) / path).lexically_normal().string();
}

void read_platform(const Field& section, Platform& p, Sink& sink, const LoadOptions& options,
                   const std::string& base_dir) {
  std::map<std::string, Field, std::less<>> seen;
  bool is_map = walk_map(section, {.known = k_platform_keys}, sink,
                         [&](const std::string& key, const Field& f) {
                           seen.emplace(key, f);
                           if (key == "account_id")
                             read_nonempty(f, p.account_id, sink);
                           else if (key == "username")
                             read_nonempty(f, p.username, sink);
                           else if (key == "space_guid")
                             read_nonempty(f, p.space_guid, sink);
                           else if (key == "base_url")
                             read_url(f, p.base_url, sink);
                           else if (key == "graphql_url")
                             read_url(f, p.graphql_url, sink);
                           else if (key == "jwt_url")
                             read_url(f, p.jwt_url, sink);
                           else if (key == "timeout") {
                             if (auto d = read_duration(f, sink, Millis{1})) p.timeout = *d;
                           } else if (key == "requests_per_second") {
                             if (auto r = read_number(f, sink, 0, 1e6)) p.requests_per_second = *r;
                           } else if (key == "api") {
                             if (auto a = read_choice(f, sink, {"rest", "graphql"}))
                               p.api = *a == "rest" ? ApiKind::rest : ApiKind::graphql;
                           } else {
                             std::string v;
                             read_nonempty(f, v, sink);
                             if (v.empty()) return;
                             if (key == "token_env" && !is_env_name(v))
                               // Never quoted: such a value is often the token itself.
                               sink.error(f.pos(),
                                          fmt::format("{}: must name an environment variable "
                                                      "(A-Z a-z 0-9 _, not starting with a "
                                                      "digit); the token itself never goes "
                                                      "into this file",
                                                      f.path));
                             else if (key == "token_env")
                               p.token_env = v;
                             else if (key == "token_file")
                               p.token_file = resolve_relative(v, base_dir);
                             else
                               p.ca_file = resolve_relative(v, base_dir);
                           }
                         });
  if (is_map) check_platform(section, p, sink, options, seen);
}

void read_storage(const Field& section, Storage& s, Sink& sink, const std::string& base_dir) {
  walk_map(
      section, {.known = {"path", "retention", "postgres"}}, sink,
      [&](const std::string& key, const Field& f) {
        if (key == "path") {
          std::string v;
          read_nonempty(f, v, sink);
          if (!v.empty()) s.path = v == ":memory:" ? v : resolve_relative(v, base_dir);
        } else if (key == "postgres") {
          std::string v;
          read_nonempty(f, v, sink);
          s.postgres = Secret(std::move(v));
        } else if (auto d = read_duration(f, sink, Millis{1})) {
          s.retention = *d;
        }
      },
      /*null_ok=*/true);
}

namespace {

// A node name: letters, digits, '.', '_' and '-', at most 64 (it is logged and shown by status).
bool valid_node_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
  });
}

std::string host_name() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "boomi-sched";
  return name;
}

}  // namespace

void read_ha(const Field* section, Config& config, Sink& sink) {
  Ha& ha = config.ha;
  if (section) {
    if (config.storage.postgres.empty()) {
      sink.error(section->key_pos,
                 "ha: an active/standby pair needs storage.postgres (the database both nodes "
                 "share); remove 'ha' or set storage.postgres");
    }
    walk_map(
        *section, {.known = {"node", "lease"}}, sink,
        [&](const std::string& key, const Field& f) {
          if (key == "node") {
            std::string v;
            read_nonempty(f, v, sink);
            if (v.empty()) return;
            if (!valid_node_name(v)) {
              sink.error(f.pos(), fmt::format("{}: '{}' is not a node name (letters, digits, "
                                              "'.', '_' and '-', at most 64)",
                                              f.path, v));
              return;
            }
            ha.node = v;
          } else if (auto d = read_duration(f, sink, Millis{1})) {
            if (*d < std::chrono::seconds{1} || *d > std::chrono::minutes{10}) {
              sink.error(f.pos(), fmt::format("{}: must be between 1s and 10m", f.path));
              return;
            }
            ha.lease = *d;
          }
        },
        /*null_ok=*/true);
  }
  if (ha.node.empty()) {
    ha.node = host_name();
    if (!valid_node_name(ha.node)) ha.node = "boomi-sched";
  }
}

}  // namespace bsched::config::detail
