#include "daemon/sim/sim_graphql_reader.h"

#include <fmt/format.h>

#include <cctype>
#include <charconv>

namespace bsched::sim {

namespace json = boost::json;

namespace {

constexpr int k_max_depth = 16;

class Reader {
 public:
  Reader(std::string_view text, const json::object& variables)
      : m_text(text), m_variables(variables) {}

  Result<GqlOperation> operation() {
    GqlOperation op{"query", {}};
    skip();
    if (peek() != '{') {
      BSCHED_TRY_ASSIGN(keyword, name());
      if (keyword != "query" && keyword != "mutation") {
        return fail(fmt::format("expected 'query' or 'mutation', found '{}'", keyword));
      }
      op.type = keyword;
      skip();
      if (is_name_start(peek())) BSCHED_TRY(name());  // the operation's name
      skip();
      if (peek() == '(') BSCHED_TRY(skip_balanced('(', ')'));
    }
    BSCHED_TRY(expect('{'));
    BSCHED_TRY_ASSIGN(field, top_field());
    op.field = std::move(field);
    BSCHED_TRY(expect('}'));
    skip();
    if (m_pos != m_text.size()) return fail("one operation with one field is supported");
    return op;
  }

 private:
  Result<GqlField> top_field() {
    GqlField f;
    BSCHED_TRY_ASSIGN(first, name());
    f.name = std::move(first);
    skip();
    if (peek() == ':') {  // "alias: field"
      ++m_pos;
      BSCHED_TRY_ASSIGN(real, name());
      f.name = std::move(real);
    }
    skip();
    if (peek() == '(') {
      ++m_pos;
      for (skip(); peek() != ')'; skip()) {
        BSCHED_TRY_ASSIGN(arg, name());
        BSCHED_TRY(expect(':'));
        BSCHED_TRY_ASSIGN(v, value(0));
        f.arguments[arg] = std::move(v);
        if (m_pos >= m_text.size()) return fail("unterminated argument list");
      }
      ++m_pos;
    }
    skip();
    if (peek() == '{') {
      ++m_pos;
      for (skip(); peek() != '}'; skip()) {
        if (m_pos >= m_text.size()) return fail("unterminated selection set");
        BSCHED_TRY_ASSIGN(sub, name());
        f.selection.push_back(std::move(sub));
        skip();
        if (peek() == '{' || peek() == '(' || peek() == '@') {
          return fail("nested selections, arguments and directives are not supported here");
        }
      }
      ++m_pos;
      if (f.selection.empty()) return fail("empty selection set");
    }
    return f;
  }

  Result<json::value> value(int depth) {
    if (depth > k_max_depth) return fail("values nest too deeply");
    skip();
    const char c = peek();
    if (c == '$') {
      ++m_pos;
      BSCHED_TRY_ASSIGN(var, name());
      const json::value* v = m_variables.if_contains(var);
      if (v == nullptr) return fail(fmt::format("variable ${} is not defined", var));
      return *v;
    }
    if (c == '"') return string_value();
    if (c == '{' || c == '[') return compound(c, depth);
    if (c == '-' || std::isdigit(static_cast<unsigned char>(c))) return number();
    return keyword_value();
  }

  // true, false, null, or an enum value (as its name).
  Result<json::value> keyword_value() {
    const std::size_t start = m_pos;
    if (!is_name_start(peek())) return fail("expected a value");
    while (m_pos < m_text.size() && (is_name_start(m_text[m_pos]) ||
                                     std::isdigit(static_cast<unsigned char>(m_text[m_pos])))) {
      ++m_pos;
    }
    const std::string_view word = m_text.substr(start, m_pos - start);
    if (word == "true" || word == "false") return json::value(word == "true");
    if (word == "null") return json::value(nullptr);
    return json::value(word);
  }

