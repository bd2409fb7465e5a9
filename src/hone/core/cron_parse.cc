// ParseCron: the five-field cron syntax (and its macros) into CronSchedule's bit masks.
#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <vector>

#include "hone/core/cron.h"

namespace hone::core {
namespace {

struct Field {
  const char* name;
  int min;
  int max;
  /// Three-letter names for the values from `names_base` on, or null.
  const char* const* names = nullptr;
  int names_count = 0;
  int names_base = 0;
  const char* names_hint = "";
};

constexpr const char* kMonthNames[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                       "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr const char* kDayNames[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

constexpr std::array<Field, 5> kFields = {{
    {"minute", 0, 59},
    {"hour", 0, 23},
    {"day-of-month", 1, 31},
    {"month", 1, 12, kMonthNames, 12, 1, " or a month name (jan-dec)"},
    {"day-of-week", 0, 7, kDayNames, 7, 0, " or a day name (sun-sat)"},
}};

struct Macro {
  const char* name;
  const char* expansion;
};
constexpr Macro kMacros[] = {
    {"@yearly", "0 0 1 1 *"}, {"@annually", "0 0 1 1 *"}, {"@monthly", "0 0 1 * *"},
    {"@weekly", "0 0 * * 0"}, {"@daily", "0 0 * * *"},    {"@midnight", "0 0 * * *"},
    {"@hourly", "0 * * * *"},
};

std::string Lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

/// Parsing one schedule: carries the text for error messages.
class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  tl::unexpected<Error> Bad(const std::string& message) const {
    return Fail(ErrorCode::kInvalidArgument, "schedule '" + std::string(text_) + "': " + message);
  }

  /// One value of `field`: a number within range, or a name.
  Result<int> Value(std::string_view token, const Field& field) const {
    if (token.empty()) {
      return Bad(std::string("empty value in ") + field.name + " field");
    }
    if (std::isdigit(static_cast<unsigned char>(token.front()))) {
      int value = 0;
      const auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), value);
      if (end != token.data() + token.size()) {
        return Bad(std::string(field.name) + " '" + std::string(token) + "' is not a number" +
                   field.names_hint);
      }
      if (ec != std::errc() || value < field.min || value > field.max) {
        return Bad(std::string(field.name) + " " + std::string(token) + " is out of range " +
                   std::to_string(field.min) + "-" + std::to_string(field.max));
      }
      return value;
    }
    const std::string lower = Lower(token);
    for (int i = 0; i < field.names_count; ++i) {
      if (lower == field.names[i]) return field.names_base + i;
    }
    return Bad(std::string(field.name) + " '" + std::string(token) + "' is not a number" +
               field.names_hint);
  }

  /// One comma-separated item of a field (`*`, `N`, `N-M`, each with an optional `/S`) into
  /// `mask`.
  Result<void> Item(std::string_view item, const Field& field, uint64_t& mask) const {
    if (item.empty()) {
      return Bad(std::string("empty item in ") + field.name + " field");
    }
    std::string_view range = item;
    int step = 1;
    bool has_step = false;
    if (const size_t slash = item.find('/'); slash != std::string_view::npos) {
      range = item.substr(0, slash);
      const std::string_view step_text = item.substr(slash + 1);
      int value = 0;
      const auto [end, ec] =
          std::from_chars(step_text.data(), step_text.data() + step_text.size(), value);
      if (step_text.empty() || end != step_text.data() + step_text.size() || ec != std::errc() ||
          value < 1) {
        return Bad(std::string(field.name) + " step '" + std::string(step_text) + "' in '" +
                   std::string(item) + "' is not a whole number from 1");
      }
      step = value;
      has_step = true;
    }
    int low = field.min;
    int high = field.max;
    if (range != "*") {
      if (const size_t dash = range.find('-'); dash != std::string_view::npos) {
        HONE_ASSIGN_OR_RETURN(low, Value(range.substr(0, dash), field));
        HONE_ASSIGN_OR_RETURN(high, Value(range.substr(dash + 1), field));
        if (low > high) {
          return Bad(std::string(field.name) + " range '" + std::string(range) +
                     "' runs backwards");
        }
      } else {
        HONE_ASSIGN_OR_RETURN(low, Value(range, field));
        high = has_step ? field.max : low;
      }
    }
    for (int v = low; v <= high; v += step) {
      mask |= uint64_t{1} << (field.max == 7 && v == 7 ? 0 : v);  // day-of-week 7 is Sunday
    }
    return {};
  }

  Result<uint64_t> FieldMask(std::string_view text, const Field& field) const {
    uint64_t mask = 0;
    size_t begin = 0;
    while (true) {
      const size_t comma = text.find(',', begin);
      HONE_TRY(Item(text.substr(begin, comma - begin), field, mask));
      if (comma == std::string_view::npos) break;
      begin = comma + 1;
    }
    return mask;
  }

 private:
  std::string_view text_;
};

std::vector<std::string_view> SplitBlanks(std::string_view text) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    const size_t begin = i;
    while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    if (i > begin) out.push_back(text.substr(begin, i - begin));
  }
  return out;
}

}  // namespace

Result<CronSchedule> ParseCron(std::string_view text) {
  const Parser parser(text);
  std::vector<std::string_view> fields = SplitBlanks(text);
  if (fields.size() == 1 && fields.front().starts_with('@')) {
    const std::string name = Lower(fields.front());
    const Macro* found = nullptr;
    for (const Macro& macro : kMacros) {
      if (name == macro.name) found = &macro;
    }
    if (found == nullptr) {
      return parser.Bad("unknown macro '" + std::string(fields.front()) +
                        "'; known: @yearly, @annually, @monthly, @weekly, @daily, @midnight, "
                        "@hourly");
    }
    HONE_ASSIGN_OR_RETURN(CronSchedule schedule, ParseCron(found->expansion));
    schedule.text_ = std::string(text);
    return schedule;
  }
  if (fields.size() != kFields.size()) {
    return parser.Bad(
        "expected 5 fields (minute hour day-of-month month day-of-week) or a "
        "macro such as @daily, found " +
        std::to_string(fields.size()));
  }
  CronSchedule schedule;
  HONE_ASSIGN_OR_RETURN(schedule.minutes_, parser.FieldMask(fields[0], kFields[0]));
  HONE_ASSIGN_OR_RETURN(schedule.hours_, parser.FieldMask(fields[1], kFields[1]));
  HONE_ASSIGN_OR_RETURN(schedule.days_, parser.FieldMask(fields[2], kFields[2]));
  HONE_ASSIGN_OR_RETURN(schedule.months_, parser.FieldMask(fields[3], kFields[3]));
  HONE_ASSIGN_OR_RETURN(schedule.weekdays_, parser.FieldMask(fields[4], kFields[4]));
  schedule.day_of_month_star_ = fields[2].starts_with('*');
  schedule.day_of_week_star_ = fields[4].starts_with('*');
  schedule.text_ = std::string(text);
  return schedule;
}

}  // namespace hone::core
