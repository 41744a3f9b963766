#include "config/loader_util.h"

#include <openssl/evp.h>

#include <stdexcept>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <numeric>

namespace bsched::config::detail {

namespace {

char lower(char c) {
  return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
}

bool is_hex(char c) {
  return std::isxdigit(static_cast<unsigned char>(c)) != 0;
}

}  // namespace

int edit_distance(std::string_view a, std::string_view b) {
  // Two rolling rows: O(|a|*|b|) time, O(|b|) memory.
  std::vector<int> prev(b.size() + 1), cur(b.size() + 1);
  std::iota(prev.begin(), prev.end(), 0);
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = static_cast<int>(i);
    for (size_t j = 1; j <= b.size(); ++j) {
      int subst = prev[j - 1] + (lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, subst});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::optional<std::string> closest_match(std::string_view word,
                                         const std::vector<std::string_view>& candidates) {
  // Very long words are never typos of our short key names; skip the quadratic work.
  if (word.empty() || word.size() > 128) return std::nullopt;
  std::optional<std::string> best;
  int best_distance = 3;
  for (auto c : candidates) {
    int d = edit_distance(word, c);
    if (d < best_distance && d * 2 < static_cast<int>(std::max(word.size(), c.size()))) {
      best_distance = d;
      best = std::string(c);
    }
  }
  return best;
}

std::string did_you_mean(std::string_view word, const std::vector<std::string_view>& candidates) {
  auto m = closest_match(word, candidates);
  return m ? "; did you mean '" + *m + "'?" : std::string();
}

bool is_uuid(std::string_view t) {
  if (t.size() != 36) return false;
  for (size_t i = 0; i < t.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? t[i] != '-' : !is_hex(t[i])) return false;
  }
  return true;
}

bool is_valid_job_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
  });
}

namespace {

std::string hex_digest(EVP_MD_CTX& ctx) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_DigestFinal_ex(&ctx, digest, &size) != 1) throw std::runtime_error("SHA-256 failed");
  static constexpr char k_hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * size);
  for (unsigned i = 0; i < size; ++i) {
    out += k_hex[digest[i] >> 4];
    out += k_hex[digest[i] & 0xf];
  }
  return out;
}

void update(EVP_MD_CTX& ctx, std::string_view data) {
  if (EVP_DigestUpdate(&ctx, data.data(), data.size()) != 1)
    throw std::runtime_error("SHA-256 failed");
}

}  // namespace

std::string sha256_hex(std::string_view data) {
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1)
    throw std::runtime_error("SHA-256 is not available from OpenSSL");
  update(*ctx, data);
  return hex_digest(*ctx);
}

void FieldHasher::FreeCtx::operator()(EVP_MD_CTX* ctx) const {
  EVP_MD_CTX_free(ctx);
}

FieldHasher::FieldHasher() : m_ctx(EVP_MD_CTX_new()) {
  if (!m_ctx || EVP_DigestInit_ex(m_ctx.get(), EVP_sha256(), nullptr) != 1)
    throw std::runtime_error("SHA-256 is not available from OpenSSL");
}

FieldHasher::~FieldHasher() = default;

FieldHasher& FieldHasher::add(std::string_view field) {
  update(*m_ctx, std::to_string(field.size()) + ":");
  update(*m_ctx, field);
  return *this;
}

FieldHasher& FieldHasher::add(long long number) {
  return add(std::to_string(number));
}

std::string FieldHasher::hex() {
  return hex_digest(*m_ctx);
}

}  // namespace bsched::config::detail
