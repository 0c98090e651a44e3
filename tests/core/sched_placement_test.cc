// Node placement policies (best-fit, compact, spread, locality), per job and per pass, and
// future holds (RunningJob::start: advance reservations that have not begun).
#include <gtest/gtest.h>

#include <map>

#include "core/sched/framework.h"
#include "core/sched/scheduler.h"

namespace sluice::core::sched {
namespace {

using model::Reason;
using Policy = Options::Policy;

// On the planner's grid of bf_resolution (60 s) slots, so that planned starts are kNow + k x 60.
constexpr UnixTime kNow = 1'000'020;

// Nodes of the given CPU counts (4000 MB each); Busy(node, cpus, seconds) adds a running job.
struct Cluster {
  std::vector<NodeInfo> nodes;
  std::vector<RunningJob> running;

  explicit Cluster(std::vector<uint32_t> cpus) {
    for (size_t i = 0; i < cpus.size(); ++i) {
      NodeInfo node;
      node.name = "n" + std::to_string(i);
      node.total = node.free = {cpus[i], 4000, 0};
      nodes.push_back(node);
    }
  }
  Cluster& Busy(uint32_t node, uint32_t cpus, Seconds for_seconds) {
    Resources r{cpus, 0, 0};
    nodes[node].free -= r;
    running.push_back(
        {static_cast<model::JobId>(100 + running.size()), kNow + for_seconds, {{node, r}}});
    return *this;
  }
  // A future hold of `cpus` on `node` over [kNow + from, kNow + to): free now.
  Cluster& Hold(uint32_t node, uint32_t cpus, Seconds from, Seconds to) {
    RunningJob r;
    r.id = static_cast<model::JobId>(100 + running.size());
    r.start = kNow + from;
    r.end = kNow + to;
    r.alloc = {{node, Resources{cpus, 0, 0}}};
    running.push_back(r);
    return *this;
  }
  std::vector<uint32_t> All() const {
    std::vector<uint32_t> v;
    for (uint32_t i = 0; i < nodes.size(); ++i) v.push_back(i);
    return v;
  }
};

JobRequest Job(const Cluster& c, model::JobId id, uint32_t tasks, std::string placement = "",
               Seconds limit = 3600) {
  JobRequest j;
  j.id = id;
  j.tasks = tasks;
  j.time_limit = limit;
  j.candidates = c.All();
  j.placement = std::move(placement);
  return j;
}

Options Opts(std::string placement = "best-fit", Policy p = Policy::kEasy) {
  Options o;
  o.policy = p;
  o.placement = std::move(placement);
  return o;
}

// node -> CPUs taken, of a started decision.
std::map<uint32_t, uint32_t> CpusOf(const Decision& d) {
  std::map<uint32_t, uint32_t> m;
  for (const auto& [n, r] : d.alloc) m[n] = r.cpus;
  return m;
}

using Cpus = std::map<uint32_t, uint32_t>;

struct PlaceCase {
  std::string placement;
  uint32_t tasks;
  uint32_t nodes;  // JobRequest::nodes (0: as few as fit)
  Cpus want;
};

// Four 8-CPU nodes, free: n0 8 (idle), n1 2, n2 5, n3 8 (idle); equal weights.
class EqualNodesTest : public ::testing::TestWithParam<PlaceCase> {};

TEST_P(EqualNodesTest, PicksNodes) {
  const auto& tc = GetParam();
  Cluster c({8, 8, 8, 8});
  c.Busy(1, 6, 600).Busy(2, 3, 600);
  JobRequest j = Job(c, 1, tc.tasks);
  j.nodes = tc.nodes;
  auto d = RunPass(Opts(tc.placement), kNow, c.nodes, c.running, {j});
  ASSERT_TRUE(d[0].start);
  EXPECT_EQ(CpusOf(d[0]), tc.want);
}

INSTANTIATE_TEST_SUITE_P(
    Placements, EqualNodesTest,
    ::testing::Values(
        // One task: the fewest free CPUs (n1), or an idle node first for spread.
        PlaceCase{"best-fit", 1, 0, {{1, 1}}}, PlaceCase{"compact", 1, 0, {{1, 1}}},
        PlaceCase{"spread", 1, 0, {{0, 1}}}, PlaceCase{"locality", 1, 0, {{1, 1}}},
        // Four tasks fit n2 (5 free); spread puts one on each node, idle ones first.
        PlaceCase{"best-fit", 4, 0, {{2, 4}}}, PlaceCase{"compact", 4, 0, {{2, 4}}},
        PlaceCase{"spread", 4, 0, {{0, 1}, {1, 1}, {2, 1}, {3, 1}}},
        PlaceCase{"locality", 4, 0, {{2, 4}}},
        // Twelve tasks fit no node: best-fit takes the most room (two idle nodes), compact fills
        // the partly used n2 and n1 before opening n0, spread deals round robin over all four
        // (n0, n3, n2, n1 order; n1 holds only 2).
        PlaceCase{"best-fit", 12, 0, {{0, 8}, {3, 4}}},
        PlaceCase{"compact", 12, 0, {{0, 5}, {1, 2}, {2, 5}}},
        PlaceCase{"spread", 12, 0, {{0, 4}, {1, 2}, {2, 3}, {3, 3}}},
        // Exactly two nodes for three tasks: best-fit/compact the tightest (n1 2, n2 1 in block
        // order), spread the idle ones, round robin.
        PlaceCase{"best-fit", 3, 2, {{1, 2}, {2, 1}}}, PlaceCase{"compact", 3, 2, {{1, 2}, {2, 1}}},
        PlaceCase{"spread", 3, 2, {{0, 2}, {3, 1}}}));

// Unequal nodes: n0 4 CPUs idle (Weight 5), n1 16 CPUs with 6 free, n2 8 CPUs idle (Weight 1).
class UnequalNodesTest : public ::testing::TestWithParam<PlaceCase> {};

TEST_P(UnequalNodesTest, PicksNodes) {
  const auto& tc = GetParam();
  Cluster c({4, 16, 8});
  c.nodes[0].weight = 5;
  c.nodes[2].weight = 1;
  c.Busy(1, 10, 600);
  JobRequest j = Job(c, 1, tc.tasks);
  j.nodes = tc.nodes;
  auto d = RunPass(Opts(tc.placement), kNow, c.nodes, c.running, {j});
  ASSERT_TRUE(d[0].start);
  EXPECT_EQ(CpusOf(d[0]), tc.want);
}

INSTANTIATE_TEST_SUITE_P(
    Placements, UnequalNodesTest,
    ::testing::Values(
        // Three tasks: best-fit takes the idle 4-CPU n0 (1 left), compact the partly used n1,
        // spread the largest idle node.
        PlaceCase{"best-fit", 3, 0, {{0, 3}}}, PlaceCase{"compact", 3, 0, {{1, 3}}},
        PlaceCase{"spread", 3, 0, {{0, 1}, {1, 1}, {2, 1}}}, PlaceCase{"spread", 1, 0, {{2, 1}}},
        // Seven tasks: no partly used node holds them; compact opens the idle node of lowest
        // Weight (n2).
        PlaceCase{"compact", 7, 0, {{2, 7}}},
        // Ten: best-fit fills the most room first (n2 8, then n1 2), compact the partly used n1
        // first (6), then the idle node of lowest Weight (n2 4).
        PlaceCase{"best-fit", 10, 0, {{1, 2}, {2, 8}}},
        PlaceCase{"compact", 10, 0, {{1, 6}, {2, 4}}},
        // Spread with more tasks than nodes: round robin n2, n0, n1 (idle first, most free).
        PlaceCase{"spread", 4, 0, {{0, 1}, {1, 1}, {2, 2}}},
        // Exactly one node: spread the idle n2, compact the partly used n1.
        PlaceCase{"spread", 2, 1, {{2, 2}}}, PlaceCase{"compact", 2, 1, {{1, 2}}}));

TEST(PlacementTest, JobOverridesPassDefault) {
  Cluster c({8, 8, 8, 8});
  c.Busy(1, 6, 600).Busy(2, 3, 600);
  // Same shape, different placements: each job gets its own (and its own memo entries).
  std::vector<JobRequest> q = {Job(c, 1, 1, "spread"), Job(c, 2, 1), Job(c, 3, 1, "compact"),
                               Job(c, 4, 1, "no-such-placement")};
  auto d = RunPass(Opts("best-fit"), kNow, c.nodes, c.running, q);
  ASSERT_EQ(d.size(), 4u);
  EXPECT_EQ(CpusOf(d[0]), (Cpus{{0, 1}}));
  EXPECT_EQ(CpusOf(d[1]), (Cpus{{1, 1}}));
  EXPECT_EQ(CpusOf(d[2]), (Cpus{{1, 1}}));  // n1's last free CPU
  EXPECT_EQ(CpusOf(d[3]), (Cpus{{2, 1}}));  // unknown: the pass default, best-fit (n1 is full)

  // The pass default spread, one job asking best-fit.
  d = RunPass(Opts("spread"), kNow, c.nodes, c.running, {Job(c, 1, 1), Job(c, 2, 1, "best-fit")});
  EXPECT_EQ(CpusOf(d[0]), (Cpus{{0, 1}}));
  EXPECT_EQ(CpusOf(d[1]), (Cpus{{1, 1}}));
}

TEST(PlacementTest, SpreadUsesEveryNodeWithRoomWhenTasksExceedThem) {
  Cluster c({4, 4});
  c.Busy(0, 4, 600);  // n0 full: only n1 has room
  auto d = RunPass(Opts("spread"), kNow, c.nodes, c.running, {Job(c, 1, 3)});
  ASSERT_TRUE(d[0].start);
  EXPECT_EQ(CpusOf(d[0]), (Cpus{{1, 3}}));
}

TEST(PlacementTest, SpreadKeepsRequiredNodes) {
  Cluster c({8, 8, 8});
  JobRequest j = Job(c, 1, 2, "spread");
  j.required = {2};
  auto d = RunPass(Opts(), kNow, c.nodes, c.running, {j});
  ASSERT_TRUE(d[0].start);
  EXPECT_EQ(CpusOf(d[0]), (Cpus{{0, 1}, {2, 1}}));
}

TEST(PlacementTest, ReservationsFollowThePlacementScore) {
  // Both nodes busy until +600; the reservation of a 1-task job goes to the node the policy
  // ranks first then: best-fit the tightest (n0, 4 CPUs), spread the largest (n1, 8 CPUs). An
  // 8-task job then fits n1 at +600 only if the reservation is not there.
  Cluster c({4, 8});
  c.Busy(0, 4, 600).Busy(1, 8, 600);
  for (const auto& [placement, second] :
       {std::pair<std::string, UnixTime>{"best-fit", kNow + 600},
        std::pair<std::string, UnixTime>{"spread", kNow + 600 + 3600}}) {
    auto d =
        RunPass(Opts(placement), kNow, c.nodes, c.running, {Job(c, 1, 1), Job(c, 2, 8, "", 300)});
    EXPECT_EQ(d[0].expected_start, kNow + 600) << placement;
    EXPECT_EQ(d[1].expected_start, second) << placement;
  }
}

// Locality: two 8-CPU nodes with GPUs on sockets 0, 0, 1, 1. On n0, GPUs 0 and 3 are busy, so
// the two free ones sit on different sockets; n0 has fewer free CPUs (best-fit's choice).
struct GpuCluster {
  std::vector<NodeInfo> nodes;
  std::vector<RunningJob> running;
  GpuCluster() {
    for (int i = 0; i < 2; ++i) {
      NodeInfo node;
      node.name = "g" + std::to_string(i);
      node.total = node.free = {8, 64000, 0};
      std::vector<model::Gpu> gpus;
      for (uint32_t g = 0; g < 4; ++g) {
        model::Gpu gpu;
        gpu.index = g;
        gpu.type = "a100";
        gpu.socket = g < 2 ? 0 : 1;
        gpu.whole = i == 0 && (g == 0 || g == 3);
        gpus.push_back(gpu);
      }
      SetGpus(&node, gpus);
      nodes.push_back(node);
    }
    nodes[0].free.cpus -= 4;
    running.push_back({100, kNow + 600, {{0, Resources{4, 0, 2}}}});
  }
};

std::vector<uint32_t> GpuIndexes(const Decision& d) {
  std::vector<uint32_t> v;
  for (const auto& node : d.gpus) {
    for (const auto& g : node) v.push_back(g.index);
  }
  return v;
}

TEST(PlacementTest, LocalityPrefersOneSocketForGpuJobs) {
  GpuCluster c;
  JobRequest j;
  j.id = 1;
  j.tasks = 1;
  j.gpus_per_node = 2;
  j.candidates = {0, 1};
  auto best = RunPass(Opts("best-fit"), kNow, c.nodes, c.running, {j});
  ASSERT_TRUE(best[0].start);
  EXPECT_EQ(CpusOf(best[0]), (Cpus{{0, 1}}));
  EXPECT_EQ(GpuIndexes(best[0]), (std::vector<uint32_t>{1, 2}));  // split over sockets

  auto local = RunPass(Opts("locality"), kNow, c.nodes, c.running, {j});
  ASSERT_TRUE(local[0].start);
  EXPECT_EQ(CpusOf(local[0]), (Cpus{{1, 1}}));
  EXPECT_EQ(GpuIndexes(local[0]), (std::vector<uint32_t>{0, 1}));  // both on socket 0

  // One GPU is always on one socket: locality is best-fit.
  j.gpus_per_node = 1;
  local = RunPass(Opts("locality"), kNow, c.nodes, c.running, {j});
  EXPECT_EQ(CpusOf(local[0]), (Cpus{{0, 1}}));
  // Without a one-socket node, locality still places the job (best-fit among the others).
  j.gpus_per_node = 2;
  j.candidates = {0};
  local = RunPass(Opts("locality"), kNow, c.nodes, c.running, {j});
  ASSERT_TRUE(local[0].start);
  EXPECT_EQ(CpusOf(local[0]), (Cpus{{0, 1}}));
}

TEST(PlacementTest, RegistryKnowsThePlacements) {
  for (const char* name : {"best-fit", "compact", "spread", "locality", "weight-first"}) {
    EXPECT_TRUE(KnownPlacement(name)) << name;
  }
  EXPECT_FALSE(KnownPlacement("tight"));
  EXPECT_FALSE(KnownPlacement(""));
  EXPECT_TRUE(KnownGpuPlacement("utilization"));
  EXPECT_FALSE(KnownGpuPlacement("compact"));
  EXPECT_EQ(PlacementNamesForMessage(), "best-fit, compact, locality, spread or weight-first");
  auto s = Registry::Global().Score("tight");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("best-fit, compact, locality, spread or weight-first"),
            std::string::npos);
}

TEST(PlacementTest, OptionsFromConfig) {
  cluster::SchedulerConfig config;
  auto o = Options::FromConfig(config);
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->placement, "best-fit");
  EXPECT_EQ(o->gpu_placement, "least-occupied");

