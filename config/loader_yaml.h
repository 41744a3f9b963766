// The loader's view of YAML (internal to config/): parsing with syntax errors turned into
// diagnostics, positions of nodes, and typed readers that report wrong types at the value.
// yaml-cpp exceptions never leave this layer.
#pragma once

#include "config/loader.h"
#include "config/yaml_tree.h"

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bsched::config::detail {

// Collects every problem of one load; nothing is thrown.
class Sink {
 public:
  void error(SourcePos pos, std::string message);
  void warning(SourcePos pos, std::string message);
  bool has_errors() const { return m_error_count > 0; }
  // Every diagnostic, sorted by file (in the order of `files`), line, column; duplicates
  // (the same problem reached through defaults by several jobs) collapsed.
  std::vector<Diagnostic> sorted(const std::vector<std::string>& files) const;
  std::vector<Diagnostic> sorted_warnings(const std::vector<std::string>& files) const;

 private:
  std::vector<Diagnostic> m_all;
  int m_error_count = 0;
};

// One parsed file. `text` is kept to tell plain from quoted scalars.
struct SourceDoc {
  std::string path;
  std::uint32_t index = 0;  // in the load's file list (Config::files)
  std::string_view text;
  std::unique_ptr<YamlTree> tree;  // its root is null for an empty file
};

// The largest configuration file read: far above any real one, and within the 32-bit
// positions of the parsed tree (config/yaml_tree.h).
inline constexpr std::size_t k_max_file_bytes = std::size_t{64} << 20;

// "the file is 65.0 MiB; a configuration file may hold at most 64 MiB (...)"
std::string file_too_large(std::size_t bytes);

// Parses one file; a syntax error, a byte that is not UTF-8, a NUL byte or a file over
// k_max_file_bytes becomes a diagnostic (at the byte's line and column) and nullopt.
std::optional<SourceDoc> parse_yaml(const SourceText& source, Sink& sink);

// A value in the document with the dotted path and the position used in messages.
struct Field {
  const SourceDoc* doc = nullptr;
  std::string path;   // "jobs.nightly.poll.initial"
  YamlNode node;      // may be null (key present, no value)
  SourcePos key_pos;  // of the key (or the sequence item) that introduced the value

  // The value's own position; the key's for empty values.
  SourcePos pos() const;
  // The file column of character `offset` of a scalar's content (plain: +0, quoted: +1
  // for the quote). Block scalars answer the start of the value.
  SourcePos pos_at(int offset) const;
  // "a string", "a map", "a list", "empty" (for messages).
  std::string kind() const;
  Field child(std::string_view key, YamlNode key_node, YamlNode value) const;
};

// `pos` of a place in `doc`, without the copy of the path.
JobSource job_source(const SourceDoc& doc, const SourcePos& pos);

// Position of a node (1-based), or `fallback` for empty values and unknown positions.
SourcePos node_pos(const SourceDoc& doc, YamlNode node, const SourcePos& fallback);

struct MapWalk {
  std::vector<std::string_view> known;  // accepted keys; others are "unknown key" errors
  bool check_duplicates = true;         // false: the caller reports duplicates itself
  bool any_key = false;                 // true: every key is accepted (property names)
};

// Reports a non-map `map`, non-scalar keys, duplicate keys and unknown keys (with a
// suggestion); calls `fn` for every accepted key in file order. Returns false when `map`
// is not a map (Null counts as an empty map when `null_ok`).
bool walk_map(const Field& map, const MapWalk& walk, Sink& sink,
              const std::function<void(const std::string& key, const Field& value)>& fn,
              bool null_ok = false);

// Typed readers: nullopt after reporting a wrong type or value at the value's position.
std::optional<std::string> read_string(const Field& f, Sink& sink);
std::optional<bool> read_bool(const Field& f, Sink& sink);
std::optional<long long> read_int(const Field& f, Sink& sink, long long min, long long max);
std::optional<double> read_number(const Field& f, Sink& sink, double min, double max);
// A duration of time_util's forms, at least `min`.
std::optional<Millis> read_duration(const Field& f, Sink& sink, Millis min);
// One of `choices` (exact, lower case); the error lists them and suggests the nearest.
std::optional<std::string> read_choice(const Field& f, Sink& sink,
                                       const std::vector<std::string_view>& choices);

}  // namespace bsched::config::detail
