#include "config/loader.h"

#include "config/loader_fingerprint.h"
#include "config/loader_jobs.h"
#include "config/loader_alerts.h"
#include "config/loader_platform.h"
#include "config/loader_util.h"
#include "config/loader_yaml.h"
#include "config/storage_path.h"
#include "config/yaml_tree.h"

#include <fmt/format.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <tuple>

namespace bsched::config {

using namespace detail;

std::string Diagnostic::to_string() const {
  const char* kind = warning ? "warning: " : "";
  if (pos.line <= 0) return fmt::format("{}: {}{}", pos.file, kind, message);
  return fmt::format("{}:{}:{}: {}{}", pos.file, pos.line, pos.column, kind, message);
}

namespace {

const std::vector<std::string_view> k_main_keys = {"platform", "storage", "ha",  "http",
                                                   "alerts",   "defaults", "jobs"};

// Builds one Config from parsed documents; every problem goes to the sink.
class Assembler {
 public:
  Assembler(Sink& sink, const LoadOptions& options, const std::vector<std::string>& paths,
            std::string base_dir)
      : m_sink(sink), m_options(options), m_paths(paths), m_base_dir(std::move(base_dir)) {}

  void main_file(const SourceDoc& doc);
  void dropin_file(const SourceDoc& doc);
  Config finish();

 private:
  void jobs_section(const Field& jobs);
  void one_job(const std::string& name, const Field& value);
  void graphql_sends_ids_only();

