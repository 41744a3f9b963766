// The configuration as the rest of the program sees it: an immutable value produced by the
// loader (config/loader.h) with every default applied and every reference checked. Nothing
// here is partially valid: a Config exists only when the whole file set validated.
#pragma once

#include "config/schedule.h"
#include "config/secret.h"
#include "base/time_util.h"

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace bsched::config {

using namespace std::chrono_literals;

// Where a value came from, for messages ("jobs.d/sales.yaml:12:5").
struct SourcePos {
  std::string file;
  int line = 0;    // 1-based; 0 = unknown / default
  int column = 0;  // 1-based
};

// Where a job is defined: Config::files[file], 1-based line and column. Small and without a
// copy of the path, as every job has one.
struct JobSource {
  std::uint32_t file = 0;
  int line = 0;
  int column = 0;
};

enum class Overlap : std::uint8_t {
  skip,   // record the new slot as skipped while an earlier run is not terminal
  allow,  // fire anyway
  queue,  // keep at most one slot waiting; fire it when the earlier run ends
};

enum class Catchup : std::uint8_t {
  latest,  // of the slots missed within catchup_window, fire only the latest
  all,     // fire every missed slot within catchup_window
  none,    // fire none; all are recorded as missed
};

enum class ApiKind { rest, graphql };

struct PollPolicy {
  Millis initial = 5s;  // delay before the first poll
  Millis max = 60s;     // the interval grows up to this
  auto operator<=>(const PollPolicy&) const = default;
};

struct RetryPolicy {
  int attempts = 5;     // submissions tried in total for one slot
  Millis initial = 2s;  // first backoff
  Millis max = 5min;    // backoff cap
  auto operator<=>(const RetryPolicy&) const = default;
};

// One component-based process property (ProcessProperties in the ExecutionRequest).
struct ProcessProperty {
  std::string component_id;
  std::vector<std::pair<std::string, std::string>> values;  // key -> value, file order
  auto operator<=>(const ProcessProperty&) const = default;
};

// What a job takes from `defaults` unless it sets it itself: the same for most jobs, so jobs
// with equal settings share one copy (the loader interns them; 10,000 jobs on the defaults
// hold one). Immutable once shared: change a job's own with Job::edit_settings.
struct JobSettings {
  std::string atom_id;
  std::string timezone;                   // IANA name as written (or the host's)
  const date::time_zone* zone = nullptr;  // never null after loading
  Overlap overlap = Overlap::skip;
  Catchup catchup = Catchup::latest;
  DstFold dst_fold = DstFold::automatic;
  Millis catchup_window = 1h;
  PollPolicy poll;
  Millis record_timeout = 30min;  // submitted -> lost when no record appears in time
  Millis run_timeout = 12h;       // running -> timed_out without a terminal status
  RetryPolicy submit_retry;
  // Values may hold placeholders (config/placeholders.h), expanded per run.
  std::vector<std::pair<std::string, std::string>> dynamic_properties;
  std::vector<ProcessProperty> process_properties;
  std::string run_id_property = "BOOMI_SCHED_RUN_ID";  // empty: not sent
  int pause_after_failures = 0;  // pause the job after this many failed runs in a row; 0: never

  auto operator<=>(const JobSettings&) const = default;  // for interning (== comes with it)
};

struct Job {
  std::string name;                 // [A-Za-z0-9._-]{1,64}
  std::vector<Schedule> schedules;  // at least one; bound to settings->zone and dst_fold
  std::string process_id;
  std::shared_ptr<const JobSettings> settings = default_settings();  // never null
  JobSource pos;                                                     // of the job's key
  bool enabled = true;

  // The built-in defaults, one copy for every job made without settings of its own.
  static const std::shared_ptr<const JobSettings>& default_settings();
  // This job's settings to change, copied first so that no other job sees the change.
  JobSettings& edit_settings();

  // The earliest slot of any of the job's schedules strictly after `t`.
  std::optional<std::chrono::sys_seconds> next_after(std::chrono::sys_seconds t) const;
};

struct Platform {
  std::string account_id;
  std::string base_url = "https://api.boomi.com/api/rest/v1";  // account id appended
  std::string username;
  std::optional<std::string> token_file;
  std::optional<std::string> token_env;
  Secret token;  // read at load time from token_file / token_env
  double requests_per_second = 4;  // client-side pace for every call; 0 = unpaced
  Millis timeout = 30s;            // per HTTP exchange
  std::optional<std::string> ca_file;
  ApiKind api = ApiKind::rest;
  std::string space_guid;  // graphql only
  std::string graphql_url = "https://platform.boomi.com/graphql";
  std::string jwt_url = "https://api.boomi.com/auth/jwt/generate";  // account id appended

  // base_url + "/" + account_id, without a trailing slash.
  std::string account_base() const;
};

struct Storage {
  std::string path = "/var/lib/boomi-sched/state.db";
  Millis retention = std::chrono::days{90};
  // A libpq connection string or postgresql:// URI: the runs live in PostgreSQL (docs/ha.md)
  // instead of the file at `path`. It may hold a password: never printed or logged whole.
  Secret postgres;
};

// An active/standby pair on PostgreSQL (`ha:`, docs/ha.md); read only with storage.postgres.
struct Ha {
  std::string node;  // this daemon's name among the pair; default: the host name
  Millis lease = std::chrono::seconds{15};  // how long one claim of the leader lease holds
};

// The daemon's HTTP listener: /metrics, /healthz, the status page and its JSON
// (docs/operations.md, "HTTP listener"). Changing it takes a restart.
inline constexpr unsigned short k_default_http_port = 9089;

struct Http {
  // "HOST:PORT" with an IPv4 literal, "[IPv6]:PORT"; empty: no listener.
  std::string listen = "127.0.0.1:9089";
  std::optional<std::string> token_file;  // bearer token clients must send
  Secret token;                           // read at load time from token_file; empty: no auth
  // Written out to serve a non-loopback address without a token.
  bool allow_unauthenticated = false;
  std::string public_url;  // the page's address as others reach it (links); empty: unset

  bool operator==(const Http&) const = default;
};

// One alert sink (`alerts:` list): where the alert outbox's events go (daemon/alerts).
struct AlertSink {
  std::string name;                  // unique; names the delivery rows in the store
  std::string webhook;               // an http(s) URL (its path is a secret: never logged)
  std::vector<std::string> command;  // or: a program and its arguments (no shell)
  std::vector<std::string> on;       // event kinds: failed missed late stuck auth recovered
  Millis late_after = 5min;          // `late`: the first request left this long after the slot
  Millis timeout = 30s;              // per webhook exchange or command run
  std::optional<std::string> ca_file;  // webhook: PEM bundle to verify with; absent: system CAs
  std::vector<std::string> jobs;     // fnmatch globs; empty: every job
  SourcePos pos;

  bool wants(std::string_view kind) const;
  bool matches_job(std::string_view job) const;  // `jobs` empty, or a glob matches
  // "https://hooks.example.com/…": the webhook as it may be printed and logged.
  std::string shown_webhook() const;
};

struct Config {
  Platform platform;
  Storage storage;
  Ha ha;
  Http http;
  std::vector<AlertSink> alerts;
  std::vector<Job> jobs;           // sorted by name, unique
  std::vector<std::string> files;  // every file read, main file first
  std::string fingerprint;         // changes whenever the effective configuration changes

  const Job* find_job(std::string_view name) const;
};

}  // namespace bsched::config