  config.placement = "spread";
  config.gpu_placement = "utilization";
  o = Options::FromConfig(config);
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->placement, "spread");
  EXPECT_EQ(o->gpu_placement, "utilization");

  config.placement = "tight";
  o = Options::FromConfig(config);
  ASSERT_FALSE(o.ok());
  EXPECT_EQ(o.status().code(), Code::kInvalidArgument);
  EXPECT_NE(o.status().message().find("tight"), std::string::npos);

  config.placement = "compact";
  config.gpu_placement = "busiest";
  o = Options::FromConfig(config);
  ASSERT_FALSE(o.ok());
  EXPECT_NE(o.status().message().find("least-occupied or utilization"), std::string::npos);
}

// Future holds: n0 is held from +600 to +1200; n1 is busy until +3000.
TEST(FutureHoldTest, JobsEndingBeforeTheHoldStartNow) {
  Cluster c({4, 4});
  c.Hold(0, 4, 600, 1200).Busy(1, 4, 3000);
  auto d = RunPass(Opts(), kNow, c.nodes, c.running, {Job(c, 1, 4, "", 300)});
  ASSERT_TRUE(d[0].start);
  EXPECT_EQ(CpusOf(d[0]), (Cpus{{0, 4}}));
}

TEST(FutureHoldTest, JobsReachingIntoTheHoldWaitForItsEnd) {
  for (Policy p : {Policy::kEasy, Policy::kConservative}) {
    Cluster c({4, 4});
    c.Hold(0, 4, 600, 1200).Busy(1, 4, 3000);
    auto d = RunPass(Opts("best-fit", p), kNow, c.nodes, c.running, {Job(c, 1, 4, "", 900)});
    EXPECT_FALSE(d[0].start);
    EXPECT_EQ(d[0].reason, Reason::kResources);  // the hold is no higher-priority job
    EXPECT_EQ(d[0].expected_start, kNow + 1200);
  }
}

