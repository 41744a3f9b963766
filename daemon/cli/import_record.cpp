// The switch record's JSON and its atomic file writes.
#include "daemon/cli/import_record.h"

#include "daemon/cli/import_yaml.h"

#include <boost/json.hpp>

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace bsched::cli {

namespace json = boost::json;

namespace {

constexpr std::array<const char*, 6> k_state_names = {
    "pending", "disabled", "already_disabled", "failed", "uncertain", "enabled"};

Result<std::string> text(const json::object& o, std::string_view key, std::string_view where,
                         bool required = true) {
  const auto* v = o.if_contains(key);
  if (!v) {
    if (!required) return std::string();
    return make_error(fmt::format("{}: '{}' is missing", where, key));
  }
  if (!v->is_string()) return make_error(fmt::format("{}: '{}' must be a string", where, key));
  return std::string(v->get_string());
}

Result<RecordEntry> parse_entry(const json::value& v, std::size_t index) {
  auto where = fmt::format("entry {}", index + 1);
  if (!v.is_object()) return make_error(where + " is not an object");
  const auto& o = v.get_object();
  RecordEntry e;
  BSCHED_TRY_ASSIGN(job, text(o, "job", where));
  BSCHED_TRY_ASSIGN(process_id, text(o, "process_id", where));
  BSCHED_TRY_ASSIGN(atom_id, text(o, "atom_id", where));
  BSCHED_TRY_ASSIGN(status_id, text(o, "status_id", where));
  BSCHED_TRY_ASSIGN(state, text(o, "state", where));
  BSCHED_TRY_ASSIGN(error, text(o, "error", where, false));
  BSCHED_TRY_ASSIGN(at, text(o, "at", where, false));
  for (const auto* id : {&process_id, &atom_id, &status_id})
    if (!plain_id(*id))
      return make_error(fmt::format("{}: an id is empty or holds characters outside "
                                    "[A-Za-z0-9._:-]",
                                    where));
  bool known = false;
  for (std::size_t i = 0; i < k_state_names.size(); ++i)
    if (state == k_state_names[i]) {
      e.state = static_cast<SwitchState>(i);
      known = true;
    }
  if (!known) return make_error(fmt::format("{}: unknown state '{}'", where, state.substr(0, 40)));
  e.job = std::move(job);
  e.process_id = std::move(process_id);
  e.atom_id = std::move(atom_id);
  e.status_id = std::move(status_id);
  e.error = std::move(error);
  e.at = std::move(at);
  return e;
}

}  // namespace

const char* switch_state_name(SwitchState s) { return k_state_names[static_cast<std::size_t>(s)]; }

std::string record_json(const SwitchRecord& r) {
  json::array entries;
  for (const auto& e : r.entries)
    entries.push_back(json::object{{"job", e.job},
                                   {"process_id", e.process_id},
                                   {"atom_id", e.atom_id},
                                   {"status_id", e.status_id},
                                   {"state", switch_state_name(e.state)},
                                   {"error", e.error},
                                   {"at", e.at}});
  json::object o{{"format", "boomi-sched platform switch record 1"},
                 {"account_id", r.account_id},
                 {"atom_id", r.atom_id},
                 {"yaml", r.yaml},
                 {"created", r.created},
                 {"entries", std::move(entries)}};
  return json::serialize(o) + "\n";
}

Result<SwitchRecord> parse_switch_record(std::string_view body) {
  boost::system::error_code ec;
  json::parse_options opts;
  opts.max_depth = 8;
  auto v = json::parse(body, ec, {}, opts);
  if (ec || !v.is_object()) return make_error("the record is not a JSON object");
  const auto& o = v.get_object();
  BSCHED_TRY_ASSIGN(format, text(o, "format", "record"));
  if (format != "boomi-sched platform switch record 1")
    return make_error("the file is not a boomi-sched platform switch record (format 1)");
  SwitchRecord r;
  BSCHED_TRY_ASSIGN(account, text(o, "account_id", "record"));
  BSCHED_TRY_ASSIGN(atom, text(o, "atom_id", "record"));
  BSCHED_TRY_ASSIGN(yaml, text(o, "yaml", "record", false));
  BSCHED_TRY_ASSIGN(created, text(o, "created", "record", false));
  r.account_id = std::move(account);
  r.atom_id = std::move(atom);
  r.yaml = std::move(yaml);
  r.created = std::move(created);
  const auto* entries = o.if_contains("entries");
  if (!entries || !entries->is_array()) return make_error("record: 'entries' must be a list");
  for (std::size_t i = 0; i < entries->get_array().size(); ++i) {
    BSCHED_TRY_ASSIGN(e, parse_entry(entries->get_array()[i], i));
    r.entries.push_back(std::move(e));
  }
  return r;
}

Result<void> write_file_atomically(const std::string& path, const std::string& content) {
  auto tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return make_error(fmt::format("cannot write {}: {}", tmp, std::strerror(errno)));
  std::size_t done = 0;
  while (done < content.size()) {
    auto n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      auto err = std::strerror(errno);
      ::close(fd);
      ::unlink(tmp.c_str());
      return make_error(fmt::format("cannot write {}: {}", tmp, err));
    }
    done += static_cast<std::size_t>(n);
  }
  bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!synced || ::rename(tmp.c_str(), path.c_str()) != 0) {
    auto err = std::strerror(errno);
    ::unlink(tmp.c_str());
    return make_error(fmt::format("cannot write {}: {}", path, err));
  }
  return {};
}

Result<std::string> read_whole_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(fmt::format("cannot read {}: {}", path, std::strerror(errno)));
  std::ostringstream s;
  s << in.rdbuf();
  if (in.bad()) return make_error(fmt::format("cannot read {}", path));
  return s.str();
}

}  // namespace bsched::cli
