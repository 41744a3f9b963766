// `boomi-sched store copy --from FILE --to CONNINFO [--force]` (docs/ha.md, "Moving up from one
// host"): copies one host's SQLite state file into the PostgreSQL store of an active/standby
// pair, in one transaction, and prints one line per table. The connection string may hold a
// password: it is never printed; errors name the server by host, port, dbname and user.
//
// Exit: 0 copied and the counts agree; 1 nothing was committed (refused, unreachable, a
// difference in the counts, any error); 2 usage.
#include "config/escape.h"
#include "daemon/cli/command.h"
#include "storage/pg/pg_copy.h"

#include <fmt/core.h>

#include <cstdint>
#include <memory>
#include <string>

namespace bsched::cli {

namespace {

struct StoreCopyOptions {
  std::string from;
  std::string to;
  bool force = false;
};

// 12345 -> "12,345".
std::string grouped(std::int64_t n) {
  auto digits = std::to_string(n < 0 ? -n : n);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return n < 0 ? "-" + out : out;
}

int run_store_copy(const StoreCopyOptions& o) {
  storage::pg::CopyOptions co;
  co.force = o.force;
  auto copied = storage::pg::copy_sqlite_to_pg(o.from, o.to, co);
  if (!copied) {
    fmt::print(stderr, "store copy: {}\n", escape_text(copied.error().message));
    return k_exit_failure;
  }
  for (const auto& t : *copied) {
    fmt::print("{}: {} row{} copied{}\n", t.table, grouped(t.rows), t.rows == 1 ? "" : "s",
               t.table == "commands" ? " (not yet taken)" : "");
  }
  return k_exit_ok;
}

}  // namespace

void add_store_command(CLI::App& root, Action& chosen) {
  auto* store = root.add_subcommand("store", "Move the state store from one host to a pair");
  store->require_subcommand(1);
  auto opts = std::make_shared<StoreCopyOptions>();
  auto* copy = store->add_subcommand(
      "copy", "Copy a SQLite state file into an empty PostgreSQL store (one transaction)");
  copy->add_option("--from", opts->from, "the SQLite state file (opened read-only)")->required();
  copy->add_option("--to", opts->to,
                   "the PostgreSQL connection string (keep the password in PGPASSFILE or "
                   "passfile=)")
      ->required();
  copy->add_flag("--force", opts->force,
                 "replace the runs, gaps, job state and alerts already in the target");
  copy->callback([&chosen, opts] { chosen = [opts] { return run_store_copy(*opts); }; });
}

}  // namespace bsched::cli
