// The Prometheus text exposition: families, labels, escaping, histograms, collectors.
#include "daemon/metrics/registry.h"

#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <string>

using namespace bsched::metrics;

namespace {

bool has_line(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos || text.rfind(line + "\n", 0) == 0;
}

}  // namespace

TEST_SUITE("metrics::registry") {
  TEST_CASE("a counter family renders HELP, TYPE and one line per label set, sorted") {
    Registry r;
    auto& c = r.counter("x_total", "Things.", {"job", "state"});
    c.add({"b", "ok"});
    c.add({"a", "failed"}, 2);
    c.add({"b", "ok"}, 3);
    c.add({"b", "ok"}, -5);  // counters never fall
    auto text = r.render();
    CHECK(text ==
          "# HELP x_total Things.\n# TYPE x_total counter\n"
          "x_total{job=\"a\",state=\"failed\"} 2\n"
          "x_total{job=\"b\",state=\"ok\"} 4\n");
    CHECK(c.value({"b", "ok"}) == 4);
    CHECK(c.value({"c", "ok"}) == 0);
  }

  TEST_CASE("a family without labels shows 0 before anything happened, one with labels shows nothing") {
    Registry r;
    r.counter("plain_total", "Plain.");
    r.gauge("labelled", "Labelled.", {"job"});
    auto text = r.render();
    CHECK(has_line(text, "plain_total 0"));
    CHECK(text.find("labelled") == std::string::npos);
  }

  TEST_CASE("label values are escaped as the format wants, and never break a line") {
    CHECK(escape_label_value("a\\b\"c\nd") == "a\\\\b\\\"c\\nd");
    CHECK(escape_label_value("tab\there") == "tab\xEF\xBF\xBDhere");
    CHECK(escape_label_value("bad\xFF") == "bad\xEF\xBF\xBD");
    CHECK(escape_label_value("\xC0\xAF") == "\xEF\xBF\xBD\xEF\xBF\xBD");  // overlong '/'
    CHECK(escape_label_value("\xED\xA0\x80") == "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
    CHECK(escape_label_value("cut\xE2\x82") == "cut\xEF\xBF\xBD\xEF\xBF\xBD");
    CHECK(escape_label_value("Zürich €") == "Zürich €");
    Registry r;
    r.gauge("g", "G.", {"schedule"}).set({"*/5 * * * *\n# TYPE evil counter"}, 1);
    auto text = r.render();
    CHECK(has_line(text, "g{schedule=\"*/5 * * * *\\n# TYPE evil counter\"} 1"));
    CHECK(text.find("\n# TYPE evil") == std::string::npos);
  }

  TEST_CASE("HELP text escapes backslash and newline") {
    Registry r;
    r.counter("h_total", "one\\two\nthree");
    CHECK(has_line(r.render(), "# HELP h_total one\\\\two\\nthree"));
  }

  TEST_CASE("values: shortest decimals, integers plain, the special values spelled out") {
    CHECK(format_value(0) == "0");
    CHECK(format_value(42) == "42");
    CHECK(format_value(0.001) == "0.001");
    CHECK(format_value(1796000000) == "1796000000");
    CHECK(format_value(std::numeric_limits<double>::infinity()) == "+Inf");
    CHECK(format_value(-std::numeric_limits<double>::infinity()) == "-Inf");
    CHECK(format_value(std::nan("")) == "NaN");
  }

  TEST_CASE("a histogram renders cumulative buckets, +Inf, sum and count") {
    Registry r;
    auto& h = r.histogram("lat_seconds", "Lateness.", {"job"}, {0.01, 0.1, 1});
    h.observe({"a"}, 0.005);
    h.observe({"a"}, 0.01);  // on a bound: in that bucket (le)
    h.observe({"a"}, 0.5);
    h.observe({"a"}, 7);
    h.observe({"a"}, std::nan(""));  // ignored
    auto text = r.render();
    CHECK(has_line(text, "# TYPE lat_seconds histogram"));
    CHECK(has_line(text, "lat_seconds_bucket{job=\"a\",le=\"0.01\"} 2"));
    CHECK(has_line(text, "lat_seconds_bucket{job=\"a\",le=\"0.1\"} 2"));
    CHECK(has_line(text, "lat_seconds_bucket{job=\"a\",le=\"1\"} 3"));
    CHECK(has_line(text, "lat_seconds_bucket{job=\"a\",le=\"+Inf\"} 4"));
    CHECK(has_line(text, "lat_seconds_sum{job=\"a\"} 7.515"));
    CHECK(has_line(text, "lat_seconds_count{job=\"a\"} 4"));
  }

  TEST_CASE("an unlabelled histogram shows empty buckets before any observation") {
    Registry r;
    r.histogram("d_seconds", "D.", {}, {1, 2});
    auto text = r.render();
    CHECK(has_line(text, "d_seconds_bucket{le=\"1\"} 0"));
    CHECK(has_line(text, "d_seconds_bucket{le=\"+Inf\"} 0"));
    CHECK(has_line(text, "d_seconds_count 0"));
  }

  TEST_CASE("a name is one family, the same name with another type is refused") {
    Registry r;
    auto& a = r.counter("n_total", "N.", {"x"});
    auto& b = r.counter("n_total", "N.", {"x"});
    CHECK(&a == &b);
    CHECK_THROWS_AS(r.gauge("n_total", "N."), std::logic_error);
  }

  TEST_CASE("collectors run before each render until their handle goes") {
    Registry r;
    auto& g = r.gauge("jobs", "Jobs.");
    int calls = 0;
    {
      auto handle = r.add_collector([&] { g.set({}, ++calls); });
      CHECK(has_line(r.render(), "jobs 1"));
      CHECK(has_line(r.render(), "jobs 2"));
      auto moved = std::move(handle);
      CHECK(has_line(r.render(), "jobs 3"));
    }
    CHECK(has_line(r.render(), "jobs 3"));
    CHECK(calls == 3);
  }

  TEST_CASE("the standard bucket sets rise and span what they promise") {
    for (const auto* b : {&lateness_buckets(), &run_duration_buckets(), &request_duration_buckets()}) {
      REQUIRE(!b->empty());
      for (std::size_t i = 1; i < b->size(); ++i) CHECK((*b)[i - 1] < (*b)[i]);
    }
    CHECK(lateness_buckets().front() == 0.001);
    CHECK(lateness_buckets().back() == 3600);
  }
}
