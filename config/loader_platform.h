// Reading the `platform` and `storage` sections and the API token (internal to config/).
#pragma once

#include "config/config.h"
#include "config/loader_yaml.h"

#include <string>

namespace bsched::config::detail {

// Reads `platform` into `out`; with options.read_secret also reads the token. Relative
// token_file / ca_file paths resolve against `base_dir`.
void read_platform(const Field& section, Platform& out, Sink& sink, const LoadOptions& options,
                   const std::string& base_dir);

// Reads `storage` into `out`; a relative path resolves against `base_dir`.
void read_storage(const Field& section, Storage& out, Sink& sink, const std::string& base_dir);

// `path` made absolute against `base_dir` (unchanged when already absolute or base is empty).
std::string resolve_relative(const std::string& path, const std::string& base_dir);

}  // namespace bsched::config::detail
