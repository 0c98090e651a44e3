#include <gtest/gtest.h>

#include <set>

#include "core/sched/framework.h"
#include "core/sched/internal/planner.h"
#include "core/sched/scheduler.h"

namespace sluice::core::sched {
namespace {

using model::Reason;
using Policy = Options::Policy;

// On the planner's grid of bf_resolution (60 s) slots, so that planned starts are kNow + k x 60.
constexpr UnixTime kNow = 1'000'020;

// A small cluster: `n` nodes of 4 CPUs, 4000 MB; busy(node, cpus, seconds) adds a running job.
struct Cluster {
  std::vector<NodeInfo> nodes;
  std::vector<RunningJob> running;

  explicit Cluster(int n, uint32_t cpus = 4, uint64_t mem = 4000) {
    for (int i = 0; i < n; ++i) {
      NodeInfo node;
      node.name = "n" + std::to_string(i);
      node.total = {cpus, mem, 0};
      node.free = node.total;
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
  // Node fully busy until +after, given as a release (as the controller and the simulator pass
  // running jobs) rather than a running job.
  Cluster& ReleasedAt(uint32_t node, Seconds after) {
    nodes[node].releases.push_back({kNow + after, nodes[node].total});
    nodes[node].free = {0, 0, 0};
    return *this;
  }
  std::vector<uint32_t> All() const {
    std::vector<uint32_t> v;
    for (uint32_t i = 0; i < nodes.size(); ++i) v.push_back(i);
    return v;
  }
};

JobRequest Job(const Cluster& c, model::JobId id, uint32_t tasks, Seconds limit = 3600) {
  JobRequest j;
  j.id = id;
  j.tasks = tasks;
  j.time_limit = limit;
  j.candidates = c.All();
  return j;
}

// `n` 4-CPU nodes, n0 busy until +600 as a release (as the controller and the simulator pass
// running jobs).
Cluster FirstBusyUntil600(int n) {
  Cluster c(n);
  c.ReleasedAt(0, 600);
  return c;
}

// Job() on the shared candidate set 0 (every node).
JobRequest SetJob(const Cluster& c, model::JobId id, uint32_t tasks, Seconds limit) {
  JobRequest j = Job(c, id, tasks, limit);
  j.candidate_set = 0;
  return j;
}

Options Opts(Policy p) {
  Options o;
  o.policy = p;
  return o;
}

// `n` idle 4-CPU, 400 MB nodes, for the planner's tests.
std::vector<NodeInfo> IdleNodes(size_t n) {
  std::vector<NodeInfo> nodes(n);
  for (auto& node : nodes) {
    node.total = {4, 400, 0};
    node.free = node.total;
  }
  return nodes;
}

// Conservative passes over one queue on candidate set 0 (every node), sharing a cache: a chain
// of passes as the controller runs them.
struct ConservativeChain {
  ConservativeChain(const Cluster& cluster, std::vector<const JobRequest*> jobs)
      : c(cluster), sets{cluster.All()}, queue(std::move(jobs)) {}
  std::vector<Decision> Pass(UnixTime now) {
    return RunPass(Opts(Policy::kConservative), now, c.nodes, {}, queue, sets, nullptr, &cache);
  }
  const Cluster& c;
  std::vector<std::vector<uint32_t>> sets;
  std::vector<const JobRequest*> queue;
  PassCache cache;
};

std::vector<uint32_t> NodesOf(const Decision& d) {
  std::vector<uint32_t> v;
  for (const auto& [n, r] : d.alloc) v.push_back(n);
  return v;
}

TEST(FifoSchedTest, StopsAtFirstBlocker) {
  Cluster c(2);
  c.Busy(0, 4, 600);
  std::vector<JobRequest> q = {Job(c, 1, 2), Job(c, 2, 4), Job(c, 3, 1)};
  PassStats stats;
  auto d = RunPass(Opts(Policy::kFifo), kNow, c.nodes, c.running, q, &stats);
  ASSERT_EQ(d.size(), 3u);
  EXPECT_TRUE(d[0].start);
  EXPECT_EQ(NodesOf(d[0]), std::vector<uint32_t>{1});
  EXPECT_FALSE(d[1].start);
  EXPECT_EQ(d[1].reason, Reason::kResources);
  EXPECT_EQ(d[1].expected_start, kNow + 600);
  EXPECT_FALSE(d[2].start);  // would fit on n1's 2 free CPUs, but FIFO stops
  EXPECT_EQ(d[2].reason, Reason::kPriority);
  EXPECT_EQ(stats.started, 1u);
  EXPECT_EQ(stats.examined, 3u);
}

TEST(NodeIndexTest, CountsNodesWithRoomAndNoneBeyondTheLargestNode) {
  internal::NodeIndex idx({0, 1, 2}, 16);
  idx.Set(0, 16);
  idx.Set(1, 4);
  idx.Set(2, 0);
  EXPECT_EQ(idx.CountAtLeast(1), 2u);
  EXPECT_EQ(idx.CountAtLeast(16), 1u);
  // No 16-CPU node holds 32 CPUs: a one-node walk for them must not start.
  EXPECT_EQ(idx.CountAtLeast(32), 0u);
  EXPECT_EQ(idx.TasksBound(4), 5u);
  // Beyond kMaxLevel the top level stands for every larger count: it may hold them.
  internal::NodeIndex wide({0}, 4096);
  wide.Set(0, internal::NodeIndex::kMaxLevel);
  EXPECT_EQ(wide.CountAtLeast(2048), 1u);
}

// A walk down the levels can pass by a set of nodes (a bitset by node number), where the index
// holds nodes by number; one whose order differs does not say it does.
TEST(NodeIndexTest, WalksDownSkippingNodesByNumber) {
  std::vector<uint32_t> order(130);
  for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  internal::NodeIndex idx(order, 8);
  for (uint32_t i = 0; i < order.size(); ++i) idx.Set(i, i % 3 == 0 ? 8 : 2);
  ASSERT_TRUE(idx.by_number());
  std::vector<uint64_t> skip(3, 0);
  for (uint32_t n : {0u, 3u, 66u, 129u}) skip[n / 64] |= uint64_t{1} << (n % 64);
  std::vector<uint32_t> seen;
  idx.VisitDownSkipping(4, skip, [&](uint32_t n) {
    seen.push_back(n);
    return true;
  });
  std::vector<uint32_t> want;
  for (uint32_t i = 0; i < order.size(); ++i) {
    if (i % 3 == 0 && i != 0 && i != 3 && i != 66 && i != 129) want.push_back(i);
  }
  EXPECT_EQ(seen, want);
  EXPECT_FALSE(internal::NodeIndex({1, 0}, 8).by_number());
}

TEST(FifoSchedTest, PulledQueueStopsAtTheBlockedJob) {
  Cluster c(2);
  c.Busy(0, 4, 600);
  std::vector<JobRequest> q = {Job(c, 1, 2), Job(c, 2, 4), Job(c, 3, 1), Job(c, 4, 1)};
  size_t pulls = 0;
  const JobSource next = [&]() -> const JobRequest* {
    return pulls < q.size() ? &q[pulls++] : nullptr;
  };
  std::vector<std::vector<uint32_t>> no_sets;
  auto d = RunPass(Opts(Policy::kFifo), kNow, c.nodes, c.running, next, no_sets);
  // Job 2 blocks the queue: jobs 3 and 4 are never pulled, and job 2 anchors the verdicts.
  EXPECT_EQ(pulls, 2u);
  ASSERT_EQ(d.size(), 2u);
  EXPECT_TRUE(d[0].start);
  EXPECT_FALSE(d[1].start);
  EXPECT_TRUE(d[1].anchor);
  EXPECT_EQ(d[1].reason, Reason::kResources);
  // EASY pulls everything: a later job may backfill. Its planned head is the only anchor.
  pulls = 0;
  d = RunPass(Opts(Policy::kEasy), kNow, c.nodes, c.running, next, no_sets);
  EXPECT_EQ(pulls, 4u);
  ASSERT_EQ(d.size(), 4u);
  EXPECT_FALSE(d[1].start);
  EXPECT_TRUE(d[1].anchor);
  EXPECT_EQ(d[1].expected_start, kNow + 600);
  EXPECT_TRUE(d[2].start);  // n1's free CPUs: the reservation is on n0
  EXPECT_TRUE(d[3].start);
}

// Three 4-CPU nodes: n0 and n1 busy until +600, n2 until +1200. A two-node job is reserved on
// n0 and n1 at +600.
struct KeptFixture {
  Cluster c{3};
  std::vector<std::vector<uint32_t>> sets;
  std::vector<JobRequest> q;
  std::vector<const JobRequest*> queue;
  PassCache cache;
  KeptFixture() {
    c.Busy(0, 4, 600).Busy(1, 4, 600).Busy(2, 4, 1200);
    sets.push_back(c.All());
    JobRequest wide = Job(c, 1, 8);
    wide.nodes = 2;
    wide.candidate_set = 0;
    q.push_back(wide);
    queue.push_back(&q[0]);
  }
  PassStats stats;
  Decision Pass(UnixTime now) {
    auto d =
        RunPass(Opts(Policy::kConservative), now, c.nodes, c.running, queue, sets, &stats, &cache);
    return d.front();
  }
};

TEST(KeptReservationTest, APassAfterOnlySubmissionsKeepsTheLastReservation) {
  KeptFixture f;
  EXPECT_EQ(f.Pass(kNow).expected_start, kNow + 600);
  // The caller vouches nothing was freed: the reservation stands even though n0 and n1 now
  // claim to free up at +300 (a new plan would move it there). Slots lie on one grid from pass
  // to pass, so it keeps its start.
  f.c.running[0].end = kNow + 300;
  f.c.running[1].end = kNow + 300;
  f.cache.NodeChanged(0);
  f.cache.NodeChanged(1);
  f.cache.KeepReservations();
  EXPECT_EQ(f.Pass(kNow + 30).expected_start, kNow + 600);
  // Only for the next pass: the one after plans again.
  f.cache.NodeChanged(0);
  EXPECT_EQ(f.Pass(kNow + 30).expected_start, kNow + 300);
}

TEST(KeptReservationTest, AKeptReservationWithoutRoomIsPlannedAgain) {
  KeptFixture f;
  EXPECT_EQ(f.Pass(kNow).expected_start, kNow + 600);
  f.c.nodes[1].usable = false;
  f.cache.NodeChanged(1);
  f.cache.KeepReservations();
  // n1 is gone: n0 at +600 and n2 at +1200.
  EXPECT_EQ(f.Pass(kNow).expected_start, kNow + 1200);
}

// After job ends, a rechecking pass keeps a reservation that the freed nodes cannot bring
// forward: n2 alone cannot hold the two-node job before +600.
TEST(KeptReservationTest, ARecheckKeepsWhatFreedNodesCannotImprove) {
  KeptFixture f;
  EXPECT_EQ(f.Pass(kNow).expected_start, kNow + 600);
  EXPECT_EQ(f.stats.kept, 0u);
  f.c.running.pop_back();  // n2's job ended
  f.c.nodes[2].free = f.c.nodes[2].total;
  f.cache.NodeChanged(2);
  f.cache.NodeFreed(2);
  f.cache.RecheckReservations();
  EXPECT_EQ(f.Pass(kNow + 30).expected_start, kNow + 600);
  EXPECT_EQ(f.stats.reserved, 1u);
  EXPECT_EQ(f.stats.kept, 1u);
}

// With two nodes freed that together can hold the job earlier, it is planned again: n0 and
// n1 now free up at +300, and the new plan starts it there.
TEST(KeptReservationTest, ARecheckPlansAgainWhereFreedNodesMayHoldTheJobEarlier) {
  KeptFixture f;
  EXPECT_EQ(f.Pass(kNow).expected_start, kNow + 600);
  for (uint32_t n : {0u, 1u}) {
    f.c.running[n].end = kNow + 300;
    f.cache.NodeChanged(n);
    f.cache.NodeFreed(n);
  }
  f.cache.RecheckReservations();
  EXPECT_EQ(f.Pass(kNow + 30).expected_start, kNow + 300);
  EXPECT_EQ(f.stats.kept, 0u);
  // The freed nodes were for that pass only: a recheck after nothing freed keeps the plan.
  f.cache.RecheckReservations();
  EXPECT_EQ(f.Pass(kNow + 50).expected_start, kNow + 300);
  EXPECT_EQ(f.stats.kept, 1u);
  // Without a recheck, the next pass plans afresh.
  f.Pass(kNow + 50);
  EXPECT_EQ(f.stats.kept, 0u);
}

// The room a rechecked job could not start in, plus what the freed nodes hold now, bounds
// what it can start now. Six tasks on 4-CPU nodes: the plan asks two nodes of three tasks
// (n0 and n1 at +600), but once n0 is free they fit now as four on n0 and two on n2.
TEST(KeptReservationTest, ARecheckStartsAJobTheFreedRoomHolds) {
  KeptFixture f;
  f.c.nodes[2].free.cpus = 2;  // n2's job holds 2 of its CPUs
  f.c.running[2].alloc[0].second.cpus = 2;
  f.q[0].nodes = 0;
  f.q[0].tasks = 6;
  EXPECT_EQ(f.Pass(kNow).expected_start, kNow + 600);
  f.c.running.erase(f.c.running.begin());  // n0's job ends
  f.c.nodes[0].free = f.c.nodes[0].total;
  f.cache.NodeChanged(0);
  f.cache.NodeFreed(0);
  f.cache.RecheckReservations();
  const Decision d = f.Pass(kNow + 30);
  EXPECT_TRUE(d.start);
  EXPECT_EQ(d.alloc.size(), 2u);
}

// With running jobs as releases (as the controller and the simulator pass them), a job looked
// at again is planned as if it had given its reservation back. Three 4-CPU nodes free up at
// +300, +600 and +1200: the two-node job is reserved at +600 on n0 and n1. n2's job then ends
// sooner than its limit said (+450): the job moves up to n0 and n2 at +480 (the next boundary
// of the 60 s grid), and a pass after that keeps it there.
TEST(KeptReservationTest, ALookAgainMovesAReservationUpOverItsOwnNodes) {
  Cluster c(3);
  c.ReleasedAt(0, 300).ReleasedAt(1, 600).ReleasedAt(2, 1200);
  std::vector<std::vector<uint32_t>> sets = {c.All()};
  std::vector<JobRequest> q = {Job(c, 1, 8)};
  q.reserve(2);  // `queue` points into it
  q[0].nodes = 2;
  q[0].candidate_set = 0;
  std::vector<const JobRequest*> queue = {&q[0]};
  PassCache cache;
  PassStats stats;
  auto pass = [&](UnixTime now) {
    return RunPass(Opts(Policy::kConservative), now, c.nodes, {}, queue, sets, &stats, &cache)
        .front();
  };
  Decision d = pass(kNow);
  EXPECT_EQ(d.expected_start, kNow + 600);
  c.nodes[2].releases[0].end = kNow + 450;
  cache.NodeChanged(2);
  cache.NodeFreed(2);
  cache.RecheckReservations();
  d = pass(kNow + 30);
  EXPECT_EQ(d.expected_start, kNow + 480);
  EXPECT_EQ(stats.kept, 0u);
  cache.RecheckReservations();
  d = pass(kNow + 40);
  EXPECT_EQ(d.expected_start, kNow + 480);
  EXPECT_EQ(stats.kept, 1u);
  // Its nodes are n0 and n2 now: n1 free from +600 can take a job that ends by +1200.
  q.push_back(Job(c, 2, 4, 500));
  q[1].nodes = 1;
  q[1].candidate_set = 0;
  queue.push_back(&q[1]);
  cache.KeepReservations();
  auto all =
      RunPass(Opts(Policy::kConservative), kNow + 50, c.nodes, {}, queue, sets, &stats, &cache);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].expected_start, kNow + 480);
  EXPECT_EQ(all[1].expected_start, kNow + 600);
}

// A conservative pass that goes on from the last counts what reservations leave before it walks
// the nodes: a job short enough to end before a wide reservation begins still starts on the
// reserved nodes, and one that would reach into it waits (counted short, without a walk).
// Thirty 4-CPU nodes; n0 is busy until +600 (a release, as the controller and the simulator
// pass running jobs), so the all-node job W is reserved there.
TEST(KeptReservationTest, CountedRoomLeavesReservedNodesToJobsThatEndBeforeThem) {
  Cluster c = FirstBusyUntil600(30);
  std::vector<std::vector<uint32_t>> sets = {c.All()};
  auto job = [&](model::JobId id, uint32_t tasks, Seconds limit) {
    return SetJob(c, id, tasks, limit);
  };
  std::vector<JobRequest> q = {job(1, 120, 3600), job(2, 1, 3600)};
  q[0].nodes = 30;
  PassCache cache;
  auto pass = [&](UnixTime now) {
    std::vector<const JobRequest*> queue;
    for (const JobRequest& j : q) queue.push_back(&j);
    return RunPass(Opts(Policy::kConservative), now, c.nodes, {}, queue, sets, nullptr, &cache);
  };
  auto d = pass(kNow);
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].expected_start, kNow + 600);
  EXPECT_FALSE(d[1].start);  // an hour reaches into W's window everywhere
  EXPECT_EQ(d[1].expected_start, kNow + 600 + 3600);
  // Submissions only: S (five minutes, six tasks) ends before +600 on the reserved nodes; L
  // (an hour) would not. S starts from the walk, which fills a node before taking another (a
  // plan would ask two nodes of three tasks).
  q.push_back(job(3, 6, 300));
  q.push_back(job(4, 8, 3600));
  cache.KeepReservations();
  d = pass(kNow + 30);
  ASSERT_EQ(d.size(), 4u);
  EXPECT_EQ(d[0].expected_start, kNow + 600);
  EXPECT_EQ(d[1].expected_start, kNow + 600 + 3600);
  EXPECT_TRUE(d[2].start);
  std::multiset<uint32_t> cpus;
  for (const auto& [n, r] : d[2].alloc) cpus.insert(r.cpus);
  EXPECT_EQ(cpus, (std::multiset<uint32_t>{2, 4}));
  EXPECT_FALSE(d[3].start);
  EXPECT_EQ(d[3].reason, Reason::kPriority);  // the free CPUs hold it; W's window does not
  EXPECT_EQ(d[3].expected_start, kNow + 600 + 3600);
}

