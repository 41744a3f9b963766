#include "config/loader_yaml.h"

#include "config/loader_util.h"
#include "config/secret_text.h"

#include <fmt/format.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/node/convert.h>
#include <yaml-cpp/node/node.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cmath>
#include <map>
#include <tuple>

namespace bsched::config::detail {

namespace {

// Every 'quoted' part of a message that looks_like_secret() is left out: messages quote what
// the operator wrote, and that may be a token pasted under the wrong key.
std::string hide_secrets(std::string message) {
  constexpr std::string_view k_hidden = "<hidden: it looks like a token>";
  for (auto open = message.find('\''); open != std::string::npos;) {
    auto close = message.find('\'', open + 1);
    if (close == std::string::npos) break;
    if (looks_like_secret(std::string_view(message).substr(open + 1, close - open - 1))) {
      message.replace(open + 1, close - open - 1, k_hidden);
      close = open + 1 + k_hidden.size();
    }
    open = message.find('\'', close + 1);
  }
  return message;
}

}  // namespace

void Sink::error(SourcePos pos, std::string message) {
  m_all.push_back({std::move(pos), hide_secrets(std::move(message)), false});
  ++m_error_count;
}

void Sink::warning(SourcePos pos, std::string message) {
  m_all.push_back({std::move(pos), hide_secrets(std::move(message)), true});
}

namespace {

std::vector<Diagnostic> sort_unique(std::vector<Diagnostic> all,
                                    const std::vector<std::string>& files) {
  auto rank = [&](const std::string& f) {
    auto it = std::find(files.begin(), files.end(), f);
    return it - files.begin();
  };
  std::stable_sort(all.begin(), all.end(), [&](const Diagnostic& a, const Diagnostic& b) {
    return std::tuple(rank(a.pos.file), a.pos.line, a.pos.column) <
           std::tuple(rank(b.pos.file), b.pos.line, b.pos.column);
  });
  auto same = [](const Diagnostic& a, const Diagnostic& b) {
    return a.pos.file == b.pos.file && a.pos.line == b.pos.line && a.pos.column == b.pos.column &&
           a.message == b.message && a.warning == b.warning;
  };
  // Duplicates of one problem are adjacent unless another diagnostic shares the position.
  std::vector<Diagnostic> out;
  for (auto& d : all) {
    bool seen = false;
    for (auto it = out.rbegin(); it != out.rend() && it->pos.line == d.pos.line &&
                                 it->pos.column == d.pos.column && it->pos.file == d.pos.file;
         ++it)
      seen = seen || same(*it, d);
    if (!seen) out.push_back(std::move(d));
  }
  return out;
}

}  // namespace

std::vector<Diagnostic> Sink::sorted(const std::vector<std::string>& files) const {
  return sort_unique(m_all, files);
}

std::vector<Diagnostic> Sink::sorted_warnings(const std::vector<std::string>& files) const {
  std::vector<Diagnostic> w;
  std::copy_if(m_all.begin(), m_all.end(), std::back_inserter(w),
               [](const Diagnostic& d) { return d.warning; });
  return sort_unique(std::move(w), files);
}

namespace {

// The offset of the first byte that is not part of well-formed UTF-8 (YAML files are UTF-8;
// a stray Latin-1 byte would otherwise reach the platform as a mangled property name).
std::optional<std::size_t> first_invalid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    int extra = c < 0x80 ? 0 : (c >> 5) == 0x6 ? 1 : (c >> 4) == 0xE ? 2 : (c >> 3) == 0x1E ? 3 : -1;
    if (extra < 0 || s.size() - i <= static_cast<std::size_t>(extra)) return i;
    std::uint32_t cp = extra == 0 ? c : c & (0x3F >> extra);
    for (int k = 1; k <= extra; ++k) {
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc >> 6) != 0x2) return i;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms, UTF-16 surrogates and values past U+10FFFF are not UTF-8 either.
    static constexpr std::uint32_t k_min[] = {0, 0x80, 0x800, 0x10000};
    if (cp < k_min[extra] || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) return i;
    i += extra + 1;
  }
  return std::nullopt;
}

}  // namespace

std::string file_too_large(std::size_t bytes) {
  return fmt::format("the file is {:.1f} MiB; a configuration file may hold at most {} MiB "
                     "(10,000 jobs take about 1.5 MiB)",
                     static_cast<double>(bytes) / (1 << 20), k_max_file_bytes >> 20);
}

