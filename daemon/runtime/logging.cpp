#include "daemon/runtime/logging.h"

#include "config/escape.h"

#include <sys/stat.h>

#include <fmt/core.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <memory>

namespace bsched::runtime {

Result<spdlog::level::level_enum> parse_log_level(std::string_view text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  using L = spdlog::level::level_enum;
  if (lower == "trace") return L::trace;
  if (lower == "debug") return L::debug;
  if (lower == "info") return L::info;
  if (lower == "warn" || lower == "warning") return L::warn;
  if (lower == "error") return L::err;
  if (lower == "critical") return L::critical;
  if (lower == "off") return L::off;
  return make_error(fmt::format(
      "unknown log level '{}': use trace, debug, info, warning, error, critical or off", text));
}

Result<spdlog::level::level_enum> resolve_log_level(const std::optional<std::string>& flag) {
  if (flag) return parse_log_level(*flag);
  if (const char* env = std::getenv("BOOMI_SCHED_LOG_LEVEL"); env && *env) {
    auto r = parse_log_level(env);
    if (!r) return make_error("BOOMI_SCHED_LOG_LEVEL: " + r.error().message);
    return r;
  }
  return spdlog::level::info;
}

int syslog_priority(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace:
    case spdlog::level::debug: return 7;
    case spdlog::level::info: return 6;
    case spdlog::level::warn: return 4;
    case spdlog::level::err: return 3;
    default: return 2;
  }
}

bool stderr_is_journal() {
  const char* env = std::getenv("JOURNAL_STREAM");
  if (!env || !*env) return false;
  struct stat st{};
  if (::fstat(2, &st) != 0) return false;
  // "device:inode" of the stream journald handed us; stderr may have been redirected since.
  return fmt::format("{}:{}", st.st_dev, st.st_ino) == env;
}

namespace {

// %* -> "<N>", the syslog priority prefix journald parses off each line.
class PriorityFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    auto text = fmt::format("<{}>", syslog_priority(msg.level));
    dest.append(text.data(), text.data() + text.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<PriorityFlag>();
  }
};

// %& -> the message with its control characters escaped: whatever a caller forgot to
// escape, one event stays one line and never reaches the terminal as a control sequence.
class SafeMessageFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    auto text = escape_controls(std::string_view(msg.payload.data(), msg.payload.size()));
    dest.append(text.data(), text.data() + text.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<SafeMessageFlag>();
  }
};

}  // namespace

std::unique_ptr<spdlog::formatter> make_log_formatter(bool journal) {
  auto formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
  formatter->add_flag<SafeMessageFlag>('&');
  if (journal) {
    formatter->add_flag<PriorityFlag>('*').set_pattern("%*%&");
  } else {
    formatter->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %l %&");
  }
  return formatter;
}

void setup_logging(spdlog::level::level_enum level, bool journal) {
  auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  sink->set_formatter(make_log_formatter(journal));
  auto logger = std::make_shared<spdlog::logger>("boomi-sched", sink);
  logger->set_level(level);
  logger->flush_on(spdlog::level::trace);  // one line per event, visible at once
  spdlog::set_default_logger(logger);
}

}  // namespace bsched::runtime
