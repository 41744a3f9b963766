// The `alerts` section: one sink per item (config.h AlertSink).
#include "config/loader_alerts.h"

#include "config/loader_platform.h"
#include "config/url_check.h"

#include <fmt/core.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <optional>
#include <unistd.h>

namespace bsched::config::detail {

namespace {

// The name is what the store's delivery rows carry: the same rules as a job name.
bool valid_sink_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
  });
}

Field item_of(const Field& list, std::size_t i) {
  Field item{list.doc, fmt::format("{}[{}]", list.path, i), list.node.item(i), list.pos()};
  item.key_pos = item.pos();
  return item;
}

// A scalar or a list of scalars, each read with `fn`.
void read_strings(const Field& f, Sink& sink, const std::function<void(const Field&,
                                                                        std::string)>& fn) {
  if (f.node.is_scalar()) {
    if (auto v = read_string(f, sink)) fn(f, *v);
    return;
  }
  if (!f.node.is_sequence() || f.node.size() == 0) {
    sink.error(f.pos(), fmt::format("{}: expected a string or a non-empty list of strings, not {}",
                                    f.path, f.node.is_sequence() ? "an empty list" : f.kind()));
    return;
  }
  for (std::size_t i = 0; i < f.node.size(); ++i) {
    auto item = item_of(f, i);
    if (auto v = read_string(item, sink)) fn(item, *v);
  }
}

// parse_url_parts's message without the URL it quotes first ("'URL' is not …", "'URL':
// reason"), so that no part of the webhook's path is shown.
std::string unquoted_url_error(const std::string& url, const std::string& message) {
  const std::string quoted = "'" + url + "'";
  if (message.starts_with(quoted)) {
    auto rest = message.substr(quoted.size());
    return rest.starts_with(": ") ? "the URL: " + rest.substr(2) : "the URL" + rest;
  }
  const std::string_view userinfo = "user information (user:password@) is not allowed in a URL";
  if (message.find(userinfo) != std::string::npos) return "the URL: " + std::string(userinfo);
  return "the URL is not valid";
}

void read_webhook(const Field& f, AlertSink& a, Sink& sink) {
  auto url = read_string(f, sink);
  if (!url) return;
  // Errors never quote the URL: its path is the webhook's secret.
  auto parts = parse_url_parts(*url);
  if (!parts) {
    sink.error(f.pos(), fmt::format("{}: {}", f.path, unquoted_url_error(*url, parts.error().message)));
    return;
  }
  if (!parts->tls && !plain_http_candidate(parts->host)) {
    sink.error(f.pos(), fmt::format("{}: plain http is allowed only to a loopback address "
                                    "(127.0.0.1, ::1, localhost); use https",
                                    f.path));
    return;
  }
  a.webhook = *url;
}

// The PEM bundle a webhook's server certificate is verified against instead of the system
// CA store, as platform.ca_file is for the platform.
void read_ca_file(const Field& f, AlertSink& a, Sink& sink, const std::string& base_dir) {
  auto v = read_string(f, sink);
  if (!v) return;
  auto path = resolve_relative(*v, base_dir);
  if (::access(path.c_str(), R_OK) != 0) {
    sink.error(f.pos(), fmt::format("{}: cannot read '{}': {}", f.path, path, std::strerror(errno)));
    return;
  }
  a.ca_file = std::move(path);
}

void read_on(const Field& f, AlertSink& a, Sink& sink) {
  a.on.clear();
  read_strings(f, sink, [&](const Field& item, std::string kind) {
    if (std::find(alert_kinds().begin(), alert_kinds().end(), kind) == alert_kinds().end()) {
      read_choice(item, sink, alert_kinds());  // reports it, with a suggestion
      return;
    }
    if (!a.wants(kind)) a.on.push_back(std::move(kind));
  });
}

