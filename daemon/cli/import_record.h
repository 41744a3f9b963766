// The record of `import --disable-on-platform` (docs/import.md): which platform schedules
// were switched off, one entry per imported process, rewritten (atomically) after every
// switch so that a failure halfway leaves a true account. `import --enable-on-platform
// --from-record FILE` switches back exactly the entries whose state is `disabled` or
// `uncertain`, and records that too.
#pragma once

#include "base/result.h"

#include <string>
#include <string_view>
#include <vector>

namespace bsched::cli {

enum class SwitchState {
  pending,           // not switched yet (the run stopped before it, or it is next)
  disabled,          // switched off by this record's run
  already_disabled,  // was off before the run; never switched on from this record
  failed,            // the switch was refused (HTTP error answer): still on
  uncertain,         // no answer (timeout, reset): it may be off; enabling it is harmless
  enabled,           // switched back on from this record
};
const char* switch_state_name(SwitchState s);

struct RecordEntry {
  std::string job;
  std::string process_id;
  std::string atom_id;
  std::string status_id;  // the ProcessScheduleStatus id
  SwitchState state = SwitchState::pending;
  std::string error;  // the last failure, for failed and uncertain
  std::string at;     // when the state was last set, UTC
};

struct SwitchRecord {
  std::string account_id;
  std::string atom_id;
  std::string yaml;  // the imported file
  std::string created;
  std::vector<RecordEntry> entries;
};

std::string record_json(const SwitchRecord& record);
// Strict: the shape record_json writes; unknown states, missing ids, ids that are not plain
// (import_yaml.h plain_id) and other types are errors naming the entry.
Result<SwitchRecord> parse_switch_record(std::string_view text);

// Writes `text` to `path` through a temporary file in the same directory and a rename, so
// that a reader sees the old or the new content, never a mix. Mode 0644.
Result<void> write_file_atomically(const std::string& path, const std::string& text);
// The whole file, or an error naming it.
Result<std::string> read_whole_file(const std::string& path);

}  // namespace bsched::cli
