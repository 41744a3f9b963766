// The compact YAML tree against yaml-cpp's own node graph: for every document the two agree on
// kinds, scalars, tags, positions and order, node by node.
#include "config/yaml_tree.h"

#include <doctest/doctest.h>
#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

using bsched::config::detail::YamlNode;
using bsched::config::detail::YamlTree;

namespace {

// Walks both trees in step; `where` names the path for failure messages. Depth is bounded so
// that a recursive alias cannot loop.
// `bom`: the byte order mark's length, which yaml-cpp's offsets leave out and ours count.
void same(const YAML::Node& want, YamlNode got, const std::string& where, int bom = 0,
          int depth = 0) {
  CAPTURE(where);
  REQUIRE(depth < 16);
  if (!want.IsDefined()) {
    CHECK_FALSE(got.defined());
    return;
  }
  REQUIRE(got.defined());
  CHECK(want.IsNull() == got.is_null());
  CHECK(want.IsScalar() == got.is_scalar());
  CHECK(want.IsSequence() == got.is_sequence());
  CHECK(want.IsMap() == got.is_map());
  if (want.IsNull()) return;
  CHECK(want.Mark().line == got.line());
  CHECK(want.Mark().column == got.column());
  CHECK(want.Mark().pos + bom == got.offset());
  if (want.IsScalar()) {
    CHECK(want.Scalar() == std::string(got.scalar()));
    CHECK((want.Tag() == "?") == got.plain());
    CHECK(got.size() == 0);
    return;
  }
  REQUIRE(want.size() == got.size());
  if (want.IsSequence()) {
    for (std::size_t i = 0; i < want.size(); ++i)
      same(want[i], got.item(i), where + "[" + std::to_string(i) + "]", bom, depth + 1);
    CHECK_FALSE(got.item(want.size()).defined());
    return;
  }
  std::size_t i = 0;
  for (auto it = want.begin(); it != want.end(); ++it, ++i) {
    same(it->first, got.key(i), where + ".key" + std::to_string(i), bom, depth + 1);
    same(it->second, got.value(i), where + ".value" + std::to_string(i), bom, depth + 1);
  }
  CHECK_FALSE(got.key(i).defined());
  CHECK_FALSE(got.value(i).defined());
}

const std::vector<std::string> k_documents = {
    "",
    "# only a comment\n",
    "---\n",
    "plain scalar",
    "~",
    "a: 1\nb: null\nc: ~\nd:\ne: Null\nf: ''\n",
    "jobs:\n  nightly:\n    schedule: [\"0 2 * * *\", '30 3 * * 1-5']\n    enabled: yes\n",
    "list:\n  - one\n  - {k: v, k2: [1, 2, {deep: true}]}\n  -\n  - - nested\n    - seq\n",
    "quoted: \"tab\\there \\u00e9\"\nsingle: 'it''s'\nplain: ünïcödé\n",
    "block: |\n  line one\n  line two\nfolded: >-\n  folded\n  text\nafter: x\n",
    "base: &b {timeout: 30s, poll: {max: 61s}}\nuse: *b\nlist: [&s one, *s, *s]\n",
    "<<: {merged: 1}\n\"<<\": quoted\nkey: !!str 12\nother: !custom value\n",
    "dup: 1\ndup: 2\n",
    "? [complex, key]\n: value\n? {map: key}\n: other\n",
    "first: doc\n---\nsecond: doc\n",
    "a:\n  b:\n    c:\n      d:\n        e: [f, {g: h}]\n",
    "multi word plain scalar: folded\n  onto two lines\n",
    "empty_map: {}\nempty_list: []\n",
    "crlf: lines\r\nnext:\r\n  - \"quoted\"\r\n  - 'x'\r\n",
    "\xEF\xBB\xBF"
    "bom: first\nsecond: 'line'\n",
    "tabs:\t\"after a tab\"\nwide: \"\xC3\xA9t\xC3\xA9\"\nnext: \"\xE2\x82\xAC\"\n",
};

}  // namespace