std::optional<SourceDoc> parse_yaml(const SourceText& source, Sink& sink) {
  if (source.text.size() > k_max_file_bytes) {
    sink.error({source.path, 0, 0}, file_too_large(source.text.size()));
    return std::nullopt;
  }
  // A NUL is well-formed UTF-8 but no YAML character: yaml-cpp would end the document there
  // and load the rest of the file as if it were absent.
  auto nul = source.text.find('\0');
  auto bad = first_invalid_utf8(std::string_view(source.text).substr(0, nul));
  if (bad || nul != std::string::npos) {
    auto at = bad ? *bad : nul;
    auto before = std::string_view(source.text).substr(0, at);
    auto nl = before.rfind('\n');
    auto line = std::count(before.begin(), before.end(), '\n') + 1;
    int column = static_cast<int>(nl == std::string_view::npos ? at : at - nl - 1) + 1;
    sink.error({source.path, static_cast<int>(line), column},
               bad ? fmt::format("byte 0x{:02X} is not valid UTF-8; save the file as UTF-8",
                                 static_cast<unsigned char>(source.text[at]))
                   : std::string("a NUL byte (0x00) is not allowed in a configuration file; "
                                 "is this a binary file?"));
    return std::nullopt;
  }
  SourceDoc doc{source.path, 0, source.text, {}};
  try {
    doc.tree = YamlTree::parse(source.text);
    return doc;
  } catch (const YAML::Exception& e) {
    // yaml-cpp marks are 0-based; some errors carry no mark (-1).
    SourcePos pos{source.path, std::max(e.mark.line, 0) + 1, std::max(e.mark.column, 0) + 1};
    sink.error(pos, fmt::format("YAML syntax error: {}", e.msg));
  } catch (const std::exception& e) {
    sink.error({source.path, 1, 1}, fmt::format("cannot parse this file as YAML: {}", e.what()));
  }
  return std::nullopt;
}

JobSource job_source(const SourceDoc& doc, const SourcePos& pos) {
  return {doc.index, pos.line, pos.column};
}

SourcePos node_pos(const SourceDoc& doc, YamlNode node, const SourcePos& fallback) {
  if (!node.defined() || node.is_null()) return fallback;
  if (node.line() < 0 || node.column() < 0) return fallback;
  return {doc.path, node.line() + 1, node.column() + 1};
}

SourcePos Field::pos() const {
  return node_pos(*doc, node, key_pos);
}

SourcePos Field::pos_at(int offset) const {
  auto p = pos();
  if (!node.is_scalar()) return p;
  auto at = node.offset();
  if (at < 0 || static_cast<size_t>(at) >= doc->text.size()) return p;
  char first = doc->text[static_cast<size_t>(at)];
  if (first == '|' || first == '>') return p;  // block scalar: content starts on a later line
  int shift = (first == '"' || first == '\'') ? 1 : 0;
  p.column += shift + std::max(offset, 0);
  return p;
}

std::string Field::kind() const {
  if (!node.defined() || node.is_null()) return "empty";
  if (node.is_map()) return "a map";
  if (node.is_sequence()) return "a list";
  return fmt::format("'{}'", node.scalar());
}

Field Field::child(std::string_view key, YamlNode key_node, YamlNode value) const {
  Field f;
  f.doc = doc;
  f.path = path.empty() ? std::string(key) : fmt::format("{}.{}", path, key);
  f.node = value;
  f.key_pos = node_pos(*doc, key_node, pos());
  return f;
}

namespace {

std::string valid_keys_hint(const std::vector<std::string_view>& known) {
  return fmt::format(" (valid keys: {})", fmt::join(known, ", "));
}

}  // namespace

