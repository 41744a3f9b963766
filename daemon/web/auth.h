// The listener's bearer token check (http.token_file).
#pragma once

#include "config/secret.h"

#include <string_view>

namespace bsched::web {

// True when `a` equals `b`. The time taken depends on neither content nor length: both are
// hashed (SHA-256) and the digests compared with CRYPTO_memcmp.
bool constant_time_equal(std::string_view a, std::string_view b);

// True when no token is configured, or `authorization` is "Bearer <token>" with the token.
bool authorized(std::string_view authorization, const config::Secret& token);

}  // namespace bsched::web