TEST_SUITE("yaml tree") {
  TEST_CASE("every document reads the same as through yaml-cpp's node graph") {
    for (const auto& text : k_documents) {
      CAPTURE(text);
      auto tree = YamlTree::parse(text);
      same(YAML::Load(text), tree->root(), "root", text.starts_with("\xEF\xBB\xBF") ? 3 : 0);
    }
  }

  TEST_CASE("syntax errors throw yaml-cpp's exception with its position") {
    for (std::string text : {"a: [1, 2\n", "a: b: c\n", "key: *unknown\n", "{a: 1\n",
                             "a:\n  - b\n c: d\n", "- [a, b\n- c\n", "key: \"x\" y\n"}) {
      CAPTURE(text);
      int want_line = -2;
      try {
        YAML::Load(text);
      } catch (const YAML::Exception& e) {
        want_line = e.mark.line;
      }
      REQUIRE(want_line != -2);
      int got_line = -3;
      try {
        YamlTree::parse(text);
      } catch (const YAML::Exception& e) {
        got_line = e.mark.line;
      }
      CHECK(got_line == want_line);
    }
  }

  TEST_CASE("an alias is the anchored node itself, children and all") {
    auto tree = YamlTree::parse("base: &b {x: 1, y: [2, 3]}\ncopy: *b\n");
    auto base = tree->root().value(0), copy = tree->root().value(1);
    REQUIRE(copy.is_map());
    CHECK(copy.line() == base.line());
    CHECK(copy.value(1).item(1).scalar() == "3");
  }

  TEST_CASE("a handle outside the tree's shape is undefined, never out of bounds") {
    auto tree = YamlTree::parse("a: [1]\n");
    auto root = tree->root();
    CHECK_FALSE(root.item(0).defined());  // a map has no items
    CHECK_FALSE(root.value(0).key(0).defined());  // a list has no keys
    CHECK_FALSE(root.value(0).item(0).item(0).defined());
    CHECK(root.value(0).item(0).scalar() == "1");
    CHECK(YamlNode{}.scalar().empty());
    CHECK(YamlNode{}.line() == -1);
    CHECK(YamlNode{}.size() == 0);
  }

  TEST_CASE("ten thousand jobs: one node per key, value and list item, nothing more") {
    std::string text = "jobs:\n";
    for (int i = 0; i < 10000; ++i)
      text += "  job-" + std::to_string(i) +
              ":\n    schedule: [\"*/10 * * * * *\"]\n    process_id: p\n    atom_id: a\n";
    auto tree = YamlTree::parse(text);
    // jobs map, 10,000 × (name key, job map, 3 keys, schedule list and item, two values)
    CHECK(tree->node_count() == 3 + 10000 * 9);
    CHECK(tree->root().value(0).size() == 10000);
    CHECK(tree->root().value(0).key(9999).scalar() == "job-9999");
  }

  TEST_CASE("scalars that are their source bytes are read in place, others from a copy") {
    std::string text = "plain: value\nquoted: \"as is\"\nsingle: 'it''s'\nescaped: \"a\\tb\"\n";
    auto tree = YamlTree::parse(text);
    auto in_text = [&](std::string_view s) {
      return s.data() >= text.data() && s.data() + s.size() <= text.data() + text.size();
    };
    auto root = tree->root();
    CHECK(root.value(0).scalar() == "value");
    CHECK(in_text(root.value(0).scalar()));
    CHECK(root.value(1).scalar() == "as is");
    CHECK(in_text(root.value(1).scalar()));
    CHECK(root.value(2).scalar() == "it's");
    CHECK_FALSE(in_text(root.value(2).scalar()));
    CHECK(root.value(3).scalar() == "a\tb");
    CHECK_FALSE(in_text(root.value(3).scalar()));
  }
}
