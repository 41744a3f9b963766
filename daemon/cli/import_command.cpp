// `boomi-sched import` (docs/import.md, issue 28):
//   import --atom ID [--process ID] --zone ZONE [--out FILE] [--config P]
//          [--disable-on-platform] [--dry-run] [--force]
//   import --check --atom ID [--process ID] [--config P]
//   import --enable-on-platform --from-record FILE [--config P] [--dry-run]
// Reads the runtime's ProcessSchedules (and their ProcessScheduleStatus), writes a jobs.d
// file of jobs that the configuration validates with, and only then, when asked, switches the
// imported schedules off on the platform, keeping a record that switches them back on.
//
// Exit: 0 everything converted (and switched); 1 something was not converted, not written,
// not switched, or a call failed; 2 usage.
#include "base/clock.h"
#include "base/time_util.h"
#include "base/timers.h"
#include "config/escape.h"
#include "config/loader.h"
#include "daemon/cli/command.h"
#include "daemon/cli/import_switch.h"
#include "daemon/platform/beast_transport.h"

#include <boost/asio/co_spawn.hpp>

#include <fmt/core.h>

#include <algorithm>
#include <map>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

namespace bsched::cli {

namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using asio::awaitable;

struct ImportOptions {
  std::string atom, process, zone;
  std::optional<std::string> out, config, from_record;
  bool disable = false, enable = false, dry_run = false, force = false, check = false;
};

std::string now_text() {
  return format_utc(std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()));
}

std::string record_path_for(const std::string& out) { return out + ".platform-record.json"; }

std::optional<std::string> usage_error(const ImportOptions& o) {
  if (o.enable) {
    if (o.disable) return "--enable-on-platform and --disable-on-platform exclude each other";
    if (!o.from_record) return "--enable-on-platform needs --from-record FILE";
    return std::nullopt;
  }
  if (o.from_record) return "--from-record goes with --enable-on-platform";
  if (o.check) {
    if (o.atom.empty()) return "--check needs --atom ID";
    if (o.disable || o.out) return "--check writes and switches nothing";
    return std::nullopt;
  }
  if (o.atom.empty() || o.zone.empty()) return "--atom ID and --zone ZONE are required";
  if (o.disable && !o.out) return "--disable-on-platform needs --out FILE (the record goes beside it)";
  return std::nullopt;
}

// Everything a validation of the new file needs: the main file, the jobs.d files (without
// `out`), then `out` with `yaml`.
Result<std::vector<config::SourceText>> sources_with(const std::string& main_path,
                                                     const std::string& out,
                                                     const std::string& yaml) {
  std::vector<config::SourceText> files;
  BSCHED_TRY_ASSIGN(main_text, read_whole_file(main_path));
  files.push_back({main_path, std::move(main_text)});
  std::error_code ec;
  auto out_abs = fs::weakly_canonical(out, ec);
  auto dir = fs::path(main_path).parent_path() / "jobs.d";
  std::vector<fs::path> jobs;
  if (fs::is_directory(dir, ec))
    for (const auto& entry : fs::directory_iterator(dir, ec))
      if (entry.path().extension() == ".yaml" && fs::weakly_canonical(entry.path(), ec) != out_abs)
        jobs.push_back(entry.path());
  std::sort(jobs.begin(), jobs.end());
  for (const auto& p : jobs) {
    BSCHED_TRY_ASSIGN(text, read_whole_file(p.string()));
    files.push_back({p.string(), std::move(text)});
  }
  files.push_back({out, yaml});
  return files;
}

bool validate_output(const std::string& main_path, const std::string& out, const std::string& yaml) {
  auto files = sources_with(main_path, out, yaml);
  if (!files) {
    fmt::print(stderr, "import: {}\n", files.error().message);
    return false;
  }
  config::LoadOptions lo;
  lo.read_secret = false;
  auto loaded = config::load_config_from_sources(*files, lo);
  if (loaded) return true;
  for (const auto& d : loaded.error()) fmt::print(stderr, "{}\n", d.to_string());
  fmt::print(stderr, "import: the imported jobs do not validate with {}; nothing was written "
                     "and nothing switched\n", main_path);
  return false;
}

struct Session {
  const ImportOptions& o;
  const config::Config& cfg;
  std::string config_path;
  platform::ScheduleClient& client;
};

ImportInput input_from(const Session& s, std::vector<platform::ProcessSchedules> schedules,
                       const std::vector<platform::ScheduleStatus>& statuses) {
  ImportInput in;
  in.schedules = std::move(schedules);
  for (const auto& st : statuses)
    if (st.atom_id == s.o.atom) in.statuses[st.process_id] = st;
  for (const auto& j : s.cfg.jobs) {
    in.configured[j.process_id + " " + j.settings->atom_id] = j.name;
    in.names.insert(j.name);
  }
  in.atom_id = s.o.atom;
  in.zone = s.o.zone;
  in.created = now_text();
  return in;
}