// After submissions alone a conservative pass may be handed only the new jobs
// (PassCache::KeepUnseenReservations): the reservations of the jobs it is not handed stand and
// hold their windows, so the new jobs are decided as a pass over the whole queue decides them.
// The chain of the test above: W reserved at +600, job 2 behind it at +600 + 3600.
TEST(KeptReservationTest, APassHandedOnlyNewJobsKeepsTheOthersReservations) {
  Cluster c = FirstBusyUntil600(30);
  std::vector<std::vector<uint32_t>> sets = {c.All()};
  auto job = [&](model::JobId id, uint32_t tasks, Seconds limit) {
    return SetJob(c, id, tasks, limit);
  };
  std::vector<JobRequest> q = {job(1, 120, 3600), job(2, 1, 3600), job(3, 6, 300), job(4, 8, 3600)};
  q[0].nodes = 30;
  auto chain = [&](bool unseen) {
    PassCache cache;
    PassStats stats;
    auto pass = [&](UnixTime now, size_t from, size_t to) {
      std::vector<const JobRequest*> queue;
      for (size_t i = from; i < to; ++i) queue.push_back(&q[i]);
      return RunPass(Opts(Policy::kConservative), now, c.nodes, {}, queue, sets, &stats, &cache);
    };
    std::vector<Decision> all = pass(kNow, 0, 2);
    cache.KeepReservations();
    EXPECT_TRUE(cache.ReservationsStandUnseen(kNow + 30, 2));
    EXPECT_FALSE(cache.ReservationsStandUnseen(kNow + 30, 3));   // an anchor without one
    EXPECT_FALSE(cache.ReservationsStandUnseen(kNow + 600, 2));  // W's start has come
    if (unseen) cache.KeepUnseenReservations();
    std::vector<Decision> d = pass(kNow + 30, unseen ? 2 : 0, 4);
    EXPECT_EQ(d.size(), unseen ? 2u : 4u);
    all.insert(all.end(), d.end() - 2, d.end());
    // The next pass (every job, nothing changed) finds W, job 2 and L where they were, their
    // reservations kept.
    cache.KeepReservations();
    d = pass(kNow + 40, 0, 4);
    EXPECT_EQ(d.size(), 4u);
    EXPECT_EQ(stats.kept, 3u);
    all.insert(all.end(), d.begin(), d.end());
    return all;
  };
  const std::vector<Decision> unseen = chain(true), whole = chain(false);
  ASSERT_EQ(unseen.size(), 8u);
  ASSERT_EQ(whole.size(), unseen.size());
  for (size_t i = 0; i < whole.size(); ++i) {
    EXPECT_EQ(unseen[i].id, whole[i].id) << i;
    EXPECT_EQ(unseen[i].start, whole[i].start) << i;
    EXPECT_EQ(unseen[i].alloc, whole[i].alloc) << i;
    EXPECT_EQ(unseen[i].expected_start, whole[i].expected_start) << i;
    EXPECT_EQ(unseen[i].anchor, whole[i].anchor) << i;
  }
  EXPECT_TRUE(unseen[2].start);   // S ends before W's window
  EXPECT_FALSE(unseen[3].start);  // L waits behind W and job 2
  EXPECT_EQ(unseen[3].expected_start, kNow + 600 + 3600);
  EXPECT_EQ(unseen[4].expected_start, kNow + 600);
  EXPECT_EQ(unseen[5].expected_start, kNow + 600 + 3600);
}

