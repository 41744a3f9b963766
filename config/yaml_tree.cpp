#include "config/yaml_tree.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

#include <istream>
#include <optional>
#include <streambuf>

namespace bsched::config::detail {

namespace {

std::size_t bom_size(std::string_view text) {
  return text.starts_with("\xEF\xBB\xBF") ? 3 : 0;
}

}  // namespace

YamlNode::Kind YamlNode::kind() const {
  return m_tree ? m_tree->at(m_index).kind : Kind::undefined;
}

std::string_view YamlNode::scalar() const {
  if (!is_scalar()) return {};
  const auto& n = m_tree->at(m_index);
  return (n.in_source ? m_tree->m_source : std::string_view(m_tree->m_text))
      .substr(n.begin, n.count);
}

bool YamlNode::plain() const {
  return m_tree && m_tree->at(m_index).plain;
}

int YamlNode::line() const {
  return m_tree ? m_tree->at(m_index).line : -1;
}

int YamlNode::column() const {
  return m_tree ? m_tree->at(m_index).column : -1;
}

// yaml-cpp counts a column in bytes since the line's last '\n', and the first line's from
// after a byte order mark, which its positions leave out.
int YamlNode::offset() const {
  int l = line(), c = column();
  if (l < 0 || c < 0) return -1;
  auto& starts = m_tree->m_line_starts;
  if (starts.empty()) {
    const auto source = m_tree->m_source;
    starts.push_back(static_cast<std::uint32_t>(bom_size(source)));
    for (std::size_t i = 0; i < source.size(); ++i)
      if (source[i] == '\n') starts.push_back(static_cast<std::uint32_t>(i + 1));
  }
  if (static_cast<std::size_t>(l) >= starts.size()) return -1;
  return static_cast<int>(starts[static_cast<std::size_t>(l)]) + c;
}

std::size_t YamlNode::size() const {
  return is_sequence() || is_map() ? m_tree->at(m_index).count : 0;
}

YamlNode YamlNode::item(std::size_t i) const {
  if (!is_sequence() || i >= size()) return {};
  return {m_tree, m_tree->m_children[m_tree->at(m_index).begin + i]};
}

YamlNode YamlNode::key(std::size_t i) const {
  if (!is_map() || i >= size()) return {};
  return {m_tree, m_tree->m_children[m_tree->at(m_index).begin + 2 * i]};
}

YamlNode YamlNode::value(std::size_t i) const {
  if (!is_map() || i >= size()) return {};
  return {m_tree, m_tree->m_children[m_tree->at(m_index).begin + 2 * i + 1]};
}

YamlNode YamlTree::root() const {
  if (!m_has_root) return {};
  return {this, m_root};
}

// Receives yaml-cpp's parse events. A container's children collect on a stack while it is
// open and move into the tree's child array, contiguous, when it closes.
class TreeBuilder final : public YAML::EventHandler {
 public:
  explicit TreeBuilder(YamlTree& tree) : m_tree(tree) {}

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    add(YamlNode::Kind::null, mark, anchor);
  }
  // An alias is the anchored node itself, as in yaml-cpp's node graph (the parser has already
  // refused unknown anchors).
  void OnAlias(const YAML::Mark&, YAML::anchor_t anchor) override { attach(m_anchors.at(anchor)); }
  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    auto i = add(YamlNode::Kind::scalar, mark, anchor);
    auto& n = m_tree.m_nodes[i];
    n.plain = tag == "?";
    n.count = static_cast<std::uint32_t>(value.size());
    // Most scalars are their source bytes (plain, or quoted without escapes): they point
    // into the source, found at the mark or one past an opening quote, instead of a copy.
    if (auto at = source_offset(mark, value)) {
      n.in_source = true;
      n.begin = *at;
      return;
    }
    n.begin = static_cast<std::uint32_t>(m_tree.m_text.size());
    m_tree.m_text += value;
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    open(add(YamlNode::Kind::sequence, mark, anchor));
  }
  void OnSequenceEnd() override { close(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    open(add(YamlNode::Kind::map, mark, anchor));
  }
  void OnMapEnd() override { close(); }

 private:
  std::uint32_t add(YamlNode::Kind kind, const YAML::Mark& mark, YAML::anchor_t anchor) {
    auto i = static_cast<std::uint32_t>(m_tree.m_nodes.size());
    YamlTree::Node n;
    n.kind = kind;
    if (mark.line >= 0 && mark.column >= 0) {
      n.line = mark.line;
      n.column = mark.column;
    }
    m_tree.m_nodes.push_back(n);
    if (anchor != YAML::NullAnchor) {
      if (m_anchors.size() <= anchor) m_anchors.resize(anchor + 1);
      m_anchors[anchor] = i;
    }
    attach(i);
    return i;
  }
  std::optional<std::uint32_t> source_offset(const YAML::Mark& mark, std::string_view value) const {
    auto source = m_tree.m_source;
    if (mark.pos < 0) return std::nullopt;
    auto pos = std::size_t(mark.pos) + bom_size(source);
    for (std::size_t at : {pos, pos + 1}) {
      if (at + value.size() <= source.size() && source.substr(at, value.size()) == value)
        return static_cast<std::uint32_t>(at);
    }
    return std::nullopt;
  }
  void attach(std::uint32_t i) {
    if (!m_open.empty()) {
      m_pending.push_back(i);
    } else if (!m_tree.m_has_root) {
      m_tree.m_root = i;
      m_tree.m_has_root = true;
    }
  }
  void open(std::uint32_t i) { m_open.push_back({i, m_pending.size()}); }
  void close() {
    auto [i, from] = m_open.back();
    m_open.pop_back();
    auto& n = m_tree.m_nodes[i];
    auto items = m_pending.size() - from;
    n.begin = static_cast<std::uint32_t>(m_tree.m_children.size());
    bool map = n.kind == YamlNode::Kind::map;
    n.count = static_cast<std::uint32_t>(map ? items / 2 : items);
    m_tree.m_children.insert(m_tree.m_children.end(), m_pending.begin() + static_cast<long>(from),
                             m_pending.end());
    m_pending.resize(from);
  }

  struct Open {
    std::uint32_t node;
    std::size_t from;  // its first child's place in m_pending
  };
  YamlTree& m_tree;
  std::vector<Open> m_open;
  std::vector<std::uint32_t> m_pending;
  std::vector<std::uint32_t> m_anchors;  // node by anchor id (ids count from 1)
};

namespace {

// An istream over text that is not copied.
class ViewBuffer : public std::streambuf {
 public:
  explicit ViewBuffer(std::string_view text) {
    auto* p = const_cast<char*>(text.data());
    setg(p, p, p + text.size());
  }
};

}  // namespace

std::unique_ptr<YamlTree> YamlTree::parse(std::string_view text) {
  auto tree = std::make_unique<YamlTree>();
  tree->m_source = text;
  ViewBuffer buffer(text);
  std::istream in(&buffer);
  YAML::Parser parser(in);
  TreeBuilder builder(*tree);
  parser.HandleNextDocument(builder);
  if (!tree->m_has_root) {  // no document at all: a null root, as YAML::Load answers
    YamlTree::Node null;
    null.kind = YamlNode::Kind::null;
    tree->m_nodes.push_back(null);
    tree->m_has_root = true;
  }
  tree->m_nodes.shrink_to_fit();
  tree->m_children.shrink_to_fit();
  tree->m_text.shrink_to_fit();
  return tree;
}

}  // namespace bsched::config::detail