void print_summary(const ImportOutput& out, const std::string& where) {
  std::size_t jobs = 0, converted = 0, rules = 0;
  for (const auto& j : out.jobs) {
    if (j.job.empty()) continue;
    ++jobs;
    for (const auto& r : j.converted.rules) {
      ++rules;
      if (r.ok()) ++converted;
    }
  }
  for (const auto& w : out.warnings) fmt::print(stderr, "import: warning: {}\n", w);
  fmt::print(stderr,
             "import: {} job(s) {} ({} of {} rule(s) converted; {} warning(s); {} empty "
             "schedule object(s) skipped)\n",
             jobs, where, converted, rules, out.warnings.size(), out.empty);
}

// --check: the processes this configuration schedules that the platform schedules too.
int check_twice(const Session& s, const std::vector<platform::ProcessSchedules>& schedules,
                const std::vector<platform::ScheduleStatus>& statuses) {
  std::map<std::string, bool> enabled;  // by process id
  for (const auto& st : statuses)
    if (st.atom_id == s.o.atom) enabled[st.process_id] = st.enabled;
  int twice = 0, there = 0;
  for (const auto& p : schedules) {
    if (p.rules.empty() || p.atom_id != s.o.atom || !enabled[p.process_id]) continue;
    ++there;
    for (const auto& j : s.cfg.jobs)
      if (j.enabled && j.process_id == p.process_id && j.settings->atom_id == p.atom_id) {
        ++twice;
        fmt::print("twice: job {} (process {}) is scheduled here and enabled on the platform\n",
                   j.name, j.process_id);
      }
  }
  fmt::print(stderr, "import: {} process(es) scheduled and enabled on the platform; {} of them "
                     "also by this configuration\n", there, twice);
  return twice == 0 ? k_exit_ok : k_exit_failure;
}

awaitable<int> import_flow(Session s) {
  platform::ScheduleFilter filter{s.o.atom, s.o.process};
  auto schedules = co_await s.client.query_schedules(filter);
  if (!schedules) {
    fmt::print(stderr, "import: reading ProcessSchedules failed: {}\n", escape_text(schedules.error().message));
    co_return k_exit_failure;
  }
  auto statuses = co_await s.client.query_statuses(filter);
  if (!statuses) {
    fmt::print(stderr, "import: reading ProcessScheduleStatus failed: {}\n", escape_text(statuses.error().message));
    co_return k_exit_failure;
  }
  if (s.o.check) co_return check_twice(s, *schedules, *statuses);
  auto out = build_import(input_from(s, std::move(*schedules), *statuses));
  if (std::none_of(out.jobs.begin(), out.jobs.end(), [](const ImportedJob& j) { return !j.job.empty(); })) {
    print_summary(out, "to import; no file written");
    co_return out.everything_converted() ? k_exit_ok : k_exit_failure;
  }
  auto out_path = s.o.out.value_or("imported.yaml");
  if (!validate_output(s.config_path, out_path, out.yaml)) co_return k_exit_failure;
  if (!s.o.out || s.o.dry_run) {
    fmt::print("{}", out.yaml);
    print_summary(out, s.o.dry_run ? "would be written (dry run)" : "printed");
  } else {
    if (auto w = write_file_atomically(*s.o.out, out.yaml); !w) {
      fmt::print(stderr, "import: {}\n", w.error().message);
      co_return k_exit_failure;
    }
    print_summary(out, "written to " + *s.o.out);
  }
  int code = out.everything_converted() ? k_exit_ok : k_exit_failure;
  if (!s.o.disable) co_return code;

  std::vector<std::string> left;
  auto record = plan_disable(out, left);
  for (const auto& l : left) fmt::print(stderr, "import: {}\n", l);
  record.account_id = s.cfg.platform.account_id;
  record.atom_id = s.o.atom;
  record.yaml = *s.o.out;
  record.created = now_text();
  if (s.o.dry_run) {
    for (const auto& e : record.entries)
      fmt::print("would switch off: job {} (process {}, status {})\n", e.job, e.process_id,
                 e.status_id);
    co_return code;
  }
  SwitchContext ctx{s.client, record_path_for(*s.o.out), false, &now_text};
  bool ok = co_await disable_on_platform(ctx, std::move(record));
  fmt::print(stderr, "import: {}; the record is {} (undo: boomi-sched import "
                     "--enable-on-platform --from-record {})\n",
             ok ? "the imported schedules are switched off on the platform"
                : "NOT every imported schedule was switched off",
             ctx.record_path, ctx.record_path);
  co_return ok ? code : k_exit_failure;
}