// The release walk a conservative chain keeps from pass to pass carries what each node has free
// after each of its releases: a job started on a node, ending with one of its jobs, leaves its
// release times as they were but less room before then, and a plan of the next pass must see
// that. n1 (4 CPUs) runs a 1-CPU job until +900 and another until +1500; then a 2-CPU job to
// +1500 starts there.
TEST(KeptReservationTest, APlanSeesANodeThatKeptItsReleaseTimesButLostRoom) {
  Cluster c(3);
  c.ReleasedAt(0, 600).ReleasedAt(2, 2000);
  c.nodes[1].free = {2, 4000, 0};
  c.nodes[1].releases = {{kNow + 900, {1, 0, 0}}, {kNow + 1500, {1, 0, 0}}};
  std::vector<std::vector<uint32_t>> sets = {c.All()};
  std::vector<JobRequest> q = {SetJob(c, 1, 4, 3600), SetJob(c, 2, 3, 600)};
  PassCache cache;
  auto pass = [&](UnixTime now, std::vector<const JobRequest*> queue) {
    return RunPass(Opts(Policy::kConservative), now, c.nodes, {}, queue, sets, nullptr, &cache);
  };
  // Job 1 (a whole node) is reserved on n0 at +600.
  std::vector<Decision> d = pass(kNow, {&q[0]});
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].expected_start, kNow + 600);
  c.nodes[1].free = {0, 4000, 0};
  c.nodes[1].releases.push_back({kNow + 1500, {2, 0, 0}});
  cache.NodeChanged(1);
  cache.KeepReservations();
  // Job 2 (3 CPUs) fits n1 from +1500 now, no longer from +900 (and n2 from +2000).
  d = pass(kNow + 30, {&q[0], &q[1]});
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].expected_start, kNow + 600);
  EXPECT_EQ(d[1].expected_start, kNow + 1500);
}

// The reservations kept unseen count against bf_max_job_test as if the pass had looked at them:
// with room for two plans, both taken, a new job that must wait gets none.
TEST(KeptReservationTest, ReservationsKeptUnseenCountAgainstTheJobTest) {
  Cluster c = FirstBusyUntil600(3);
  std::vector<std::vector<uint32_t>> sets = {c.All()};
  std::vector<JobRequest> q = {SetJob(c, 1, 12, 3600), SetJob(c, 2, 12, 3600),
                               SetJob(c, 3, 12, 3600)};
  for (auto& j : q) j.nodes = 3;
  Options o = Opts(Policy::kConservative);
  o.bf_max_job_test = 2;
  PassCache cache;
  auto d = RunPass(o, kNow, c.nodes, {}, std::vector<const JobRequest*>{&q[0], &q[1]}, sets,
                   nullptr, &cache);
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[1].expected_start, kNow + 600 + 3600);
  cache.KeepReservations();
  ASSERT_TRUE(cache.ReservationsStandUnseen(kNow + 10, 2));
  cache.KeepUnseenReservations();
  d = RunPass(o, kNow + 10, c.nodes, {}, std::vector<const JobRequest*>{&q[2]}, sets, nullptr,
              &cache);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_FALSE(d[0].start);
  EXPECT_FALSE(d[0].anchor);
  EXPECT_EQ(d[0].expected_start, 0);
}

// Along a conservative chain a waiting job's reason comes from the free nodes' capacity for its
// shape, carried from pass to pass and brought up to date where nodes changed. Three 4-CPU,
// 4000 MB nodes, n0 busy until +600 (a release): W (all three nodes) is reserved at +600, L
// (four tasks of 1500 MB, an hour) waits behind it for priority while n1 and n2 hold two of its
// tasks each; once X (two tasks of 1000 MB) started on one of them they no longer do, though
// their free CPUs would (memory binds, so only the capacity tells).
TEST(KeptReservationTest, AWaitingJobsReasonFollowsTheFreeRoomFromPassToPass) {
  Cluster c = FirstBusyUntil600(3);
  std::vector<std::vector<uint32_t>> sets = {c.All()};
  std::vector<JobRequest> q = {SetJob(c, 1, 12, 3600), SetJob(c, 2, 4, 3600), SetJob(c, 3, 2, 300)};
  q[0].nodes = 3;
  q[1].mem_per_cpu_mb = 1500;
  q[2].mem_per_cpu_mb = 1000;
  PassCache cache;
  auto pass = [&](UnixTime now, size_t jobs) {
    std::vector<const JobRequest*> queue;
    for (size_t i = 0; i < jobs; ++i) queue.push_back(&q[i]);
    return RunPass(Opts(Policy::kConservative), now, c.nodes, {}, queue, sets, nullptr, &cache);
  };
  auto d = pass(kNow, 2);
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].expected_start, kNow + 600);
  EXPECT_EQ(d[1].reason, Reason::kPriority);
  cache.KeepReservations();
  d = pass(kNow + 30, 3);
  ASSERT_EQ(d.size(), 3u);
  EXPECT_EQ(d[1].reason, Reason::kPriority);
  ASSERT_TRUE(d[2].start);  // X ends before W's window
  ASSERT_EQ(d[2].alloc.size(), 1u);
  const auto [x_node, x_took] = d[2].alloc.front();
  c.nodes[x_node].free -= x_took;
  c.nodes[x_node].releases.push_back({kNow + 330, x_took});
  cache.NodeChanged(x_node);
  cache.KeepReservations();
  d = pass(kNow + 40, 2);
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].expected_start, kNow + 600);
  EXPECT_EQ(d[1].reason, Reason::kResources);  // room for three tasks of 1500 MB
}

// Without pending reasons (Options::pending_reasons, off in `sluice sim`), a chain of passes
// decides as with them, and a waiting job's reason is kNone. The chain of the test above.
TEST(KeptReservationTest, PassesWithoutPendingReasonsDecideAlike) {
  auto chain = [](bool reasons) {
    Cluster c = FirstBusyUntil600(3);
    std::vector<std::vector<uint32_t>> sets = {c.All()};
    std::vector<JobRequest> q = {SetJob(c, 1, 12, 3600), SetJob(c, 2, 4, 3600),
                                 SetJob(c, 3, 2, 300)};
    q[0].nodes = 3;
    q[1].mem_per_cpu_mb = 1500;
    q[2].mem_per_cpu_mb = 1000;
    PassCache cache;
    Options o = Opts(Policy::kConservative);
    o.pending_reasons = reasons;
    auto pass = [&](UnixTime now, size_t jobs) {
      std::vector<const JobRequest*> queue;
      for (size_t i = 0; i < jobs; ++i) queue.push_back(&q[i]);
      return RunPass(o, now, c.nodes, {}, queue, sets, nullptr, &cache);
    };
    std::vector<Decision> all = pass(kNow, 2);
    cache.KeepReservations();
    std::vector<Decision> d = pass(kNow + 30, 3);
    all.insert(all.end(), d.begin(), d.end());
    for (const Decision& x : d) {
      if (!x.start || x.alloc.empty()) continue;
      c.nodes[x.alloc.front().first].free -= x.alloc.front().second;
      c.nodes[x.alloc.front().first].releases.push_back({kNow + 330, x.alloc.front().second});
      cache.NodeChanged(x.alloc.front().first);
    }
    cache.KeepReservations();
    d = pass(kNow + 40, 2);
    all.insert(all.end(), d.begin(), d.end());
    return all;
  };
  const std::vector<Decision> with = chain(true), without = chain(false);
  ASSERT_EQ(with.size(), 7u);
  ASSERT_EQ(without.size(), with.size());
  bool some_reason = false;
  for (size_t i = 0; i < with.size(); ++i) {
    EXPECT_EQ(without[i].id, with[i].id);
    EXPECT_EQ(without[i].start, with[i].start) << i;
    EXPECT_EQ(without[i].alloc, with[i].alloc) << i;
    EXPECT_EQ(without[i].expected_start, with[i].expected_start) << i;
    EXPECT_EQ(without[i].anchor, with[i].anchor) << i;
    if (!with[i].start) {
      some_reason = some_reason || with[i].reason != Reason::kNone;
      EXPECT_EQ(without[i].reason, Reason::kNone) << i;
    }
  }
  EXPECT_TRUE(some_reason);
}

