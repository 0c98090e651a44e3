#include "sim/driver.h"

#include <gtest/gtest.h>

#include <limits>
#include <map>

namespace sluice::sim {
namespace {

SimJob Job(uint64_t id, Seconds submit, uint32_t procs, Seconds run, Seconds estimate) {
  return {id, submit, run, estimate, procs, 1};
}

// Four processors. J1 holds three until 100; J2 (two) and J3 (all four) wait behind it; J4 (one,
// 300 s) and J5 (one, 50 s) come later.
//  - fifo: strictly in order. J2 at 100, J3 when J2 ends at 200, J4 and J5 at 300.
//  - easy: only J2 is protected. J4 starts at 10 on the free processor (it leaves J2 the two it
//    needs at 100) though it pushes J3 back to 310; J5 backfills at 100, ending before 310.
//  - conservative: J3's reservation at 200 is protected too, so J4 may not start at 10 and
//    waits until 300; J5 fits on the free processor from 20 to 70, before J2's reservation.
std::vector<SimJob> Trace() {
  return {Job(1, 0, 3, 100, 100), Job(2, 0, 2, 100, 100), Job(3, 0, 4, 100, 100),
          Job(4, 10, 1, 300, 300), Job(5, 20, 1, 50, 50)};
}

struct Case {
  const char* policy;
  uint32_t cores_per_node;
  std::map<uint64_t, Seconds> starts;
};

class ScheduleTest : public ::testing::TestWithParam<Case> {};

TEST_P(ScheduleTest, StartsExactlyWhenWorkedOutByHand) {
  const Case& c = GetParam();
  SimConfig config;
  config.policy = c.policy;
  config.machine_procs = 4;
  config.cores_per_node = c.cores_per_node;
  config.bf_resolution = 1;
  auto result = Simulate(config, Trace());
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->policy, c.policy);
  EXPECT_EQ(result->machine_procs, 4u);
  EXPECT_EQ(result->nodes, 4 / c.cores_per_node);
  EXPECT_EQ(result->rejected, 0u);
  EXPECT_EQ(result->unfinished, 0u);
  ASSERT_EQ(result->jobs.size(), 5u);
  for (const JobOutcome& j : result->jobs) {
    EXPECT_EQ(j.start, c.starts.at(j.id)) << c.policy << " job " << j.id;
    EXPECT_EQ(j.run(), Trace()[j.id - 1].run) << c.policy << " job " << j.id;
    EXPECT_EQ(j.procs, Trace()[j.id - 1].procs);
    EXPECT_EQ(j.submit, Trace()[j.id - 1].submit);
  }
}

const std::map<uint64_t, Seconds> kFifo = {{1, 0}, {2, 100}, {3, 200}, {4, 300}, {5, 300}};
const std::map<uint64_t, Seconds> kEasy = {{1, 0}, {2, 100}, {3, 310}, {4, 10}, {5, 100}};
const std::map<uint64_t, Seconds> kConservative = {{1, 0}, {2, 100}, {3, 200}, {4, 300}, {5, 20}};

// One node of four CPUs (processor counts only) and four one-CPU nodes (the literature's
// machine model) must agree.
INSTANTIATE_TEST_SUITE_P(Policies, ScheduleTest,
                         ::testing::Values(Case{"fifo", 1, kFifo}, Case{"fifo", 4, kFifo},
                                           Case{"easy", 1, kEasy}, Case{"easy", 4, kEasy},
                                           Case{"conservative", 1, kConservative},
                                           Case{"conservative", 4, kConservative}));

TEST(SimulateTest, RejectsJobsWiderThanTheMachine) {
  SimConfig config;
  config.policy = "easy";
  config.machine_procs = 4;
  auto result = Simulate(config, {Job(1, 0, 5, 10, 10), Job(2, 5, 4, 10, 10)});
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->rejected, 1u);
  ASSERT_EQ(result->jobs.size(), 1u);
  EXPECT_EQ(result->jobs[0].id, 2u);
  EXPECT_EQ(result->jobs[0].start, 5);
  EXPECT_EQ(result->jobs[0].end, 15);
}