awaitable<int> enable_flow(Session s, SwitchRecord record) {
  SwitchContext ctx{s.client, *s.o.from_record, s.o.dry_run, &now_text};
  bool ok = co_await enable_on_platform(ctx, std::move(record));
  fmt::print(stderr, "import: {}\n", ok ? "the recorded schedules are switched on again"
                                        : "NOT every recorded schedule was switched on (see the record)");
  co_return ok ? k_exit_ok : k_exit_failure;
}

int run_import(const ImportOptions& o) {
  if (auto u = usage_error(o)) {
    fmt::print(stderr, "import: {}\n", *u);
    return k_exit_usage;
  }
  auto path = config::resolve_config_path(o.config);
  auto loaded = config::load_config(path);
  if (!loaded) {
    for (const auto& d : loaded.error()) fmt::print(stderr, "{}\n", d.to_string());
    fmt::print(stderr, "import: the configuration {} is not valid (see `boomi-sched validate`)\n", path);
    return k_exit_failure;
  }
  const auto& cfg = *loaded->config;
  std::optional<SwitchRecord> record;
  if (o.enable) {
    auto text = read_whole_file(*o.from_record);
    auto parsed = text ? parse_switch_record(*text) : Result<SwitchRecord>(text.error());
    if (!parsed) {
      fmt::print(stderr, "import: {}: {}\n", *o.from_record, parsed.error().message);
      return k_exit_failure;
    }
    if (parsed->account_id != cfg.platform.account_id) {
      fmt::print(stderr, "import: the record belongs to account '{}', the configuration to '{}'\n",
                 escape_text(parsed->account_id), cfg.platform.account_id);
      return k_exit_failure;
    }
    record = std::move(*parsed);
  } else if (!o.check) {
    if (auto z = find_zone(o.zone); !z) {
      fmt::print(stderr, "import: --zone: {}\n", z.error().message);
      return k_exit_usage;
    }
    std::error_code ec;
    for (const auto& p : {o.out, o.disable && o.out ? std::optional(record_path_for(*o.out)) : std::nullopt})
      if (p && !o.force && !o.dry_run && fs::exists(*p, ec)) {
        fmt::print(stderr, "import: {} exists; move it away or pass --force\n", *p);
        return k_exit_failure;
      }
  }
  asio::io_context io;
  platform::TransportOptions t;
  t.timeout = cfg.platform.timeout;
  t.ca_file = cfg.platform.ca_file;
  SystemClock clock;
  SteadyTimerFactory timers(io);
  platform::BoomiClient boomi(io, cfg.platform, std::make_unique<platform::BeastTransport>(io, t),
                              clock, timers);
  platform::BoomiScheduleClient client(boomi);
  Session s{o, cfg, path, client};
  int code = k_exit_failure;
  auto done = [&](std::exception_ptr e, int c) {
    if (e) fmt::print(stderr, "import: unexpected internal error; please report it\n");
    else code = c;
  };
  if (record) asio::co_spawn(io, enable_flow(s, std::move(*record)), done);
  else asio::co_spawn(io, import_flow(s), done);
  io.run();
  return code;
}

}  // namespace

void add_import_command(CLI::App& root, Action& chosen) {
  auto o = std::make_shared<ImportOptions>();
  auto* cmd = root.add_subcommand(
      "import", "Turn the platform's process schedules of a runtime into a jobs.d file; "
                "optionally switch them off on the platform (reversibly)");
  cmd->add_option("--atom", o->atom, "the runtime (atom) whose schedules are imported");
  cmd->add_option("--process", o->process, "only this process");
  cmd->add_option("--zone", o->zone, "the runtime's time zone (IANA name), in which its schedules run");
  cmd->add_option("--out", o->out, "the jobs.d file to write (default: print to stdout)");
  cmd->add_option("--config", o->config,
                  k_config_help);
  cmd->add_flag("--disable-on-platform", o->disable,
                "after writing and validating --out, switch the imported schedules off on the "
                "platform (ProcessScheduleStatus), recording them in OUT.platform-record.json");
  cmd->add_flag("--enable-on-platform", o->enable,
                "switch back on the schedules a record says were switched off");
  cmd->add_option("--from-record", o->from_record, "the record of --enable-on-platform");
  cmd->add_flag("--dry-run", o->dry_run, "write and switch nothing; show what would happen");
  cmd->add_flag("--force", o->force, "overwrite an existing --out file and record");
  cmd->add_flag("--check", o->check,
                "write and switch nothing; list the processes scheduled both by this "
                "configuration and (enabled) on the platform; exit 1 when there is one");
  cmd->callback([&chosen, o] { chosen = [o] { return run_import(*o); }; });
}

}  // namespace bsched::cli
