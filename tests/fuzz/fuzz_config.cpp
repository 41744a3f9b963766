// libFuzzer target for the configuration loader: random bytes as a main file (and, after a
// NUL byte, a jobs.d file). Oracles: no crash or sanitizer report; every diagnostic has a
// position inside a known file; a configuration that loads prints as YAML that loads back to
// the same fingerprint; placeholders of every loaded value expand without trouble.
//   cmake -S . -B build-fuzz-config -G Ninja -DBSCHED_FUZZ=ON -DCMAKE_CXX_COMPILER=clang++
//   build-fuzz-config/fuzz_config -max_total_time=600 corpus/ config/examples/
#include "config/loader.h"
#include "config/placeholders.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

using namespace bsched::config;

namespace {

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz_config: oracle failed: %s\n", what);
    std::abort();
  }
}

void exercise(const Config& c) {
  PlaceholderContext ctx;
  ctx.job = "job";
  ctx.run_id = "1";
  for (const auto& job : c.jobs) {
    ctx.zone = job.settings->zone;
    for (const auto& [k, v] : job.settings->dynamic_properties) (void)expand_placeholders(v, ctx);
    for (const auto& pp : job.settings->process_properties)
      for (const auto& [k, v] : pp.values) (void)expand_placeholders(v, ctx);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 64 * 1024) return 0;  // the loader reads whole files; large inputs only slow it
  std::string text(reinterpret_cast<const char*>(data), size);
  std::vector<SourceText> files;
  auto nul = text.find('\0');
  files.push_back({"/fuzz/main.yaml", text.substr(0, nul)});
  if (nul != std::string::npos) files.push_back({"/fuzz/jobs.d/a.yaml", text.substr(nul + 1)});

  auto r = load_config_from_sources(files, {.read_secret = false});
  if (!r) {
    check(!r.error().empty(), "a failed load carries diagnostics");
    for (const auto& d : r.error()) {
      check(d.pos.file == files[0].path || (files.size() > 1 && d.pos.file == files[1].path),
            "diagnostic names an input file");
      check(d.pos.line >= 1 && d.pos.column >= 1, "diagnostic has a position");
      check(!d.message.empty(), "diagnostic has a message");
    }
    return 0;
  }
  const auto& c = *r->config;
  exercise(c);
  auto again = load_config_from_sources({{"/fuzz/dump.yaml", dump_config(c)}},
                                        {.read_secret = false});
  check(again.has_value(), "the printed configuration loads");
  check(again->config->fingerprint == c.fingerprint, "the printed configuration round-trips");
  return 0;
}
