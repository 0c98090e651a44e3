#include "compat/slurm/time_format.h"

#include <cctype>
#include <cstdio>
#include <ctime>
#include <vector>

#include "common/strings.h"

namespace sluice::compat::slurm {
namespace {

// Time fields are small; anything longer than this would overflow the arithmetic below.
constexpr size_t kMaxFieldDigits = 9;

bool ParseField(std::string_view s, int64_t* out) {
  uint64_t v = 0;
  if (s.size() > kMaxFieldDigits || !str::ParseUint(s, &v)) return false;
  *out = static_cast<int64_t>(v);
  return true;
}

std::string Printf(const char* fmt, int64_t a, int64_t b, int64_t c = 0, int64_t d = 0) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), fmt, static_cast<long long>(a), static_cast<long long>(b),
                static_cast<long long>(c), static_cast<long long>(d));
  return buf;
}

}  // namespace

Result<Seconds> ParseTimeLimit(std::string_view text) {
  std::string_view s = str::Trim(text);
  auto invalid = [&] {
    return InvalidArgument("Invalid time limit specification: \"" + std::string(text) + "\"");
  };
  std::string lower = str::ToLower(s);
  if (lower == "unlimited" || lower == "infinite" || lower == "-1") return kUnlimited;

  int64_t days = 0, hours = 0, minutes = 0, seconds = 0;
  size_t dash = s.find('-');
  if (dash != std::string_view::npos) {
    // days-hours[:minutes[:seconds]]
    if (!ParseField(s.substr(0, dash), &days)) return invalid();
    std::vector<std::string> rest = str::Split(s.substr(dash + 1), ':');
    if (rest.size() > 3 || !ParseField(rest[0], &hours)) return invalid();
    if (rest.size() > 1 && !ParseField(rest[1], &minutes)) return invalid();
    if (rest.size() > 2 && !ParseField(rest[2], &seconds)) return invalid();
  } else {
    std::vector<std::string> parts = str::Split(s, ':');
    if (parts.size() == 1) {
      if (!ParseField(parts[0], &minutes)) return invalid();
    } else if (parts.size() == 2) {
      if (!ParseField(parts[0], &minutes) || !ParseField(parts[1], &seconds)) return invalid();
    } else if (parts.size() == 3) {
      if (!ParseField(parts[0], &hours) || !ParseField(parts[1], &minutes) ||
          !ParseField(parts[2], &seconds)) {
        return invalid();
      }
    } else {
      return invalid();
    }
  }
  Seconds total = ((days * 24 + hours) * 60 + minutes) * 60 + seconds;
  if (total == 0) return kUnlimited;  // Slurm: "a time limit of zero requests ... no limit"
  return total;
}

std::string FormatElapsed(Seconds seconds) {
  if (seconds < 0) seconds = 0;
  int64_t days = seconds / 86400;
  int64_t hours = (seconds / 3600) % 24;
  int64_t minutes = (seconds / 60) % 60;
  int64_t secs = seconds % 60;
  if (days > 0) return Printf("%lld-%2.2lld:%2.2lld:%2.2lld", days, hours, minutes, secs);
  if (hours > 0) return Printf("%lld:%2.2lld:%2.2lld", hours, minutes, secs);
  return Printf("%lld:%2.2lld", minutes, secs);
}

std::string FormatTimeLimit(Seconds seconds) {
  return seconds == kUnlimited ? "UNLIMITED" : FormatElapsed(seconds);
}

std::string FormatSinfoTimeLimit(Seconds seconds) {
  return seconds == kUnlimited ? "infinite" : FormatElapsed(seconds);
}

std::string FormatScontrolDuration(Seconds seconds) {
  if (seconds == kUnlimited) return "UNLIMITED";
  if (seconds < 0) seconds = 0;
  int64_t days = seconds / 86400;
  int64_t hours = (seconds / 3600) % 24;
  int64_t minutes = (seconds / 60) % 60;
  int64_t secs = seconds % 60;
  if (days > 0) return Printf("%lld-%2.2lld:%2.2lld:%2.2lld", days, hours, minutes, secs);
  return Printf("%2.2lld:%2.2lld:%2.2lld", hours, minutes, secs);
}

std::string FormatIsoTime(UnixTime t) {
  if (t == 0) return "Unknown";
  time_t tt = static_cast<time_t>(t);
  struct tm tm_buf;
  if (localtime_r(&tt, &tm_buf) == nullptr) return "Unknown";
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm_buf);
  return buf;
}