// A waiting job's reason is kept from pass to pass by shape while nothing free now changes, and
// asked again once something does. Three 4-CPU nodes, n0 and n1 busy until +600: W (all three)
// is reserved at +600 and L (eight tasks) waits behind it for resources (n2's four CPUs are all
// that is free). A pass after an arrival alone changes nothing; then n0's job ends early, and
// L would fit the free CPUs (n0 and n2) were it not for W: it waits for priority.
TEST(KeptReservationTest, AWaitingJobsReasonIsAskedAgainWhenANodeFrees) {
  Cluster c(3);
  c.ReleasedAt(0, 600).ReleasedAt(1, 600);
  std::vector<JobRequest> q = {SetJob(c, 1, 12, 3600), SetJob(c, 2, 8, 3600)};
  q[0].nodes = 3;
  ConservativeChain chain(c, {&q[0], &q[1]});
  auto d = chain.Pass(kNow);
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].expected_start, kNow + 600);
  EXPECT_EQ(d[1].reason, Reason::kResources);
  chain.cache.KeepReservations();
  d = chain.Pass(kNow + 10);
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[1].reason, Reason::kResources);
  c.nodes[0].releases.clear();
  c.nodes[0].free = c.nodes[0].total;
  chain.cache.NodeChanged(0);
  chain.cache.NodeFreed(0);
  chain.cache.RecheckReservations();
  d = chain.Pass(kNow + 20);
  ASSERT_EQ(d.size(), 2u);
  EXPECT_FALSE(d[0].start);  // n1 is still busy
  EXPECT_EQ(d[1].reason, Reason::kPriority);
}

// Plans walk the release times of nodes without a reservation, kept from pass to pass: a node
// leaves the walk once reserved and comes back when its reservation goes, given back by a look
// again or dropped by a pass that plans afresh. Three 4-CPU nodes free up at +600, +600 and
// +1200: W (two nodes) is reserved on n0 and n1 at +600, J (one node) on n2 at +1200. n2 then
// frees at +900: J looks again (its plan walks the releases without n0 and n1) and moves there.
// A pass that plans afresh drops every reservation: W and J find their nodes again.
TEST(KeptReservationTest, ReservedNodesLeaveThePlansReleaseWalkAndComeBack) {
  Cluster c(3);
  c.ReleasedAt(0, 600).ReleasedAt(1, 600).ReleasedAt(2, 1200);
  std::vector<JobRequest> q = {Job(c, 1, 8), Job(c, 2, 4)};
  q[0].nodes = 2;
  q[1].nodes = 1;
  for (JobRequest& j : q) j.candidate_set = 0;
  ConservativeChain chain(c, {&q[0], &q[1]});
  auto d = chain.Pass(kNow);
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].expected_start, kNow + 600);
  EXPECT_EQ(d[1].expected_start, kNow + 1200);
  c.nodes[2].releases[0].end = kNow + 900;
  chain.cache.NodeChanged(2);
  chain.cache.NodeFreed(2);
  chain.cache.RecheckReservations();
  d = chain.Pass(kNow + 10);
  EXPECT_EQ(d[0].expected_start, kNow + 600);
  EXPECT_EQ(d[1].expected_start, kNow + 900);
  d = chain.Pass(kNow + 20);
  EXPECT_EQ(d[0].expected_start, kNow + 600);
  EXPECT_EQ(d[1].expected_start, kNow + 900);
}

// EASY backfill counts what its reservation leaves before it walks the nodes: on the reserved
// nodes, a run reaching into the reservation has at most the CPUs it does not take. Ten 4-CPU
// nodes, n0 busy until +600 (a release): W takes two CPUs of every node from +600, so an
// hour-long job of four tasks still starts (two nodes of two), one of four tasks on one node
// waits.
TEST(EasySchedTest, CountedRoomKeepsWhatTheReservationLeavesOnItsNodes) {
  Cluster c = FirstBusyUntil600(10);
  std::vector<JobRequest> q = {Job(c, 1, 20), Job(c, 2, 4), Job(c, 3, 4)};
  q[0].nodes = 10;
  q[2].nodes = 1;
  auto d = RunPass(Opts(Policy::kEasy), kNow, c.nodes, {}, q);
  ASSERT_EQ(d.size(), 3u);
  EXPECT_FALSE(d[0].start);
  EXPECT_EQ(d[0].expected_start, kNow + 600);
  ASSERT_TRUE(d[1].start);
  for (const auto& [n, r] : d[1].alloc) EXPECT_EQ(r.cpus, 2u);
  EXPECT_FALSE(d[2].start);
  EXPECT_EQ(d[2].reason, Reason::kPriority);
}

TEST(FifoSchedTest, RequestThatCanNeverFitDoesNotBlock) {
  Cluster c(2);
  std::vector<JobRequest> q = {Job(c, 1, 100), Job(c, 2, 1)};
  auto d = RunPass(Opts(Policy::kFifo), kNow, c.nodes, c.running, q);
  EXPECT_FALSE(d[0].start);
  EXPECT_EQ(d[0].reason, Reason::kResources);
  EXPECT_EQ(d[0].expected_start, 0);
  EXPECT_TRUE(d[1].start);
}

// 3 nodes of 4 CPUs; n0 busy until +600, n1 and n2 half busy until +1200. Job 1 wants all
// three nodes whole: reserved at +1200.
TEST(EasySchedTest, BackfillsOnlyWhatDoesNotDelayTheReservation) {
  Cluster c(3);
  c.Busy(0, 4, 600).Busy(1, 2, 1200).Busy(2, 2, 1200);
  JobRequest big = Job(c, 1, 12);
  big.nodes = 3;
  big.tasks_per_node = 4;
  std::vector<JobRequest> q = {big, Job(c, 2, 2, 600), Job(c, 3, 2, 3600)};
  PassStats stats;
  auto d = RunPass(Opts(Policy::kEasy), kNow, c.nodes, c.running, q, &stats);
  EXPECT_FALSE(d[0].start);
  EXPECT_EQ(d[0].reason, Reason::kResources);
  EXPECT_EQ(d[0].expected_start, kNow + 1200);
  EXPECT_TRUE(d[1].start);   // ends at +600, before the reservation
  EXPECT_FALSE(d[2].start);  // fits now, but would still hold 2 CPUs at +1200
  EXPECT_EQ(d[2].reason, Reason::kPriority);
  EXPECT_EQ(d[2].expected_start, kNow + 1200 + 3600);  // after the big job
  EXPECT_EQ(stats.reserved, 1u);
}

TEST(EasySchedTest, LongJobMayUseNodesTheReservationDoesNotNeed) {
  Cluster c(3);
  c.Busy(0, 4, 600).Busy(1, 4, 600);
  JobRequest two = Job(c, 1, 8);
  two.nodes = 2;
  two.tasks_per_node = 4;
  // Job 1 cannot start now (one idle node); at +600 it takes n0 and n1, so n2 is extra.
  std::vector<JobRequest> q = {two, Job(c, 2, 4, 86400), Job(c, 3, 1)};
  auto d = RunPass(Opts(Policy::kEasy), kNow, c.nodes, c.running, q);
  EXPECT_EQ(d[0].expected_start, kNow + 600);
  EXPECT_TRUE(d[1].start);
  EXPECT_EQ(NodesOf(d[1]), std::vector<uint32_t>{2});
  EXPECT_FALSE(d[2].start);
  EXPECT_EQ(d[2].reason, Reason::kResources);
}

// 2 nodes; n0 busy until +600, n1 half busy until +1200.
struct TwoWaitersCase {
  Policy policy;
  bool third_starts;
  UnixTime second_expected;
};

class SchedTwoWaitersTest : public ::testing::TestWithParam<TwoWaitersCase> {};

TEST_P(SchedTwoWaitersTest, SecondReservationIsRespectedOnlyWhenConservative) {
  const auto& tc = GetParam();
  Cluster c(2);
  c.Busy(0, 4, 600).Busy(1, 2, 1200);
  std::vector<JobRequest> q = {Job(c, 1, 4), Job(c, 2, 4), Job(c, 3, 2), Job(c, 4, 2, 600)};
  auto d = RunPass(Opts(tc.policy), kNow, c.nodes, c.running, q);
  EXPECT_EQ(d[0].expected_start, kNow + 600);  // n0 at +600
  EXPECT_EQ(d[1].expected_start, tc.second_expected);
  EXPECT_EQ(d[2].start, tc.third_starts);  // 2 CPUs on n1 for an hour: delays job 2's plan
  // Ends by +600 on n1, delaying nobody; under EASY job 3 took n1's room first.
  EXPECT_EQ(d[3].start, !tc.third_starts);
  if (!tc.third_starts) {
    EXPECT_EQ(d[2].reason, Reason::kPriority);
    EXPECT_EQ(d[2].expected_start, kNow + 600 + 3600);  // n0 once job 1 is done
  }
}

INSTANTIATE_TEST_SUITE_P(
    Policies, SchedTwoWaitersTest,
    ::testing::Values(
        // EASY reserves only job 1; job 2's expected start is computed but not held.
        TwoWaitersCase{Policy::kEasy, true, kNow + 1200},
        TwoWaitersCase{Policy::kConservative, false, kNow + 1200}));

TEST(ConservativeSchedTest, ReservationCapLimitsPlansNotStarts) {
  Cluster c(2);
  c.Busy(0, 4, 600).Busy(1, 2, 1200);
  Options o = Opts(Policy::kConservative);
  o.bf_max_job_test = 1;
  std::vector<JobRequest> q = {Job(c, 1, 4), Job(c, 2, 4), Job(c, 3, 2)};
  PassStats stats;
  auto d = RunPass(o, kNow, c.nodes, c.running, q, &stats);
  EXPECT_EQ(d[0].expected_start, kNow + 600);
  EXPECT_EQ(d[1].expected_start, 0);  // beyond the cap: not planned
  EXPECT_TRUE(d[2].start);            // and so only job 1's reservation constrains job 3
  EXPECT_EQ(stats.reserved, 1u);
}

