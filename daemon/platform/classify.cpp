// Failure classification (see classify.h) and the status words of an ExecutionRecord.
#include "daemon/platform/classify.h"

#include "daemon/platform/wire.h"

#include <date/date.h>
#include <fmt/core.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <sstream>

namespace bsched::platform {

namespace {

std::string describe_status(int status, std::string_view body) {
  auto message = error_message_of(body);
  if (!message.empty()) return message;
  switch (status) {
    case 400: return "bad request";
    case 401: return "authentication failed: check platform.username and the API token";
    case 403: return "forbidden: the user lacks the Execute or View Results privilege";
    case 404: return "not found: check the process id, the atom id and the deployment";
    case 410: return "gone: the runtime is offline";
    case 429: return "too many requests";
    case 500: return "internal server error";
    case 502: return "bad gateway";
    case 503: return "service unavailable (rate limit)";
    case 504: return "gateway timeout: the runtime or server is unreachable";
    default: return fmt::format("unexpected HTTP status {}", status);
  }
}

FailureKind kind_of_status(int status, bool trigger) {
  if (status == 401) return FailureKind::auth;
  // A gateway's 502 / 504 says nothing of whether the platform behind it took the trigger.
  if (trigger && (status == 502 || status == 504)) return FailureKind::uncertain;
  if (status == 429 || status == 503) return FailureKind::throttled;
  if (status == 408 || status == 410 || status >= 500) return FailureKind::retry_later;
  if (status >= 400) return FailureKind::permanent;
  return FailureKind::bad_response;
}

// "Sun, 06 Nov 1994 08:49:37 GMT" (RFC 9110 §5.6.7): 'A' a letter, '9' a digit, anything
// else that very character.
bool has_imf_fixdate_shape(std::string_view value) {
  constexpr std::string_view k_shape = "AAA, 99 AAA 9999 99:99:99 GMT";
  if (value.size() != k_shape.size()) return false;
  for (std::size_t i = 0; i < k_shape.size(); ++i) {
    char c = value[i];
    bool ok = k_shape[i] == 'A'   ? (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
              : k_shape[i] == '9' ? c >= '0' && c <= '9'
                                  : c == k_shape[i];
    if (!ok) return false;
  }
  return true;
}

}  // namespace

RemoteStatus classify_status(std::string_view status) {
  // In any letter case: the platform documents upper case; a record in another case still
  // ends its run.
  auto is = [&](std::string_view word) {
    return status.size() == word.size() &&
           std::equal(status.begin(), status.end(), word.begin(), [](char a, char b) {
             return std::toupper(static_cast<unsigned char>(a)) == b;
           });
  };
  if (is("COMPLETE")) return RemoteStatus::complete;
  if (is("COMPLETE_WARN")) return RemoteStatus::complete_warn;
  if (is("ERROR")) return RemoteStatus::error;
  if (is("ABORTED")) return RemoteStatus::aborted;
  if (is("DISCARDED")) return RemoteStatus::discarded;
  return RemoteStatus::in_progress;  // STARTED, INPROCESS, ENQUEUED, ABORTED_RECOVERING, unknown
}

CallError classify_http_failure(int status, std::string_view retry_after, std::string_view body,
                                bool trigger, SysMillis now) {
  CallError e;
  e.kind = kind_of_status(status, trigger);
  e.http_status = status;
  e.message = describe_status(status, body);
  e.body = cap_body(body);
  if (e.kind == FailureKind::throttled && !retry_after.empty())
    e.retry_after = parse_retry_after(retry_after, now);
  if (e.kind == FailureKind::uncertain)
    e.message += "; the trigger may have been accepted (reconcile before sending it again)";
  return e;
}

CallError classify_transport_failure(const TransportError& t, bool trigger) {
  using Kind = TransportError::Kind;
  CallError e;
  e.message = t.message;
  switch (t.kind) {
    case Kind::bad_url:
    case Kind::insecure:
      e.kind = FailureKind::permanent;
      break;
    case Kind::resolve:
    case Kind::connect:
    case Kind::tls:
      e.kind = FailureKind::retry_later;
      break;
    case Kind::timeout:
    case Kind::io:
      e.kind = t.maybe_sent() && trigger ? FailureKind::uncertain : FailureKind::retry_later;
      break;
    case Kind::too_large:
    case Kind::protocol:
      e.kind = t.maybe_sent() && trigger ? FailureKind::uncertain : FailureKind::bad_response;
      break;
  }
  if (e.kind == FailureKind::uncertain)
    e.message += "; the trigger may have been accepted (reconcile before sending it again)";
  return e;
}

std::string header_text(std::string_view value, std::size_t limit) {
  std::string out = cap_text(value, limit);
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  }
  return out;
}

CallError classify_redirect(int status, std::string_view location, std::string_view endpoint) {
  CallError e;
  e.kind = FailureKind::permanent;
  e.http_status = status;
  e.message = fmt::format(
      "the platform answered HTTP {} to {}: the resource moved to {}; not followed (the "
      "credentials are sent only to the configured URL): check platform.base_url and the "
      "platform's API release notes",
      status, endpoint.empty() ? "a call" : endpoint,
      location.empty() ? std::string("(no Location given)") : header_text(location, 512));
  return e;
}

std::optional<Millis> parse_retry_after(std::string_view value, SysMillis now) {
  constexpr auto k_max_seconds =
      std::chrono::duration_cast<std::chrono::seconds>(k_retry_after_max);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  if (std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    // delay-seconds: 1*DIGIT. Too many digits for an integer is still "very long": the cap.
    long long seconds = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
    if (ec == std::errc::result_out_of_range ||
        (ec == std::errc{} && seconds > k_max_seconds.count()))
      return k_retry_after_max;
    if (ec != std::errc{}) return std::nullopt;
    return Millis{seconds * 1000};
  }
  // HTTP-date: IMF-fixdate only, a fixed shape of 29 characters checked before parsing
  // ("-5", "soon" and other garbage are absent). The shape check comes first because the
  // date parser reads a malformed seconds field as NaN and converts it to an integer
  // (undefined behaviour, found by fuzz_platform_json with "sat,2auG01\t\t00:00::0").
  if (!has_imf_fixdate_shape(value)) return std::nullopt;
  std::istringstream in{std::string(value)};
  date::sys_seconds at;
  in >> date::parse("%a, %d %b %Y %H:%M:%S GMT", at);
  if (in.fail()) return std::nullopt;
  // Compared in seconds before any conversion: a date in the year 9999 is ~2.5e11 s away,
  // which as nanoseconds of a steady timer would overflow.
  auto delta = at - std::chrono::floor<std::chrono::seconds>(now);
  if (delta <= std::chrono::seconds{0}) return Millis{0};
  if (delta >= k_max_seconds) return k_retry_after_max;
  return std::chrono::duration_cast<Millis>(delta);
}

const char* failure_kind_name(FailureKind kind) {
  switch (kind) {
    case FailureKind::permanent: return "permanent";
    case FailureKind::retry_later: return "retry_later";
    case FailureKind::throttled: return "throttled";
    case FailureKind::auth: return "auth";
    case FailureKind::uncertain: return "uncertain";
    case FailureKind::bad_response: return "bad_response";
    case FailureKind::withheld: return "withheld";
  }
  return "unknown";
}

}  // namespace bsched::platform
