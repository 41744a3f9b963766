// Installation and packaging: `cmake --install` into a DESTDIR, the .deb built by CPack, and
// (only when BSCHED_TEST_DPKG_INSTALL=1 and running as root) installing that package on this
// machine. Each case drives the real tools on the build tree that holds BSCHED_BINARY.
#include "tests/systemd/systemd_test_support.h"

#include <doctest/doctest.h>

#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

using namespace bsched::systemd_test;

namespace {

// Every file and directory an install with prefix /usr lays out, relative to the root.
const std::vector<std::string> k_installed_files = {
    "usr/bin/boomi-sched",
    "usr/lib/systemd/system/boomi-sched.service",
    "usr/lib/sysusers.d/boomi-sched.conf",
    "usr/share/man/man1/boomi-sched.1",
    "usr/share/boomi-sched/boomi-sched.schema.json",
    "usr/share/doc/boomi-sched/examples/boomi-sched.yaml",
    "usr/share/doc/boomi-sched/operations.md",
    "etc/boomi-sched/boomi-sched.yaml",
};
const std::vector<std::string> k_installed_dirs = {
    "etc/boomi-sched/jobs.d", "etc/boomi-sched/credentials",
    "usr/share/doc/boomi-sched/examples/jobs.d"};

// `cmake --install <build> --prefix /usr` into `destdir`; returns the command's result.
CommandResult install_into(const fs::path& destdir) {
  return run_command("DESTDIR=" + shell_quote(destdir.string()) + " cmake --install " +
                     shell_quote(build_dir().string()) + " --prefix /usr");
}

// Builds the .deb from the build tree into `out` (CPack stages under `out` too) and returns
// the package's path, or an empty path (with the output in `log`) when it failed.
fs::path build_deb(const fs::path& out, std::string& log) {
  const auto result = run_command("cd " + shell_quote(build_dir().string()) +
                                      " && cpack --config CPackConfig.cmake -G DEB -B " +
                                      shell_quote(out.string()),
                                  600);
  log = result.output;
  if (result.exit_code != 0) return {};
  for (const auto& entry : fs::directory_iterator(out)) {
    if (entry.path().extension() == ".deb") return entry.path();
  }
  return {};
}

}  // namespace