  Sink& m_sink;
  const LoadOptions& m_options;
  const std::vector<std::string>& m_paths;  // of the load's files, by SourceDoc::index
  std::string m_base_dir;
  Config m_config;
  JobDraft m_defaults;
  ScheduleCache m_schedules;
  SettingsPool m_settings;  // what jobs share: one copy per distinct settings
  int m_job_keys = 0;                                     // job entries seen, valid or not
  bool m_jobs_reported = false;                           // no-jobs situation already reported
  std::string m_main_path;
};

Field root_field(const SourceDoc& doc) {
  return Field{&doc, "", doc.tree->root(), {doc.path, 1, 1}};
}

void Assembler::main_file(const SourceDoc& doc) {
  m_main_path = doc.path;
  auto root = root_field(doc);
  if (!root.node.defined() || root.node.is_null()) {
    m_sink.error(root.key_pos,
                 "the configuration file is empty (expected the sections "
                 "platform, storage, defaults and jobs)");
    m_jobs_reported = true;
    return;
  }
  std::map<std::string, Field, std::less<>> sections;
  walk_map(root, {.known = k_main_keys}, m_sink,
           [&](const std::string& key, const Field& f) { sections.emplace(key, f); });
  if (!root.node.is_map()) {
    m_jobs_reported = true;  // "expected a map" says it all
    return;
  }
  if (auto it = sections.find("platform"); it != sections.end())
    read_platform(it->second, m_config.platform, m_sink, m_options, m_base_dir);
  else
    m_sink.error(root.key_pos, "missing required section 'platform'");
  if (auto it = sections.find("storage"); it != sections.end())
    read_storage(it->second, m_config.storage, m_sink, m_base_dir);
  read_ha(sections.count("ha") ? &sections.at("ha") : nullptr, m_config, m_sink);
  if (auto it = sections.find("http"); it != sections.end())
    read_http(it->second, m_config.http, m_sink, m_options, m_base_dir);
  if (auto it = sections.find("alerts"); it != sections.end())
    read_alerts(it->second, m_config.alerts, m_sink, m_base_dir);
  if (auto it = sections.find("defaults"); it != sections.end() && !it->second.node.is_null())
    apply_job_keys(it->second, m_defaults, m_sink);
  if (auto it = sections.find("jobs"); it != sections.end()) jobs_section(it->second);
}

void Assembler::dropin_file(const SourceDoc& doc) {
  auto root = root_field(doc);
  if (!root.node.defined() || root.node.is_null()) {
    m_sink.warning(root.key_pos, "this jobs.d file is empty; it defines no jobs");
    return;
  }
  if (root.node.is_map()) {
    // Give sections that belong in the main file a precise message instead of "unknown key".
    for (std::size_t i = 0; i < root.node.size(); ++i) {
      auto key_node = root.node.key(i);
      auto key = key_node.scalar();
      if (!key_node.is_scalar() || key == "jobs") continue;
      if (key == "platform" || key == "storage" || key == "ha" || key == "http" ||
          key == "alerts" || key == "defaults")
        m_sink.error(node_pos(doc, key_node, root.key_pos),
                     fmt::format("'{}' belongs in the main file {}; a jobs.d file holds only "
                                 "'jobs'",
                                 key, m_main_path));
    }
  }
  walk_map(root, {.known = {"jobs", "platform", "storage", "ha", "http", "alerts", "defaults"}},
           m_sink,
           [&](const std::string& key, const Field& f) {
             if (key == "jobs") jobs_section(f);
           });
}

void Assembler::jobs_section(const Field& jobs) {
  if (jobs.node.is_null() || (jobs.node.is_map() && jobs.node.size() == 0)) {
    m_sink.error(jobs.key_pos, "jobs: is empty; define at least one job or remove the key");
    m_jobs_reported = true;
    return;
  }
  // Room for this file's jobs at once: a growing vector of 10,000 jobs (120 bytes each)
  // would double to 16,384 and hold the old and new arrays together while it moves them.
  if (jobs.node.is_map()) m_config.jobs.reserve(m_config.jobs.size() + jobs.node.size());
  walk_map(jobs, {.check_duplicates = false, .any_key = true}, m_sink,
           [&](const std::string& name, const Field& value) { one_job(name, value); });
}

void Assembler::one_job(const std::string& name, const Field& value) {
  ++m_job_keys;
  if (!is_valid_job_name(name)) {
    m_sink.error(value.key_pos, fmt::format("jobs: invalid job name '{}' (use 1 to 64 of "
                                            "A-Z a-z 0-9 . _ -)",
                                            name));
  }
  if (!value.node.is_map()) {
    m_sink.error(value.pos(), fmt::format("{}: expected a map of job settings, not {}", value.path,
                                          value.kind()));
    return;
  }
  JobDraft draft = m_defaults;
  apply_job_keys(value, draft, m_sink);
  m_config.jobs.push_back(
      finish_job(std::move(draft), name, value, m_sink, m_schedules, m_settings));
}

Config Assembler::finish() {
  if (m_job_keys == 0 && !m_jobs_reported && !m_main_path.empty())
    m_sink.error({m_main_path, 1, 1},
                 "no jobs defined (add a 'jobs' section here or files "
                 "in jobs.d/)");
  // By name, and a name's definitions in file order: the first stays, each later one is an
  // error naming it. (Sorting finds them without a set of 10,000 names beside the jobs.)
  auto& jobs = m_config.jobs;
  auto defined = [](const Job& j) { return std::tie(j.pos.file, j.pos.line, j.pos.column); };
  std::sort(jobs.begin(), jobs.end(), [&](const Job& a, const Job& b) {
    return a.name != b.name ? a.name < b.name : defined(a) < defined(b);
  });
  for (std::size_t first = 0, i = 1; i < jobs.size(); ++i) {
    if (jobs[i].name != jobs[first].name) {
      first = i;
      continue;
    }
    const auto& p = jobs[first].pos;
    const auto& dup = jobs[i].pos;
    m_sink.error({m_paths[dup.file], dup.line, dup.column},
                 fmt::format("jobs: duplicate job name '{}' (first defined at {}:{}:{})",
                             jobs[i].name, m_paths[p.file], p.line, p.column));
  }
  jobs.erase(std::unique(jobs.begin(), jobs.end(),
                         [](const Job& a, const Job& b) { return a.name == b.name; }),
             jobs.end());
  if (m_config.platform.api == ApiKind::graphql) graphql_sends_ids_only();
  return std::move(m_config);
}

// GraphQL's processExecute takes only atomId and processId: properties would be dropped
// silently, so they are an error, and the run id (a dynamic property) is not claimed as sent.
void Assembler::graphql_sends_ids_only() {
  for (auto& job : m_config.jobs) {
    const auto& s = *job.settings;
    if (!s.dynamic_properties.empty() || !s.process_properties.empty()) {
      m_sink.error({m_paths[job.pos.file], job.pos.line, job.pos.column},
                   fmt::format("jobs.{}: api graphql sends only atomId and processId "
                               "(processExecute takes no properties), so its {} would never "
                               "reach the process; remove them or use api: rest",
                               job.name,
                               s.dynamic_properties.empty() ? "process_properties"
                                                            : "dynamic_properties"));
    }
    if (!s.run_id_property.empty()) job.edit_settings().run_id_property = "";
  }
}

Result<Loaded, std::vector<Diagnostic>> load_sources(const std::vector<SourceText>& files,
                                                     const LoadOptions& options, Sink& sink) {
  std::vector<std::string> names;
  for (const auto& f : files) names.push_back(f.path);
  if (files.empty()) {
    sink.error({"(none)", 0, 0}, "no configuration file given");
    return sink.sorted(names);
  }
  std::vector<std::optional<SourceDoc>> docs;
  docs.reserve(files.size());  // Fields point into this vector
  for (const auto& f : files) {
    docs.push_back(parse_yaml(f, sink));
    if (docs.back()) docs.back()->index = static_cast<std::uint32_t>(docs.size() - 1);
  }
  auto base_dir = std::filesystem::path(files.front().path).parent_path().string();
  Assembler assembler(sink, options, names, base_dir);
  if (docs.front()) assembler.main_file(*docs.front());
  for (size_t i = 1; i < docs.size(); ++i)
    if (docs[i]) assembler.dropin_file(*docs[i]);
  auto config = assembler.finish();
  if (sink.has_errors()) return sink.sorted(names);
  config.files = names;
  config.fingerprint = fingerprint(config);
  return Loaded{std::make_shared<const Config>(std::move(config)), sink.sorted_warnings(names)};
}

// What a file is, for the message refusing it.
const char* file_kind(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "a special file";
}

// The whole file, or nullopt with `why` set to the reason. The descriptor is checked before a
// byte is read: a FIFO would block the read (and `validate` with it), a device such as
// /dev/zero never ends, and a file over k_max_file_bytes is refused by its size, not after
// loading it. O_NONBLOCK keeps the open itself from waiting for a FIFO's writer.
std::optional<std::string> read_file(const std::string& path, std::string& why) {
  int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    why = std::strerror(errno);
    return std::nullopt;
  }
  std::unique_ptr<int, void (*)(int*)> closer(&fd, [](int* f) { ::close(*f); });
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    why = std::strerror(errno);
    return std::nullopt;
  }
  if (!S_ISREG(st.st_mode)) {
    why = fmt::format("it is {}, not a regular file", file_kind(st.st_mode));
    return std::nullopt;
  }
  auto size = static_cast<std::size_t>(std::max<off_t>(st.st_size, 0));
  if (size > k_max_file_bytes) {
    why = file_too_large(size);
    return std::nullopt;
  }
  std::string text;
  text.reserve(size);
  char buf[1 << 16];
  for (;;) {
    auto n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      why = std::strerror(errno);
      return std::nullopt;
    }
    if (n == 0) return text;
    if (text.size() + static_cast<std::size_t>(n) > k_max_file_bytes) {  // it grew meanwhile
      why = file_too_large(text.size() + static_cast<std::size_t>(n));
      return std::nullopt;
    }
    text.append(buf, static_cast<std::size_t>(n));
  }
}