TEST(FutureHoldTest, JobsReachingIntoTheHoldGoElsewhere) {
  Cluster c({4, 4});
  c.Hold(0, 4, 600, 1200);
  // Best-fit would take n0 (first by index) but the hold leaves it only 600 s.
  auto d = RunPass(Opts(), kNow, c.nodes, c.running, {Job(c, 1, 4, "", 900)});
  ASSERT_TRUE(d[0].start);
  EXPECT_EQ(CpusOf(d[0]), (Cpus{{1, 4}}));
}

TEST(FutureHoldTest, PartialHoldLeavesTheRest) {
  Cluster c({4});
  c.Hold(0, 3, 600, 1200);
  auto d =
      RunPass(Opts(), kNow, c.nodes, c.running, {Job(c, 1, 2, "", 900), Job(c, 2, 1, "", 900)});
  EXPECT_FALSE(d[0].start);  // 2 CPUs through the hold: only 1 is left there
  EXPECT_EQ(d[0].expected_start, kNow + 1200);
  EXPECT_TRUE(d[1].start);
}

TEST(FutureHoldTest, HoldStartingWithinTheFirstSlotBlocksNow) {
  Cluster c({4});
  c.Hold(0, 4, 30, 1200);  // rounded down to slot 0 at the default 60 s resolution
  auto d = RunPass(Opts(), kNow, c.nodes, c.running, {Job(c, 1, 1, "", 60)});
  EXPECT_FALSE(d[0].start);
  EXPECT_EQ(d[0].expected_start, kNow + 1200);
}

