// Finding the state database of a configuration that does not load: `status` and `history`
// still show the database of a daemon that refused a reload.
#pragma once

#include <optional>
#include <string>

namespace bsched::config {

// The state database (storage.path, resolved as the loader does, else its default) that the
// main file names, read from that file alone. nullopt when the file cannot be read or is not
// a YAML map.
std::optional<std::string> storage_path_of(const std::string& main_path);

}  // namespace bsched::config