TEST_SUITE("systemd::install") {
  TEST_CASE("cmake --install into a DESTDIR lays out every file in its FHS place") {
    require_tool("cmake", "cmake");
    TempDir root("install");
    REQUIRE_FALSE(root.path().empty());
    const auto result = install_into(root.path());
    INFO("cmake --install said:\n" << result.output);
    REQUIRE(result.exit_code == 0);
    for (const auto& file : k_installed_files) {
      INFO("missing: " << file);
      CHECK(fs::is_regular_file(root.path() / file));
    }
    for (const auto& dir : k_installed_dirs) {
      INFO("missing directory: " << dir);
      CHECK(fs::is_directory(root.path() / dir));
    }
    // The token directory is root's alone; the unit's ExecStart follows the install prefix.
    const auto credentials = fs::status(root.path() / "etc/boomi-sched/credentials").permissions();
    CHECK((credentials & (fs::perms::group_all | fs::perms::others_all)) == fs::perms::none);
    const std::string unit = read_text(root.path() / "usr/lib/systemd/system/boomi-sched.service");
    CHECK(unit.find("\nExecStart=/usr/bin/boomi-sched run\n") != std::string::npos);
    CHECK(unit.find("@BSCHED_") == std::string::npos);
  }

  TEST_CASE("the installed unit passes systemd-analyze verify against the installed files") {
    require_tool("cmake", "cmake");
    require_tool("systemd-analyze", "systemd");
    require_tool("man", "man-db");
    TempDir root("install-verify");
    REQUIRE_FALSE(root.path().empty());
    REQUIRE(install_into(root.path()).exit_code == 0);
    // Point the absolute /usr paths into the DESTDIR so verify finds the installed binary.
    const fs::path installed = root.path() / "usr/lib/systemd/system/boomi-sched.service";
    const fs::path unit = root.path() / "boomi-sched.service";
    write_text(unit, replace_all(read_text(installed), "=/usr/bin/",
                                 "=" + (root.path() / "usr/bin/").string()));
    const auto result = run_command("cd " + shell_quote(root.path().string()) + " && MANPATH=" +
                                    shell_quote((root.path() / "usr/share/man").string()) +
                                    " systemd-analyze verify ./boomi-sched.service");
    INFO("systemd-analyze verify said:\n" << result.output);
    CHECK(result.exit_code == 0);
    CHECK(result.output.find("boomi-sched.service:") == std::string::npos);
  }

  TEST_CASE("a second install keeps the operator's edited configuration") {
    require_tool("cmake", "cmake");
    TempDir root("reinstall");
    REQUIRE_FALSE(root.path().empty());
    REQUIRE(install_into(root.path()).exit_code == 0);
    const fs::path config = root.path() / "etc/boomi-sched/boomi-sched.yaml";
    const std::string edited = "# edited by the operator\n";
    write_text(config, edited);
    const auto again = install_into(root.path());
    INFO("cmake --install said:\n" << again.output);
    REQUIRE(again.exit_code == 0);
    CHECK(read_text(config) == edited);
    // The pristine example is still available next to the documentation.
    CHECK(read_text(root.path() / "usr/share/doc/boomi-sched/examples/boomi-sched.yaml") ==
          read_text(source_dir() / "config/examples/boomi-sched.yaml"));
  }

  TEST_CASE("the Debian package builds, lists every file and marks the config as a conffile") {
    require_tool("cpack", "cmake");
    require_tool("dpkg-deb", "dpkg");
    require_tool("dpkg-shlibdeps", "dpkg-dev");
    TempDir out("deb");
    REQUIRE_FALSE(out.path().empty());
    std::string log;
    const fs::path deb = build_deb(out.path(), log);
    INFO("cpack said:\n" << log);
    REQUIRE_FALSE(deb.empty());
    const auto contents = run_command("dpkg-deb --contents " + shell_quote(deb.string()));
    REQUIRE(contents.exit_code == 0);
    for (const auto& file : k_installed_files) {
      INFO("not in the package: " << file << "\n" << contents.output);
      CHECK(contents.output.find(" ./" + file + "\n") != std::string::npos);
    }
    const auto fields = run_command("dpkg-deb --field " + shell_quote(deb.string()) +
                                    " Package Section Depends");
    INFO("control fields:\n" << fields.output);
    CHECK(fields.output.find("Package: boomi-sched\n") != std::string::npos);
    CHECK(fields.output.find("Section: admin\n") != std::string::npos);
    // dpkg-shlibdeps found the shared libraries the binary links.
    CHECK(fields.output.find("libc6") != std::string::npos);
    const auto conffiles =
        run_command("dpkg-deb --info " + shell_quote(deb.string()) + " conffiles");
    CHECK(conffiles.output == "/etc/boomi-sched/boomi-sched.yaml\n");
  }

  TEST_CASE("the package installs on this machine and its example configuration validates") {
    const char* wanted = std::getenv("BSCHED_TEST_DPKG_INSTALL");
    if (wanted == nullptr || std::string(wanted) != "1" || ::geteuid() != 0) {
      MESSAGE("skipped: installs a package on this machine; set BSCHED_TEST_DPKG_INSTALL=1 "
              "and run as root");
      return;
    }
    require_tool("dpkg", "dpkg");
    {
      const auto before = run_command("dpkg-query -W -f='${Status}' boomi-sched 2>/dev/null");
      INFO("boomi-sched is already installed here; not touching it");
      REQUIRE(before.output.find("ok installed") == std::string::npos);
    }
    TempDir out("dpkg");
    REQUIRE_FALSE(out.path().empty());
    std::string log;
    const fs::path deb = build_deb(out.path(), log);
    INFO("cpack said:\n" << log);
    REQUIRE_FALSE(deb.empty());

    const auto install = run_command("dpkg -i " + shell_quote(deb.string()), 300);
    INFO("dpkg -i said:\n" << install.output);
    CHECK(install.exit_code == 0);
    const auto user = run_command("getent passwd boomi-sched");
    CHECK(user.exit_code == 0);
    const auto validate =
        // --no-secret: the token lives at its systemd credential path only while the service runs.
        run_command("/usr/bin/boomi-sched validate --no-secret --config /etc/boomi-sched/boomi-sched.yaml");
    INFO("boomi-sched validate said:\n" << validate.output);
    CHECK(validate.exit_code == 0);
    const auto remove = run_command("dpkg --purge boomi-sched", 300);
    INFO("dpkg --purge said:\n" << remove.output);
    CHECK(remove.exit_code == 0);
    CHECK_FALSE(fs::exists("/usr/bin/boomi-sched"));
  }
}