  Result<json::value> compound(char open, int depth) {
    ++m_pos;
    json::object o;
    json::array a;
    const char close = open == '{' ? '}' : ']';
    for (skip(); peek() != close; skip()) {
      if (m_pos >= m_text.size()) return fail("unterminated object or list");
      if (open == '[') {
        BSCHED_TRY_ASSIGN(item, value(depth + 1));
        a.push_back(std::move(item));
        continue;
      }
      BSCHED_TRY_ASSIGN(key, name());
      BSCHED_TRY(expect(':'));
      BSCHED_TRY_ASSIGN(item, value(depth + 1));
      o[key] = std::move(item);
    }
    ++m_pos;
    return open == '{' ? json::value(std::move(o)) : json::value(std::move(a));
  }

  Result<json::value> string_value() {
    std::string out;
    for (++m_pos; m_pos < m_text.size(); ++m_pos) {
      char c = m_text[m_pos];
      if (c == '"') {
        ++m_pos;
        return json::value(out);
      }
      if (c == '\n') break;
      if (c == '\\') {
        if (++m_pos >= m_text.size()) break;
        c = m_text[m_pos];
        static constexpr std::string_view from = "\"\\/bfnrt", to = "\"\\/\b\f\n\r\t";
        const auto k = from.find(c);
        if (k == std::string_view::npos) return fail("unsupported escape in a string");
        c = to[k];
      }
      out += c;
    }
    return fail("unterminated string");
  }

  Result<json::value> number() {
    const std::size_t start = m_pos;
    while (m_pos < m_text.size() && (std::isdigit(static_cast<unsigned char>(m_text[m_pos])) ||
                                     std::string_view("-+.eE").find(m_text[m_pos]) != std::string_view::npos)) {
      ++m_pos;
    }
    const std::string_view digits = m_text.substr(start, m_pos - start);
    std::int64_t n = 0;
    const auto r = std::from_chars(digits.data(), digits.data() + digits.size(), n);
    if (r.ec == std::errc() && r.ptr == digits.data() + digits.size()) return json::value(n);
    boost::system::error_code ec;
    json::value v = json::parse(digits, ec);
    if (ec || !v.is_number()) return fail(fmt::format("'{}' is not a number", digits));
    return v;
  }

  Result<std::string> name() {
    skip();
    const std::size_t start = m_pos;
    if (!is_name_start(peek())) return fail("expected a name");
    while (m_pos < m_text.size() && (is_name_start(m_text[m_pos]) ||
                                     std::isdigit(static_cast<unsigned char>(m_text[m_pos])))) {
      ++m_pos;
    }
    return std::string(m_text.substr(start, m_pos - start));
  }

  Result<void> expect(char c) {
    skip();
    if (peek() != c) return fail(fmt::format("expected '{}'", c));
    ++m_pos;
    return {};
  }

  Result<void> skip_balanced(char open, char close) {
    int level = 0;
    for (; m_pos < m_text.size(); ++m_pos) {
      if (m_text[m_pos] == open) ++level;
      if (m_text[m_pos] == close && --level == 0) {
        ++m_pos;
        return {};
      }
    }
    return fail(fmt::format("unbalanced '{}'", open));
  }

  // Whitespace, commas and # comments are insignificant in GraphQL.
  void skip() {
    while (m_pos < m_text.size()) {
      const char c = m_text[m_pos];
      if (c == '#') {
        while (m_pos < m_text.size() && m_text[m_pos] != '\n') ++m_pos;
      } else if (std::isspace(static_cast<unsigned char>(c)) || c == ',') {
        ++m_pos;
      } else {
        break;
      }
    }
  }

  char peek() const { return m_pos < m_text.size() ? m_text[m_pos] : '\0'; }
  static bool is_name_start(char c) {
    return c == '_' || std::isalpha(static_cast<unsigned char>(c));
  }
  Error fail(const std::string& what) const {
    return make_error(fmt::format("GraphQL syntax: {} at offset {}", what, m_pos));
  }

  std::string_view m_text;
  const json::object& m_variables;
  std::size_t m_pos = 0;
};

}  // namespace

Result<GqlOperation> parse_graphql(std::string_view document, const json::object& variables) {
  return Reader(document, variables).operation();
}

}  // namespace bsched::sim
