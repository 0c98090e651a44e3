// GPU placement in the scheduler pass: whole GPUs, MPS and shard shares, types, GPU memory,
// overprovisioning gated by utilization, GPU score plugins, locality and planned starts.
#include <gtest/gtest.h>

#include "core/sched/framework.h"
#include "core/sched/scheduler.h"

namespace sluice::core::sched {
namespace {

using model::GpuAllocation;
using model::Reason;
using Policy = Options::Policy;

// On the planner's grid of bf_resolution (60 s) slots, so that planned starts are kNow + k x 60.
constexpr UnixTime kNow = 1'000'020;

// A GPU of type "a100", 40 GB, on the given socket, shared by `shares` percent.
model::Gpu Gpu(uint32_t index, uint32_t socket = 0, uint32_t shares = 0) {
  model::Gpu g;
  g.index = index;
  g.type = "a100";
  g.memory_mb = 40000;
  g.socket = socket;
  g.shares_used = shares;
  return g;
}

// `n` nodes of 16 CPUs, each with four a100 GPUs on sockets 0, 0, 1, 1.
struct Cluster {
  std::vector<NodeInfo> nodes;
  std::vector<RunningJob> running;

  explicit Cluster(int n) {
    for (int i = 0; i < n; ++i) {
      NodeInfo node;
      node.name = "g" + std::to_string(i);
      node.total = node.free = {16, 64000, 0};
      SetGpus(&node, {Gpu(0, 0), Gpu(1, 0), Gpu(2, 1), Gpu(3, 1)});
      nodes.push_back(node);
    }
  }
  model::Gpu& At(uint32_t node, uint32_t gpu) { return nodes[node].gpus[gpu]; }
  // Re-derives the GPU counts after a test changed GPUs in place.
  Cluster& Sync() {
    for (auto& n : nodes) SetGpus(&n, n.gpus);
    return *this;
  }
  // A running job holding whole GPUs `gpus` of `node` for `seconds`.
  Cluster& RunWhole(uint32_t node, std::vector<uint32_t> gpus, Seconds seconds) {
    for (uint32_t g : gpus) At(node, g).whole = true;
    Sync();
    running.push_back({static_cast<model::JobId>(100 + running.size()),
                       kNow + seconds,
                       {{node, Resources{1, 0, static_cast<uint32_t>(gpus.size())}}}});
    nodes[node].free.cpus -= 1;
    return *this;
  }
  // What the controller does with a started job's decision: the node model's GPU state.
  void Apply(const Decision& d) {
    ASSERT_EQ(d.gpus.size(), d.alloc.size());
    for (size_t i = 0; i < d.alloc.size(); ++i) {
      NodeInfo& node = nodes[d.alloc[i].first];
      node.free -= Resources{d.alloc[i].second.cpus, d.alloc[i].second.memory_mb, 0};
      for (const GpuAllocation& a : d.gpus[i]) {
        model::Gpu& g = node.gpus[a.index];
        if (a.shares == 0) {
          g.whole = true;
        } else {
          g.shares_used += a.shares;
          g.memory_used_mb += a.memory_mb;
        }
      }
      SetGpus(&node, node.gpus);
    }
  }
  std::vector<uint32_t> All() const {
    std::vector<uint32_t> v;
    for (uint32_t i = 0; i < nodes.size(); ++i) v.push_back(i);
    return v;
  }
};

JobRequest Whole(const Cluster& c, model::JobId id, uint32_t gpus, Seconds limit = 3600) {
  JobRequest j;
  j.id = id;
  j.gpus_per_node = gpus;
  j.time_limit = limit;
  j.candidates = c.All();
  return j;
}

JobRequest Mps(const Cluster& c, model::JobId id, uint32_t percent, Seconds limit = 3600) {
  JobRequest j;
  j.id = id;
  j.mps_percent = percent;
  j.time_limit = limit;
  j.candidates = c.All();
  return j;
}

Options Opts(Policy p = Policy::kEasy, std::string gpu_placement = "least-occupied") {
  Options o;
  o.policy = p;
  o.gpu_placement = std::move(gpu_placement);
  return o;
}

std::vector<Decision> Pass(const Cluster& c, const std::vector<JobRequest>& q,
                           const Options& o = Opts()) {
  return RunPass(o, kNow, c.nodes, c.running, q);
}

// The GPU indexes a started job got on its only (or given) node.
std::vector<uint32_t> GpusOf(const Decision& d, size_t node = 0) {
  std::vector<uint32_t> v;
  if (node < d.gpus.size()) {
    for (const auto& a : d.gpus[node]) v.push_back(a.index);
  }
  return v;
}

using Ids = std::vector<uint32_t>;

TEST(SchedGpuTest, QuarterJobsSpreadOverFourGpusThenFifthGoesToLeastOccupied) {
  Cluster c(1);
  std::vector<JobRequest> q;
  for (model::JobId id = 1; id <= 4; ++id) q.push_back(Mps(c, id, 25));
  auto d = Pass(c, q);
  ASSERT_EQ(d.size(), 4u);
  for (uint32_t i = 0; i < 4; ++i) {
    ASSERT_TRUE(d[i].start) << i;
    ASSERT_EQ(d[i].gpus.size(), 1u);
    ASSERT_EQ(d[i].gpus[0].size(), 1u);
    EXPECT_EQ(d[i].gpus[0][0].index, i);  // each on its own GPU, lowest index first
    EXPECT_EQ(d[i].gpus[0][0].shares, 25u);
    c.Apply(d[i]);
  }
  // Jobs end and others come: GPU shares are now 50, 75, 25, 50; the fifth 25% job goes to GPU 2.
  c.At(0, 0).shares_used = 50;
  c.At(0, 1).shares_used = 75;
  c.At(0, 3).shares_used = 50;
  c.Sync();
  auto fifth = Pass(c, {Mps(c, 5, 25)});
  ASSERT_TRUE(fifth[0].start);
  EXPECT_EQ(GpusOf(fifth[0]), Ids{2});
}

TEST(SchedGpuTest, FifthJobInOnePassGoesToLeastOccupied) {
  // Shares 10, 20, 30, 40 take the four GPUs in turn; a 25% job then goes to GPU 0 (10 used).
  Cluster c(1);
  std::vector<JobRequest> q = {Mps(c, 1, 10), Mps(c, 2, 20), Mps(c, 3, 30), Mps(c, 4, 40),
                               Mps(c, 5, 25)};
  auto d = Pass(c, q);
  for (uint32_t i = 0; i < 4; ++i) EXPECT_EQ(GpusOf(d[i]), Ids{i});
  ASSERT_TRUE(d[4].start);
  EXPECT_EQ(GpusOf(d[4]), Ids{0});
}

TEST(SchedGpuTest, WholeGpuJobNeverLandsOnSharedGpu) {
  Cluster c(1);
  c.At(0, 0).shares_used = 25;
  c.At(0, 1).shares_used = 10;
  c.At(0, 3).whole = true;
  c.Sync();
  ASSERT_EQ(c.nodes[0].free.gpus, 1u);
  auto d = Pass(c, {Whole(c, 1, 1), Whole(c, 2, 1)});
  ASSERT_TRUE(d[0].start);
  EXPECT_EQ(GpusOf(d[0]), Ids{2});
  EXPECT_EQ(d[0].gpus[0][0].shares, 0u);
  EXPECT_FALSE(d[1].start);  // GPUs 0 and 1 are shared, 3 is held
  EXPECT_EQ(d[1].reason, Reason::kResources);
}

TEST(SchedGpuTest, SharedJobNeverLandsOnWholeGpu) {
  Cluster c(1);
  for (uint32_t g = 0; g < 3; ++g) c.At(0, g).whole = true;
  c.At(0, 3).shares_used = 90;
  c.Sync();
  auto d = Pass(c, {Mps(c, 1, 25), Mps(c, 2, 10)});
  EXPECT_FALSE(d[0].start);  // 90 + 25 > 100 on GPU 3; the others are held whole
  EXPECT_EQ(d[0].reason, Reason::kResources);
  EXPECT_EQ(d[0].expected_start, 0);  // shares are not planned
  ASSERT_TRUE(d[1].start);
  EXPECT_EQ(GpusOf(d[1]), Ids{3});
}

TEST(SchedGpuTest, ShardsShareTheCapacityWithMps) {
  Cluster c(1);
  for (uint32_t g = 1; g < 4; ++g) c.At(0, g).whole = true;
  c.At(0, 0).shares_used = 60;  // MPS percent in use
  c.Sync();
  JobRequest too_many = Mps(c, 1, 0);
  too_many.shards = 50;
  JobRequest fits = Mps(c, 2, 0);
  fits.shards = 40;
  auto d = Pass(c, {too_many, fits});
  EXPECT_FALSE(d[0].start);
  ASSERT_TRUE(d[1].start);
  ASSERT_EQ(d[1].gpus[0].size(), 1u);
  EXPECT_EQ(d[1].gpus[0][0].index, 0u);
  EXPECT_EQ(d[1].gpus[0][0].shares, 40u);
}

TEST(SchedGpuTest, TypedRequestsCountOnlyGpusOfTheType) {
  Cluster c(2);
  for (auto& g : c.nodes[0].gpus) g.type = "v100";
  c.At(1, 0).type = c.At(1, 1).type = "v100";  // node 1: v100, v100, a100, a100
  c.Sync();
  JobRequest two_a100 = Whole(c, 1, 2);
  two_a100.gpu_type = "a100";
  JobRequest third_a100 = Whole(c, 2, 1);
  third_a100.gpu_type = "a100";
  JobRequest mps_v100 = Mps(c, 3, 50);
  mps_v100.gpu_type = "v100";
  JobRequest h100 = Whole(c, 4, 1);
  h100.gpu_type = "h100";
  auto d = Pass(c, {two_a100, third_a100, mps_v100, h100});
  ASSERT_TRUE(d[0].start);
  EXPECT_EQ(d[0].alloc[0].first, 1u);
  EXPECT_EQ(GpusOf(d[0]), (Ids{2, 3}));
  EXPECT_FALSE(d[1].start);  // no a100 left anywhere
  EXPECT_EQ(d[1].reason, Reason::kResources);
  ASSERT_TRUE(d[2].start);
  EXPECT_EQ(d[2].alloc[0].first, 1u);  // best-fit: node 1 has fewer free CPUs
  EXPECT_EQ(GpusOf(d[2]), Ids{0});
  EXPECT_FALSE(d[3].start);
  EXPECT_EQ(d[3].expected_start, 0);  // no h100 in the cluster
}

TEST(SchedGpuTest, GpuMemoryLimitsMpsPlacement) {
  Cluster c(1);
  c.nodes[0].gpus.resize(2);
  for (auto& g : c.nodes[0].gpus) g.memory_mb = 16000;
  c.At(0, 0).shares_used = 10;
  c.At(0, 0).memory_used_mb = 12000;
  c.At(0, 1).shares_used = 50;
  c.Sync();
  JobRequest small = Mps(c, 1, 25);
  small.gpu_memory_mb = 4000;  // fits on the least-occupied GPU 0
  JobRequest big = Mps(c, 2, 25);
  big.gpu_memory_mb = 8000;  // GPU 0 has 0 MB left now: GPU 1
  JobRequest huge = Mps(c, 3, 10);
  huge.gpu_memory_mb = 20000;  // larger than any GPU
  auto d = Pass(c, {small, big, huge});
  ASSERT_TRUE(d[0].start);
  EXPECT_EQ(GpusOf(d[0]), Ids{0});
  EXPECT_EQ(d[0].gpus[0][0].memory_mb, 4000u);
  ASSERT_TRUE(d[1].start);
  EXPECT_EQ(GpusOf(d[1]), Ids{1});
  EXPECT_EQ(d[1].gpus[0][0].memory_mb, 8000u);
  EXPECT_FALSE(d[2].start);
  EXPECT_EQ(d[2].reason, Reason::kResources);
}

struct OverprovisionCase {
  uint32_t used;
  double utilization;
  bool granted;
};

class SchedGpuOverprovisionTest : public testing::TestWithParam<OverprovisionCase> {};

TEST_P(SchedGpuOverprovisionTest, BeyondOneGpuOnlyWhileUtilizationIsUnderThreshold) {
  const auto& p = GetParam();
  Cluster c(1);
  c.nodes[0].gpus.resize(1);
  c.nodes[0].gpu_overprovision_threshold = 0.5;
  c.At(0, 0).share_capacity = 200;
  c.At(0, 0).shares_used = p.used;
  c.At(0, 0).utilization = p.utilization;
  c.Sync();
  auto d = Pass(c, {Mps(c, 1, 50)});
  EXPECT_EQ(d[0].start, p.granted);
  if (p.granted) {
    EXPECT_EQ(GpusOf(d[0]), Ids{0});
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, SchedGpuOverprovisionTest,
                         testing::Values(OverprovisionCase{100, 0.3, true},   // 150% at 30%
                                         OverprovisionCase{100, 0.7, false},  // 150% at 70%
                                         OverprovisionCase{50, 0.7, true},    // 100%: not over
                                         OverprovisionCase{160, 0.1, false}   // 210% > capacity
                                         ));

TEST(SchedGpuTest, UtilizationPluginPicksLeastUtilizedGpu) {
  Cluster c(1);
  c.At(0, 0).utilization = 0.9;
  c.At(0, 1).utilization = 0.2;
  c.At(0, 2).utilization = 0.5;
  c.At(0, 3).utilization = 0.2;
  c.At(0, 1).shares_used = 30;  // least-occupied would avoid it
  c.Sync();
  auto by_util = Pass(c, {Mps(c, 1, 25)}, Opts(Policy::kEasy, "utilization"));
  EXPECT_EQ(GpusOf(by_util[0]), Ids{1});  // 0.2 ties with GPU 3: the lower index
  auto by_shares = Pass(c, {Mps(c, 1, 25)});
  EXPECT_EQ(GpusOf(by_shares[0]), Ids{0});
}

TEST(SchedGpuTest, WholeGpusStayOnOneSocketWhenTheyCan) {
  Cluster c(1);
  c.RunWhole(0, {0}, 600);  // GPU 1 is socket 0's last free GPU; socket 1 has two
  auto d = Pass(c, {Whole(c, 1, 2)});
  ASSERT_TRUE(d[0].start);
  EXPECT_EQ(GpusOf(d[0]), (Ids{2, 3}));
}

TEST(SchedGpuTest, ShareFollowsTheSocketOfTheJobsWholeGpus) {
  Cluster c(1);
  c.At(0, 0).whole = true;
  c.At(0, 1).shares_used = 10;  // socket 0, the least occupied
  c.At(0, 3).shares_used = 50;  // socket 1
  c.Sync();
  JobRequest j = Whole(c, 1, 1);
  j.mps_percent = 25;
  auto d = Pass(c, {j});
  ASSERT_TRUE(d[0].start);
  ASSERT_EQ(d[0].gpus[0].size(), 2u);
  EXPECT_EQ(d[0].gpus[0][0].index, 2u);  // whole: the only free GPU, on socket 1
  EXPECT_EQ(d[0].gpus[0][0].shares, 0u);
  EXPECT_EQ(d[0].gpus[0][1].index, 3u);  // the share follows it to socket 1
  EXPECT_EQ(d[0].gpus[0][1].shares, 25u);
}

TEST(SchedGpuTest, MultiNodeJobsGetGpusOnEveryNode) {
  Cluster c(3);
  c.RunWhole(1, {0, 1, 2, 3}, 600);
  JobRequest whole = Whole(c, 1, 3);
  whole.nodes = 2;
  JobRequest mps = Mps(c, 2, 50);
  mps.nodes = 2;
  auto d = Pass(c, {whole, mps});
  ASSERT_TRUE(d[0].start);
  ASSERT_EQ(d[0].alloc.size(), 2u);
  EXPECT_EQ(d[0].alloc[0].first, 0u);
  EXPECT_EQ(d[0].alloc[1].first, 2u);
  EXPECT_EQ(GpusOf(d[0], 0), (Ids{0, 1, 2}));  // socket 0 first, then socket 1
  EXPECT_EQ(GpusOf(d[0], 1), (Ids{0, 1, 2}));
  ASSERT_TRUE(d[1].start);  // node 1's GPUs are all held: one share on nodes 0 and 2
  ASSERT_EQ(d[1].alloc.size(), 2u);
  EXPECT_EQ(GpusOf(d[1], 0), Ids{3});
  EXPECT_EQ(GpusOf(d[1], 1), Ids{3});
}

TEST(SchedGpuTest, WholeGpuJobIsPlannedAfterRunningGpuJob) {
  Cluster c(1);
  c.RunWhole(0, {0, 1, 2}, 600);
  auto d = Pass(c, {Whole(c, 1, 4), Whole(c, 2, 1, 7200), Whole(c, 3, 1, 300), Mps(c, 4, 25)});
  EXPECT_FALSE(d[0].start);
  EXPECT_EQ(d[0].reason, Reason::kResources);
  EXPECT_EQ(d[0].expected_start, kNow + 600);
  // GPU 3 is free, but a 2-hour job would delay the reservation; a 5-minute one does not.
  EXPECT_FALSE(d[1].start);
  EXPECT_EQ(d[1].reason, Reason::kPriority);
  ASSERT_TRUE(d[2].start);
  EXPECT_EQ(GpusOf(d[2]), Ids{3});
  // No GPU is left for a share now, and shares have no planned start.
  EXPECT_FALSE(d[3].start);
  EXPECT_EQ(d[3].expected_start, 0);
}

TEST(SchedGpuTest, ShareDoesNotTakeAGpuAWholeGpuReservationNeeds) {
  Cluster c(1);
  c.RunWhole(0, {0, 1}, 600);
  c.At(0, 2).shares_used = 100;  // full
  c.Sync();
  // Job 1 needs both GPUs 0 and 1 back plus GPU 3 at +600; a share on GPU 3 would block it.
  auto d = Pass(c, {Whole(c, 1, 3), Mps(c, 2, 25)});
  EXPECT_EQ(d[0].expected_start, kNow + 600);
  EXPECT_FALSE(d[1].start);
  EXPECT_EQ(d[1].reason, Reason::kPriority);  // it would fit, were it not for the reservation
  // Without the whole-GPU job the share takes GPU 3.
  auto alone = Pass(c, {Mps(c, 2, 25)});
  ASSERT_TRUE(alone[0].start);
  EXPECT_EQ(GpusOf(alone[0]), Ids{3});
}

TEST(SchedGpuTest, DecisionsWithoutGpusStayParallelToAlloc) {
  Cluster c(2);
  JobRequest cpu;
  cpu.id = 1;
  cpu.tasks = 20;
  cpu.candidates = c.All();
  auto d = Pass(c, {cpu});
  ASSERT_TRUE(d[0].start);
  ASSERT_EQ(d[0].alloc.size(), 2u);
  ASSERT_EQ(d[0].gpus.size(), 2u);
  EXPECT_TRUE(d[0].gpus[0].empty());
  EXPECT_TRUE(d[0].gpus[1].empty());
}

TEST(SchedGpuTest, CountOnlyNodesServeUntypedWholeRequestsOnly) {
  Cluster c(1);
  c.nodes[0].gpus.clear();
  c.nodes[0].total.gpus = c.nodes[0].free.gpus = 2;
  JobRequest typed = Whole(c, 2, 1);
  typed.gpu_type = "a100";
  auto d = Pass(c, {Whole(c, 1, 2), typed, Mps(c, 3, 10)});
  ASSERT_TRUE(d[0].start);
  EXPECT_EQ(d[0].alloc[0].second.gpus, 2u);
  EXPECT_TRUE(d[0].gpus[0].empty());  // no GPU list: no indexes to name
  EXPECT_FALSE(d[1].start);
  EXPECT_FALSE(d[2].start);
}

TEST(SchedGpuTest, GpuScoreRegistry) {
  auto& r = Registry::Global();
  EXPECT_EQ(r.GpuScoreNames(), (std::vector<std::string>{"least-occupied", "utilization"}));
  EXPECT_TRUE(r.GpuScore("utilization").ok());
  auto missing = r.GpuScore("most-occupied");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), Code::kNotFound);
  EXPECT_EQ(r.RegisterGpuScore("least-occupied", nullptr).code(), Code::kAlreadyExists);
}

}  // namespace
}  // namespace sluice::core::sched
