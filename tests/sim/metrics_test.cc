#include "sim/metrics.h"

#include <gtest/gtest.h>

namespace sluice::sim {
namespace {

// Four processors. A: no wait, 100 s on 2. B: waits 100 s, runs 5 s on 4 (short: its slowdown
// is bounded by 10 s). C: waits 10 s, runs 200 s on 1.
SimResult Example() {
  SimResult r;
  r.machine_procs = 4;
  r.jobs = {{1, 0, 0, 100, 2}, {2, 0, 100, 105, 4}, {3, 50, 60, 260, 1}};
  return r;
}

TEST(MetricsTest, HandComputedExample) {
  const Metrics m = ComputeMetrics(Example());
  EXPECT_EQ(m.jobs, 3u);
  EXPECT_DOUBLE_EQ(m.avg_wait_s, (0 + 100 + 10) / 3.0);
  EXPECT_DOUBLE_EQ(m.max_wait_s, 100);
  EXPECT_DOUBLE_EQ(m.avg_flow_s, (100 + 105 + 210) / 3.0);
  // Bounded slowdowns: 1, (100 + 5) / 10 = 10.5, (10 + 200) / 200 = 1.05.
  EXPECT_DOUBLE_EQ(m.avg_bsld, (1 + 10.5 + 1.05) / 3.0);
  EXPECT_DOUBLE_EQ(m.max_bsld, 10.5);
  EXPECT_DOUBLE_EQ(m.makespan_s, 260);
  // 2 x 100 + 4 x 5 + 1 x 200 = 420 processor-seconds of 4 x 260.
  EXPECT_DOUBLE_EQ(m.utilization, 420.0 / 1040.0);
  EXPECT_EQ(m.sim_seconds, 0);  // the caller's to measure
}

TEST(MetricsTest, BoundedSlowdownIsAtLeastOne) {
  EXPECT_DOUBLE_EQ(BoundedSlowdown(0, 1), 1);     // (0 + 1) / 10 is below 1
  EXPECT_DOUBLE_EQ(BoundedSlowdown(90, 5), 9.5);  // (90 + 5) / 10
  EXPECT_DOUBLE_EQ(BoundedSlowdown(100, 100), 2);
}

TEST(MetricsTest, NoJobsNoMetrics) {
  const Metrics m = ComputeMetrics(SimResult{});
  EXPECT_EQ(m.jobs, 0u);
  EXPECT_EQ(m.avg_bsld, 0);
  EXPECT_EQ(m.utilization, 0);
}

TEST(MetricsTest, JobsCsv) {
  EXPECT_EQ(JobsCsv(Example()),
            "id,submit,start,end,processors,wait\n"
            "1,0,0,100,2,0\n"
            "2,0,100,105,4,100\n"
            "3,50,60,260,1,10\n");
}

}  // namespace
}  // namespace sluice::sim
