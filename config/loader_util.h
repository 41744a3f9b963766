// Small text helpers shared by the configuration loader and the placeholder checker
// (internal to config/).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct evp_md_ctx_st;  // EVP_MD_CTX of <openssl/evp.h>

namespace bsched::config::detail {

// Levenshtein distance (insert, delete, substitute each cost 1); ASCII case-insensitive.
int edit_distance(std::string_view a, std::string_view b);

// The candidate nearest to `word` when it is a plausible typo of it (distance <= 2 and less
// than half of the word's length), else nullopt. Ties go to the earlier candidate.
std::optional<std::string> closest_match(std::string_view word,
                                         const std::vector<std::string_view>& candidates);

// " did you mean 'x'?" with a leading "; ", or "" when nothing is close.
std::string did_you_mean(std::string_view word, const std::vector<std::string_view>& candidates);

// 8-4-4-4-12 hexadecimal digits.
bool is_uuid(std::string_view text);

// [A-Za-z0-9._-]{1,64}
bool is_valid_job_name(std::string_view name);

// Lower-case hexadecimal SHA-256 of `data`.
std::string sha256_hex(std::string_view data);

// Incremental SHA-256 (OpenSSL's, linked for TLS anyway) over length-prefixed fields, so that
// ("ab","c") and ("a","bc") differ.
class FieldHasher {
 public:
  FieldHasher();
  ~FieldHasher();
  FieldHasher(const FieldHasher&) = delete;
  FieldHasher& operator=(const FieldHasher&) = delete;

  FieldHasher& add(std::string_view field);
  FieldHasher& add(long long number);
  std::string hex();  // finishes the digest

 private:
  struct FreeCtx {
    void operator()(evp_md_ctx_st* ctx) const;
  };
  std::unique_ptr<evp_md_ctx_st, FreeCtx> m_ctx;
};

}  // namespace bsched::config::detail
