// How configuration files are read: what is not a regular file, or is too large, is refused
// before a byte is read; a NUL byte is refused at its position. The FIFO, device and large
// file cases run the real binary under `timeout` and a memory limit, so that a loader that
// reads first fails the test instead of hanging it or exhausting the machine.
#include "config/loader.h"
#include "tests/support/config_test_util.h"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>

using namespace bsched::config;

namespace {

// `validate --no-secret` of `path`, at most 10 s and 512 MiB of address space.
// `validate` bounded in time and, in the ordinary build, to 512 MiB of address space. Under
// AddressSanitizer the limit is left out: ASan reserves terabytes of address space for its
// shadow memory, so the binary would abort before main; the refusal is checked all the same.
#if defined(__SANITIZE_ADDRESS__)
constexpr const char* k_memory_limit = "";
#else
constexpr const char* k_memory_limit = "ulimit -v 524288; ";
#endif

bsched::test::CommandOutput validate_bounded(const bsched::test::ConfigTempDir& dir,
                                             const std::string& path) {
  return bsched::test::run_command(
      fmt::format("sh -c \"{}exec timeout 10 '{}' validate --no-secret --config '{}'\"",
                  k_memory_limit, BSCHED_BINARY, path),
      dir);
}

std::string only_error(const std::string& path) {
  auto r = load_config(path, {.read_secret = false});
  if (r) return "(loaded)";
  return r.error().size() == 1 ? r.error()[0].to_string() : "(several errors)";
}

}  // namespace

TEST_SUITE("config::loader") {
  TEST_CASE("a FIFO given as the configuration file is refused instead of hanging validate") {
    bsched::test::ConfigTempDir dir;
    auto fifo = (dir.path() / "boomi-sched.yaml").string();
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    auto r = validate_bounded(dir, fifo);
    CHECK(r.exit_code == 1);
    CHECK(r.err.find(fifo + ": cannot read the configuration file: it is a FIFO, not a regular "
                            "file") != std::string::npos);
  }

  TEST_CASE("a symlink to /dev/zero as the configuration file is refused, not read to bad_alloc") {
    bsched::test::ConfigTempDir dir;
    auto link = (dir.path() / "boomi-sched.yaml").string();
    std::filesystem::create_symlink("/dev/zero", link);
    auto r = validate_bounded(dir, link);
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("it is a character device, not a regular file") != std::string::npos);
    CHECK(r.err.find("internal error") == std::string::npos);
  }

  TEST_CASE("a configuration file over 64 MiB is refused by its size before it is read") {
    bsched::test::ConfigTempDir dir;
    auto big = dir.write("boomi-sched.yaml", "");
    std::filesystem::resize_file(big, std::uintmax_t{1} << 30);  // sparse: no disk used
    auto r = validate_bounded(dir, big);
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("the file is 1024.0 MiB; a configuration file may hold at most 64 MiB") !=
          std::string::npos);
    CHECK(r.err.find("internal error") == std::string::npos);
  }

  TEST_CASE("a FIFO in jobs.d is refused by name while the other files load") {
    bsched::test::ConfigTempDir dir;
    auto main = dir.write("boomi-sched.yaml",
                          "platform:\n  account_id: a\n  username: u\n  token_env: T\n"
                          "jobs:\n  j:\n    schedule: \"0 * * * *\"\n    process_id: p\n"
                          "    atom_id: a\n");
    std::filesystem::create_directories(dir.path() / "jobs.d");
    auto fifo = (dir.path() / "jobs.d" / "10-more.yaml").string();
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    auto r = validate_bounded(dir, main);
    CHECK(r.exit_code == 1);
    CHECK(r.err.find(fifo + ": cannot read this file: it is a FIFO, not a regular file") !=
          std::string::npos);
  }

  TEST_CASE("a directory given as the configuration file is named as one") {
    bsched::test::ConfigTempDir dir;
    std::filesystem::create_directories(dir.path() / "conf.yaml");
    auto path = (dir.path() / "conf.yaml").string();
    CHECK(only_error(path) == path +
                                  ": cannot read the configuration file: it is a directory, not "
                                  "a regular file (give --config PATH or set BOOMI_SCHED_CONFIG)");
  }

  TEST_CASE("a NUL byte in a configuration file is an error at its line and column") {
    std::string text = "platform:\n  account_id: a\n  username: u";
    text += '\0';
    text += "x\n  token_env: T\n";
    auto r = load_config_from_sources({{"main.yaml", text}}, {.read_secret = false});
    REQUIRE_FALSE(r.has_value());
    REQUIRE(r.error().size() == 1);
    CHECK(r.error()[0].to_string() ==
          "main.yaml:3:14: a NUL byte (0x00) is not allowed in a configuration file; is this a "
          "binary file?");
  }

  TEST_CASE("a byte that is not UTF-8 before a NUL byte is the one reported") {
    std::string text = "platform: \xFF";
    text += '\0';
    auto r = load_config_from_sources({{"main.yaml", text}}, {.read_secret = false});
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error()[0].to_string() ==
          "main.yaml:1:11: byte 0xFF is not valid UTF-8; save the file as UTF-8");
  }
}
