// Errors as values. Expected failures (bad input, I/O errors, platform errors) travel as
// Result<T>; exceptions from third-party libraries are caught at the module edge and turned
// into these.
#pragma once

#include <boost/system/result.hpp>

#include <ostream>
#include <string>
#include <utility>

namespace bsched {

// A human-readable failure: says what was wrong, where, and (when known) what to do.
// Built through make_error(); the tagged constructor keeps Result<std::string> unambiguous.
struct Error {
  Error() = default;
  Error(std::in_place_t, std::string m) : message(std::move(m)) {}
  std::string message;
};

inline std::ostream& operator<<(std::ostream& os, const Error& e) { return os << e.message; }

[[noreturn]] void throw_exception_from_error(const Error& e, const boost::source_location& loc);

template <class T, class E = Error>
using Result = boost::system::result<T, E>;

inline Error make_error(std::string message) { return Error(std::in_place, std::move(message)); }

}  // namespace bsched

// Propagates the error of a Result<void>-like expression from the enclosing function.
#define BSCHED_TRY(expr)                           \
  do {                                             \
    auto&& bsched_try_r_ = (expr);                 \
    if (!bsched_try_r_) return bsched_try_r_.error(); \
  } while (false)

// Declares `var` holding the value of `expr`, or returns its error.
#define BSCHED_TRY_ASSIGN(var, expr)             \
  auto&& var##_result_ = (expr);                 \
  if (!var##_result_) return var##_result_.error(); \
  auto var = std::move(*var##_result_)