TEST(SchedTest, WindowCutsOffPlans) {
  Cluster c(1);
  c.Busy(0, 4, 7200);
  Options o = Opts(Policy::kEasy);
  o.bf_window = 3600;
  auto d = RunPass(o, kNow, c.nodes, c.running, {Job(c, 1, 1)});
  EXPECT_FALSE(d[0].start);
  EXPECT_EQ(d[0].reason, Reason::kResources);
  EXPECT_EQ(d[0].expected_start, 0);
  o.bf_window = 7200;
  d = RunPass(o, kNow, c.nodes, c.running, {Job(c, 1, 1)});
  EXPECT_EQ(d[0].expected_start, kNow + 7200);
}

TEST(SchedTest, PlannedStartsRoundUpToResolution) {
  Cluster c(1);
  c.Busy(0, 4, 601);
  auto d = RunPass(Opts(Policy::kEasy), kNow, c.nodes, c.running, {Job(c, 1, 1)});
  EXPECT_EQ(d[0].expected_start, kNow + 660);
}

struct PlacementCase {
  std::string placement;
  uint32_t tasks;
  uint32_t node;
};

class SchedPlacementTest : public ::testing::TestWithParam<PlacementCase> {};

TEST_P(SchedPlacementTest, PicksNode) {
  const auto& tc = GetParam();
  Cluster c(3);  // free CPUs: n0 4, n1 1, n2 2
  c.Busy(1, 3, 600).Busy(2, 2, 600);
  c.nodes[0].weight = 1;
  c.nodes[1].weight = 5;
  c.nodes[2].weight = 5;
  Options o = Opts(Policy::kEasy);
  o.placement = tc.placement;
  auto d = RunPass(o, kNow, c.nodes, c.running, {Job(c, 1, tc.tasks)});
  ASSERT_TRUE(d[0].start);
  EXPECT_EQ(NodesOf(d[0]), std::vector<uint32_t>{tc.node});
}

INSTANTIATE_TEST_SUITE_P(
    Placements, SchedPlacementTest,
    ::testing::Values(PlacementCase{"best-fit", 1, 1}, PlacementCase{"best-fit", 2, 2},
                      PlacementCase{"best-fit", 3, 0}, PlacementCase{"spread", 1, 0},
                      PlacementCase{"weight-first", 1, 0}, PlacementCase{"no-such-plugin", 1, 1}));

// A plan ranks nodes that score alike by Weight, then number; where weights rise with node
// numbers the ranking goes by number alone, which must pick the same. Three 4-CPU nodes each
// have 2 CPUs busy until +600: the EASY head (a whole node) is reserved at +600 on the node
// that ranks first, and a 2-CPU hour-long job that starts now keeps off it, on the first other
// node in walk order.
TEST(SchedTest, APlanBreaksTiesByWeightThenNumber) {
  auto started_on = [](std::vector<uint32_t> weights) {
    Cluster c(3);
    for (uint32_t n = 0; n < 3; ++n) {
      c.Busy(n, 2, 600);
      c.nodes[n].weight = weights[n];
    }
    JobRequest head = Job(c, 1, 4);
    head.nodes = 1;
    JobRequest next = Job(c, 2, 2);
    next.nodes = 1;
    auto d = RunPass(Opts(Policy::kEasy), kNow, c.nodes, c.running, {head, next});
    EXPECT_EQ(d[0].expected_start, kNow + 600);
    EXPECT_TRUE(d[1].start);
    return NodesOf(d[1]);
  };
  EXPECT_EQ(started_on({5, 5, 1}), std::vector<uint32_t>{0});  // the head's is n2
  EXPECT_EQ(started_on({1, 5, 5}), std::vector<uint32_t>{1});  // the head's is n0
  EXPECT_EQ(started_on({1, 1, 1}), std::vector<uint32_t>{1});
}

// A placement that reads more of a node than its room and kind (here its number) is asked node
// by node (ScorePlugin::ScoresByKind false, the default), also for the nodes of one planner
// group, which share their room and score alike under best-fit. Four 4-CPU nodes busy until
// +600: job 1 (all four) is reserved at +600, so they form one group; job 2 (two of them) is
// planned after it on the two that rank first; job 3 names n0, which is free then only if job 2
// left it: best-fit ties go to n0 and n1, odd-first takes n1 and n3.
TEST(SchedTest, APlacementThatReadsMoreThanTheKindScoresEveryNodeOfAGroup) {
  class OddFirst : public ScorePlugin {
   public:
    std::string_view Name() const override { return "odd-first-test"; }
    Walk walk() const override { return Walk::kFewestFreeCpus; }
    int64_t Score(const JobRequest&, const NodeView& view, uint32_t) const override {
      return view.index % 2;
    }
  };
  (void)Registry::Global().RegisterScore("odd-first-test",
                                         [] { return std::make_unique<OddFirst>(); });
  auto third_start = [](const std::string& placement) {
    Cluster c(4);
    for (uint32_t n = 0; n < 4; ++n) c.ReleasedAt(n, 600);
    std::vector<std::vector<uint32_t>> sets = {c.All()};
    std::vector<JobRequest> q = {Job(c, 1, 16, 1000), Job(c, 2, 8, 1000), Job(c, 3, 4, 1000)};
    q[0].nodes = 4;
    q[1].nodes = 2;
    q[2].nodes = 1;
    q[2].required = {0};
    for (auto& j : q) j.candidate_set = 0;
    std::vector<const JobRequest*> queue = {&q[0], &q[1], &q[2]};
    Options o = Opts(Policy::kConservative);
    o.placement = placement;
    auto d = RunPass(o, kNow, c.nodes, {}, queue, sets, nullptr, nullptr);
    EXPECT_EQ(d[0].expected_start, kNow + 600);
    EXPECT_GT(d[1].expected_start, kNow + 1500);  // after job 1, rounded to the grid
    // With job 2 at its start, or after job 2's end.
    return d[2].expected_start == d[1].expected_start;
  };
  EXPECT_FALSE(third_start("best-fit"));
  EXPECT_TRUE(third_start("odd-first-test"));
}

// 4-CPU nodes of the given weights, busy until +600: job 1 (every node) is reserved at +600, so
// they form one planner group; job 2 (`tasks` tasks on `nodes` nodes) is planned after it. What
// job 2 left free on each node shows in whether a job behind it, naming the node, could start
// beside it: those free CPUs by node.
std::vector<uint32_t> FreeBesideAPlan(const std::vector<uint32_t>& weights, uint32_t nodes,
                                      uint32_t tasks) {
  const auto size = static_cast<uint32_t>(weights.size());
  std::vector<uint32_t> free(size, 0);
  for (uint32_t x = 0; x < size; ++x) {
    for (uint32_t beside = 4; beside > 0 && free[x] == 0; --beside) {
      Cluster c(static_cast<int>(size));
      for (uint32_t n = 0; n < size; ++n) {
        c.ReleasedAt(n, 600);
        c.nodes[n].weight = weights[n];
      }
      std::vector<std::vector<uint32_t>> sets = {c.All()};
      std::vector<JobRequest> q = {SetJob(c, 1, 4 * size, 1000), SetJob(c, 2, tasks, 1000),
                                   SetJob(c, 3, beside, 1000)};
      q[0].nodes = size;
      q[1].nodes = nodes;
      q[2].nodes = 1;
      q[2].required = {x};
      std::vector<const JobRequest*> queue = {&q[0], &q[1], &q[2]};
      auto d =
          RunPass(Opts(Policy::kConservative), kNow, c.nodes, {}, queue, sets, nullptr, nullptr);
      EXPECT_EQ(d[0].expected_start, kNow + 600);
      EXPECT_GT(d[1].expected_start, kNow + 1500);  // after job 1, rounded to the grid
      if (d[2].expected_start == d[1].expected_start) free[x] = beside;
    }
  }
  return free;
}

// A plan that takes some nodes of a planner group (alike in room and score, ranked as one run)
// takes the best by weight, then number, and gives the larger share to the first of them: job
// 2 has 5 tasks on 2 of four nodes (3 and 2).
TEST(SchedTest, APlanTakingPartOfAPlannerGroupRanksItsNodesByWeightThenNumber) {
  auto free_beside = [](std::vector<uint32_t> weights) { return FreeBesideAPlan(weights, 2, 5); };
  using Free = std::vector<uint32_t>;
  EXPECT_EQ(free_beside({1, 1, 1, 1}), (Free{1, 2, 4, 4}));  // n0 (3 tasks), n1 (2)
  EXPECT_EQ(free_beside({4, 3, 2, 1}), (Free{4, 4, 2, 1}));  // n3, n2
  EXPECT_EQ(free_beside({2, 1, 1, 2}), (Free{4, 1, 2, 4}));  // n1, n2
}

// Unequal shares in three sizes: 9 tasks on 4 of five nodes are 3, 3, 2 and 1 down the ranking
// (weight, then number); only where the shares change does the ranking's order count, and it
// must still hold there.
TEST(SchedTest, APlanGivesItsUnequalSharesDownTheRanking) {
  using Free = std::vector<uint32_t>;
  // By weight: n1, n3, n4, n2 (n0 left out).
  EXPECT_EQ(FreeBesideAPlan({5, 1, 4, 2, 3}, 4, 9), (Free{4, 1, 3, 1, 2}));
  // By number among equal weights: n0, n1, n2, n3.
  EXPECT_EQ(FreeBesideAPlan({1, 1, 1, 1, 1}, 4, 9), (Free{1, 1, 2, 3, 4}));
}

