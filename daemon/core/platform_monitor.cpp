#include "daemon/core/platform_monitor.h"

#include "config/escape.h"

#include <spdlog/spdlog.h>

#include <optional>

namespace bsched::core {

namespace {

// The state an answer says the platform is in; nullopt: it says nothing about the platform.
std::optional<PlatformState> state_for(const platform::CallError* e) {
  using platform::FailureKind;
  if (!e) return PlatformState::ok;
  switch (e->kind) {
    case FailureKind::auth:
      return PlatformState::auth_failed;
    case FailureKind::throttled:
      return PlatformState::throttled;
    case FailureKind::retry_later:
    case FailureKind::uncertain:
      return e->http_status == 0 ? PlatformState::unreachable : PlatformState::error;
    default:
      return std::nullopt;
  }
}

}  // namespace

bool PlatformMonitor::note(const platform::CallError* error) {
  auto next = state_for(error);
  if (!next) return false;
  bool was_auth = m_state == PlatformState::auth_failed || m_state == PlatformState::unchecked;
  if (*next == m_state && (*next != PlatformState::auth_failed || error->message == m_auth_message))
    return false;
  m_state = *next;
  switch (m_state) {
    case PlatformState::auth_failed:
      m_auth_message = error->message;
      spdlog::critical("platform.auth_failed message=\"{}\" action=\"no trigger is sent until "
                       "the credentials or the configuration change; retrying rarely\"",
                       esc(error->message));
      break;
    case PlatformState::throttled:
      spdlog::warn("platform.throttled http={} message=\"{}\"", error->http_status,
                   esc(error->message));
      break;
    case PlatformState::unreachable:
    case PlatformState::error:
      spdlog::warn("platform.{} http={} message=\"{}\"",
                   m_state == PlatformState::unreachable ? "unreachable" : "error",
                   error->http_status, esc(error->message));
      break;
    case PlatformState::ok:
    case PlatformState::unchecked:
      spdlog::info("platform.ok{}", was_auth ? " auth=restored" : "");
      break;
  }
  return true;
}

bool PlatformMonitor::credentials_changed() {
  if (m_state != PlatformState::auth_failed) return false;
  m_state = PlatformState::unchecked;
  m_auth_message.clear();
  spdlog::info("platform.auth_reset reason=\"credentials or configuration changed\" "
               "action=\"held triggers are sent now; the next answer tells\"");
  return true;
}

bool PlatformMonitor::note_deprecations(std::vector<platform::DeprecationNotice> notices) {
  if (notices.size() == m_deprecations.size()) return false;  // one notice per endpoint, kept
  m_deprecations = std::move(notices);
  return true;
}

namespace {

std::string state_word(PlatformState state, const std::string& auth_message) {
  switch (state) {
    case PlatformState::ok: return "ok";
    case PlatformState::unchecked: return "checking new credentials";
    case PlatformState::throttled: return "throttled";
    case PlatformState::unreachable: return "unreachable";
    case PlatformState::error: return "error";
    case PlatformState::auth_failed: return "auth failed: " + auth_message;
  }
  return "ok";
}

}  // namespace

std::string PlatformMonitor::describe() const {
  auto out = state_word(m_state, m_auth_message);
  for (std::size_t i = 0; i < m_deprecations.size(); ++i) {
    const auto& d = m_deprecations[i];
    out += i == 0 ? "; deprecated: " : ", ";
    out += d.endpoint;
    if (!d.sunset.empty()) out += " (sunset " + d.sunset + ")";
  }
  return out;
}

}  // namespace bsched::core
