// Reading the `platform`, `storage` and `http` sections and their tokens (internal to config/).
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
// The `ha:` section (`section` null when absent): the node name (default: the host name) and
// the lease. Refused without storage.postgres, which it needs.
void read_ha(const Field* section, Config& config, Sink& sink);

// Reads a secret (a token) from the file `path` into `out`; permissions wider than 0640 draw a
// warning. Never quotes the content.
void read_secret_file(const Field& f, const std::string& path, Secret& out, Sink& sink);

// Reads `http` into `out`; with options.read_secret also reads its token. A relative
// token_file resolves against `base_dir`. A non-loopback listen needs token_file or
// allow_unauthenticated: true.
void read_http(const Field& section, Http& out, Sink& sink, const LoadOptions& options,
               const std::string& base_dir);

// `path` made absolute against `base_dir` (unchanged when already absolute or base is empty).
std::string resolve_relative(const std::string& path, const std::string& base_dir);

}  // namespace bsched::config::detail
