// The on-disk format of the run store: identification (PRAGMA application_id), the schema
// version (PRAGMA user_version) and the migrations between versions. docs/storage.md
// documents every table and migration; keep them in step.
#pragma once

#include "storage/sqlite.h"

#include <cstdint>
#include <string>
#include <vector>

namespace bsched::storage::sqlite {

// "BSCH": marks a file as a boomi-sched state database.
inline constexpr std::int64_t k_application_id = 0x42534348;

// migrations()[i] takes the schema from version i to version i + 1.
const std::vector<std::string>& migrations();
inline std::int64_t current_schema_version() {
  return static_cast<std::int64_t>(migrations().size());
}

// Identifies the database behind `db` without writing anything. Refuses a file that is not a
// SQLite database or is corrupt, a database of another application, and one written by a newer
// boomi-sched. `writable`: an older version is migrated afterwards (see migrate); read-only
// connections need the current version. Returns the version found (0 = empty, new file).
StoreResult<std::int64_t> check_database(Db& db, bool writable);

// Reads the 100-byte file header of `path` (no SQLite involved, so nothing is created beside
// it) and refuses what is certainly not ours: not a SQLite file, another application id, a
// newer schema version. An empty or missing file passes.
StoreResult<void> check_file_header(const std::string& path);

// Brings a checked database from `from` to the current version, one transaction per step.
StoreResult<void> migrate(Db& db, std::int64_t from);

}  // namespace bsched::storage::sqlite