Result<UnixTime> ParseTimestamp(std::string_view text, UnixTime now) {
  const std::string s = str::ToLower(str::Trim(text));
  auto invalid = [&] {
    return InvalidArgument("Invalid time specification: \"" + std::string(text) + "\"");
  };
  if (s.rfind("now", 0) == 0) {
    if (s.size() == 3) return now;
    if (s[3] != '+') return invalid();
    size_t i = 4;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
    uint64_t count = 0;
    if (!str::ParseUint(s.substr(4, i - 4), &count)) return invalid();
    const std::string unit = s.substr(i);
    int64_t scale = 0;
    if (unit.empty() || unit == "s" || unit == "sec" || unit == "secs" || unit == "second" ||
        unit == "seconds") {
      scale = 1;
    } else if (unit == "m" || unit == "min" || unit == "mins" || unit == "minute" ||
               unit == "minutes") {
      scale = 60;
    } else if (unit == "h" || unit == "hour" || unit == "hours") {
      scale = 3600;
    } else if (unit == "d" || unit == "day" || unit == "days") {
      scale = 86400;
    } else if (unit == "w" || unit == "week" || unit == "weeks") {
      scale = 7 * 86400;
    } else {
      return invalid();
    }
    return now + static_cast<int64_t>(count) * scale;
  }
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  const int n = std::sscanf(s.c_str(), "%4d-%2d-%2dt%2d:%2d:%2d", &year, &month, &day, &hour,
                            &minute, &second);
  if (n != 3 && n != 5 && n != 6) return invalid();
  const std::optional<UnixTime> t = LocalCalendarTime(year, month, day, hour, minute, second);
  if (!t) return invalid();
  return *t;
}

std::optional<UnixTime> LocalCalendarTime(int year, int month, int day, int hour, int minute,
                                          int second) {
  if (month < 1 || month > 12 || day < 1 || day > 31) return std::nullopt;
  struct tm tm_buf {};
  tm_buf.tm_year = year - 1900;
  tm_buf.tm_mon = month - 1;
  tm_buf.tm_mday = day;
  tm_buf.tm_hour = hour;
  tm_buf.tm_min = minute;
  tm_buf.tm_sec = second;
  tm_buf.tm_isdst = -1;
  const time_t t = mktime(&tm_buf);
  if (t == static_cast<time_t>(-1)) return std::nullopt;
  return static_cast<UnixTime>(t);
}

Result<uint64_t> ParseMemoryMb(std::string_view text) {
  std::string_view s = str::Trim(text);
  auto invalid = [&] {
    return InvalidArgument("Invalid memory specification: \"" + std::string(text) + "\"");
  };
  if (s.empty()) return invalid();
  std::string upper = str::ToUpper(s);
  std::string_view u = upper;
  if (u.size() >= 2 && u.back() == 'B' &&
      !std::isdigit(static_cast<unsigned char>(u[u.size() - 2]))) {
    u.remove_suffix(1);  // "4GB"
  }
  uint64_t kib_per_unit = 1024;  // MB
  switch (u.empty() ? '\0' : u.back()) {
    case 'K':
      kib_per_unit = 1;
      break;
    case 'M':
      kib_per_unit = 1024;
      break;
    case 'G':
      kib_per_unit = 1024ull * 1024;
      break;
    case 'T':
      kib_per_unit = 1024ull * 1024 * 1024;
      break;
    case 'P':
      kib_per_unit = 1024ull * 1024 * 1024 * 1024;
      break;
    default:
      kib_per_unit = 0;
      break;
  }
  if (kib_per_unit != 0) {
    u.remove_suffix(1);
  } else {
    kib_per_unit = 1024;
  }
  uint64_t value = 0;
  if (u.size() > 12 || !str::ParseUint(u, &value)) return invalid();
  uint64_t kib = value * kib_per_unit;
  if (kib_per_unit != 0 && kib / kib_per_unit != value) return invalid();  // overflow
  return (kib + 1023) / 1024;
}

std::string FormatMemoryMb(uint64_t mb) {
  static constexpr char kUnits[] = {'M', 'G', 'T', 'P', 'E'};
  if (mb == 0) return "0";
  size_t unit = 0;
  while (mb % 1024 == 0 && unit + 1 < sizeof(kUnits)) {
    mb /= 1024;
    ++unit;
  }
  return std::to_string(mb) + kUnits[unit];
}

}  // namespace sluice::compat::slurm