TEST(SchedTest, ExclusiveTakesWholeIdleNodes) {
  Cluster c(2);
  c.Busy(0, 1, 600);
  JobRequest j = Job(c, 1, 1);
  j.exclusive = true;
  auto d = RunPass(Opts(Policy::kEasy), kNow, c.nodes, c.running, {j});
  ASSERT_TRUE(d[0].start);
  ASSERT_EQ(d[0].alloc.size(), 1u);
  EXPECT_EQ(d[0].alloc[0].first, 1u);
  EXPECT_EQ(d[0].alloc[0].second, c.nodes[1].total);
}

TEST(SchedTest, TasksPerNodeRaisesTasksAndSpreadsThem) {
  Cluster c(3);
  JobRequest j = Job(c, 1, 1);
  j.nodes = 2;
  j.tasks_per_node = 2;
  j.mem_per_cpu_mb = 100;
  auto d = RunPass(Opts(Policy::kEasy), kNow, c.nodes, c.running, {j});
  ASSERT_TRUE(d[0].start);
  ASSERT_EQ(d[0].alloc.size(), 2u);
  for (const auto& [n, r] : d[0].alloc) EXPECT_EQ(r, (Resources{2, 200, 0}));
}

TEST(SchedTest, RequiredNodeIsAllocated) {
  Cluster c(3);
  c.Busy(0, 3, 600);  // best-fit alone would pick n0
  JobRequest j = Job(c, 1, 1);
  j.required = {2};
  auto d = RunPass(Opts(Policy::kEasy), kNow, c.nodes, c.running, {j});
  ASSERT_TRUE(d[0].start);
  EXPECT_EQ(NodesOf(d[0]), std::vector<uint32_t>{2});
}

TEST(SchedTest, MemoryPerCpuLimitsTasksPerNode) {
  Cluster c(2, /*cpus=*/8, /*mem=*/4000);
  JobRequest j = Job(c, 1, 6);
  j.mem_per_cpu_mb = 1000;  // 4 tasks per node by memory, 8 by CPUs
  auto d = RunPass(Opts(Policy::kEasy), kNow, c.nodes, c.running, {j});
  ASSERT_TRUE(d[0].start);
  ASSERT_EQ(d[0].alloc.size(), 2u);
  EXPECT_EQ(d[0].alloc[0].second.cpus + d[0].alloc[1].second.cpus, 6u);
  EXPECT_LE(d[0].alloc[0].second.memory_mb, 4000u);
  EXPECT_LE(d[0].alloc[1].second.memory_mb, 4000u);
}

TEST(SchedTest, GpuJobsGoToGpuNodes) {
  Cluster c(3);
  c.nodes[2].total.gpus = c.nodes[2].free.gpus = 2;
  JobRequest j = Job(c, 1, 1);
  j.gpus_per_node = 2;
  auto d = RunPass(Opts(Policy::kEasy), kNow, c.nodes, c.running, {j, j});
  ASSERT_TRUE(d[0].start);
  EXPECT_EQ(NodesOf(d[0]), std::vector<uint32_t>{2});
  EXPECT_FALSE(d[1].start);
  EXPECT_EQ(d[1].expected_start, kNow + 3600);
}

TEST(SchedTest, SharedCandidateSets) {
  Cluster c(3);
  JobRequest j = Job(c, 1, 4);
  j.candidates.clear();
  j.candidate_set = 1;
  std::vector<std::vector<uint32_t>> sets = {{0}, {2}};
  auto d = RunPass(Opts(Policy::kEasy), kNow, c.nodes, c.running, {j}, sets);
  ASSERT_TRUE(d[0].start);
  EXPECT_EQ(NodesOf(d[0]), std::vector<uint32_t>{2});
}

TEST(SchedTest, UnusableNodesStartNothing) {
  Cluster c(1);
  c.nodes[0].usable = false;
  auto d = RunPass(Opts(Policy::kEasy), kNow, c.nodes, c.running, {Job(c, 1, 1)});
  EXPECT_FALSE(d[0].start);
  EXPECT_EQ(d[0].reason, Reason::kResources);
}

TEST(SchedTest, OptionsFromConfig) {
  cluster::SchedulerConfig cfg;
  cfg.policy = "conservative";
  cfg.bf_max_job_test = 7;
  auto o = Options::FromConfig(cfg);
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->policy, Policy::kConservative);
  EXPECT_EQ(o->bf_max_job_test, 7u);
  cfg.policy = "lottery";
  EXPECT_EQ(Options::FromConfig(cfg).status().code(), Code::kInvalidArgument);
}

TEST(SchedTest, RegistryByName) {
  EXPECT_TRUE(Registry::Global().Score("best-fit").ok());
  EXPECT_EQ(Registry::Global().Score("nope").status().code(), Code::kNotFound);
  EXPECT_EQ(Registry::Global()
                .RegisterScore("best-fit", [] { return std::unique_ptr<ScorePlugin>(); })
                .code(),
            Code::kAlreadyExists);
}

TEST(PlannerTest, StepsTakeAndWindowMinimum) {
  std::vector<NodeInfo> nodes(1);
  nodes[0].total = {4, 400, 0};
  nodes[0].free = {1, 100, 0};
  std::vector<RunningJob> running = {{1, 0, {{0, Resources{3, 300, 0}}}}};
  internal::Planner p;
  p.Init(nodes, running, {10});
  EXPECT_EQ(p.MinOver(0, 0, 5).cpus, 1u);
  EXPECT_EQ(p.MinOver(0, 10, 20).cpus, 4u);
  p.Take(0, 15, 30, Resources{2, 0, 0});
  EXPECT_TRUE(p.has_reservations());
  EXPECT_EQ(p.MinOver(0, 10, 15).cpus, 4u);
  EXPECT_EQ(p.MinOver(0, 10, 16).cpus, 2u);
  EXPECT_EQ(p.AvailNow(0, 5).cpus, 1u);
  EXPECT_EQ(p.MinOver(0, 30, internal::kNever).cpus, 4u);
}

// A node's releases (NodeInfo::releases) answer for it before its steps are built, and a
// reservation taken before they are is there once they are.
TEST(PlannerTest, ReleasesAnswerBeforeStepsAreBuiltAndTakesWait) {
  std::vector<NodeInfo> nodes(2);
  for (auto& n : nodes) {
    n.total = {4, 400, 0};
    n.free = {1, 100, 0};
    n.releases = {{kNow + 120, Resources{1, 100, 0}}, {kNow + 600, Resources{2, 200, 0}}};
  }
  internal::Planner p;
  p.Begin(nodes, kNow, 60, {});
  // Untouched: from the releases (slot 2 = +120, slot 10 = +600).
  EXPECT_EQ(p.FreeAt(0, 1).cpus, 1u);
  EXPECT_EQ(p.FreeAt(0, 2).cpus, 2u);
  EXPECT_EQ(p.FreeAt(0, 10).cpus, 4u);
  EXPECT_EQ(p.MinOver(0, 2, 20).cpus, 2u);
  EXPECT_EQ(p.AvailNow(0, 20).cpus, 1u);
  // Node 1 built first: the same answers from its steps.
  EXPECT_EQ(p.Steps(1).size(), 3u);
  EXPECT_EQ(p.FreeAt(1, 2).cpus, 2u);
  EXPECT_EQ(p.MinOver(1, 2, 20).cpus, 2u);
  // A reservation on node 0 before it is built: it waits, and is in the steps once built.
  p.Take(0, 10, 20, Resources{3, 0, 0});
  EXPECT_EQ(p.TakenNodes(), std::vector<uint32_t>{0});
  EXPECT_EQ(p.MinOver(0, 10, 20).cpus, 1u);
  EXPECT_EQ(p.FreeAt(0, 20).cpus, 4u);
  EXPECT_EQ(p.AvailNow(0, 15).cpus, 1u);
}

// The nodes of one taken group have equal steps and kind, and a take that changes a node
// moves it to the group of its new steps; a pass starts with none.
// Reservations outlive the pass in absolute time, on one grid of slots; a pass's own takes do
// not.
TEST(PlannerTest, ReservationsStayFromPassToPassOnTheGrid) {
  std::vector<NodeInfo> nodes = IdleNodes(2);
  internal::Planner p;
  p.Begin(nodes, 600, 60, {});          // slot 0 begins at 600
  p.Reserve(0, 900, 5, {4, 0, 0}, 7);   // slots [5, 10)
  p.Take(1, 0, 3, Resources{2, 0, 0});  // this pass only
  EXPECT_EQ(p.FreeAt(0, 4).cpus, 4u);
  EXPECT_EQ(p.FreeAt(0, 5).cpus, 0u);
  EXPECT_EQ(p.FreeAt(0, 10).cpus, 4u);
  EXPECT_EQ(p.FreeNow(1).cpus, 2u);
  // 90 s later: now falls in the grid slot from 660, where the reservation is 4 slots ahead.
  p.Begin(nodes, 690, 60, {}, /*keep_reserved=*/true);
  EXPECT_EQ(p.FreeAt(0, 3).cpus, 4u);
  EXPECT_EQ(p.FreeAt(0, 4).cpus, 0u);
  EXPECT_EQ(p.FreeAt(0, 9).cpus, 4u);
  EXPECT_EQ(p.FreeNow(1).cpus, 4u);
  EXPECT_TRUE(p.IsTaken(0));
  EXPECT_FALSE(p.IsTaken(1));
  EXPECT_EQ(p.TakenNodes(), std::vector<uint32_t>{0});
  // Given back: the node is as its NodeInfo says.
  p.Unreserve(0, 7);
  EXPECT_EQ(p.FreeAt(0, 4).cpus, 4u);
  EXPECT_FALSE(p.IsTaken(0));
  // Once its start has passed, a reservation holds from now to the end of its window (1200).
  p.Reserve(0, 900, 5, {4, 0, 0}, 8);
  p.Begin(nodes, 960, 60, {}, /*keep_reserved=*/true);
  EXPECT_EQ(p.FreeNow(0).cpus, 0u);
  EXPECT_EQ(p.FreeAt(0, 3).cpus, 0u);
  EXPECT_EQ(p.FreeAt(0, 4).cpus, 4u);
  // A pass that does not keep them starts without.
  p.Begin(nodes, 960, 60, {});
  EXPECT_EQ(p.FreeNow(0).cpus, 4u);
  EXPECT_TRUE(p.TakenNodes().empty());
}

