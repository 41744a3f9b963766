// doctest prints a failed CHECK's operands; these make the platform's result types printable.
#pragma once

#include "daemon/platform/classify.h"
#include "daemon/platform/wire.h"

#include <ostream>
#include <vector>

namespace bsched::platform {

inline std::ostream& operator<<(std::ostream& os, const CallError& e) {
  return os << failure_kind_name(e.kind) << " " << e.http_status << ": " << e.message;
}
inline std::ostream& operator<<(std::ostream& os, const AnswerError& e) {
  return os << e.message << " [" << e.code << "]";
}
inline std::ostream& operator<<(std::ostream& os, const SubmitResult& r) {
  return os << r.request_id;
}
inline std::ostream& operator<<(std::ostream& os, const PollResult& r) {
  return os << "poll kind " << static_cast<int>(r.kind) << " " << r.record.status;
}
inline std::ostream& operator<<(std::ostream& os, const HttpUrl& u) {
  return os << (u.tls ? "https://" : "http://") << u.host << ":" << u.port << u.target;
}
inline std::ostream& operator<<(std::ostream& os, const QueryPage& p) {
  return os << p.records.size() << " records, token " << p.query_token;
}
inline std::ostream& operator<<(std::ostream& os, const std::vector<ExecutionRecord>& v) {
  return os << v.size() << " records";
}

}  // namespace bsched::platform