// Submit and run times past 2^40 s are refused by name (where a job of INT64_MAX seconds
// overflowed the replay's time arithmetic); 2^40 itself replays.
TEST(SimulateTest, RefusesTimesPastItsRange) {
  SimConfig config;
  config.policy = "easy";
  config.machine_procs = 4;
  constexpr Seconds kLongest = Seconds{1} << 40;
  auto late = Simulate(config, {Job(1, 0, 1, 10, 10), Job(7, kLongest + 1, 1, 10, 10)});
  EXPECT_EQ(late.status().code(), Code::kInvalidArgument);
  EXPECT_NE(late.status().message().find("job 7: submit time 1099511627777 s"), std::string::npos)
      << late.status().message();
  auto slow = Simulate(config, {Job(3, 0, 1, std::numeric_limits<Seconds>::max(), kUnlimited)});
  EXPECT_EQ(slow.status().code(), Code::kInvalidArgument);
  EXPECT_NE(slow.status().message().find("job 3: run time"), std::string::npos)
      << slow.status().message();
  auto edge = Simulate(config, {Job(1, kLongest, 4, kLongest, kUnlimited)});
  ASSERT_TRUE(edge.ok()) << edge.status().ToString();
  ASSERT_EQ(edge->jobs.size(), 1u);
  EXPECT_EQ(edge->jobs[0].start, kLongest);
  EXPECT_EQ(edge->jobs[0].end, 2 * kLongest);
}

TEST(SimulateTest, OrdersArrivalsBySubmitTime) {
  SimConfig config;
  config.policy = "fifo";
  config.machine_procs = 1;
  config.bf_resolution = 1;
  // Given out of order: job 2 arrives first and runs first.
  auto result = Simulate(config, {Job(1, 50, 1, 10, 10), Job(2, 0, 1, 100, 100)});
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  ASSERT_EQ(result->jobs.size(), 2u);
  EXPECT_EQ(result->jobs[0].id, 1u);  // the trace's order
  EXPECT_EQ(result->jobs[0].start, 100);
  EXPECT_EQ(result->jobs[1].start, 0);
}

TEST(SimulateTest, RefusesABadConfiguration) {
  SimConfig config;
  config.policy = "easy";
  EXPECT_EQ(Simulate(config, {}).status().code(), Code::kInvalidArgument);  // no processors
  config.machine_procs = 4;
  config.policy = "lottery";
  EXPECT_EQ(Simulate(config, {}).status().code(), Code::kInvalidArgument);
  config.policy = "easy";
  config.cores_per_node = 0;
  EXPECT_EQ(Simulate(config, {}).status().code(), Code::kInvalidArgument);
}

TEST(SimulateTest, UsesAGivenClusterConfiguration) {
  core::cluster::ClusterConfig cc;
  cc.nodes.push_back({"a1", 2, 1, 2, 1, 4096});
  cc.nodes.push_back({"a2", 2, 1, 2, 1, 4096});
  core::model::Partition p;
  p.name = "batch";
  p.nodes = {"a1", "a2"};
  p.is_default = true;
  p.max_time = 1000;
  cc.partitions.push_back(p);
  SimConfig config;
  config.policy = "fifo";
  config.cluster = cc;
  // The second job asks more than MaxTime allows: refused like sbatch would be.
  auto result = Simulate(config, {Job(1, 0, 4, 10, 10), Job(2, 0, 1, 10, 2000)});
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->machine_procs, 4u);
  EXPECT_EQ(result->nodes, 2u);
  EXPECT_EQ(result->rejected, 1u);
  ASSERT_EQ(result->jobs.size(), 1u);
  EXPECT_EQ(result->jobs[0].end, 10);
}

// An unlimited estimate (a job description without -t on an unlimited partition) must neither
// overflow the synthetic window nor keep the others from backfilling around it.
TEST(SimulateTest, UnlimitedEstimateKeepsAFiniteWindow) {
  SimConfig config;
  config.policy = "easy";
  config.machine_procs = 2;
  config.bf_resolution = 1;
  auto result =
      Simulate(config, {Job(1, 0, 1, 100, kUnlimited), Job(2, 0, 2, 10, 10), Job(3, 5, 1, 10, 10)});
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_GE(result->scheduler.bf_window, 86400);
  EXPECT_LT(result->scheduler.bf_window, kUnlimited / 4);
  ASSERT_EQ(result->jobs.size(), 3u);
  EXPECT_EQ(result->jobs[0].start, 0);
  EXPECT_EQ(result->jobs[1].start, 100);  // needs both processors: after job 1
  EXPECT_EQ(result->jobs[2].start, 5);    // backfills: job 2 has no earlier start to protect
}

}  // namespace
}  // namespace sluice::sim
