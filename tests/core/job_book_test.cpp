// JobBook: the configuration in force, the job table by name and the due queue.
#include "daemon/core/job_book.h"

#include "tests/core/fake_slots.h"

#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

using namespace bsched;
using namespace bsched::core;
using std::chrono::seconds;
using std::chrono::sys_seconds;

namespace {

sys_seconds at(int s) { return sys_seconds(seconds(1'800'000'000 + s)); }

std::shared_ptr<config::Config> config_of(const std::vector<std::string>& names) {
  auto c = std::make_shared<config::Config>();
  for (const auto& n : names) {
    config::Job j;
    j.name = n;
    c->jobs.push_back(j);
  }
  return c;
}

// One runtime per job of `c`: every `period` seconds, handled up to `horizon`.
std::vector<JobRuntime> runtimes(const config::Config& c, int period, int horizon,
                                 bool active = true) {
  std::vector<JobRuntime> out;
  for (const auto& j : c.jobs) {
    JobRuntime jr;
    jr.job = &j;
    jr.slots = std::make_unique<test::FakeSlots>(seconds(period));
    jr.active = active;
    jr.horizon = at(horizon);
    out.push_back(std::move(jr));
  }
  return out;
}

std::vector<std::string> due_names(const JobBook& book) {
  std::vector<std::string> out;
  book.each_due([&](sys_seconds, const JobRuntime& jr) {
    out.push_back(jr.job->name);
    return true;
  });
  return out;
}

}  // namespace

TEST_SUITE("core::job_book") {
  TEST_CASE("jobs are found by name and queued at their next slot after the horizon") {
    auto c = config_of({"zeta", "alpha", "mid"});
    JobBook book;
    book.replace(c, runtimes(*c, 10, 0));
    CHECK(book.config() == c);
    CHECK(book.active() == 3);
    REQUIRE(book.find("mid"));
    CHECK(book.find("mid")->job->name == "mid");
    CHECK(book.find("nosuch") == nullptr);
    CHECK_THROWS_AS(book.at("nosuch"), std::out_of_range);
    CHECK(book.earliest_due() == at(10));
    CHECK(due_names(book) == std::vector<std::string>{"alpha", "mid", "zeta"});
    std::vector<std::string> names;
    for (const auto& jr : book) names.push_back(jr.job->name);
    CHECK(names == std::vector<std::string>{"alpha", "mid", "zeta"});  // sorted by name
  }

  TEST_CASE("a job whose horizon moved is queued at its new next slot, a disabled one leaves") {
    auto c = config_of({"a", "b"});
    JobBook book;
    book.replace(c, runtimes(*c, 10, 0));
    auto& a = book.at("a");
    a.horizon = at(10);  // its slot 10 was handled
    book.reschedule(a);
    CHECK(a.next_due == at(20));
    CHECK(due_names(book) == std::vector<std::string>{"b", "a"});
    a.active = false;
    book.reschedule(a);
    CHECK_FALSE(a.next_due);
    CHECK(due_names(book) == std::vector<std::string>{"b"});
  }

  TEST_CASE("replacing the table forgets the old queue and counts only the enabled jobs") {
    auto c1 = config_of({"a", "b"});
    JobBook book;
    book.replace(c1, runtimes(*c1, 10, 0));
    auto c2 = config_of({"c"});
    auto table = runtimes(*c2, 5, 0, false);
    book.replace(c2, std::move(table));
    CHECK(book.config() == c2);
    CHECK(book.active() == 0);
    CHECK_FALSE(book.earliest_due());
    CHECK(book.find("a") == nullptr);
    CHECK(due_names(book).empty());
  }
}
