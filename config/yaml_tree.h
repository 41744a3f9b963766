// A parsed YAML document kept compact (internal to config/): yaml-cpp's event parser fills
// flat arrays (20 bytes a node, scalars in one string) instead of yaml-cpp's node graph
// (about 480 bytes a node: 43 MiB for a 10,000-job file against about 2 MiB here). Read-only.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace bsched::config::detail {

class YamlTree;

// A node of a YamlTree: a cheap handle, valid while the tree lives. Default-constructed, it is
// undefined (an absent value).
class YamlNode {
 public:
  enum class Kind : std::uint8_t { undefined, null, scalar, sequence, map };

  YamlNode() = default;

  Kind kind() const;
  bool defined() const { return kind() != Kind::undefined; }
  bool is_null() const { return kind() == Kind::null; }
  bool is_scalar() const { return kind() == Kind::scalar; }
  bool is_sequence() const { return kind() == Kind::sequence; }
  bool is_map() const { return kind() == Kind::map; }

  // A scalar's text (escapes resolved); empty for other kinds.
  std::string_view scalar() const;
  // A plain scalar without an explicit tag (YAML's non-specific "?" tag): `<<` and unquoted
  // values are told from quoted ones by this.
  bool plain() const;
  // 0-based line, column and byte offset in the source; -1 when unknown.
  int line() const;
  int column() const;
  int offset() const;

  // Items of a sequence, entries of a map; 0 otherwise.
  std::size_t size() const;
  YamlNode item(std::size_t i) const;  // sequence item i
  YamlNode key(std::size_t i) const;   // map entry i's key
  YamlNode value(std::size_t i) const;  // map entry i's value

 private:
  friend class YamlTree;
  YamlNode(const YamlTree* tree, std::uint32_t index) : m_tree(tree), m_index(index) {}
  const YamlTree* m_tree = nullptr;
  std::uint32_t m_index = 0;
};

class YamlTree {
 public:
  // The first document of `text` (as YAML::Load). Throws YAML::Exception on a syntax error.
  // The tree refers to `text`, which must outlive it.
  static std::unique_ptr<YamlTree> parse(std::string_view text);

  // The document's root; null for a file with no document.
  YamlNode root() const;
  std::size_t node_count() const { return m_nodes.size(); }

 private:
  friend class YamlNode;
  friend class TreeBuilder;
  struct Node {
    YamlNode::Kind kind = YamlNode::Kind::undefined;
    bool plain = false;      // a plain scalar without an explicit tag
    bool in_source = false;  // a scalar whose text is its source bytes: begin is in m_source
    int line = -1;           // yaml-cpp's 0-based mark; -1 when unknown
    int column = -1;
    // Scalar: offset and length in m_source or m_text. Sequence and map: first index in
    // m_children and the number of items (a map's children are key, value, key, value...).
    std::uint32_t begin = 0, count = 0;
  };
  const Node& at(std::uint32_t i) const { return m_nodes[i]; }

  std::vector<Node> m_nodes;
  std::vector<std::uint32_t> m_children;
  std::string_view m_source;
  std::string m_text;  // scalars that differ from their source bytes (escapes, folding)
  // Where each line of the source starts, made on the first YamlNode::offset() (messages
  // only): offsets are not kept in the nodes.
  mutable std::vector<std::uint32_t> m_line_starts;
  bool m_has_root = false;
  std::uint32_t m_root = 0;
};

}  // namespace bsched::config::detail
