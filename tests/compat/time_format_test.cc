#include "compat/slurm/time_format.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>

namespace sluice::compat::slurm {
namespace {

struct LimitCase {
  std::string input;
  Seconds want;
};

TEST(ParseTimeLimit, Forms) {
  const LimitCase cases[] = {
      {"10", 600},
      {"1:30", 90},
      {"2:03:04", 2 * 3600 + 3 * 60 + 4},
      {"1-2", 86400 + 2 * 3600},
      {"1-2:03", 86400 + 2 * 3600 + 3 * 60},
      {"1-2:03:04", 86400 + 2 * 3600 + 3 * 60 + 4},
      {"UNLIMITED", kUnlimited},
      {"INFINITE", kUnlimited},
      {"infinite", kUnlimited},
      {"unlimited", kUnlimited},
      {"-1", kUnlimited},
      {"0", kUnlimited},  // Slurm: zero means no limit
      {" 5 ", 300},
  };
  for (const auto& c : cases) {
    auto got = ParseTimeLimit(c.input);
    ASSERT_TRUE(got.ok()) << c.input;
    EXPECT_EQ(*got, c.want) << c.input;
  }
}

TEST(ParseTimeLimit, Errors) {
  for (const char* bad : {"abc", "", "1:2:3:4", "1-", "-5", "1-2:3:4:5", "1:x", "99999999999"}) {
    auto got = ParseTimeLimit(bad);
    ASSERT_FALSE(got.ok()) << bad;
    EXPECT_EQ(got.status().message(),
              std::string("Invalid time limit specification: \"") + bad + "\"");
  }
}

TEST(FormatTime, Elapsed) {
  EXPECT_EQ(FormatElapsed(0), "0:00");
  EXPECT_EQ(FormatElapsed(4), "0:04");
  EXPECT_EQ(FormatElapsed(65), "1:05");
  EXPECT_EQ(FormatElapsed(3599), "59:59");
  EXPECT_EQ(FormatElapsed(3600), "1:00:00");
  EXPECT_EQ(FormatElapsed(90 * 60), "1:30:00");
  EXPECT_EQ(FormatElapsed(86400 + 2 * 3600 + 3 * 60 + 4), "1-02:03:04");
  EXPECT_EQ(FormatElapsed(-5), "0:00");
}

TEST(FormatTime, Limits) {
  EXPECT_EQ(FormatTimeLimit(kUnlimited), "UNLIMITED");
  EXPECT_EQ(FormatTimeLimit(600), "10:00");
  EXPECT_EQ(FormatSinfoTimeLimit(kUnlimited), "infinite");
  EXPECT_EQ(FormatSinfoTimeLimit(30 * 60), "30:00");
  EXPECT_EQ(FormatSinfoTimeLimit(86400 + 30 * 60), "1-00:30:00");
  EXPECT_EQ(FormatScontrolDuration(4), "00:00:04");
  EXPECT_EQ(FormatScontrolDuration(600), "00:10:00");
  EXPECT_EQ(FormatScontrolDuration(86400), "1-00:00:00");
  EXPECT_EQ(FormatScontrolDuration(kUnlimited), "UNLIMITED");
}

TEST(FormatTime, IsoTime) {
  setenv("TZ", "UTC", 1);
  tzset();
  EXPECT_EQ(FormatIsoTime(1795307712), "2026-11-22T00:35:12");
  EXPECT_EQ(FormatIsoTime(0), "Unknown");
}

struct MemCase {
  std::string input;
  uint64_t want;
};

TEST(ParseMemoryMb, Forms) {
  const MemCase cases[] = {
      {"100", 100},    {"100M", 100}, {"100m", 100}, {"4G", 4096},  {"4g", 4096},
      {"1T", 1 << 20}, {"512K", 1},   {"1025K", 2},  {"4GB", 4096}, {"0", 0},
  };
  for (const auto& c : cases) {
    auto got = ParseMemoryMb(c.input);
    ASSERT_TRUE(got.ok()) << c.input;
    EXPECT_EQ(*got, c.want) << c.input;
  }
}

TEST(ParseMemoryMb, Errors) {
  for (const char* bad : {"", "x", "4X", "G", "-1", "1.5G", "99999999999999999999"}) {
    auto got = ParseMemoryMb(bad);
    ASSERT_FALSE(got.ok()) << bad;
    EXPECT_NE(got.status().message().find("Invalid memory specification"), std::string::npos);
  }
}

TEST(FormatMemoryMb, AsSqueueShows) {
  EXPECT_EQ(FormatMemoryMb(100), "100M");
  EXPECT_EQ(FormatMemoryMb(1500), "1500M");
  EXPECT_EQ(FormatMemoryMb(1024), "1G");
  EXPECT_EQ(FormatMemoryMb(2048), "2G");
  EXPECT_EQ(FormatMemoryMb(12000), "12000M");
  EXPECT_EQ(FormatMemoryMb(1 << 20), "1T");
  EXPECT_EQ(FormatMemoryMb(0), "0");
}

}  // namespace
}  // namespace sluice::compat::slurm
