// print_diagnostics: the one printer of loader diagnostics that every command uses.
#include "config/loader.h"

#include <doctest/doctest.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

using namespace bsched::config;

namespace {

// What print_diagnostics writes, and its answer.
std::pair<std::string, std::size_t> printed(const std::vector<Diagnostic>& diagnostics) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> out(std::tmpfile(), &std::fclose);
  REQUIRE(out);
  auto errors = print_diagnostics(out.get(), diagnostics);
  std::rewind(out.get());
  std::string text;
  for (int c = std::fgetc(out.get()); c != EOF; c = std::fgetc(out.get()))
    text += static_cast<char>(c);
  return {text, errors};
}

}  // namespace

TEST_SUITE("config::loader_print") {
  TEST_CASE("every diagnostic is one line in order, and only errors are counted") {
    std::vector<Diagnostic> ds{
        {{"a.yaml", 3, 5}, "unknown key 'scedule'", false},
        {{"a.yaml", 1, 1}, "the token file is readable by others", true},
        {{"jobs.d/b.yaml", 7, 2}, "duplicate job 'x'", false},
    };
    auto [text, errors] = printed(ds);
    CHECK(text == ds[0].to_string() + "\n" + ds[1].to_string() + "\n" + ds[2].to_string() + "\n");
    CHECK(errors == 2);
  }

  TEST_CASE("warnings alone count no error, and nothing prints nothing") {
    CHECK(printed({{{"a.yaml", 2, 1}, "dom and dow both set", true}}).second == 0);
    auto [text, errors] = printed({});
    CHECK(text.empty());
    CHECK(errors == 0);
  }
}
