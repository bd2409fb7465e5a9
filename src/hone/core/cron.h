// Cron schedules for the `schedule` trigger of `hone watch`: Vixie cron's five-field syntax,
// evaluated in UTC (so daylight-saving time never applies).
#ifndef HONE_CORE_CRON_H_
#define HONE_CORE_CRON_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "hone/core/error.h"

namespace hone::core {

/// Milliseconds since the Unix epoch, UTC (the same unit as store::TimeMs).
using TimeMs = int64_t;

/// A parsed cron schedule: which minutes, hours, days of the month, months and days of the week
/// fire. Immutable after ParseCron, cheap to copy, safe to share between threads.
class CronSchedule {
 public:
  /// The first whole minute strictly after `t` at which the schedule fires (in ms, a multiple
  /// of 60000), or nullopt when it never fires again: an impossible schedule ("0 0 30 2 *"), or
  /// one whose next slot lies beyond what TimeMs can hold. Walks month by month (skipping
  /// months not in the schedule) over at most one 400-year Gregorian cycle, after which the
  /// calendar repeats; a few microseconds for ordinary schedules.
  std::optional<TimeMs> NextAfter(TimeMs t) const;

  /// Whether the minute holding `t` (UTC) is one the schedule fires at.
  bool Matches(TimeMs t) const;

  /// The text it was parsed from, as written (a macro stays a macro: "@daily").
  const std::string& text() const { return text_; }

 private:
  friend Result<CronSchedule> ParseCron(std::string_view text);

  bool DayMatches(int64_t year, int month, int day) const;
  /// The first minute of the day (0..1439) at or after `from` that fires, by hour and minute.
  std::optional<int> FirstMinuteOfDayFrom(int from) const;

  // One bit per allowed value: minutes 0-59, hours 0-23, days 1-31, months 1-12, weekdays 0-6
  // (Sunday = 0; a 7 in the text sets bit 0).
  uint64_t minutes_ = 0;
  uint64_t hours_ = 0;
  uint64_t days_ = 0;
  uint64_t months_ = 0;
  uint64_t weekdays_ = 0;
  // Vixie cron's rule: a day-of-month or day-of-week field that starts with '*' ("*", "*/2")
  // counts as unrestricted; when neither is, a day matching EITHER field fires, otherwise a
  // day must match both.
  bool day_of_month_star_ = true;
  bool day_of_week_star_ = true;
  std::string text_;
};

/// Parses a cron schedule: five fields separated by blanks — minute (0-59), hour (0-23),
/// day-of-month (1-31), month (1-12 or jan-dec), day-of-week (0-7 or sun-sat; 0 and 7 are
/// Sunday). Each field is a comma-separated list of items; an item is `*`, a value `N`, a range
/// `N-M` (M >= N), and any of these may carry a step: `*/15`, `1-30/2`, and `N/S` meaning
/// `N-<max>/S` (as cronie reads it). Names are case-insensitive three-letter English names.
/// Macros: @yearly (@annually) = "0 0 1 1 *", @monthly = "0 0 1 * *", @weekly = "0 0 * * 0",
/// @daily (@midnight) = "0 0 * * *", @hourly = "0 * * * *"; @reboot is not a schedule.
/// Errors (kInvalidArgument) name the schedule, the field and the bad token:
/// "schedule '0 25 * * *': hour 25 is out of range 0-23".
Result<CronSchedule> ParseCron(std::string_view text);

/// `t` as ISO 8601 in UTC to the second: "2024-02-29T03:00:00Z" (for reasons and logs).
std::string FormatUtc(TimeMs t);

/// Milliseconds since the epoch of a UTC date and time (proleptic Gregorian calendar); for
/// tests and callers that build timestamps. Fields are not range-checked beyond the arithmetic.
TimeMs UtcMs(int64_t year, int month, int day, int hour = 0, int minute = 0, int second = 0);

}  // namespace hone::core

#endif  // HONE_CORE_CRON_H_