TEST(FutureHoldTest, ReservationsAvoidTheWindow) {
  for (Policy p : {Policy::kEasy, Policy::kConservative}) {
    Cluster c({4, 4});
    c.Hold(0, 4, 600, 1200).Busy(1, 4, 3000);
    std::vector<JobRequest> q = {
        Job(c, 1, 4, "", 900),  // blocked: reserved on n0 over [+1200, +2100)
        Job(c, 2, 1, "", 300),  // backfills n0 before the hold and the reservation
        Job(c, 3, 4, "", 700),  // fits neither the 300 s before the hold nor n1 before +3000
    };
    PassStats stats;
    auto d = RunPass(Opts("best-fit", p), kNow, c.nodes, c.running, q, &stats);
    EXPECT_FALSE(d[0].start);
    EXPECT_EQ(d[0].expected_start, kNow + 1200);
    EXPECT_TRUE(d[1].start);
    EXPECT_EQ(CpusOf(d[1]), (Cpus{{0, 1}}));
    EXPECT_FALSE(d[2].start);
    EXPECT_EQ(d[2].expected_start, kNow + 2100);
    EXPECT_EQ(stats.reserved, p == Policy::kConservative ? 2u : 1u);
  }
}

}  // namespace
}  // namespace sluice::core::sched
