#include "daemon/web/auth.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

namespace bsched::web {

bool constant_time_equal(std::string_view a, std::string_view b) {
  unsigned char da[SHA256_DIGEST_LENGTH], db[SHA256_DIGEST_LENGTH];
  ::SHA256(reinterpret_cast<const unsigned char*>(a.data()), a.size(), da);
  ::SHA256(reinterpret_cast<const unsigned char*>(b.data()), b.size(), db);
  return ::CRYPTO_memcmp(da, db, sizeof da) == 0;
}

bool authorized(std::string_view authorization, const config::Secret& token) {
  if (token.empty()) return true;
  constexpr std::string_view k_scheme = "Bearer ";
  // The scheme is case-insensitive (RFC 9110 §11.1).
  if (authorization.size() < k_scheme.size()) return false;
  for (std::size_t i = 0; i < k_scheme.size(); ++i) {
    char c = authorization[i];
    if ((c | 0x20) != (k_scheme[i] | 0x20) && !(c == ' ' && k_scheme[i] == ' ')) return false;
  }
  return constant_time_equal(authorization.substr(k_scheme.size()), token.reveal());
}

}  // namespace bsched::web
