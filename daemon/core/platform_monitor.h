// The platform's health as the engine sees it from the answers to its calls: one owner for
// the state the log, the heartbeat and `status` show.
#pragma once

#include "daemon/platform/platform_client.h"

#include <string>
#include <vector>

namespace bsched::core {

enum class PlatformState {
  ok,           // the last call that tells anything about the platform succeeded
  unchecked,    // credentials or configuration changed after an auth failure; the next call tells
  throttled,    // the platform answered 429/503: requests are slowed down
  unreachable,  // no HTTP answer (connect, TLS, timeout, reset)
  error,        // HTTP 5xx answers
  auth_failed,  // 401: no trigger is sent until the credentials or the configuration change
};

class PlatformMonitor {
 public:
  PlatformState state() const { return m_state; }
  bool auth_failed() const { return m_state == PlatformState::auth_failed; }

  // Takes the outcome of one platform call (null: success). Returns true when the state
  // changed (the change is logged once); failures of one request that say nothing about
  // the platform (a 400, a garbled answer) change nothing.
  bool note(const platform::CallError* error);

  // The credentials or the configuration changed: an open auth circuit is closed until the
  // next call says otherwise. Returns true when it was open.
  bool credentials_changed();

  // The deprecated endpoints the client has seen (platform::PlatformClient::deprecations).
  // Returns true when they changed (a new one appeared).
  bool note_deprecations(std::vector<platform::DeprecationNotice> notices);

  // "ok", "checking new credentials", "throttled", "unreachable", "error",
  // "auth failed: <message>": the heartbeat's platform_state; followed by
  // "; deprecated: <endpoint> (sunset <date>), …" once the platform announced a retirement.
  std::string describe() const;

 private:
  std::vector<platform::DeprecationNotice> m_deprecations;
  PlatformState m_state = PlatformState::ok;
  std::string m_auth_message;  // the platform's message of the 401 (auth_failed only)
};

}  // namespace bsched::core
