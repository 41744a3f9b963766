// ClaimLedger: the execution ids runs hold, bounded, dropped oldest first.
#include "daemon/core/claim_ledger.h"

#include <doctest/doctest.h>

using bsched::SysMillis;
using bsched::core::ClaimLedger;
using std::chrono::seconds;

namespace {
SysMillis at(int s) { return SysMillis(seconds(1'800'000'000 + s)); }
}  // namespace

TEST_SUITE("core::claim_ledger") {
  TEST_CASE("a held id stays held until its hold is older than the horizon") {
    ClaimLedger ledger;
    ledger.claim("execution-1", at(0));
    ledger.claim("execution-2", at(10));
    ledger.claim("execution-1", at(20));  // held already: keeps its first instant
    CHECK(ledger.size() == 2);
    ledger.forget_before(at(5));
    CHECK(ledger.held() == std::set<std::string>{"execution-2"});
    ledger.forget_before(at(10));  // taken at the horizon itself: kept
    CHECK(ledger.held().count("execution-2") == 1);
    ledger.forget_before(at(11));
    CHECK(ledger.size() == 0);
  }

  TEST_CASE("past its bound the ledger drops the oldest hold first") {
    ClaimLedger ledger;
    for (std::size_t i = 0; i <= ClaimLedger::k_max; ++i) {
      ledger.claim("execution-" + std::to_string(i), at(static_cast<int>(i)));
    }
    CHECK(ledger.size() == ClaimLedger::k_max);
    CHECK(ledger.held().count("execution-0") == 0);
    CHECK(ledger.held().count("execution-1") == 1);
    CHECK(ledger.held().count("execution-" + std::to_string(ClaimLedger::k_max)) == 1);
  }
}