// Taken nodes group by what their steps are built from (NodeInfo, takes, reservations) and kind:
// that is the same at every pass, so groups outlive the pass with the reservations.
// What a job looked at again is planned with: its node's steps without its reservation, the
// same function Unreserve leaves, whose edges merge back where the room is as on their other
// side.
TEST(PlannerTest, StepsWithoutAReservationAreWhatGivingItBackLeaves) {
  std::vector<NodeInfo> nodes(1);
  nodes[0].total = {4, 400, 0};
  nodes[0].free = nodes[0].total;
  internal::Planner p;
  p.Begin(nodes, 600, 60, {});
  p.Reserve(0, 900, 5, {2, 0, 0}, 7);   // slots [5, 10)
  p.Reserve(0, 1080, 4, {1, 0, 0}, 8);  // slots [8, 12)
  p.Begin(nodes, 630, 60, {}, /*keep_reserved=*/true);
  std::vector<internal::Step> without;
  ASSERT_TRUE(p.StepsWithout(0, 7, &without));
  EXPECT_FALSE(p.StepsWithout(0, 9, &without));  // no reservation of its own there
  ASSERT_TRUE(p.StepsWithout(0, 7, &without));
  EXPECT_EQ(p.FreeAt(0, 6).cpus, 2u);  // the planner still holds it
  p.Unreserve(0, 7);
  const auto& after = p.Steps(0);
  auto at = [](const std::vector<internal::Step>& steps, int64_t slot) {
    uint32_t cpus = 0;
    for (const auto& s : steps) {
      if (s.slot <= slot) cpus = s.free.cpus;
    }
    return cpus;
  };
  for (int64_t s = 0; s < 16; ++s) EXPECT_EQ(at(without, s), at(after, s)) << "slot " << s;
  // Only the other reservation's edges are left: free, then 3 CPUs over [8, 12), then free.
  ASSERT_EQ(after.size(), 3u);
  EXPECT_EQ(after[1].slot, 8);
  EXPECT_EQ(after[1].free.cpus, 3u);
  EXPECT_EQ(after[2].slot, 12);
}

using Groups = std::vector<std::vector<uint32_t>>;

