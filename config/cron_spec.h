// The parsed form of a schedule expression and the walk over its local wall-clock slots
// (internal to the schedule engine, config/schedule.cpp).
//
// Every field is a bitmask, so finding the next matching second, minute, hour, day or month
// is a count-trailing-zeros, never a loop over seconds. Day matching (L, W, #, the Vixie
// day-of-month/day-of-week rule) is folded into one 31-bit mask per month.
#pragma once

#include "config/schedule.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace bsched::config {

// Canonical field numbers; also the salt of the H hash (docs/schedule.md).
enum class CronField { second = 0, minute, hour, day_of_month, month, day_of_week };

// The day-of-month forms that depend on the month: L, L-n, nW, LW.
struct DomSpecial {
  enum class Kind {
    last,             // L: the last day of the month
    last_minus,       // L-n: n days before the last day
    nearest_weekday,  // nW: the Monday-Friday day nearest to day n, inside the month
    last_weekday,     // LW: the last Monday-Friday day of the month
  };
  Kind kind;
  int n = 0;
};

// The day-of-week forms that depend on the month: dL and d#k.
struct DowSpecial {
  enum class Kind {
    last_of_month,  // dL: the last weekday d of the month
    nth,            // d#k: the k-th weekday d of the month (k 1-5)
  };
  Kind kind;
  int weekday = 0;  // 0 = Sunday
  int n = 0;        // k for nth
};

class CronSpec {
 public:
  std::uint64_t seconds = 0;  // bits 0-59
  std::uint64_t minutes = 0;  // bits 0-59
  std::uint32_t hours = 0;    // bits 0-23
  std::uint32_t dom = 0;      // bits 1-31
  std::uint32_t months = 0;   // bits 1-12
  std::uint32_t dow = 0;      // bits 0-6, Sunday = 0
  std::vector<DomSpecial> dom_special;
  std::vector<DowSpecial> dow_special;
  bool dom_any = true;     // day-of-month text starts with '*' or is '?' (Vixie "unrestricted")
  bool dow_any = true;     // the same for day-of-week
  bool hour_fixed = true;  // hour text does not start with '*': a fold fires once (automatic)
  bool hashed = false;     // an H field drew on the seed: the spec is its job's alone

  bool interval = false;      // @every
  std::int64_t period = 0;    // @every: seconds, >= 1
  std::int64_t offset = 0;    // @every: seconds after each multiple of the period, < period

  // The days of month `m` of year `y` that match (bit d for day d), the Vixie rule applied.
  std::uint32_t day_mask(int y, unsigned m) const;
};

// Parses `text` (no surrounding context); warnings are appended to `warnings`.
Result<CronSpec, ScheduleError> parse_cron(std::string_view text, std::string_view hash_seed,
                                           std::vector<std::string>& warnings);

// The H hash: FNV-1a 64 over the seed's bytes followed by one byte, the field number.
std::uint64_t cron_hash(std::string_view seed, CronField field);

// Local wall-clock time as seconds since 1970-01-01T00:00:00 local.
using LocalSeconds = std::int64_t;

// Walks the local slots of a (non-interval) spec in increasing order. Holds the broken-down
// position, so each step is a few bit operations.
class CronCursor {
 public:
  explicit CronCursor(const CronSpec& spec) : m_spec(spec) {}

  // Moves to the first slot at or after `t`; false when there is none before year 10000.
  bool seek(LocalSeconds t);
  // Moves to the next slot after the current one; false past year 9999.
  bool advance();
  LocalSeconds time() const { return m_day_start + m_h * 3600 + m_mi * 60 + m_s; }

 private:
  bool seek_fields(LocalSeconds t);
  bool settle();
  void load_month();

  const CronSpec& m_spec;
  int m_y = 1970;
  unsigned m_mo = 1, m_d = 1;
  std::int64_t m_h = 0, m_mi = 0, m_s = 0;
  std::uint32_t m_days = 0;  // day_mask of (m_mask_y, m_mask_mo)
  int m_mask_y = -1;
  unsigned m_mask_mo = 0;
  std::int64_t m_day_start = 0;  // local seconds of m_y-m_mo-m_d 00:00
  bool m_day_known = false;      // m_day_start belongs to the current day
  bool m_valid = false;          // positioned on a slot: the first one at or after m_from
  LocalSeconds m_from = 0;
};

}  // namespace bsched::config
