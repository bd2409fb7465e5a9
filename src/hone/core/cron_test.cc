#include "hone/core/cron.h"

#include <cstdint>
#include <limits>
#include <random>

#include <gtest/gtest.h>

namespace hone::core {
namespace {

CronSchedule Parse(std::string_view text) {
  Result<CronSchedule> schedule = ParseCron(text);
  EXPECT_TRUE(schedule.has_value()) << (schedule ? "" : schedule.error().message());
  return schedule ? *schedule : *ParseCron("* * * * *");
}

std::string ErrorOf(std::string_view text) {
  Result<CronSchedule> schedule = ParseCron(text);
  EXPECT_FALSE(schedule.has_value()) << text;
  if (schedule) return "";
  EXPECT_EQ(schedule.error().code(), ErrorCode::kInvalidArgument);
  return schedule.error().message();
}

/// The next firing time after `t`, formatted, or "never".
std::string Next(std::string_view text, TimeMs t) {
  std::optional<TimeMs> next = Parse(text).NextAfter(t);
  return next ? FormatUtc(*next) : "never";
}

TEST(UtcTest, KnownInstants) {
  EXPECT_EQ(UtcMs(1970, 1, 1), 0);
  EXPECT_EQ(UtcMs(2000, 1, 1), 946684800000);
  EXPECT_EQ(UtcMs(2024, 2, 29, 12), 1709208000000);
  EXPECT_EQ(FormatUtc(1709208000000), "2024-02-29T12:00:00Z");
  EXPECT_EQ(FormatUtc(-1), "1969-12-31T23:59:59Z");
  EXPECT_EQ(FormatUtc(UtcMs(2100, 3, 1, 23, 59, 58)), "2100-03-01T23:59:58Z");
}

TEST(CronTest, StepsAreStrictlyAfter) {
  EXPECT_EQ(Next("*/15 * * * *", UtcMs(2024, 1, 1, 0, 7, 30)), "2024-01-01T00:15:00Z");
  EXPECT_EQ(Next("*/15 * * * *", UtcMs(2024, 1, 1, 0, 15)), "2024-01-01T00:30:00Z");
  EXPECT_EQ(Next("*/15 * * * *", UtcMs(2024, 1, 1, 0, 14, 59) + 999), "2024-01-01T00:15:00Z");
  EXPECT_EQ(Next("*/15 * * * *", UtcMs(2024, 1, 1, 23, 45)), "2024-01-02T00:00:00Z");
  EXPECT_EQ(Next("* * * * *", -1), "1970-01-01T00:00:00Z");
}

TEST(CronTest, RangesListsAndSteps) {
  // 1-5/2 is hours 1, 3, 5.
  EXPECT_EQ(Next("0 1-5/2 * * *", UtcMs(2024, 1, 1, 1, 0)), "2024-01-01T03:00:00Z");
  EXPECT_EQ(Next("0 1-5/2 * * *", UtcMs(2024, 1, 1, 5, 0)), "2024-01-02T01:00:00Z");
  // N/S means N-max/S: minutes 5, 25, 45.
  EXPECT_EQ(Next("5/20 * * * *", UtcMs(2024, 1, 1, 0, 25)), "2024-01-01T00:45:00Z");
  EXPECT_EQ(Next("5/20 * * * *", UtcMs(2024, 1, 1, 0, 45)), "2024-01-01T01:05:00Z");
  EXPECT_EQ(Next("10,20-22,50 9 * * *", UtcMs(2024, 1, 1, 9, 20)), "2024-01-01T09:21:00Z");
  EXPECT_EQ(Next("10,20-22,50 9 * * *", UtcMs(2024, 1, 1, 9, 22)), "2024-01-01T09:50:00Z");
}

TEST(CronTest, MonthEnds) {
  EXPECT_EQ(Next("0 3 * * *", UtcMs(2024, 1, 31, 4)), "2024-02-01T03:00:00Z");
  // The 31st skips the months without one.
  EXPECT_EQ(Next("0 0 31 * *", UtcMs(2024, 1, 31)), "2024-03-31T00:00:00Z");
  EXPECT_EQ(Next("0 0 31 * *", UtcMs(2024, 3, 31)), "2024-05-31T00:00:00Z");
  EXPECT_EQ(Next("59 23 31 12 *", UtcMs(2024, 12, 31, 23, 59)), "2025-12-31T23:59:00Z");
  EXPECT_EQ(Next("0 0 1 * *", UtcMs(2024, 12, 15)), "2025-01-01T00:00:00Z");
}

TEST(CronTest, LeapYears) {
  EXPECT_EQ(Next("0 0 * * *", UtcMs(2024, 2, 28, 23, 59, 59)), "2024-02-29T00:00:00Z");
  EXPECT_EQ(Next("0 0 * * *", UtcMs(2023, 2, 28, 12)), "2023-03-01T00:00:00Z");
  EXPECT_EQ(Next("0 0 29 2 *", UtcMs(2024, 3, 1)), "2028-02-29T00:00:00Z");
  // 2100 is not a leap year (divisible by 100, not by 400); 2000 was.
  EXPECT_EQ(Next("0 0 29 2 *", UtcMs(2096, 3, 1)), "2104-02-29T00:00:00Z");
  EXPECT_EQ(Next("0 0 29 2 *", UtcMs(1999, 1, 1)), "2000-02-29T00:00:00Z");
}

TEST(CronTest, ImpossibleSchedulesNeverFire) {
  EXPECT_EQ(Next("0 0 30 2 *", UtcMs(2024, 1, 1)), "never");
  EXPECT_EQ(Next("0 0 31 4,6,9,11 *", UtcMs(2024, 1, 1)), "never");
  // Day-of-week starting with '*' makes the day fields AND: still impossible.
  EXPECT_EQ(Next("0 0 30 feb */2", UtcMs(2024, 1, 1)), "never");
}

TEST(CronTest, DayOfMonthOrDayOfWeek) {
  // Both restricted: the 13th OR any Friday. 2024-09-01 was a Sunday; the 6th a Friday.
  EXPECT_EQ(Next("0 0 13 * fri", UtcMs(2024, 9, 1)), "2024-09-06T00:00:00Z");
  EXPECT_EQ(Next("0 0 13 * fri", UtcMs(2024, 9, 6)), "2024-09-13T00:00:00Z");
  // Only day-of-month restricted: the 13th alone.
  EXPECT_EQ(Next("0 0 13 * *", UtcMs(2024, 9, 1)), "2024-09-13T00:00:00Z");
  // A field starting with '*' counts as unrestricted (Vixie): days 1, 11, 21, 31 AND Friday.
  EXPECT_EQ(Next("0 0 */10 * fri", UtcMs(2024, 9, 2)), "2024-10-11T00:00:00Z");
}

TEST(CronTest, NamesAndSunday) {
  // 2024-06-03 is a Monday in June; the next weekday in January or July is Monday 1 July.
  EXPECT_EQ(Next("30 8 * jan,JUL mon-fri", UtcMs(2024, 6, 3)), "2024-07-01T08:30:00Z");
  // 0 and 7 are both Sunday; 2024-09-01 was a Sunday.
  EXPECT_EQ(Next("0 12 * * 7", UtcMs(2024, 8, 27)), "2024-09-01T12:00:00Z");
  EXPECT_EQ(Next("0 12 * * 0", UtcMs(2024, 8, 27)), "2024-09-01T12:00:00Z");
  EXPECT_EQ(Next("0 12 * * sun", UtcMs(2024, 8, 27)), "2024-09-01T12:00:00Z");
  // 5-7 is Friday, Saturday, Sunday.
  EXPECT_EQ(Next("0 0 * * 5-7", UtcMs(2024, 9, 2)), "2024-09-06T00:00:00Z");
  EXPECT_EQ(Next("0 0 * * 5-7", UtcMs(2024, 9, 7)), "2024-09-08T00:00:00Z");
}

TEST(CronTest, Macros) {
  const TimeMs t = UtcMs(2024, 5, 15, 10, 30);  // a Wednesday
  EXPECT_EQ(Next("@hourly", t), "2024-05-15T11:00:00Z");
  EXPECT_EQ(Next("@daily", t), "2024-05-16T00:00:00Z");
  EXPECT_EQ(Next("@midnight", t), "2024-05-16T00:00:00Z");
  EXPECT_EQ(Next("@weekly", t), "2024-05-19T00:00:00Z");
  EXPECT_EQ(Next("@monthly", t), "2024-06-01T00:00:00Z");
  EXPECT_EQ(Next("@yearly", t), "2025-01-01T00:00:00Z");
  EXPECT_EQ(Next("@annually", t), "2025-01-01T00:00:00Z");
  EXPECT_EQ(Parse("@daily").text(), "@daily");
  EXPECT_EQ(ErrorOf("@reboot"),
            "schedule '@reboot': unknown macro '@reboot'; known: @yearly, @annually, @monthly, "
            "@weekly, @daily, @midnight, @hourly");
}

TEST(CronTest, ExtremeTimesDoNotOverflow) {
  EXPECT_FALSE(Parse("* * * * *").NextAfter(std::numeric_limits<int64_t>::max()).has_value());
  EXPECT_FALSE(Parse("0 0 1 1 *").NextAfter(std::numeric_limits<int64_t>::max() - 1).has_value());
  const std::optional<TimeMs> early =
      Parse("0 0 1 1 *").NextAfter(std::numeric_limits<int64_t>::min());
  ASSERT_TRUE(early.has_value());
  EXPECT_EQ(*early % 60000, 0);
}

TEST(CronTest, ErrorsNameFieldAndToken) {
  EXPECT_EQ(ErrorOf("0 25 * * *"), "schedule '0 25 * * *': hour 25 is out of range 0-23");
  EXPECT_EQ(ErrorOf("60 * * * *"), "schedule '60 * * * *': minute 60 is out of range 0-59");
  EXPECT_EQ(ErrorOf("0 0 0 * *"), "schedule '0 0 0 * *': day-of-month 0 is out of range 1-31");
  EXPECT_EQ(ErrorOf("0 0 * 13 *"), "schedule '0 0 * 13 *': month 13 is out of range 1-12");
  EXPECT_EQ(ErrorOf("0 0 * * 8"), "schedule '0 0 * * 8': day-of-week 8 is out of range 0-7");
  EXPECT_EQ(ErrorOf("0 0 * * mox"),
            "schedule '0 0 * * mox': day-of-week 'mox' is not a number or a day name (sun-sat)");
  EXPECT_EQ(ErrorOf("0 0 * foo *"),
            "schedule '0 0 * foo *': month 'foo' is not a number or a month name (jan-dec)");
  EXPECT_EQ(ErrorOf("x * * * *"), "schedule 'x * * * *': minute 'x' is not a number");
  EXPECT_EQ(ErrorOf("5x * * * *"), "schedule '5x * * * *': minute '5x' is not a number");
  EXPECT_EQ(ErrorOf("0 5-2 * * *"), "schedule '0 5-2 * * *': hour range '5-2' runs backwards");
  EXPECT_EQ(ErrorOf("*/0 * * * *"),
            "schedule '*/0 * * * *': minute step '0' in '*/0' is not a whole number from 1");
  EXPECT_EQ(ErrorOf("*/ * * * *"),
            "schedule '*/ * * * *': minute step '' in '*/' is not a whole number from 1");
  EXPECT_EQ(ErrorOf("1,,2 * * * *"), "schedule '1,,2 * * * *': empty item in minute field");
  EXPECT_EQ(ErrorOf("0 -1 * * *"), "schedule '0 -1 * * *': empty value in hour field");
  EXPECT_EQ(ErrorOf("0 0 99999999999 * *"),
            "schedule '0 0 99999999999 * *': day-of-month 99999999999 is out of range 1-31");
  EXPECT_EQ(ErrorOf("0 3 * *"),
            "schedule '0 3 * *': expected 5 fields (minute hour day-of-month month day-of-week) "
            "or a macro such as @daily, found 4");
  EXPECT_EQ(ErrorOf(""),
            "schedule '': expected 5 fields (minute hour day-of-month month day-of-week) or a "
            "macro such as @daily, found 0");
  EXPECT_EQ(ErrorOf("0 0 * * * *").substr(0, 33), "schedule '0 0 * * * *': expected ");
}

TEST(CronTest, MatchesAgreesWithNextAfter) {
  const CronSchedule schedule = Parse("*/20 9-17 * * mon-fri");
  EXPECT_TRUE(schedule.Matches(UtcMs(2024, 9, 2, 9, 40, 30)));  // a Monday
  EXPECT_FALSE(schedule.Matches(UtcMs(2024, 9, 1, 9, 40)));     // a Sunday
  EXPECT_FALSE(schedule.Matches(UtcMs(2024, 9, 2, 18, 0)));
}

// NextAfter against a minute-by-minute scan over six weeks, for seeded random schedules.
TEST(CronTest, AgreesWithMinuteScan) {
  std::mt19937_64 random(20240229);
  const char* const kDays[] = {"*", "13", "1,15,31", "*/10", "29", "28-31"};
  const char* const kWeekdays[] = {"*", "fri", "0", "mon-fri", "*/3", "6,7"};
  const char* const kMonths[] = {"*", "feb", "2,3", "*/4", "jan-jun"};
  int found = 0;
  for (int round = 0; round < 24; ++round) {
    const std::string text = std::to_string(random() % 60) + " " + std::to_string(random() % 24) +
                             " " + kDays[random() % 6] + " " + kMonths[random() % 5] + " " +
                             kWeekdays[random() % 6];
    const CronSchedule schedule = Parse(text);
    const TimeMs start =
        UtcMs(2023, 1, 1) + static_cast<TimeMs>(random() % (3LL * 365 * 86400)) * 1000;
    std::optional<TimeMs> scanned;
    for (TimeMs m = (start / 60000 + 1) * 60000; m < start + 42LL * 86400 * 1000; m += 60000) {
      if (schedule.Matches(m)) {
        scanned = m;
        break;
      }
    }
    const std::optional<TimeMs> next = schedule.NextAfter(start);
    if (scanned) {
      ++found;
      EXPECT_EQ(next, scanned) << text << " after " << FormatUtc(start);
    } else if (next) {
      EXPECT_GE(*next, start + 42LL * 86400 * 1000) << text << " after " << FormatUtc(start);
      EXPECT_TRUE(schedule.Matches(*next)) << text;
    }
  }
  EXPECT_GE(found, 12);  // most rounds compare a real firing time
}

}  // namespace
}  // namespace hone::core