// *.yaml files of jobs.d beside the main file, sorted; *.yml draws a warning.
std::vector<std::string> dropin_paths(const std::string& main_path, Sink& sink) {
  namespace fs = std::filesystem;
  std::vector<std::string> out;
  auto dir = fs::path(main_path).parent_path() / "jobs.d";
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return out;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    auto name = e.path().filename().string();
    if (name.starts_with(".")) continue;  // editor and backup files
    if (name.ends_with(".yaml"))
      out.push_back(e.path().string());
    else if (name.ends_with(".yml"))
      sink.warning({e.path().string(), 0, 0}, "ignored: only *.yaml files in jobs.d are read");
  }
  if (ec)
    sink.error({dir.string(), 0, 0}, fmt::format("cannot list the directory: {}", ec.message()));
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

Result<Loaded, std::vector<Diagnostic>> load_config_from_sources(
    const std::vector<SourceText>& files, const LoadOptions& options) {
  Sink sink;
  return load_sources(files, options, sink);
}

Result<Loaded, std::vector<Diagnostic>> load_config(const std::string& main_path,
                                                    const LoadOptions& options) {
  Sink sink;
  std::vector<SourceText> files;
  std::string why;
  auto main_text = read_file(main_path, why);
  if (!main_text) {
    sink.error({main_path, 0, 0}, fmt::format("cannot read the configuration file: {} (give "
                                              "--config PATH or set BOOMI_SCHED_CONFIG)",
                                              why));
    return sink.sorted({main_path});
  }
  files.push_back({main_path, std::move(*main_text)});
  for (auto& path : dropin_paths(main_path, sink)) {
    auto text = read_file(path, why);
    if (!text)
      sink.error({path, 0, 0}, fmt::format("cannot read this file: {}", why));
    else
      files.push_back({path, std::move(*text)});
  }
  return load_sources(files, options, sink);
}

std::string resolve_config_path(const std::optional<std::string>& flag) {
  if (flag && !flag->empty()) return *flag;
  if (const char* env = std::getenv("BOOMI_SCHED_CONFIG"); env && *env) return env;
  return "/etc/boomi-sched/boomi-sched.yaml";
}

std::optional<std::string> storage_path_of(const std::string& main_path) {
  std::string why;
  auto text = read_file(main_path, why);
  if (!text) return std::nullopt;
  std::unique_ptr<YamlTree> tree;
  try {
    tree = YamlTree::parse(*text);
  } catch (const std::exception&) {
    return std::nullopt;  // yaml-cpp's syntax errors
  }
  auto root = tree->root();
  if (!root.is_map()) return std::nullopt;
  std::string path = Storage{}.path;
  for (std::size_t i = 0; i < root.size(); ++i) {
    auto section = root.value(i);
    if (root.key(i).scalar() != "storage" || !section.is_map()) continue;
    for (std::size_t j = 0; j < section.size(); ++j) {
      auto v = std::string(section.value(j).scalar());
      if (section.key(j).scalar() != "path" || v.empty()) continue;
      auto base_dir = std::filesystem::path(main_path).parent_path().string();
      path = v == ":memory:" ? v : resolve_relative(v, base_dir);
    }
  }
  return path;
}

}  // namespace bsched::config