// The planner's nonempty groups, each sorted, in order.
Groups SortedGroups(internal::Planner& p) {
  Groups out;
  for (const auto& g : p.TakenGroups()) {
    if (g.nodes.empty()) continue;
    out.push_back(g.nodes);
    std::sort(out.back().begin(), out.back().end());
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(PlannerTest, TakenNodesGroupByWhatBuildsThemAndKind) {
  std::vector<NodeInfo> nodes = IdleNodes(5);
  nodes[4].total = {8, 400, 0};  // another kind: never grouped with the others
  nodes[4].free = {4, 400, 0};
  internal::Planner p;
  p.Init(nodes, {}, {});
  auto groups = [&p] { return SortedGroups(p); };
  for (uint32_t n : {0u, 1u, 2u, 4u}) p.Take(n, 10, 20, Resources{4, 0, 0});
  p.Take(3, 10, 30, Resources{4, 0, 0});
  EXPECT_EQ(groups(), (Groups{{0, 1, 2}, {3}, {4}}));
  // Node 2 taken now as well: its own group. Node 3 again, from 20 (nothing): apart still.
  p.Take(2, 0, 5, Resources{1, 0, 0});
  p.Take(3, 20, 30, Resources{0, 0, 0});
  EXPECT_EQ(groups(), (Groups{{0, 1}, {2}, {3}, {4}}));
  p.Take(1, 20, 30, Resources{4, 0, 0});
  EXPECT_EQ(groups(), (Groups{{0}, {1}, {2}, {3}, {4}}));
  p.Take(0, 20, 30, Resources{4, 0, 0});
  EXPECT_EQ(groups(), (Groups{{0, 1}, {2}, {3}, {4}}));
  p.Init(nodes, {}, {});
  EXPECT_EQ(groups(), Groups{});
  p.Take(4, 10, 20, Resources{1, 0, 0});
  EXPECT_EQ(groups(), Groups{{4}});
  // Nodes a job started on (taken from now) are grouped alike.
  p.Take(0, 0, 10, Resources{1, 0, 0});
  p.Take(1, 0, 10, Resources{1, 0, 0});
  EXPECT_EQ(p.TakenNodes(), (std::vector<uint32_t>{4, 0, 1}));
  EXPECT_EQ(groups(), (Groups{{0, 1}, {4}}));
}

// Reservations made and given back regroup their nodes: nodes of one group that the same
// reservations reached stay together (TakenGroups lets the first one's group answer for the
// rest), while the same reservation on nodes of two groups, or a second one on some nodes
// only, keeps them apart.
TEST(PlannerTest, NodesReservedAlikeFromOneGroupStayTogether) {
  std::vector<NodeInfo> nodes = IdleNodes(6);
  internal::Planner p;
  p.Begin(nodes, 600, 60, {});
  auto groups = [&p] { return SortedGroups(p); };
  for (uint32_t n : {0u, 1u, 2u}) p.Reserve(n, 900, 5, {4, 0, 0}, 1);
  for (uint32_t n : {3u, 4u, 5u}) p.Reserve(n, 1200, 5, {4, 0, 0}, 2);
  EXPECT_EQ(groups(), (Groups{{0, 1, 2}, {3, 4, 5}}));
  // Job 3 on 0, 1 and 3: alike ops, but from two groups.
  for (uint32_t n : {0u, 1u, 3u}) p.Reserve(n, 1800, 5, {2, 0, 0}, 3);
  EXPECT_EQ(groups(), (Groups{{0, 1}, {2}, {3}, {4, 5}}));
  // Job 3 given back and made again later on 0 and 1; on 3 only given back (back with 4, 5).
  for (uint32_t n : {0u, 1u, 3u}) p.Unreserve(n, 3);
  p.Reserve(0, 2400, 5, {2, 0, 0}, 3);
  p.Reserve(1, 2400, 5, {2, 0, 0}, 3);
  EXPECT_EQ(groups(), (Groups{{0, 1}, {2}, {3, 4, 5}}));
  // A second job on 0 only, then given back: 0 and 1 are alike again.
  p.Reserve(0, 3000, 5, {1, 0, 0}, 4);
  EXPECT_EQ(groups(), (Groups{{0}, {1}, {2}, {3, 4, 5}}));
  p.Unreserve(0, 4);
  EXPECT_EQ(groups(), (Groups{{0, 1}, {2}, {3, 4, 5}}));
}

// NowAndAvail answers as FreeNow and AvailNow do, on nodes untouched, taken from now, reserved
// later, reserved from now, and busy until a release.
TEST(PlannerTest, NowAndAvailIsFreeNowAndAvailNow) {
  std::vector<NodeInfo> nodes = IdleNodes(5);
  nodes[4].free = {1, 100, 0};
  nodes[4].releases.push_back({900, {3, 300, 0}});
  internal::Planner p;
  p.Begin(nodes, 600, 60, {});
  p.Take(1, 0, 4, {2, 0, 0});
  p.Reserve(2, 1200, 5, {3, 0, 0}, 1);
  p.Reserve(3, 600, 5, {1, 0, 0}, 2);
  p.Reserve(4, 1200, 5, {4, 0, 0}, 3);
  for (uint32_t n = 0; n < 5; ++n) {
    for (int64_t len : {1, 3, 6, 12, 100}) {
      const auto [free_now, avail] = p.NowAndAvail(n, len);
      EXPECT_EQ(free_now, p.FreeNow(n)) << "node " << n;
      EXPECT_EQ(avail, p.AvailNow(n, len)) << "node " << n << " len " << len;
    }
  }
  EXPECT_EQ(p.NowAndAvail(3, 1).first.cpus, 3u);
  EXPECT_EQ(p.NowAndAvail(2, 12).second.cpus, 1u);
}

// A job that starts or ends changes its nodes' NodeInfo between passes (Planner::Changed): the
// nodes of one group that change alike stay together, one that changes otherwise leaves, and
// so does one that also took another reservation.
TEST(PlannerTest, NodesOfAGroupWhoseNodeInfoChangesAlikeStayTogether) {
  std::vector<NodeInfo> nodes = IdleNodes(6);
  internal::Planner p;
  p.Begin(nodes, 600, 60, {});
  auto groups = [&p] { return SortedGroups(p); };
  for (uint32_t n = 0; n < 6; ++n) p.Reserve(n, 1800, 5, {4, 0, 0}, 1);
  EXPECT_EQ(groups(), (Groups{{0, 1, 2, 3, 4, 5}}));
  // Next pass: a job started on 0, 1, 2 and 5 (2 CPUs until 1200), and on 3 (1 CPU); 5 also
  // takes a second reservation.
  for (uint32_t n : {0u, 1u, 2u, 3u, 5u}) {
    const uint32_t cpus = n == 3 ? 1 : 2;
    nodes[n].free = {4 - cpus, 400 - 100 * cpus, 0};
    nodes[n].releases.push_back({1200, {cpus, 100 * cpus, 0}});
  }
  p.Begin(nodes, 660, 60, {}, /*keep_reserved=*/true);
  for (uint32_t n : {0u, 1u, 2u, 3u, 5u}) p.Changed(n);
  p.Reserve(5, 2400, 5, {1, 0, 0}, 2);
  EXPECT_EQ(groups(), (Groups{{0, 1, 2}, {3}, {4}, {5}}));
}

// Nodes nothing was taken from that the same first reservation or the same start reaches join
// one group only where their NodeInfo is equal (TakenGroups lets the first one's group answer
// for the rest once their NodeInfo is compared); a start reaching nodes of one group alike
// keeps them together, and one that differs sets its node apart.
TEST(PlannerTest, UntouchedNodesReachedAlikeGroupByNodeInfo) {
  std::vector<NodeInfo> nodes = IdleNodes(7);
  for (uint32_t n : {2u, 6u}) {
    nodes[n].free = {2, 200, 0};  // busy until 900: another NodeInfo
    nodes[n].releases.push_back({900, {2, 200, 0}});
  }
  internal::Planner p;
  p.Begin(nodes, 600, 60, {});
  auto groups = [&p] { return SortedGroups(p); };
  for (uint32_t n : {0u, 1u, 2u, 3u}) p.Reserve(n, 1200, 5, {2, 0, 0}, 1);
  EXPECT_EQ(groups(), (Groups{{0, 1, 3}, {2}}));
  // The next pass (takes record their causes where the reservations stay): jobs started now
  // with one shape on 0 and 1 (of one group) and on 4, 5 and 6 (untouched, 6 busy), and with
  // another on 3.
  p.Begin(nodes, 660, 60, {}, /*keep_reserved=*/true);
  for (uint32_t n : {0u, 1u, 4u, 5u, 6u}) p.Take(n, 0, 3, {1, 0, 0});
  p.Take(3, 0, 4, {1, 0, 0});
  EXPECT_EQ(groups(), (Groups{{0, 1}, {2}, {3}, {4, 5}, {6}}));
}

// Untouched (nothing taken this pass, no reservation, no running-list entry) through what
// changes it: a reservation made and given back, a take, a running job listing the node, and
// the passes after, which keep reservations but not takes.
TEST(PlannerTest, UntouchedFollowsReservationsTakesAndListings) {
  std::vector<NodeInfo> nodes = IdleNodes(3);
  RunningJob job;
  job.id = 9;
  job.end = 3000;
  job.alloc = {{2, {1, 0, 0}}};
  internal::Planner p;
  p.Begin(nodes, 600, 60, {job});
  EXPECT_TRUE(p.Untouched(0));
  EXPECT_TRUE(p.Untouched(1));
  EXPECT_FALSE(p.Untouched(2));  // listed by the running job
  p.Reserve(0, 1200, 5, {2, 0, 0}, 1);
  p.Reserve(0, 1800, 5, {2, 0, 0}, 2);
  p.Take(1, 0, 3, {1, 0, 0});
  EXPECT_FALSE(p.Untouched(0));
  EXPECT_FALSE(p.Untouched(1));
  p.Unreserve(0, 1);
  EXPECT_FALSE(p.Untouched(0));  // one reservation left
  p.Unreserve(0, 2);
  EXPECT_TRUE(p.Untouched(0));
  // Reserved again and taken from in this pass: given back, the take still holds it.
  p.Reserve(0, 1200, 5, {2, 0, 0}, 3);
  p.Take(0, 0, 2, {1, 0, 0});
  p.Unreserve(0, 3);
  EXPECT_FALSE(p.Untouched(0));
  // The next pass keeps reservations: none are left, and this pass's takes are gone; the
  // running job no longer listed leaves node 2 untouched too.
  p.Reserve(1, 1200, 5, {2, 0, 0}, 4);
  p.Begin(nodes, 660, 60, {}, /*keep_reserved=*/true);
  EXPECT_TRUE(p.Untouched(0));
  EXPECT_FALSE(p.Untouched(1));  // its reservation stays
  EXPECT_TRUE(p.Untouched(2));
  // A pass that drops reservations leaves every node untouched until something takes it.
  p.Begin(nodes, 720, 60, {});
  EXPECT_TRUE(p.Untouched(1));
}

// RoomFrom: the time from which a group's nodes first have a number of free CPUs, asked of the
// group rather than its steps; kept as the next pass moves the grid on, and worked out afresh
// for a group taken up by other inputs.
TEST(PlannerTest, RoomFromIsWhenAGroupFirstHasTheCpus) {
  std::vector<NodeInfo> nodes = IdleNodes(2);
  internal::Planner p;
  p.Begin(nodes, 600, 60, {});
  // Both nodes: 1 CPU free until 1200 (3 reserved from now for 10 slots), 4 from then on.
  for (uint32_t n : {0u, 1u}) p.Reserve(n, 600, 10, {3, 0, 0}, 1);
  auto group_of = [&p](uint32_t n) {
    const auto groups = p.TakenGroups();
    for (uint32_t g = 0; g < groups.size(); ++g) {
      if (std::find(groups[g].nodes.begin(), groups[g].nodes.end(), n) != groups[g].nodes.end()) {
        return g;
      }
    }
    return internal::Planner::kNoGroup;
  };
  uint32_t g = group_of(0);
  ASSERT_NE(g, internal::Planner::kNoGroup);
  EXPECT_EQ(group_of(1), g);
  EXPECT_LT(p.RoomFrom(g, 1), UnixTime{600});  // now
  EXPECT_EQ(p.RoomFrom(g, 2), UnixTime{1200});
  EXPECT_EQ(p.RoomFrom(g, 4), UnixTime{1200});
  EXPECT_EQ(p.RoomFrom(g, 5), internal::Planner::kNoTime);
  p.Begin(nodes, 660, 60, {}, /*keep_reserved=*/true);
  EXPECT_EQ(group_of(0), g);
  EXPECT_EQ(p.RoomFrom(g, 2), UnixTime{1200});
  // Given back and reserved otherwise: 4 CPUs from now until 1860, then 4 free.
  for (uint32_t n : {0u, 1u}) p.Unreserve(n, 1);
  EXPECT_EQ(group_of(0), internal::Planner::kNoGroup);
  for (uint32_t n : {0u, 1u}) p.Reserve(n, 660, 20, {4, 0, 0}, 2);
  g = group_of(0);
  ASSERT_NE(g, internal::Planner::kNoGroup);
  EXPECT_EQ(p.RoomFrom(g, 1), UnixTime{1860});
  // More rises than the group holds inline (TakenGroup::kInlineRises): none now, 1 CPU from
  // 1860, 2 from 2460, 4 from 3060.
  for (uint32_t n : {0u, 1u}) {
    p.Reserve(n, 1860, 10, {3, 0, 0}, 3);
    p.Reserve(n, 2460, 10, {2, 0, 0}, 4);
  }
  g = group_of(0);
  ASSERT_NE(g, internal::Planner::kNoGroup);
  EXPECT_EQ(p.RoomFrom(g, 1), UnixTime{1860});
  EXPECT_EQ(p.RoomFrom(g, 2), UnixTime{2460});
  EXPECT_EQ(p.RoomFrom(g, 3), UnixTime{3060});
  EXPECT_EQ(p.RoomFrom(g, 4), UnixTime{3060});
  EXPECT_EQ(p.RoomFrom(g, 5), internal::Planner::kNoTime);
}

// A pass that keeps reservations drops the last one's takes: the nodes those set apart return
// to the nodes holding the same reservations, and a node of another group stays apart though
// the same take left it.
TEST(PlannerTest, TakesDroppedByTheNextPassReturnNodesToTheirGroups) {
  std::vector<NodeInfo> nodes = IdleNodes(5);
  internal::Planner p;
  p.Begin(nodes, 600, 60, {});
  auto groups = [&p] { return SortedGroups(p); };
  for (uint32_t n : {0u, 1u, 2u, 3u}) p.Reserve(n, 1200, 5, {2, 0, 0}, 1);
  p.Reserve(4, 1800, 5, {2, 0, 0}, 2);
  for (uint32_t n : {0u, 1u, 4u}) p.Take(n, 0, 3, {1, 0, 0});
  EXPECT_EQ(groups(), (Groups{{0, 1}, {2, 3}, {4}}));
  p.Begin(nodes, 660, 60, {}, /*keep_reserved=*/true);
  EXPECT_EQ(groups(), (Groups{{0, 1, 2, 3}, {4}}));
}

}  // namespace
}  // namespace sluice::core::sched

namespace sluice::core::sched {
namespace {

// Three 4-CPU nodes and one 8-CPU node, all busy for 600 s: a 20-task job needs all four, with
// unequal shares. The plan must find that start rather than give the top job no reservation.
TEST(EasySchedTest, PlansFewestNodesJobOnUnequalNodes) {
  Cluster c(3);
  NodeInfo big;
  big.name = "big";
  big.total = {8, 8000, 0};
  big.free = big.total;
  c.nodes.push_back(big);
  for (uint32_t n = 0; n < 4; ++n) c.Busy(n, c.nodes[n].total.cpus, 600);
  auto d = RunPass(Opts(Policy::kEasy), kNow, c.nodes, c.running, {Job(c, 1, 20, 60)});
  ASSERT_EQ(d.size(), 1u);
  EXPECT_FALSE(d[0].start);
  EXPECT_EQ(d[0].reason, Reason::kResources);
  EXPECT_EQ(d[0].expected_start, kNow + 600);
}

// Unequal shares: six tasks fit only as four on n0 and two on n1. n0 is busy for 6 slots and
// n1 is held over slots [10, 20), so a 5-slot run fits on n1 only from slot 5 or earlier, or
// from 20 on: together, from slot 20. (A run from slot 6 would reach into the hold: the
// planner once counted the hold as entering a run one start late.)
TEST(EasySchedTest, UnequalSharesPlanAvoidsAHoldTheRunWouldReach) {
  Cluster c(2);
  c.nodes[1].total = {2, 2000, 0};
  c.nodes[1].free = c.nodes[1].total;
  c.Busy(0, 4, 360);
  RunningJob hold;
  hold.id = 900;
  hold.start = kNow + 600;
  hold.end = kNow + 1200;
  hold.alloc = {{1, Resources{2, 0, 0}}};
  c.running.push_back(hold);
  auto d = RunPass(Opts(Policy::kEasy), kNow, c.nodes, c.running, {Job(c, 1, 6, 300)});
  ASSERT_EQ(d.size(), 1u);
  EXPECT_FALSE(d[0].start);
  EXPECT_EQ(d[0].expected_start, kNow + 1200);
}

}  // namespace
}  // namespace sluice::core::sched
