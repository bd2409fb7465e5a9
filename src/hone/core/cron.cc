// CronSchedule's calendar arithmetic: next firing time, matching, and UTC formatting. The
// parser is in cron_parse.cc.
#include "hone/core/cron.h"

#include <bit>
#include <cinttypes>
#include <cstdio>
#include <limits>

namespace hone::core {
namespace {

constexpr int64_t kMsPerMinute = 60'000;
constexpr int64_t kMinutesPerDay = 1'440;
/// The Gregorian calendar repeats after 400 years (146097 days, a whole number of weeks).
constexpr int kMonthsPerCycle = 400 * 12;

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

struct Civil {
  int64_t year;
  int month;  // 1..12
  int day;    // 1..31
};

// Howard Hinnant's days_from_civil / civil_from_days (public domain), on int64.
int64_t DaysFromCivil(int64_t y, int m, int d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = FloorDiv(y, 400);
  const int64_t yoe = y - era * 400;                                    // [0, 399]
  const int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;  // [0, 365]
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;            // [0, 146096]
  return era * 146097 + doe - 719468;
}

Civil CivilFromDays(int64_t z) {
  z += 719468;
  const int64_t era = FloorDiv(z, 146097);
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  const int m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  return Civil{yoe + era * 400 + (m <= 2 ? 1 : 0), m, d};
}

bool IsLeap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysInMonth(int64_t y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

/// 0 = Sunday. 1970-01-01 was a Thursday.
int Weekday(int64_t days_since_epoch) {
  const int64_t w = (days_since_epoch + 4) % 7;
  return static_cast<int>(w < 0 ? w + 7 : w);
}

bool Has(uint64_t mask, int64_t bit) { return (mask >> bit) & 1U; }

}  // namespace

bool CronSchedule::DayMatches(int64_t year, int month, int day) const {
  const bool dom = Has(days_, day);
  const bool dow = Has(weekdays_, Weekday(DaysFromCivil(year, month, day)));
  if (day_of_month_star_ || day_of_week_star_) return dom && dow;
  return dom || dow;
}

std::optional<int> CronSchedule::FirstMinuteOfDayFrom(int from) const {
  for (int hour = from / 60; hour < 24; ++hour) {
    if (!Has(hours_, hour)) continue;
    const int first = hour == from / 60 ? from % 60 : 0;
    const uint64_t left = minutes_ & (~uint64_t{0} << first);
    if (left != 0) return hour * 60 + std::countr_zero(left);
  }
  return std::nullopt;
}

bool CronSchedule::Matches(TimeMs t) const {
  const int64_t minute_index = FloorDiv(t, kMsPerMinute);
  const int64_t day = FloorDiv(minute_index, kMinutesPerDay);
  const int64_t minute_of_day = minute_index - day * kMinutesPerDay;
  const Civil c = CivilFromDays(day);
  return Has(months_, c.month) && DayMatches(c.year, c.month, c.day) &&
         Has(hours_, minute_of_day / 60) && Has(minutes_, minute_of_day % 60);
}

std::optional<TimeMs> CronSchedule::NextAfter(TimeMs t) const {
  constexpr int64_t kMaxMinuteIndex = std::numeric_limits<int64_t>::max() / kMsPerMinute;
  const int64_t start_minute = FloorDiv(t, kMsPerMinute) + 1;  // strictly after t
  const int64_t start_day = FloorDiv(start_minute, kMinutesPerDay);
  int from = static_cast<int>(start_minute - start_day * kMinutesPerDay);
  Civil c = CivilFromDays(start_day);
  int64_t year = c.year;
  int month = c.month;
  int day = c.day;
  // One month more than a whole cycle, since the search starts part-way through a month.
  for (int step = 0; step <= kMonthsPerCycle; ++step) {
    if (Has(months_, month)) {
      const int days_in_month = DaysInMonth(year, month);
      for (; day <= days_in_month; ++day, from = 0) {
        if (!DayMatches(year, month, day)) continue;
        const std::optional<int> minute = FirstMinuteOfDayFrom(from);
        if (!minute) continue;
        const int64_t index = DaysFromCivil(year, month, day) * kMinutesPerDay + *minute;
        if (index > kMaxMinuteIndex) return std::nullopt;
        return index * kMsPerMinute;
      }
    }
    day = 1;
    from = 0;
    if (++month > 12) {
      month = 1;
      ++year;
    }
  }
  return std::nullopt;
}

std::string FormatUtc(TimeMs t) {
  const int64_t seconds = FloorDiv(t, 1000);
  const int64_t day = FloorDiv(seconds, 86'400);
  const int64_t second_of_day = seconds - day * 86'400;
  const Civil c = CivilFromDays(day);
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%04" PRId64 "-%02d-%02dT%02d:%02d:%02dZ", c.year, c.month,
                c.day, static_cast<int>(second_of_day / 3600),
                static_cast<int>(second_of_day / 60 % 60), static_cast<int>(second_of_day % 60));
  return buffer;
}

TimeMs UtcMs(int64_t year, int month, int day, int hour, int minute, int second) {
  const int64_t days = DaysFromCivil(year, month, day);
  return ((days * 24 + hour) * 60 + minute) * kMsPerMinute + int64_t{second} * 1000;
}

}  // namespace hone::core
