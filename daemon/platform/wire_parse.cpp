// Tolerant parsers of the platform's answers (platform-api.md "The ExecutionRecord", "Errors").
#include "daemon/platform/wire.h"
#include "daemon/platform/wire_util.h"

#include <boost/json.hpp>

#include <fmt/core.h>

#include <charconv>
#include <cmath>
#include <limits>

namespace bsched::platform {

namespace json = boost::json;

std::optional<json::value> parse_json(std::string_view body) {
  boost::system::error_code ec;
  json::parse_options opts;
  opts.max_depth = 64;
  auto v = json::parse(body, ec, {}, opts);
  if (ec) return std::nullopt;
  return v;
}

namespace {

const json::value* member(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it == o.end() ? nullptr : &it->value();
}

// A string field, capped at `cap` bytes; numbers are accepted as their decimal text.
std::string str(const json::object& o, std::string_view key, std::size_t cap = k_id_cap) {
  const auto* v = member(o, key);
  if (!v) return {};
  if (v->is_string()) {
    const auto& text = v->get_string();
    return cap_text(std::string_view(text.data(), text.size()), cap);
  }
  if (v->is_int64() || v->is_uint64()) return json::serialize(*v);
  return {};
}

// A string field sent back as it is (queryToken): never cut, bounded by the body limit.
std::string raw_str(const json::object& o, std::string_view key) {
  const auto* v = member(o, key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

std::optional<sys_seconds> instant(const json::object& o, std::string_view key) {
  auto text = str(o, key);
  if (text.empty()) return std::nullopt;
  auto t = parse_instant(text);
  if (!t) return std::nullopt;
  return *t;
}

std::optional<std::int64_t> int_field(const json::object& o, std::string_view key) {
  const auto* v = member(o, key);
  return v ? json_int(*v) : std::nullopt;
}

std::optional<std::int64_t> int_from_text(std::string_view s) {
  while (!s.empty() && (s.front() == ' ')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ')) s.remove_suffix(1);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  std::int64_t n = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc{} || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return n;
}

AnswerError answer_error(std::string message, std::string code = {}) {
  return AnswerError{std::move(message), std::move(code)};
}

// {"errors":[{"message":…,"extensions":{"code":…}}]} -> the first error, when present.
std::optional<AnswerError> graphql_errors(const json::object& o) {
  const auto* errs = member(o, "errors");
  if (!errs || !errs->is_array() || errs->get_array().empty()) return std::nullopt;
  const auto& first = errs->get_array().front();
  if (!first.is_object()) return answer_error("GraphQL error");
  std::string code;
  if (const auto* ext = member(first.get_object(), "extensions"); ext && ext->is_object())
    code = str(ext->get_object(), "code", k_status_cap);
  auto message = str(first.get_object(), "message", k_error_message_cap);
  return answer_error(message.empty() ? "GraphQL error" : message, code);
}

const json::object* data_object(const json::object& o) {
  const auto* d = member(o, "data");
  return d && d->is_object() ? &d->get_object() : nullptr;
}

}  // namespace

std::optional<std::int64_t> json_int(const json::value& v) {
  if (v.is_int64()) return v.get_int64();
  if (v.is_uint64()) {
    auto u = v.get_uint64();
    if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return std::nullopt;
    return static_cast<std::int64_t>(u);
  }
  if (v.is_double()) {
    double d = v.get_double();
    if (!std::isfinite(d) || d < -9.2e18 || d > 9.2e18) return std::nullopt;
    return static_cast<std::int64_t>(d);
  }
  if (v.is_string()) return int_from_text(v.get_string());
  // The typed pair ["Long", 3832] / ["Long", "5816"].
  if (v.is_array() && v.get_array().size() == 2 && v.get_array()[0].is_string()) {
    const auto& inner = v.get_array()[1];
    if (inner.is_array()) return std::nullopt;
    return json_int(inner);
  }
  return std::nullopt;
}

ExecutionRecord parse_record(const json::object& o) {
  ExecutionRecord r;
  r.execution_id = str(o, "executionId");
  r.status = str(o, "status", k_status_cap);
  r.execution_time = instant(o, "executionTime");
  r.recorded_date = instant(o, "recordedDate");
  r.process_id = str(o, "processId");
  r.process_name = str(o, "processName");
  r.atom_id = str(o, "atomId");
  r.atom_name = str(o, "atomName");
  r.account = str(o, "account");
  r.execution_type = str(o, "executionType");
  r.message = str(o, "message", k_message_cap);
  r.inbound_document_count = int_field(o, "inboundDocumentCount");
  r.inbound_error_document_count = int_field(o, "inboundErrorDocumentCount");
  r.outbound_document_count = int_field(o, "outboundDocumentCount");
  r.execution_duration_ms = int_field(o, "executionDuration");
  r.inbound_document_size = int_field(o, "inboundDocumentSize");
  r.outbound_document_size = int_field(o, "outboundDocumentSize");
  r.original_execution_id = str(o, "originalExecutionId");
  r.parent_execution_id = str(o, "parentExecutionId");
  r.top_level_execution_id = str(o, "topLevelExecutionId");
  r.node_id = str(o, "nodeId");
  r.report_key = str(o, "reportKey");
  r.launcher_id = str(o, "launcherID");
  if (r.launcher_id.empty()) r.launcher_id = str(o, "launcherId");
  return r;
}

AnswerResult<SubmitResult> parse_submit_answer(std::string_view body) {
  auto v = parse_json(body);
  if (!v || !v->is_object()) return answer_error("the trigger answer is not a JSON object");
  auto id = raw_str(v->get_object(), "requestId");
  if (id.empty()) id = str(v->get_object(), "requestId");  // a number, as its text
  if (id.empty()) return answer_error("the trigger answer has no requestId");
  if (id.size() > k_id_cap)
    return answer_error(fmt::format("the trigger answer's requestId has {} bytes, more than {}",
                                    id.size(), k_id_cap));
  return SubmitResult{std::move(id)};
}

AnswerResult<PollResult> parse_poll_answer(std::string_view body) {
  auto v = parse_json(body);
  if (!v || !v->is_object()) return answer_error("the poll answer is not a JSON object");
  const auto& o = v->get_object();
  bool envelope = member(o, "result") || member(o, "responseStatusCode") ||
                  str(o, "@type") == "AsyncOperationResult";
  PollResult out;
  if (!envelope) {
    out.kind = PollResult::Kind::record;
    out.record = parse_record(o);
    return out;
  }
  auto code = int_field(o, "responseStatusCode");
  if (code && *code == 202) return out;  // pending
  if (code && *code >= 400) {
    auto message = str(o, "message", k_error_message_cap);
    return answer_error(message.empty() ? fmt::format("the platform answered {}", *code) : message,
                        std::to_string(*code));
  }
  const auto* result = member(o, "result");
  if (!result || !result->is_array() || result->get_array().empty()) return out;  // pending
  const auto& first = result->get_array().front();
  if (!first.is_object()) return answer_error("the poll answer's result[0] is not an object");
  out.kind = PollResult::Kind::record;
  out.record = parse_record(first.get_object());
  return out;
}

AnswerResult<QueryPage> parse_query_page(std::string_view body) {
  auto v = parse_json(body);
  if (!v || !v->is_object()) return answer_error("the query answer is not a JSON object");
  const auto& o = v->get_object();
  if (str(o, "@type") == "Error") return answer_error(error_message_of(body));
  QueryPage page;
  if (const auto* result = member(o, "result")) {
    if (!result->is_array()) return answer_error("the query answer's result is not a list");
    for (const auto& item : result->get_array())
      if (item.is_object()) page.records.push_back(parse_record(item.get_object()));
  }
  page.query_token = raw_str(o, "queryToken");
  return page;
}

// AnswerError is an aggregate of strings, so a bare string would be ambiguous.
AnswerResult<std::string> jwt_value(std::string token) {
  return AnswerResult<std::string>(boost::system::in_place_value, std::move(token));
}

AnswerResult<std::string> parse_jwt_answer(std::string_view body) {
  auto first = body.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return answer_error("the JWT answer is empty");
  auto last = body.find_last_not_of(" \t\r\n");
  auto text = body.substr(first, last - first + 1);
  if (text.front() == '"' || text.front() == '{') {
    auto v = parse_json(text);
    if (v && v->is_string() && !v->get_string().empty())
      return jwt_value(std::string(v->get_string()));
    if (v && v->is_object())
      for (auto key : {"token", "jwt", "access_token", "accessToken"})
        if (auto t = raw_str(v->get_object(), key); !t.empty()) return jwt_value(std::move(t));
    return answer_error("the JWT answer holds no token");
  }
  if (text.find_first_of(" \t\r\n<") != std::string_view::npos)
    return answer_error("the JWT answer is not a token");
  return jwt_value(std::string(text));
}

AnswerResult<SubmitResult> parse_graphql_execute(std::string_view body) {
  auto v = parse_json(body);
  if (!v || !v->is_object()) return answer_error("the GraphQL answer is not a JSON object");
  if (auto e = graphql_errors(v->get_object())) return *e;
  const auto* data = data_object(v->get_object());
  const auto* pe = data ? member(*data, "processExecute") : nullptr;
  if (!pe) return answer_error("the GraphQL answer has no data.processExecute");
  // Normally a string holding the ExecutionRequest JSON; an object is accepted as well.
  if (pe->is_string()) return parse_submit_answer(pe->get_string());
  if (pe->is_object()) return parse_submit_answer(json::serialize(*pe));
  return answer_error("data.processExecute is neither a string nor an object");
}

AnswerResult<std::vector<ExecutionRecord>> parse_graphql_history(std::string_view body) {
  auto v = parse_json(body);
  if (!v || !v->is_object()) return answer_error("the GraphQL answer is not a JSON object");
  if (auto e = graphql_errors(v->get_object())) return *e;
  const auto* data = data_object(v->get_object());
  const auto* h = data ? member(*data, "executionHistory") : nullptr;
  if (!h) return answer_error("the GraphQL answer has no data.executionHistory");
  const json::array* list = h->is_array() ? &h->get_array() : nullptr;
  if (!list && h->is_object())
    for (const auto& kv : h->get_object())
      if (kv.value().is_array()) list = &kv.value().get_array();
  std::vector<ExecutionRecord> out;
  if (!list) return h->is_null() ? AnswerResult<std::vector<ExecutionRecord>>(out)
                                 : answer_error("data.executionHistory is not a list");
  for (const auto& item : *list)
    if (item.is_object()) out.push_back(parse_record(item.get_object()));
  return out;
}

std::string cap_text(std::string_view text, std::size_t limit) {
  if (text.size() <= limit) return std::string(text);
  auto cut = limit;
  // Do not cut a UTF-8 sequence in half: back up to the start of the one at `cut`.
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return fmt::format("{}… [cut, {} bytes]", text.substr(0, cut), text.size());
}

std::string cap_body(std::string_view body) { return cap_text(body, k_body_cap); }

std::string error_message_of(std::string_view body) {
  std::string message;
  if (auto v = parse_json(body); v && v->is_object()) {
    const auto& o = v->get_object();
    message = raw_str(o, "message");
    if (const auto* e = member(o, "error"); message.empty() && e) {
      if (e->is_object()) message = raw_str(e->get_object(), "message");
      if (e->is_string()) message = std::string(e->get_string());
    }
    if (auto g = graphql_errors(o); message.empty() && g) message = g->message;
  } else if (v && v->is_string()) {
    message = std::string(v->get_string());
  } else if (!v) {
    message = std::string(body);
  }
  // One line, bounded.
  for (auto& c : message)
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  auto first = message.find_first_not_of(' ');
  if (first == std::string::npos) return {};
  message.erase(0, first);
  while (!message.empty() && message.back() == ' ') message.pop_back();
  return cap_text(message, k_error_message_cap);
}

}  // namespace bsched::platform
