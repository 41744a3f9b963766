// A private PostgreSQL cluster for one run of the test binary: pg_ctl from
// /usr/lib/postgresql/15/bin on a copy of an empty cluster (tests/support/pg_template.sh) in a
// temporary directory, listening only on a unix socket in that directory
// (listen_addresses=''), started on first use and stopped and removed at exit. As
// root, the server runs as the `postgres` user (runuser) in a directory it owns. Every step is
// bounded (timeout(1), pg_ctl -t). Without PostgreSQL the test using it fails saying so.
#pragma once

#include <doctest/doctest.h>
#include <fmt/core.h>

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

namespace bsched::test {

class PgCluster {
 public:
  static constexpr const char* k_bin = "/usr/lib/postgresql/15/bin";

  // The cluster of this process (started on the first call).
  static PgCluster& get() {
    static std::unique_ptr<PgCluster> cluster;
    if (!cluster) {
      REQUIRE_MESSAGE(std::filesystem::exists(std::string(k_bin) + "/initdb"),
                      "PostgreSQL 15 is not installed (" << k_bin
                                                         << "/initdb is missing): "
                                                            "run scripts/install-deps.sh --test");
      cluster.reset(new PgCluster());
      cluster->start();
    }
    return *cluster;
  }

  ~PgCluster() {
    if (m_started)
      run(as_owner(fmt::format("{}/pg_ctl -D {}/data -m immediate -w -t 10 stop", k_bin, m_dir)) +
          " >/dev/null 2>&1");
    if (!m_dir.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(m_dir, ec);
    }
  }

  const std::string& socket_dir() const { return m_dir; }

  // Stops the server (fast: every session is cut) and starts it again on the same socket.
  void restart() {
    auto ctl = as_owner(fmt::format("{}/pg_ctl -D {}/data -l {}/server.log -m fast -w -t 30 "
                                    "restart",
                                    k_bin, m_dir, m_dir));
    REQUIRE_MESSAGE(run("timeout 60 " + ctl + " >/dev/null 2>&1") == 0,
                    "the private PostgreSQL did not restart: " << tail(m_dir + "/server.log"));
  }

  // The conninfo of database `db` on this cluster.
  std::string conninfo(const std::string& db) const {
    return fmt::format("host={} dbname={} user=postgres", m_dir, db);
  }

  // A new empty database named `name` (letters, digits, _); returns its conninfo.
  std::string new_database(const std::string& name) {
    auto cmd =
        as_owner(fmt::format("{}/psql -h {} -U postgres -d postgres -Atq -c "
                             "'CREATE DATABASE {}'",
                             k_bin, m_dir, name));
    REQUIRE_MESSAGE(run(cmd + " >>" + m_dir + "/psql.log 2>&1") == 0,
                    "CREATE DATABASE " << name << " failed: " << tail(m_dir + "/psql.log"));
    return conninfo(name);
  }

 private:
  PgCluster() {
    char tmpl[] = "/tmp/bsched-pg-XXXXXX";
    REQUIRE_MESSAGE(::mkdtemp(tmpl) != nullptr, "cannot make a temporary directory in /tmp");
    m_dir = tmpl;
    if (::geteuid() == 0) {
      passwd* pw = ::getpwnam("postgres");
      REQUIRE_MESSAGE(pw != nullptr,
                      "running as root but there is no `postgres` user: "
                      "install postgresql-15 (scripts/install-deps.sh --test)");
      REQUIRE(::chown(m_dir.c_str(), pw->pw_uid, pw->pw_gid) == 0);
      m_as_postgres = true;
    }
  }

  void start() {
    // From the empty cluster ctest made once (BSCHED_TEST_PG_TEMPLATE, its "setup:" test), or
    // by initdb here when the binary runs by hand.
    const char* shared = std::getenv("BSCHED_TEST_PG_TEMPLATE");
    bool copy = shared != nullptr && *shared != '\0';
    auto make = fmt::format("bash {}/tests/support/pg_template.sh {} >{}/initdb.log 2>&1",
                            BSCHED_SOURCE_DIR, copy ? std::string(shared) : m_dir + "/data",
                            m_dir);
    REQUIRE_MESSAGE(run(make) == 0, "initdb failed: " << tail(m_dir + "/initdb.log"));
    if (copy)
      REQUIRE_MESSAGE(run(fmt::format("cp -a {} {}/data", shared, m_dir)) == 0,
                      "cannot copy the template cluster " << shared);
    auto opts = fmt::format(
        "-c listen_addresses='' -k {} -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off",
        m_dir);
    auto ctl =
        as_owner(fmt::format("{}/pg_ctl -D {}/data -l {}/server.log -w -t 30 -o \"{}\" "
                             "start",
                             k_bin, m_dir, m_dir, opts));
    m_started = run("timeout 60 " + ctl + " >/dev/null 2>&1") == 0;
    REQUIRE_MESSAGE(m_started,
                    "the private PostgreSQL did not start: " << tail(m_dir + "/server.log"));
  }

  std::string as_owner(const std::string& cmd) const {
    return m_as_postgres ? "runuser -u postgres -- " + cmd : cmd;
  }

  static int run(const std::string& cmd) { return std::system(cmd.c_str()); }

  static std::string tail(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    auto s = ss.str();
    return s.size() > 2000 ? s.substr(s.size() - 2000) : s;
  }

  std::string m_dir;
  bool m_as_postgres = false;
  bool m_started = false;
};

}  // namespace bsched::test
