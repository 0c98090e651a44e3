// Scheduling end to end: EASY backfill reasons and planned starts, sprio, node constraints.
#include <gtest/gtest.h>

#include "cluster_fixture.h"

namespace sluice::testing {
namespace {

const char* kNodes =
    "NodeName=n1 CPUs=2 RealMemory=4000 Feature=small\n"
    "NodeName=n2 CPUs=2 RealMemory=4000 Feature=big\n";
const char* kSchedConf =
    "PriorityType=priority/multifactor\n"
    "PriorityWeightAge=1000\nPriorityWeightFairshare=10000\nPriorityWeightJobSize=100\n"
    "Account=physics Fairshare=2\nAccount=chem Fairshare=1\n";

TEST(SchedTest, EasyBackfillReasonsStartsAndPriorities) {
  LocalCluster c(2, 2, kSchedConf, kNodes);
  ASSERT_EQ(c.up().exit_code, 0) << c.up().err << c.up().out;
  int a = c.Submit("-w n1 -n 2 -t 2 --wrap 'sleep 30'");
  ASSERT_TRUE(c.WaitForState(a, "RUNNING"));
  int wide = c.Submit("-N 2 -n 4 -t 1 --wrap true");      // needs n1 too: waits for a
  int quick = c.Submit("-n 1 -t 0:10 --wrap 'sleep 1'");  // ends before wide can start
  int slow = c.Submit("-n 1 -t 10 --wrap 'sleep 1'");     // would delay wide
  ASSERT_TRUE(c.WaitForState(quick, "RUNNING") || c.WaitForState(quick, "COMPLETED"));
  auto r = c.Run("squeue -h -o '%i %T %r' -j " + std::to_string(wide) + "," + std::to_string(slow));
  EXPECT_EQ(r.out, std::to_string(wide) + " PENDING Resources\n" + std::to_string(slow) +
                       " PENDING Priority\n")
      << r.err;
  r = c.Run("squeue --start -h -o '%i %S' -j " + std::to_string(wide));
  EXPECT_NE(r.out.find("T"), std::string::npos) << "an ISO start time: " << r.out;
  EXPECT_EQ(r.out.find("N/A"), std::string::npos) << r.out;
  r = c.Run("sprio");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("FAIRSHARE"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(std::to_string(wide)), std::string::npos) << r.out;
  // Ending the blocker lets the wide job start, then the rest.
  r = c.Run("scancel " + std::to_string(a));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(c.WaitForState(wide, "COMPLETED"));
  EXPECT_TRUE(c.WaitForState(slow, "COMPLETED"));
}

TEST(SchedTest, ConstraintsNodeListsAndAccounts) {
  LocalCluster c(2, 2, kSchedConf, kNodes);
  ASSERT_EQ(c.up().exit_code, 0) << c.up().err << c.up().out;
  int on_small = c.Submit("-C small -A chem -o f.out --wrap 'echo $SLURMD_NODENAME'");
  int not_n1 = c.Submit("-x n1 -o x.out --wrap 'echo $SLURMD_NODENAME'");
  ASSERT_TRUE(c.WaitForState(on_small, "COMPLETED"));
  ASSERT_TRUE(c.WaitForState(not_n1, "COMPLETED"));
  EXPECT_EQ(ReadAll(c.work() + "/f.out"), "n1\n");
  EXPECT_EQ(ReadAll(c.work() + "/x.out"), "n2\n");
  auto r = c.Run("scontrol show job " + std::to_string(on_small));
  EXPECT_NE(r.out.find("Account=chem"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Features=small"), std::string::npos) << r.out;
  r = c.Run("sbatch -C gpu --wrap true");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("not available"), std::string::npos) << r.err;
  r = c.Run("sbatch -w n9 --wrap true");
  EXPECT_EQ(r.exit_code, 1);
  r = c.Run("sbatch -C 'a*2' --wrap true");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("feature"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace sluice::testing