bool walk_map(const Field& map, const MapWalk& walk, Sink& sink,
              const std::function<void(const std::string&, const Field&)>& fn, bool null_ok) {
  if (null_ok && (!map.node.defined() || map.node.is_null())) return true;
  if (!map.node.is_map()) {
    sink.error(map.pos(), fmt::format("{}: expected a map of 'key: value' entries, not {}",
                                      map.path.empty() ? "file" : map.path, map.kind()));
    return false;
  }
  std::map<std::string, SourcePos, std::less<>> seen;
  for (std::size_t i = 0; i < map.node.size(); ++i) {
    auto key_node = map.node.key(i);
    auto key_pos = node_pos(*map.doc, key_node, map.pos());
    if (!key_node.is_scalar()) {
      sink.error(key_pos, fmt::format("{}: keys must be plain names, not {}",
                                      map.path.empty() ? "file" : map.path,
                                      key_node.is_map() ? "maps" : "lists or empty values"));
      continue;
    }
    const std::string key(key_node.scalar());
    auto value = map.child(key, key_node, map.node.value(i));
    if (walk.check_duplicates) {
      auto [prev, inserted] = seen.emplace(key, key_pos);
      if (!inserted) {
        sink.error(key_pos, fmt::format("{}: duplicate key (first at line {}, column {}); "
                                        "YAML would silently keep only one",
                                        value.path, prev->second.line, prev->second.column));
        continue;
      }
    }
    if (key == "<<" && key_node.plain()) {
      sink.error(key_pos, fmt::format("{}: YAML merge keys ('<<') are not supported; put shared "
                                      "job settings into 'defaults'",
                                      map.path.empty() ? "file" : map.path));
      continue;
    }
    if (!walk.any_key && std::find(walk.known.begin(), walk.known.end(), key) == walk.known.end()) {
      auto hint = did_you_mean(key, walk.known);
      if (hint.empty()) hint = valid_keys_hint(walk.known);
      sink.error(key_pos, map.path.empty()
                              ? fmt::format("unknown top-level key '{}'{}", key, hint)
                              : fmt::format("{}: unknown key '{}'{}", map.path, key, hint));
      continue;
    }
    fn(key, value);
  }
  return true;
}

std::optional<std::string> read_string(const Field& f, Sink& sink) {
  if (f.node.is_scalar()) return std::string(f.node.scalar());
  sink.error(f.pos(), fmt::format("{}: expected a string, not {}", f.path, f.kind()));
  return std::nullopt;
}

std::optional<bool> read_bool(const Field& f, Sink& sink) {
  bool v = false;
  // yaml-cpp's own reading of true/yes/on and false/no/off, in its three spellings.
  if (f.node.is_scalar() && YAML::convert<bool>::decode(YAML::Node(std::string(f.node.scalar())), v))
    return v;
  sink.error(f.pos(), fmt::format("{}: expected true or false, not {}", f.path, f.kind()));
  return std::nullopt;
}

std::optional<long long> read_int(const Field& f, Sink& sink, long long min, long long max) {
  if (f.node.is_scalar()) {
    auto s = f.node.scalar();
    long long v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec == std::errc{} && end == s.data() + s.size() && !s.empty() && v >= min && v <= max)
      return v;
  }
  sink.error(f.pos(), fmt::format("{}: expected a whole number from {} to {}, not {}", f.path, min,
                                  max, f.kind()));
  return std::nullopt;
}

std::optional<double> read_number(const Field& f, Sink& sink, double min, double max) {
  if (f.node.is_scalar()) {
    auto s = f.node.scalar();
    double v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec == std::errc{} && end == s.data() + s.size() && !s.empty() && std::isfinite(v) &&
        v >= min && v <= max)
      return v;
  }
  sink.error(f.pos(), fmt::format("{}: expected a number from {} to {}, not {}", f.path, min, max,
                                  f.kind()));
  return std::nullopt;
}

std::optional<Millis> read_duration(const Field& f, Sink& sink, Millis min) {
  auto text = read_string(f, sink);
  if (!text) return std::nullopt;
  auto d = parse_duration(*text);
  if (!d) {
    sink.error(f.pos(), fmt::format("{}: {}", f.path, d.error().message));
    return std::nullopt;
  }
  if (*d < min) {
    sink.error(f.pos(), fmt::format("{}: must be at least {}", f.path, format_duration(min)));
    return std::nullopt;
  }
  return *d;
}

std::optional<std::string> read_choice(const Field& f, Sink& sink,
                                       const std::vector<std::string_view>& choices) {
  auto text = read_string(f, sink);
  if (!text) return std::nullopt;
  if (std::find(choices.begin(), choices.end(), *text) != choices.end()) return text;
  sink.error(f.pos(), fmt::format("{}: '{}' is not one of {}{}", f.path, *text,
                                  fmt::join(choices, ", "), did_you_mean(*text, choices)));
  return std::nullopt;
}

}  // namespace bsched::config::detail