void read_sink(const Field& item, AlertSink& a, Sink& sink, const std::string& base_dir) {
  bool has_name = false, has_webhook = false, has_command = false;
  std::optional<SourcePos> ca_file_pos;
  walk_map(item, {.known = {"name", "webhook", "command", "on", "late_after", "timeout", "jobs",
                            "ca_file"}},
           sink, [&](const std::string& key, const Field& f) {
             if (key == "name") {
               has_name = true;
               auto v = read_string(f, sink);
               if (v && !valid_sink_name(*v)) {
                 sink.error(f.pos(), fmt::format("{}: '{}' is not a valid name (letters, digits, "
                                                 "'.', '_', '-'; 1 to 64)",
                                                 f.path, *v));
               } else if (v) {
                 a.name = *v;
               }
             } else if (key == "webhook") {
               has_webhook = true;
               read_webhook(f, a, sink);
             } else if (key == "command") {
               has_command = true;
               read_strings(f, sink, [&](const Field&, std::string v) {
                 if (a.command.empty()) v = resolve_relative(v, base_dir);
                 a.command.push_back(std::move(v));
               });
             } else if (key == "on") {
               read_on(f, a, sink);
             } else if (key == "late_after") {
               if (auto d = read_duration(f, sink, Millis{1000})) a.late_after = *d;
             } else if (key == "timeout") {
               if (auto d = read_duration(f, sink, Millis{100})) a.timeout = *d;
             } else if (key == "ca_file") {
               ca_file_pos = f.pos();
               read_ca_file(f, a, sink, base_dir);
             } else {
               read_strings(f, sink, [&](const Field& g, std::string glob) {
                 if (!is_valid_glob(glob)) {
                   sink.error(g.pos(), fmt::format("{}: '{}' is not a valid glob (empty, or a "
                                                   "'[' without its ']')",
                                                   g.path, glob));
                   return;
                 }
                 a.jobs.push_back(std::move(glob));
               });
             }
           });
  if (!item.node.is_map()) return;
  if (!has_name) sink.error(item.pos(), fmt::format("{}: missing required key 'name'", item.path));
  if (has_webhook == has_command) {
    sink.error(item.pos(), fmt::format("{}: set exactly one of 'webhook' and 'command'{}",
                                       item.path, has_webhook ? " (both are set)" : ""));
  }
  if (ca_file_pos && has_command && !has_webhook) {
    sink.error(*ca_file_pos, fmt::format("{}.ca_file: applies to a webhook, not a command",
                                         item.path));
  }
}

}  // namespace

const std::vector<std::string_view>& alert_kinds() {
  static const std::vector<std::string_view> k_kinds = {"failed", "missed",    "late",
                                                        "stuck",  "auth",      "recovered"};
  return k_kinds;
}

bool is_valid_glob(std::string_view glob) {
  if (glob.empty()) return false;
  for (std::size_t i = 0; i < glob.size(); ++i) {
    if (glob[i] == '\\') {
      ++i;
      continue;
    }
    if (glob[i] != '[') continue;
    auto close = glob.find(']', i + 2);  // "[]…]": a ']' first is a member
    if (close == std::string_view::npos) return false;
    i = close;
  }
  return true;
}

void read_alerts(const Field& section, std::vector<AlertSink>& out, Sink& sink,
                 const std::string& base_dir) {
  if (section.node.is_null()) return;
  if (!section.node.is_sequence()) {
    sink.error(section.pos(), fmt::format("{}: expected a list of alert sinks, not {}",
                                          section.path, section.kind()));
    return;
  }
  for (std::size_t i = 0; i < section.node.size(); ++i) {
    auto item = item_of(section, i);
    AlertSink a;
    a.on = {"failed", "missed", "late", "stuck", "auth", "recovered"};
    a.pos = item.pos();
    read_sink(item, a, sink, base_dir);
    if (a.name.empty()) continue;
    auto same = std::find_if(out.begin(), out.end(), [&](auto& o) { return o.name == a.name; });
    if (same != out.end()) {
      sink.error(item.pos(), fmt::format("{}: the name '{}' is taken by an earlier alert sink",
                                         item.path, a.name));
      continue;
    }
    out.push_back(std::move(a));
  }
}

}  // namespace bsched::config::detail
