#include "compat/slurm/filename_pattern.h"

#include <gtest/gtest.h>

namespace sluice::compat::slurm {
namespace {

TEST(ExpandFilenamePattern, Cases) {
  FilenameContext ctx{128, "myjob", "alice", "n3"};
  const std::pair<std::string, std::string> cases[] = {
      {"slurm-%j.out", "slurm-128.out"},
      {"job%J.out", "job128.out"},
      {"job%4j.out", "job0128.out"},
      {"job%2j.out", "job128.out"},
      {"%x-%u-%N.log", "myjob-alice-n3.log"},
      {"%5x", "myjob"},  // width ignored for non-numeric values
      {"100%%", "100%"},
      {"%c%t", "%c%t"},  // unknown specifiers stay
      {"end%", "end%"},
      {"a\\%j", "a%j"},  // a backslash turns expansion off
      {"/tmp/o_%j_%x_%u.txt", "/tmp/o_128_myjob_alice.txt"},
  };
  for (const auto& [pattern, want] : cases) {
    EXPECT_EQ(ExpandFilenamePattern(pattern, ctx), want) << pattern;
  }
}

TEST(ExpandFilenamePattern, NodeUnknownLeavesPercentN) {
  // What scontrol shows for a job given -o /tmp/o_%j_%x_%u_%N.txt (Slurm 22.05).
  FilenameContext ctx{10, "wrap", "root", ""};
  EXPECT_EQ(ExpandFilenamePattern("/tmp/o_%j_%x_%u_%N.txt", ctx), "/tmp/o_10_wrap_root_%N.txt");
}

TEST(DefaultStdoutPattern, IsSlurms) { EXPECT_EQ(DefaultStdoutPattern(), "slurm-%j.out"); }

}  // namespace
}  // namespace sluice::compat::slurm
