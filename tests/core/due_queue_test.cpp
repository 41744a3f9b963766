// DueQueue: the jobs by next slot, then by name.
#include "daemon/core/due_queue.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using bsched::core::DueQueue;
using std::chrono::seconds;
using Instant = std::chrono::sys_seconds;

namespace {
Instant at(int s) { return Instant(seconds(1'800'000'000 + s)); }

std::vector<std::string> order(const DueQueue<std::string>& q) {
  std::vector<std::string> out;
  q.each([&](Instant, const std::string& job) {
    out.push_back(job);
    return true;
  });
  return out;
}
}  // namespace

TEST_SUITE("core::due_queue") {
  TEST_CASE("jobs come out by next slot, then by name, a moved job leaves its old place") {
    std::string a = "a", b = "b", c = "c";
    DueQueue<std::string> q;
    CHECK_FALSE(q.earliest());
    q.add(at(10), b, &b);
    q.add(at(10), a, &a);
    q.add(at(5), c, &c);
    CHECK(q.earliest() == at(5));
    CHECK(order(q) == std::vector<std::string>{"c", "a", "b"});
    q.remove(at(5), c);  // c fires and moves to a later slot
    q.add(at(20), c, &c);
    CHECK(order(q) == std::vector<std::string>{"a", "b", "c"});
    CHECK(q.size() == 3);
    q.remove(at(11), a);  // not there: nothing changes
    CHECK(q.size() == 3);
  }

  TEST_CASE("each stops when asked, so a batch takes only the jobs due") {
    std::string names[4] = {"j0", "j1", "j2", "j3"};
    DueQueue<std::string> q;
    for (int i = 0; i < 4; ++i) q.add(at(i < 2 ? 0 : 60), names[i], &names[i]);
    int taken = 0;
    q.each([&](Instant when, const std::string&) {
      if (when > at(0)) return false;
      ++taken;
      return true;
    });
    CHECK(taken == 2);
    q.clear();
    CHECK(q.empty());
  }
}
