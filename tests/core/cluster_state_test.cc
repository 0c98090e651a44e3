#include "core/cluster/cluster_state.h"

#include <gtest/gtest.h>

#include <csignal>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <tuple>

namespace sluice::core::cluster {
namespace {

using model::JobState;
using model::Reason;

ClusterConfig ThreeNodes(uint32_t cpus = 4, uint64_t mem = 4000) {
  ClusterConfig c;
  for (int i = 1; i <= 3; ++i) c.nodes.push_back({"n" + std::to_string(i), cpus, 1, cpus, 1, mem});
  model::Partition p;
  p.name = "debug";
  p.nodes = {"n1", "n2", "n3"};
  p.nodes_expr = "n[1-3]";
  p.is_default = true;
  p.max_time = 3600;
  c.partitions.push_back(p);
  model::Partition small;
  small.name = "small";
  small.nodes = {"n1"};
  small.max_time = 600;
  small.default_time = 60;
  c.partitions.push_back(small);
  c.def_mem_per_cpu_mb = 100;
  return c;
}

model::JobSpec Spec(uint32_t tasks = 1, uint32_t cpt = 1, uint32_t nodes = 0) {
  model::JobSpec s;
  s.name = "job";
  s.user = "alice";
  s.num_tasks = tasks;
  s.cpus_per_task = cpt;
  s.num_nodes = nodes;
  s.work_dir = "/tmp";
  s.script = "#!/bin/sh\ntrue\n";
  return s;
}

model::JobSpec Timed(uint32_t tasks, uint32_t nodes, Seconds limit) {
  model::JobSpec s = Spec(tasks, 1, nodes);
  s.time_limit = limit;
  return s;
}

class ClusterStateTest : public ::testing::Test {
 protected:
  void SetUp() override { Reset(ThreeNodes()); }

  void Reset(ClusterConfig config) {
    state_ = std::make_unique<ClusterState>(std::move(config));
    for (const char* n : {"n1", "n2", "n3"}) Register(n);
  }

  void Register(const std::string& name, std::vector<JobId> running = {},
                std::vector<JobEnd> finished = {}) {
    cmd::RegisterNode r;
    r.inventory.name = name;
    r.inventory.cpus = 4;
    r.inventory.memory_mb = 4000;
    r.running = std::move(running);
    r.finished = std::move(finished);
    Reply reply = Apply(r);
    ASSERT_TRUE(reply.status.ok()) << reply.status.ToString();
    Apply(cmd::NodeConnected{name});
  }

  Reply Apply(const Command& c) { return state_->Apply(c, now_, &effects_); }

  JobId Submit(model::JobSpec spec) {
    Reply r = Apply(cmd::Submit{std::move(spec)});
    EXPECT_TRUE(r.status.ok()) << r.status.ToString();
    return r.job_ids.empty() ? 0 : r.job_ids.front();
  }

  void Schedule() { state_->Schedule(now_, &effects_); }

  model::JobPtr Job(JobId id) { return state_->MakeView(now_)->FindJob(id); }
  model::NodePtr Node(const std::string& n) { return state_->MakeView(now_)->FindNode(n); }

  std::vector<effect::LaunchJob> TakeLaunches() {
    std::vector<effect::LaunchJob> out;
    for (auto& e : effects_) {
      if (auto* l = std::get_if<effect::LaunchJob>(&e)) out.push_back(*l);
    }
    effects_.clear();
    return out;
  }

  void End(JobId id, int exit_code = 0, bool timed_out = false) {
    JobEnd end;
    end.id = id;
    end.exit_code = exit_code;
    end.timed_out = timed_out;
    Apply(cmd::JobEnded{Job(id)->allocation.front().node, end});
  }

  // Under conservative: n1 busy until 2000 (the grid boundary 2040), n2 and n3 until 4000 (C on
  // n3); W (two whole nodes) planned from 4000, L (one whole node, done before W) on n1 from
  // 2040. Returns C, W and L.
  std::tuple<JobId, JobId, JobId> ConservativeWideBehindLong() {
    ClusterConfig conservative = ThreeNodes();
    conservative.scheduler.policy = "conservative";
    Reset(conservative);
    Submit(Timed(4, 1, 1000));
    Submit(Timed(4, 1, 3000));
    const JobId c = Submit(Timed(4, 1, 3000));
    Schedule();
    TakeLaunches();
    const JobId w = Submit(Timed(8, 2, 1000));
    const JobId l = Submit(Timed(4, 1, 1500));
    Schedule();
    EXPECT_TRUE(TakeLaunches().empty());
    EXPECT_GE(Job(w)->expected_start, 4000);
    EXPECT_EQ(Job(l)->expected_start, 2040);
    return {c, w, l};
  }

  UnixTime now_ = 1000;
  std::vector<Effect> effects_;
  std::unique_ptr<ClusterState> state_;
};

TEST_F(ClusterStateTest, SubmitAssignsIdsAndPriorityInOrder) {
  JobId a = Submit(Spec());
  JobId b = Submit(Spec());
  EXPECT_EQ(a, 1u);
  EXPECT_EQ(b, 2u);
  EXPECT_EQ(Job(a)->priority, 4294901759u);
  EXPECT_EQ(Job(b)->priority, 4294901758u);
  EXPECT_EQ(Job(a)->state, JobState::kPending);
  EXPECT_EQ(Job(a)->partition, "debug");
  EXPECT_EQ(Job(a)->time_limit, 3600);  // no DefaultTime: MaxTime applies
}

TEST_F(ClusterStateTest, FifoStartsWhatFitsAndStopsAtFirstMiss) {
  ClusterConfig fifo = ThreeNodes();
  fifo.scheduler.policy = "fifo";
  Reset(fifo);
  JobId big = Submit(Spec(4, 1, 0));   // one full node
  JobId wide = Submit(Spec(3, 4, 3));  // all three nodes, whole
  JobId small = Submit(Spec(1));
  Schedule();
  auto launches = TakeLaunches();
  ASSERT_EQ(launches.size(), 1u);
  EXPECT_EQ(launches[0].job->id, big);
  EXPECT_EQ(launches[0].node, "n1");
  EXPECT_EQ(Job(big)->state, JobState::kRunning);
  EXPECT_EQ(Job(wide)->reason, Reason::kResources);
  EXPECT_EQ(Job(wide)->NumNodes(), 3u);
  EXPECT_EQ(Job(Submit(Spec(9)))->NumNodes(), 3u);  // 9 CPUs need at least three 4-CPU nodes
  // FIFO: the small job would fit but must wait behind the wide one.
  EXPECT_EQ(Job(small)->state, JobState::kPending);
  EXPECT_EQ(Job(small)->reason, Reason::kPriority);
  End(big);
  Schedule();
  launches = TakeLaunches();
  ASSERT_EQ(launches.size(), 1u);
  EXPECT_EQ(launches[0].job->id, wide);
  EXPECT_EQ(Job(wide)->allocation.size(), 3u);
  EXPECT_EQ(Job(big)->state, JobState::kCompleted);
}

TEST_F(ClusterStateTest, EasyBackfillsOnlyWhatDoesNotDelayTheTopJob) {
  JobId a = Submit(Timed(4, 1, 1000));  // fills n1 until 2000
  JobId b = Submit(Timed(4, 1, 1000));  // fills n2 until 2000
  Schedule();
  JobId wide = Submit(Timed(12, 3, 500));      // needs all three nodes
  JobId short_job = Submit(Timed(1, 0, 500));  // ends before the wide job can start
  JobId long_job = Submit(Timed(1, 0, 2000));  // would hold n3 past that start
  state_->TakeChanges();
  Schedule();
  EXPECT_EQ(Job(a)->state, JobState::kRunning);
  EXPECT_EQ(Job(b)->state, JobState::kRunning);
  EXPECT_EQ(Job(wide)->state, JobState::kPending);
  EXPECT_EQ(Job(wide)->reason, Reason::kResources);
  EXPECT_EQ(Job(wide)->expected_start, 2040);  // 2000 rounded up to the grid of 60 s slots
  EXPECT_EQ(Job(short_job)->state, JobState::kRunning);
  EXPECT_EQ(Job(short_job)->allocation[0].node, "n3");
  EXPECT_EQ(Job(long_job)->state, JobState::kPending);
  EXPECT_EQ(Job(long_job)->reason, Reason::kPriority);
  // Derived fields reach the view without a journal write.
  std::set<JobId> journaled;
  for (const auto& j : state_->TakeChanges().jobs) journaled.insert(j->id);
  EXPECT_EQ(journaled, (std::set<JobId>{short_job}));
}

TEST_F(ClusterStateTest, FifoPassesAfterSubmissionsJudgeTheNewJobsAndTheBlockedHead) {
  ClusterConfig fifo = ThreeNodes();
  fifo.scheduler.policy = "fifo";
  Reset(fifo);
  JobId big = Submit(Spec(4, 1, 0));   // n1
  JobId wide = Submit(Spec(3, 4, 3));  // all three nodes: blocked behind big
  Schedule();
  TakeLaunches();
  EXPECT_EQ(Job(wide)->reason, Reason::kResources);
  // Only submissions since: the new jobs wait behind the blocked head, which keeps its plan.
  now_ += 10;
  JobId small = Submit(Spec(1));
  model::JobSpec on_hold = Spec(1);
  on_hold.hold = true;
  JobId held = Submit(on_hold);
  Schedule();
  EXPECT_TRUE(TakeLaunches().empty());
  EXPECT_EQ(Job(small)->reason, Reason::kPriority);
  EXPECT_EQ(Job(held)->reason, Reason::kJobHeldUser);
  EXPECT_EQ(Job(wide)->reason, Reason::kResources);
  // The head starts when big ends; the small job becomes the blocked head.
  End(big);
  Schedule();
  auto launches = TakeLaunches();
  ASSERT_EQ(launches.size(), 1u);
  EXPECT_EQ(launches[0].job->id, wide);
  EXPECT_EQ(Job(small)->reason, Reason::kResources);
}

TEST_F(ClusterStateTest, CancellingTheBlockedHeadLetsTheJobsBehindItStart) {
  ClusterConfig fifo = ThreeNodes();
  fifo.scheduler.policy = "fifo";
  Reset(fifo);
  Submit(Spec(4, 1, 0));               // n1
  JobId wide = Submit(Spec(3, 4, 3));  // blocked: all three nodes
  JobId small = Submit(Spec(1));
  Schedule();
  TakeLaunches();
  EXPECT_EQ(Job(small)->reason, Reason::kPriority);
  Apply(cmd::Cancel{JobFilter{{wide}}, ""});
  EXPECT_TRUE(state_->NeedsSchedule());
  JobId later = Submit(Spec(1));
  Schedule();
  auto launches = TakeLaunches();
  ASSERT_EQ(launches.size(), 2u);
  EXPECT_EQ(launches[0].job->id, small);
  EXPECT_EQ(launches[1].job->id, later);
}

TEST_F(ClusterStateTest, FifoJobsBehindANewBlockedHeadWaitForPriority) {
  ClusterConfig fifo = ThreeNodes();
  fifo.scheduler.policy = "fifo";
  Reset(fifo);
  JobId running = Submit(Spec(4, 1, 0));  // n1
  model::JobSpec first = Spec(3, 4, 3);   // all three nodes
  first.hold = true;
  JobId held = Submit(first);
  JobId wide = Submit(Spec(3, 4, 3));
  Schedule();
  TakeLaunches();
  EXPECT_EQ(Job(running)->state, JobState::kRunning);
  EXPECT_EQ(Job(wide)->reason, Reason::kResources);  // the blocked head
  // Released, the held job is ahead of it: the pass stops there, and the old head's verdict
  // (Resources) would be stale behind it.
  Apply(cmd::Release{{held}});
  Schedule();
  EXPECT_EQ(Job(held)->reason, Reason::kResources);
  EXPECT_EQ(Job(wide)->reason, Reason::kPriority);
}

TEST_F(ClusterStateTest, EasyPassAfterSubmissionsBackfillsAroundTheKeptReservation) {
  Submit(Timed(4, 1, 1000));  // n1 until 2000
  Submit(Timed(4, 1, 1000));  // n2 until 2000
  JobId wide = Submit(Timed(12, 3, 500));
  JobId long_job = Submit(Timed(1, 0, 2000));
  Schedule();
  TakeLaunches();
  EXPECT_EQ(Job(wide)->expected_start, 2040);
  EXPECT_EQ(Job(long_job)->reason, Reason::kPriority);
  // Later arrivals: one ends before the reservation and backfills, one would delay it.
  now_ += 100;
  JobId late_long = Submit(Timed(1, 0, 1000));  // 1100 + 1000 > 2040
  JobId late_short = Submit(Timed(2, 0, 600));  // ends by 1700
  Schedule();
  auto launches = TakeLaunches();
  ASSERT_EQ(launches.size(), 1u);
  EXPECT_EQ(launches[0].job->id, late_short);
  EXPECT_EQ(Job(late_short)->allocation[0].node, "n3");
  EXPECT_EQ(Job(late_long)->reason, Reason::kPriority);
  EXPECT_EQ(Job(long_job)->reason, Reason::kPriority);
  EXPECT_EQ(Job(wide)->reason, Reason::kResources);
  EXPECT_EQ(Job(wide)->expected_start, 2040);  // slots are on one grid: the same start
}

// Under conservative, a pass after job ends keeps the reservations the freed room cannot
// improve and plans again those it might: an end that leaves too little room on its node
// changes nothing, one that frees a node the wide job can use moves its start earlier.
TEST_F(ClusterStateTest, ConservativeReservationsMoveOnlyWhereAnEndLetsThem) {
  ClusterConfig conservative = ThreeNodes();
  conservative.scheduler.policy = "conservative";
  Reset(conservative);
  Submit(Timed(4, 1, 1000));              // n1 until 2000
  JobId b = Submit(Timed(4, 1, 2000));    // n2 until 3000
  Submit(Timed(3, 1, 3000));              // 3 CPUs of n3 until 4000
  JobId one = Submit(Timed(1, 1, 3000));  // the last CPU of n3
  JobId wide = Submit(Timed(8, 2, 500));  // two whole nodes: n1 and n2 from 3000
  Schedule();
  TakeLaunches();
  ASSERT_EQ(Job(b)->state, JobState::kRunning);
  ASSERT_EQ(Job(one)->state, JobState::kRunning);
  const UnixTime planned = Job(wide)->expected_start;
  EXPECT_GE(planned, 3000);
  EXPECT_LT(planned, 3100);
  // One CPU of n3 freed: no room for four tasks, the reservation stands (at the boundary of
  // the 60 s grid at or after 3000).
  now_ += 100;
  End(one);
  Schedule();
  EXPECT_TRUE(TakeLaunches().empty());
  EXPECT_GE(Job(wide)->expected_start, 3000);
  EXPECT_LE(Job(wide)->expected_start, planned);
  // n2 freed: with n1 from 2000 the job can start then.
  now_ += 100;
  End(b);
  Schedule();
  EXPECT_TRUE(TakeLaunches().empty());
  EXPECT_GE(Job(wide)->expected_start, 2000);
  EXPECT_LT(Job(wide)->expected_start, 2100);
}

// Conservative backfill's promise: a reservation is never pushed later by another job's new
// plan. When C ends early, the wide job W (ahead in the queue) may move earlier, but not into
// the window L holds on n1; L itself then starts at once on the freed node.
TEST_F(ClusterStateTest, ConservativeReplanDoesNotPushALaterReservation) {
  const auto [c, w, l] = ConservativeWideBehindLong();
  const UnixTime w_planned = Job(w)->expected_start;
  now_ = 1500;
  End(c);
  Schedule();
  // W moves up to the end of L's window on n1 (with n3), not to 2040 over it.
  EXPECT_EQ(Job(w)->state, JobState::kPending);
  EXPECT_LT(Job(w)->expected_start, w_planned);
  EXPECT_GE(Job(w)->expected_start, 2040 + 1500);
  // L, no longer later than its reservation: it runs now on n3, ending before W needs it.
  auto launches = TakeLaunches();
  ASSERT_EQ(launches.size(), 1u);
  EXPECT_EQ(launches[0].job->id, l);
  EXPECT_EQ(launches[0].node, "n3");
}

// Under conservative, a pass after arrivals alone looks at the new jobs only (the waiting jobs'
// reservations stand where they are): their verdicts keep, the new job is planned around them,
// and the reservations are still there for the pass after an end to move. The setting of the
// test above, with an arrival X between the plans and C's end.
TEST_F(ClusterStateTest, ConservativePassAfterArrivalsKeepsTheWaitingJobsPlans) {
  const auto [c, w, l] = ConservativeWideBehindLong();
  const UnixTime w_planned = Job(w)->expected_start;
  // X (three nodes) can only follow W.
  now_ = 1200;
  JobId x = Submit(Timed(12, 3, 600));
  Schedule();
  EXPECT_TRUE(TakeLaunches().empty());
  EXPECT_EQ(Job(w)->expected_start, w_planned);
  EXPECT_EQ(Job(l)->expected_start, 2040);
  EXPECT_EQ(Job(x)->state, JobState::kPending);
  EXPECT_GE(Job(x)->expected_start, w_planned + 1000);
  now_ = 1500;
  End(c);
  Schedule();
  // W moves up to the end of L's window (not over it), X with it; L runs now on n3.
  EXPECT_LT(Job(w)->expected_start, w_planned);
  EXPECT_GE(Job(w)->expected_start, 2040 + 1500);
  EXPECT_GE(Job(x)->expected_start, Job(w)->expected_start + 1000);
  auto launches = TakeLaunches();
  ASSERT_EQ(launches.size(), 1u);
  EXPECT_EQ(launches[0].job->id, l);
  EXPECT_EQ(launches[0].node, "n3");
}

// Waiting jobs a pass after arrivals leaves unseen keep their reasons only while nothing started
// since those were given: A (two whole nodes for long) waits for Priority behind W's
// reservation on every node while n2 and n3 are free; once B backfills onto one of them, A
// would not fit the free nodes either, and the next pass after an arrival says Resources.
TEST_F(ClusterStateTest, ConservativeReasonsFollowABackfillBetweenArrivals) {
  ClusterConfig conservative = ThreeNodes();
  conservative.scheduler.policy = "conservative";
  Reset(conservative);
  Submit(Timed(4, 1, 1000));  // n1 until 2000
  Schedule();
  TakeLaunches();
  const JobId w = Submit(Timed(12, 3, 1000));  // every node from 2040
  const JobId a = Submit(Timed(8, 2, 3000));
  Schedule();
  EXPECT_EQ(Job(w)->reason, Reason::kResources);
  EXPECT_EQ(Job(a)->reason, Reason::kPriority);
  now_ = 1100;
  const JobId b = Submit(Timed(1, 0, 500));  // ends before W's window: backfills now
  Schedule();
  auto launches = TakeLaunches();
  ASSERT_EQ(launches.size(), 1u);
  EXPECT_EQ(launches[0].job->id, b);
  now_ = 1200;
  const JobId c = Submit(Timed(12, 3, 100));
  Schedule();
  EXPECT_TRUE(TakeLaunches().empty());
  EXPECT_EQ(Job(c)->state, JobState::kPending);
  EXPECT_EQ(Job(a)->reason, Reason::kResources);
  EXPECT_GT(Job(a)->expected_start, Job(w)->expected_start);
}

// The promise over a random workload: arrivals, and runs that end at or before their limits.
// Once a waiting job has a planned start, no later pass moves it later, and the job starts no
// later than it. (With bf_interval 0, as in the simulator, every pass is a full one that goes on
// from the last; a quick pass, or any other change, makes the next full pass plan afresh.)
TEST_F(ClusterStateTest, ConservativePlannedStartsNeverMoveLater) {
  ClusterConfig conservative = ThreeNodes();
  conservative.scheduler.policy = "conservative";
  conservative.scheduler.bf_interval = 0;
  Reset(conservative);
  std::mt19937 rng(7);
  auto uniform = [&rng](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  std::map<JobId, UnixTime> promised;  // waiting job -> its earliest planned start so far
  std::set<JobId> waiting;
  std::map<JobId, UnixTime> ends;  // running job -> its end
  int submitted = 0, checked = 0;
  UnixTime next_submit = now_;
  while (submitted < 300 || !ends.empty()) {
    UnixTime t = submitted < 300 ? next_submit : std::numeric_limits<UnixTime>::max();
    for (const auto& [id, end] : ends) t = std::min(t, end);
    now_ = t;
    for (auto it = ends.begin(); it != ends.end();) {
      if (it->second == now_) {
        End(it->first);
        it = ends.erase(it);
      } else {
        ++it;
      }
    }
    if (submitted < 300 && next_submit == now_) {
      // Whole nodes, one to three: plans ask k nodes of r tasks, exact for these. (A job of
      // unequal shares, 4 + 4 + 2 tasks say, is planned as three nodes of four, which can
      // miss a start its nodes had room for, between two passes.)
      const auto nodes = static_cast<uint32_t>(uniform(1, 3));
      const JobId id = Submit(Timed(4 * nodes, nodes, uniform(300, 3600)));
      waiting.insert(id);
      ++submitted;
      next_submit += uniform(0, 500);
    }
    Schedule();
    for (const auto& launch : TakeLaunches()) {
      const JobId id = launch.job->id;
      if (waiting.erase(id) == 0) continue;
      if (auto p = promised.find(id); p != promised.end()) {
        EXPECT_LE(now_, p->second) << "job " << id << " started after its planned start";
        promised.erase(p);
      }
      ends[id] = now_ + uniform(launch.job->time_limit / 4, launch.job->time_limit);
    }
    for (JobId id : waiting) {
      const UnixTime planned = Job(id)->expected_start;
      if (planned == 0) continue;
      auto [p, added] = promised.try_emplace(id, planned);
      if (!added) {
        EXPECT_LE(planned, p->second) << "job " << id << " moved later at " << now_;
        p->second = std::min(p->second, planned);
        ++checked;
      }
    }
  }
  EXPECT_TRUE(waiting.empty());
  EXPECT_GT(checked, 1000);  // the queue did build up
}

TEST_F(ClusterStateTest, AllocationCountsCoresAndMemoryPerNode) {
  model::JobSpec s = Spec(2, 2);
  s.mem_per_cpu_mb = 500;
  JobId id = Submit(s);
  Schedule();
  ASSERT_EQ(Job(id)->allocation.size(), 1u);
  EXPECT_EQ(Job(id)->allocation[0].cpus, 4u);
  EXPECT_EQ(Job(id)->allocation[0].memory_mb, 2000u);
  EXPECT_EQ(Node("n1")->alloc_cpus, 4u);
  EXPECT_EQ(Node("n1")->alloc_memory_mb, 2000u);
  EXPECT_EQ(Node("n1")->State(), model::NodeState::kAllocated);
  // --mem is per node and limits sharing by memory alone.
  model::JobSpec m = Spec(1);
  m.mem_per_node_mb = 3500;
  JobId big_mem = Submit(m);
  model::JobSpec m2 = Spec(1);
  m2.mem_per_node_mb = 3500;
  JobId big_mem2 = Submit(m2);
  Schedule();
  EXPECT_EQ(Job(big_mem)->allocation[0].node, "n2");
  EXPECT_EQ(Job(big_mem2)->allocation[0].node, "n3");
  EXPECT_EQ(Node("n2")->State(), model::NodeState::kMixed);
}

TEST_F(ClusterStateTest, TasksSpreadOverRequestedNodes) {
  JobId id = Submit(Spec(6, 1, 2));
  Schedule();
  ASSERT_EQ(Job(id)->allocation.size(), 2u);
  EXPECT_EQ(Job(id)->allocation[0].cpus + Job(id)->allocation[1].cpus, 6u);
  EXPECT_EQ(Job(id)->NumNodes(), 2u);
}

struct RejectCase {
  const char* name;
  model::JobSpec spec;
  const char* message_part;
};

TEST_F(ClusterStateTest, ImpossibleRequestsAreRejectedAndNothingIsQueued) {
  std::vector<RejectCase> cases;
  cases.push_back({"too many cpus per task", Spec(1, 5), "not available"});
  cases.push_back({"too many nodes", Spec(4, 1, 4), "not available"});
  cases.push_back({"too many tasks", Spec(13), "not available"});
  model::JobSpec part = Spec();
  part.partition = "nope";
  cases.push_back({"unknown partition", part, "Invalid partition name"});
  model::JobSpec time = Spec();
  time.time_limit = 7200;
  cases.push_back({"over MaxTime", time, "time limit"});
  model::JobSpec mem = Spec();
  mem.mem_per_node_mb = 5000;
  cases.push_back({"too much memory", mem, "not available"});
  model::JobSpec nodes_over_tasks = Spec(2, 1, 3);
  cases.push_back({"more nodes than tasks", nodes_over_tasks, "not available"});
  // Counts whose product passes 32 bits: they wrapped to a request of none (two tasks of 2^31
  // GPUs each asked for no GPU and ran), and now read as the most there can be.
  model::JobSpec gpus_wrap = Spec(2);
  gpus_wrap.gpus_per_task = 1u << 31;
  cases.push_back({"GPUs a task x tasks past 32 bits", gpus_wrap, "not available"});
  model::JobSpec tasks_wrap = Spec(0, 1, 2);
  tasks_wrap.num_tasks = 0;
  tasks_wrap.ntasks_per_node = 1u << 31;
  cases.push_back({"tasks a node x nodes past 32 bits", tasks_wrap,
                   "not available: 4294967295 tasks x 1 CPUs on 2 nodes"});
  for (const auto& c : cases) {
    Reply r = Apply(cmd::Submit{c.spec});
    EXPECT_FALSE(r.status.ok()) << c.name;
    EXPECT_NE(r.status.message().find(c.message_part), std::string::npos)
        << c.name << ": " << r.status.message();
    EXPECT_EQ(r.status.message().find('\n'), std::string::npos) << c.name;
  }
  EXPECT_TRUE(state_->MakeView(now_)->jobs.empty());
  EXPECT_EQ(state_->next_job_id(), 1u);
}

TEST_F(ClusterStateTest, DefaultMemoryIsRecordedOnTheJob) {
  JobId id = Submit(Spec(2));
  EXPECT_EQ(Job(id)->spec->mem_per_cpu_mb, 100u);  // DefMemPerCPU
  Schedule();
  EXPECT_EQ(Job(id)->allocation[0].memory_mb, 200u);
}

TEST_F(ClusterStateTest, PartitionDefaultTimeApplies) {
  model::JobSpec s = Spec();
  s.partition = "small";
  JobId id = Submit(s);
  EXPECT_EQ(Job(id)->time_limit, 60);
}

TEST_F(ClusterStateTest, HoldAndRelease) {
  model::JobSpec s = Spec();
  s.hold = true;
  JobId held = Submit(s);
  JobId other = Submit(Spec());
  Schedule();
  EXPECT_EQ(Job(held)->state, JobState::kPending);
  EXPECT_EQ(Job(held)->reason, Reason::kJobHeldUser);
  EXPECT_EQ(Job(held)->priority, 0u);
  EXPECT_EQ(Job(other)->state, JobState::kRunning);  // a held job blocks nobody
  Reply r = Apply(cmd::Release{{held}});
  EXPECT_TRUE(r.status.ok());
  Schedule();
  EXPECT_EQ(Job(held)->state, JobState::kRunning);
  r = Apply(cmd::Hold{{held}});
  EXPECT_FALSE(r.status.ok());  // no longer pending
}

// scontrol update of a pending job: each change is checked as a submission would be, and an
// update that breaks a rule changes nothing.
TEST_F(ClusterStateTest, UpdatingAPendingJobTakesAllItsChangesOrNone) {
  model::JobSpec s = Timed(2, 2, 600);
  s.hold = true;
  const JobId id = Submit(s);
  cmd::UpdateJob u;
  u.id = id;
  u.requested_by = "alice";
  u.name = "renamed";
  u.time_limit = 1800;
  u.num_nodes = 3;
  u.num_tasks = 3;
  Reply r = Apply(u);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(Job(id)->spec->name, "renamed");
  EXPECT_EQ(Job(id)->time_limit, 1800);
  EXPECT_EQ(Job(id)->min_nodes, 3u);
  EXPECT_EQ(Job(id)->reason, Reason::kJobHeldUser);  // still held

  // Each of these breaks one rule; the name change beside it must not happen either.
  auto refused = [&](cmd::UpdateJob bad, const std::string& message) {
    bad.id = id;
    bad.requested_by = bad.requested_by.empty() ? "alice" : bad.requested_by;
    bad.name = "must-not-stick";
    Reply reply = Apply(bad);
    EXPECT_FALSE(reply.status.ok()) << message;
    EXPECT_NE(reply.status.message().find(message), std::string::npos) << reply.status.ToString();
    EXPECT_EQ(Job(id)->spec->name, "renamed");
    EXPECT_EQ(Job(id)->partition, "debug");
    EXPECT_EQ(Job(id)->time_limit, 1800);
    EXPECT_EQ(Job(id)->min_nodes, 3u);
  };
  cmd::UpdateJob small;
  small.partition = "small";  // MaxTime 600 < 1800
  refused(small, "exceeds MaxTime of partition small");
  cmd::UpdateJob nowhere;
  nowhere.partition = "nowhere";
  refused(nowhere, "Invalid partition name specified: nowhere");
  cmd::UpdateJob unnamed;
  unnamed.partition = "";
  refused(unnamed, "Invalid partition name specified");
  cmd::UpdateJob wide;
  wide.num_nodes = 4;  // three nodes
  wide.num_tasks = 4;
  refused(wide, "Requested node configuration is not available");
  cmd::UpdateJob cut;
  cut.time_limit_change = -2400;
  refused(cut, "TimeLimit decrement larger than current time limit (40 > 30)");
  cmd::UpdateJob to_nothing;
  to_nothing.time_limit_change = -1800;
  refused(to_nothing, "Invalid TimeLimit value");
  cmd::UpdateJob other;
  other.requested_by = "bob";
  refused(other, "Access/permission denied");
  cmd::UpdateJob kinder;
  kinder.nice = -5;  // only an administrator raises a job's priority
  refused(kinder, "Access/permission denied");
  cmd::UpdateJob none;
  none.id = id;
  EXPECT_EQ(Apply(none).status.message(), "No changes specified");
  cmd::UpdateJob unknown;
  unknown.id = 99;
  unknown.time_limit = 60;
  EXPECT_EQ(Apply(unknown).status.code(), Code::kNotFound);

  // +N and -N change the limit by that much; root may lower the nice value.
  cmd::UpdateJob shorter;
  shorter.id = id;
  shorter.time_limit_change = -600;
  shorter.nice = -5;
  ASSERT_TRUE(Apply(shorter).status.ok());
  EXPECT_EQ(Job(id)->time_limit, 1200);
  EXPECT_EQ(Job(id)->spec->nice, -5);

  // Released, it runs as updated: three tasks on three nodes.
  ASSERT_TRUE(Apply(cmd::Release{{id}}).status.ok());
  Schedule();
  ASSERT_EQ(Job(id)->state, JobState::kRunning);
  EXPECT_EQ(Job(id)->allocation.size(), 3u);
  EXPECT_EQ(Job(id)->time_limit, 1200);
}

// A running job changes only its name and time limit; a user may lower the limit, root may also
// raise it, the job's node is told, and the scheduler plans with the new end.
TEST_F(ClusterStateTest, UpdatingARunningJobChangesItsNameAndLimitOnly) {
  ClusterConfig conservative = ThreeNodes();
  conservative.scheduler.policy = "conservative";
  Reset(conservative);
  const JobId run = Submit(Timed(12, 3, 3000));  // all three nodes until 4000
  Schedule();
  ASSERT_EQ(TakeLaunches().size(), 1u);
  const JobId next = Submit(Timed(4, 1, 100));
  Schedule();
  ASSERT_GE(Job(next)->expected_start, 4000);

  cmd::UpdateJob longer;
  longer.id = run;
  longer.requested_by = "alice";
  longer.time_limit = 6000;
  EXPECT_EQ(Apply(longer).status.code(), Code::kPermissionDenied);
  cmd::UpdateJob move;
  move.id = run;
  move.requested_by = "alice";
  move.partition = "small";
  EXPECT_EQ(Apply(move).status.message(), "Job is no longer pending execution");
  EXPECT_TRUE(effects_.empty());

  cmd::UpdateJob shorter;
  shorter.id = run;
  shorter.requested_by = "alice";
  shorter.time_limit = 1000;
  shorter.name = "short";
  ASSERT_TRUE(Apply(shorter).status.ok());
  EXPECT_EQ(Job(run)->time_limit, 1000);
  EXPECT_EQ(Job(run)->spec->name, "short");
  ASSERT_EQ(effects_.size(), 1u);
  const auto* limit = std::get_if<effect::SetTimeLimit>(&effects_[0]);
  ASSERT_NE(limit, nullptr);
  EXPECT_EQ(limit->id, run);
  EXPECT_EQ(limit->node, Job(run)->allocation.front().node);
  EXPECT_EQ(limit->time_limit, 1000);
  effects_.clear();
  Schedule();
  EXPECT_GE(Job(next)->expected_start, 2000);  // the running job now ends at 2000
  EXPECT_LT(Job(next)->expected_start, 4000);

  cmd::UpdateJob root_longer = longer;
  root_longer.requested_by = "root";
  root_longer.time_limit = 7200;  // past the partition's MaxTime: an administrator may
  ASSERT_TRUE(Apply(root_longer).status.ok());
  EXPECT_EQ(Job(run)->time_limit, 7200);
  effects_.clear();

  // An agent that registers again is told the limit as it stands.
  Register(Job(run)->allocation.front().node, {run});
  bool told = false;
  for (const auto& e : effects_) {
    if (const auto* l = std::get_if<effect::SetTimeLimit>(&e)) told = l->time_limit == 7200;
  }
  EXPECT_TRUE(told);
  effects_.clear();

  End(run);
  EXPECT_EQ(Apply(root_longer).status.message(), "Job has already finished");
}

// scontrol update NodeName=X State=DRAIN: the node's running job goes on, no new job starts
// there, a returning agent does not lift the drain, and RESUME does.
TEST_F(ClusterStateTest, ADrainedNodeKeepsItsJobAndTakesNoNewOne) {
  using Action = cmd::UpdateNode::Action;
  const JobId run = Submit(Spec(4));  // a whole node
  Schedule();
  ASSERT_EQ(TakeLaunches().size(), 1u);
  const std::string x = Job(run)->allocation.front().node;
  EXPECT_EQ(Apply(cmd::UpdateNode{{x}, Action::kDrain, "maint", "alice"}).status.message(),
            "Invalid user id");
  EXPECT_EQ(Apply(cmd::UpdateNode{{x}, Action::kDrain, "", ""}).status.message(),
            "You must specify a reason when DOWNING or DRAINING a node. Request denied");
  EXPECT_EQ(Apply(cmd::UpdateNode{{x, "n9"}, Action::kDrain, "maint", ""}).status.code(),
            Code::kNotFound);
  EXPECT_FALSE(Node(x)->drain);  // nothing of a refused update sticks
  ASSERT_TRUE(Apply(cmd::UpdateNode{{x}, Action::kDrain, "maint", "root"}).status.ok());
  EXPECT_TRUE(Node(x)->drain);
  EXPECT_EQ(Node(x)->reason, "maint");
  EXPECT_EQ(Node(x)->reason_user, "root");
  EXPECT_EQ(Node(x)->reason_time, now_);
  EXPECT_TRUE(effects_.empty());  // its job is left alone

  model::JobSpec there = Spec(1);
  there.nodelist = {x};
  const JobId pinned = Submit(there);
  const JobId a = Submit(Spec(4));
  const JobId b = Submit(Spec(4));
  const JobId c = Submit(Spec(4));
  End(run);
  Schedule();
  EXPECT_EQ(Job(a)->state, JobState::kRunning);
  EXPECT_EQ(Job(b)->state, JobState::kRunning);
  EXPECT_EQ(Job(c)->state, JobState::kPending);  // the idle drained node is not used
  EXPECT_EQ(Job(pinned)->state, JobState::kPending);
  EXPECT_EQ(Job(pinned)->reason, Reason::kReqNodeNotAvail);
  for (JobId id : {a, b}) EXPECT_NE(Job(id)->allocation.front().node, x);

  Register(x);  // the agent comes back: still drained, for the administrator's reason
  EXPECT_TRUE(Node(x)->drain);
  EXPECT_EQ(Node(x)->reason, "maint");
  ASSERT_TRUE(Apply(cmd::UpdateNode{{x}, Action::kResume, "", ""}).status.ok());
  EXPECT_FALSE(Node(x)->drain);
  EXPECT_EQ(Node(x)->reason, "");
  Schedule();
  EXPECT_EQ(Job(pinned)->state, JobState::kRunning);
  EXPECT_EQ(Job(pinned)->allocation.front().node, x);
  EXPECT_EQ(Apply(cmd::UpdateNode{{x}, Action::kResume, "", ""}).status.code(),
            Code::kFailedPrecondition);  // neither down nor drained
}

// State=DOWN kills the node's jobs (they end NODE_FAIL) and keeps it down, agent or not, until
// RESUME; UNDRAIN does not lift it.
TEST_F(ClusterStateTest, ANodeTakenDownEndsItsJobsAndStaysDownUntilResumed) {
  using Action = cmd::UpdateNode::Action;
  const JobId run = Submit(Spec(8, 1, 2));  // two whole nodes
  Schedule();
  ASSERT_EQ(TakeLaunches().size(), 1u);
  ASSERT_EQ(Job(run)->allocation.size(), 2u);
  const std::string batch = Job(run)->allocation.front().node;
  const std::string second = Job(run)->allocation.back().node;
  // Downing the job's second node kills it through its batch node.
  ASSERT_TRUE(Apply(cmd::UpdateNode{{second}, Action::kDown, "bad disk", ""}).status.ok());
  EXPECT_TRUE(Node(second)->down);
  ASSERT_EQ(effects_.size(), 1u);
  const auto* kill = std::get_if<effect::SignalJob>(&effects_[0]);
  ASSERT_NE(kill, nullptr);
  EXPECT_EQ(kill->id, run);
  EXPECT_EQ(kill->node, batch);
  EXPECT_TRUE(kill->cancel);
  effects_.clear();
  End(run);
  EXPECT_EQ(Job(run)->state, JobState::kNodeFail);

  Register(second);
  EXPECT_TRUE(Node(second)->down);
  EXPECT_EQ(Node(second)->reason, "bad disk");
  ASSERT_TRUE(Apply(cmd::UpdateNode{{second}, Action::kUndrain, "", ""}).status.ok());
  EXPECT_TRUE(Node(second)->down);
  const JobId wide = Submit(Spec(12, 1, 3));  // needs all three nodes
  Schedule();
  EXPECT_EQ(Job(wide)->state, JobState::kPending);
  ASSERT_TRUE(Apply(cmd::UpdateNode{{second}, Action::kResume, "", ""}).status.ok());
  EXPECT_FALSE(Node(second)->down);
  Schedule();
  EXPECT_EQ(Job(wide)->state, JobState::kRunning);
}

// scontrol update PartitionName=...: DOWN keeps jobs queued without starting them, DRAIN runs
// the queue but takes no new job, INACTIVE does neither; MaxTime= holds back longer jobs; the
// change is journaled and a restart keeps it.
TEST_F(ClusterStateTest, PartitionStatesDecideWhatIsTakenAndWhatRuns) {
  using State = cmd::UpdatePartition::State;
  auto update = [&](std::optional<State> state, std::optional<Seconds> max_time,
                    std::string by = "root") {
    return Apply(cmd::UpdatePartition{"debug", state, max_time, std::move(by)});
  };
  EXPECT_EQ(update(State::kDown, std::nullopt, "alice").status.message(), "Invalid user id");
  EXPECT_EQ(Apply(cmd::UpdatePartition{"nowhere", State::kDown, std::nullopt, ""}).status.code(),
            Code::kNotFound);
  state_->TakeChanges();
  ASSERT_TRUE(update(State::kDown, std::nullopt).status.ok());
  const Changes changes = state_->TakeChanges();
  ASSERT_EQ(changes.partitions.size(), 1u);  // journaled
  EXPECT_EQ(changes.partitions[0]->updated_by, "root");
  const JobId queued = Submit(Timed(1, 1, 600));
  Schedule();
  EXPECT_EQ(Job(queued)->state, JobState::kPending);
  EXPECT_EQ(Job(queued)->reason, Reason::kPartitionDown);

  ASSERT_TRUE(update(State::kDrain, std::nullopt).status.ok());
  Reply refused = Apply(cmd::Submit{Timed(1, 1, 600)});
  EXPECT_EQ(refused.status.message(), "Required partition not available (inactive or drain)");
  EXPECT_EQ(state_->next_job_id(), queued + 1);  // nothing queued
  Schedule();
  EXPECT_EQ(Job(queued)->state, JobState::kRunning);  // the queue runs

  ASSERT_TRUE(update(State::kUp, 300).status.ok());
  const JobId longer = Submit(Timed(1, 1, 200));
  cmd::UpdateJob stretch;
  stretch.id = longer;
  stretch.time_limit = 600;  // now past MaxTime
  EXPECT_NE(Apply(stretch).status.message().find("exceeds MaxTime of partition debug"),
            std::string::npos);

  ASSERT_TRUE(update(State::kInactive, kUnlimited).status.ok());
  EXPECT_FALSE(Apply(cmd::Submit{Timed(1, 1, 600)}).status.ok());

  // A restart from the journal keeps what the administrator set, not the configuration's.
  model::Partition journaled = *changes.partitions[0];
  journaled.up = false;
  journaled.accepts_jobs = false;
  journaled.max_time = 120;
  ClusterState restarted(ThreeNodes());
  restarted.Restore({}, {}, 1, now_, {}, {}, {journaled});
  auto view = restarted.MakeView(now_);
  const model::Partition* debug = nullptr;
  for (const auto& p : view->partitions) {
    if (p->name == "debug") debug = p.get();
  }
  ASSERT_NE(debug, nullptr);
  EXPECT_FALSE(debug->up);
  EXPECT_FALSE(debug->accepts_jobs);
  EXPECT_EQ(debug->max_time, 120);

  // slurm.conf edited since (a new MaxTime): its values stand, as Slurm takes them.
  ClusterConfig edited = ThreeNodes();
  edited.partitions[0].max_time = 7200;
  ClusterState reconfigured(edited);
  reconfigured.Restore({}, {}, 1, now_, {}, {}, {journaled});
  const auto reconfigured_view = reconfigured.MakeView(now_);
  bool seen = false;
  for (const auto& p : reconfigured_view->partitions) {
    if (p->name != "debug") continue;
    seen = true;
    EXPECT_TRUE(p->up);
    EXPECT_TRUE(p->accepts_jobs);
    EXPECT_EQ(p->max_time, 7200);
  }
  EXPECT_TRUE(seen);
}

TEST_F(ClusterStateTest, CancelPendingAndRunning) {
  JobId run = Submit(Spec(4));
  JobId wait = Submit(Spec(12));
  Schedule();
  TakeLaunches();
  Reply r = Apply(cmd::Cancel{JobFilter{{wait}}, "alice"});
  EXPECT_EQ(r.job_ids, std::vector<JobId>{wait});
  EXPECT_EQ(Job(wait)->state, JobState::kCancelled);
  r = Apply(cmd::Cancel{JobFilter{{run}}, "alice"});
  EXPECT_EQ(Job(run)->state, JobState::kCompleting);
  ASSERT_EQ(effects_.size(), 1u);
  auto* sig = std::get_if<effect::SignalJob>(&effects_[0]);
  ASSERT_NE(sig, nullptr);
  EXPECT_TRUE(sig->cancel);
  EXPECT_EQ(sig->node, "n1");
  effects_.clear();
  // The node reports the end; the job ends CANCELLED whatever its exit code.
  End(run, 143);
  EXPECT_EQ(Job(run)->state, JobState::kCancelled);
  EXPECT_EQ(Node("n1")->alloc_cpus, 0u);
  // Unknown ids and other users' jobs are refused.
  r = Apply(cmd::Cancel{JobFilter{{99}}, "alice"});
  EXPECT_FALSE(r.status.ok());
  JobId mine = Submit(Spec());
  r = Apply(cmd::Cancel{JobFilter{{mine}}, "bob"});
  EXPECT_TRUE(r.job_ids.empty());
  EXPECT_EQ(Job(mine)->state, JobState::kPending);
}

TEST_F(ClusterStateTest, CancelByFilter) {
  model::JobSpec a = Spec();
  a.name = "keep";
  model::JobSpec b = Spec();
  b.name = "drop";
  JobId keep = Submit(a);
  JobId drop = Submit(b);
  JobFilter f;
  f.names = {"drop"};
  f.states = {JobState::kPending};
  Apply(cmd::Cancel{f, ""});
  EXPECT_EQ(Job(keep)->state, JobState::kPending);
  EXPECT_EQ(Job(drop)->state, JobState::kCancelled);
}

TEST_F(ClusterStateTest, EndStates) {
  JobId ok = Submit(Spec());
  JobId bad = Submit(Spec());
  JobId slow = Submit(Spec());
  Schedule();
  End(ok, 0);
  End(bad, 3);
  End(slow, 0, /*timed_out=*/true);
  EXPECT_EQ(Job(ok)->state, JobState::kCompleted);
  EXPECT_EQ(Job(bad)->state, JobState::kFailed);
  EXPECT_EQ(Job(bad)->exit_code, 3);
  EXPECT_EQ(Job(slow)->state, JobState::kTimeout);
}

TEST_F(ClusterStateTest, FinishedJobsArePurgedAfterMinJobAge) {
  JobId id = Submit(Spec());
  Schedule();
  End(id);
  state_->TakeChanges();
  now_ += 299;
  Apply(cmd::Tick{});
  EXPECT_NE(Job(id), nullptr);
  now_ += 1;
  Apply(cmd::Tick{});
  EXPECT_EQ(Job(id), nullptr);
  EXPECT_EQ(state_->TakeChanges().purged_jobs, std::vector<JobId>{id});
}

TEST_F(ClusterStateTest, DroppedChangesAreNotTakenLater) {
  JobId a = Submit(Spec(4));  // fills a node
  Schedule();
  state_->DropChanges();
  EXPECT_TRUE(state_->TakeChanges().empty());
  JobId b = Submit(Spec(4));  // fills another
  Schedule();
  Changes changes = state_->TakeChanges();
  ASSERT_EQ(changes.jobs.size(), 1u);
  EXPECT_EQ(changes.jobs[0]->id, b);
  ASSERT_EQ(changes.nodes.size(), 1u);
  EXPECT_EQ(changes.nodes[0]->name, Job(b)->allocation[0].node);
  EXPECT_NE(changes.nodes[0]->name, Job(a)->allocation[0].node);
}

// A registration or a configuration claiming more CPUs than a node may have is refused by name,
// where the node's per-CPU state would have been sized by it (a corrupt registration of four
// billion CPUs ran the controller out of memory at the first job placed there).
TEST_F(ClusterStateTest, NodesOfMoreCpusThanANodeMayHaveAreRefused) {
  cmd::RegisterNode r;
  r.inventory.name = "huge";
  r.inventory.cpus = 4'000'000'000u;
  r.inventory.memory_mb = 4000;
  Reply reply = Apply(r);
  EXPECT_EQ(reply.status.code(), Code::kInvalidArgument);
  EXPECT_EQ(reply.status.message(),
            "node huge: CPUs=4000000000 is more than a node may have (65535)");
  EXPECT_EQ(Node("huge"), nullptr);
  r.inventory.cpus = 64;
  r.inventory.threads_per_core = 70'000;
  EXPECT_EQ(Apply(r).status.code(), Code::kInvalidArgument);
  EXPECT_EQ(Node("huge"), nullptr);
  r.inventory.threads_per_core = 2;
  EXPECT_TRUE(Apply(r).status.ok());  // within the bounds it joins

  ClusterConfig config = ThreeNodes();
  config.nodes[1].cpus = model::kMaxNodeCpus + 1;
  const Status st = ClusterState::Validate(config);
  EXPECT_EQ(st.code(), Code::kInvalidArgument);
  EXPECT_NE(st.message().find("node n2: CPUs=65536"), std::string::npos) << st.message();
  config.nodes[1].cpus = model::kMaxNodeCpus;
  EXPECT_TRUE(ClusterState::Validate(config).ok());
}

TEST_F(ClusterStateTest, ReRegistrationReconcilesJobs) {
  JobId reported = Submit(Spec());
  JobId lost = Submit(Spec());
  JobId finished = Submit(Spec());
  Schedule();
  for (JobId id : {reported, lost, finished}) EXPECT_EQ(Job(id)->allocation[0].node, "n1");
  effects_.clear();
  JobEnd end;
  end.id = finished;
  end.exit_code = 0;
  // n1 comes back knowing one running job and one finished one; the third never reached it.
  Register("n1", {reported}, {end});
  EXPECT_EQ(Job(reported)->state, JobState::kRunning);
  EXPECT_EQ(Job(finished)->state, JobState::kCompleted);
  EXPECT_EQ(Job(lost)->state, JobState::kPending);
  EXPECT_EQ(Job(lost)->restarts, 1u);
  bool acked = false;
  for (auto& e : effects_) {
    if (auto* a = std::get_if<effect::AckJobEnd>(&e)) acked = acked || a->id == finished;
  }
  EXPECT_TRUE(acked);
  // An agent reporting a job the controller does not run there is told to kill it.
  effects_.clear();
  Register("n2", {reported});
  bool killed = false;
  for (auto& e : effects_) {
    if (auto* s = std::get_if<effect::SignalJob>(&e)) killed = s->id == reported && s->cancel;
  }
  EXPECT_TRUE(killed);
}

TEST_F(ClusterStateTest, SilentNodeGoesDownAndItsJobsFail) {
  JobId id = Submit(Spec());
  Schedule();
  Apply(cmd::NodeDisconnected{"n1"});
  now_ += 299;
  Apply(cmd::Tick{});
  EXPECT_FALSE(Node("n1")->down);
  now_ += 2;
  Apply(cmd::Tick{});
  EXPECT_TRUE(Node("n1")->down);
  EXPECT_EQ(Job(id)->state, JobState::kNodeFail);
  EXPECT_EQ(Node("n1")->alloc_cpus, 0u);
  // A job submitted now does not go to the down node.
  JobId next = Submit(Spec());
  Schedule();
  EXPECT_EQ(Job(next)->allocation[0].node, "n2");
}

TEST_F(ClusterStateTest, RestoreRebuildsAllocationsAndQueue) {
  JobId running = Submit(Spec(2));
  JobId pending = Submit(Spec(12));
  Schedule();
  auto view = state_->MakeView(now_);
  std::vector<model::Job> jobs;
  view->jobs.ForEach([&](const model::JobPtr& j) { jobs.push_back(*j); });
  ClusterState restored(ThreeNodes());
  restored.Restore(jobs, {}, state_->next_job_id(), now_);
  auto v2 = restored.MakeView(now_);
  EXPECT_EQ(v2->FindNode("n1")->alloc_cpus, 2u);
  EXPECT_FALSE(v2->FindNode("n1")->responding);
  EXPECT_EQ(v2->FindJob(pending)->state, JobState::kPending);
  EXPECT_EQ(v2->FindJob(running)->state, JobState::kRunning);
  Reply r = restored.Apply(cmd::Submit{Spec()}, now_, &effects_);
  EXPECT_EQ(r.job_ids.front(), 3u);
}

TEST_F(ClusterStateTest, ViewsAreImmutableSnapshots) {
  JobId id = Submit(Spec());
  auto before = state_->MakeView(now_);
  Schedule();
  EXPECT_EQ(before->FindJob(id)->state, JobState::kPending);
  EXPECT_EQ(state_->MakeView(now_)->FindJob(id)->state, JobState::kRunning);
}

}  // namespace
}  // namespace sluice::core::cluster

namespace sluice::core::cluster {
namespace {

class ClusterPolicyTest : public ClusterStateTest {};

TEST_F(ClusterPolicyTest, QosMaxJobsPerUserHoldsBackTheSecondJob) {
  ClusterConfig c = ThreeNodes();
  QosConfig normal;
  normal.name = "normal";
  normal.max_jobs_per_user = 1;
  c.qos.push_back(normal);
  Reset(c);
  JobId first = Submit(Spec());
  JobId second = Submit(Spec());
  Schedule();
  EXPECT_EQ(Job(first)->state, JobState::kRunning);
  EXPECT_EQ(Job(second)->state, JobState::kPending);
  EXPECT_EQ(model::ReasonName(Job(second)->reason), "QOSMaxJobsPerUserLimit");
  End(first);
  Schedule();
  EXPECT_EQ(Job(second)->state, JobState::kRunning);
}

TEST_F(ClusterPolicyTest, ReservationKeepsNodesForItsUsers) {
  cmd::CreateReservation create;
  create.reservation.name = "maint";
  create.reservation.start = now_;
  create.reservation.end = now_ + 3600;
  create.reservation.users = {"bob"};
  create.node_count = 3;
  ASSERT_TRUE(Apply(create).status.ok());
  // Every node is reserved: alice's job waits, bob's runs inside the reservation.
  JobId alice = Submit(Spec());
  model::JobSpec bob_spec = Spec();
  bob_spec.user = "bob";
  bob_spec.reservation = "maint";
  JobId bob = Submit(bob_spec);
  model::JobSpec sneaky = Spec();
  sneaky.reservation = "maint";
  EXPECT_EQ(Apply(cmd::Submit{sneaky}).status.code(), Code::kPermissionDenied);
  Schedule();
  EXPECT_EQ(Job(alice)->state, JobState::kPending);
  EXPECT_EQ(Job(bob)->state, JobState::kRunning);
  // In use: it cannot be deleted; once bob's job ends it can, and alice's job starts.
  EXPECT_FALSE(Apply(cmd::DeleteReservation{"maint"}).status.ok());
  End(bob);
  EXPECT_TRUE(Apply(cmd::DeleteReservation{"maint"}).status.ok());
  Schedule();
  EXPECT_EQ(Job(alice)->state, JobState::kRunning);
  // Overlapping reservations on the same nodes are refused.
  create.reservation.name = "a";
  create.node_count = 0;
  create.reservation.nodes = {"n1"};
  ASSERT_TRUE(Apply(create).status.ok());
  create.reservation.name = "b";
  EXPECT_FALSE(Apply(create).status.ok());
}

TEST_F(ClusterPolicyTest, FutureReservationMakesMembersWait) {
  cmd::CreateReservation create;
  create.reservation.name = "later";
  create.reservation.start = now_ + 600;
  create.reservation.end = now_ + 1200;
  create.reservation.users = {"alice"};
  create.reservation.nodes = {"n1"};
  ASSERT_TRUE(Apply(create).status.ok());
  model::JobSpec s = Spec();
  s.reservation = "later";
  JobId id = Submit(s);
  Schedule();
  EXPECT_EQ(Job(id)->reason, Reason::kReservation);
  now_ += 600;
  Schedule();
  EXPECT_EQ(Job(id)->state, JobState::kRunning);
  EXPECT_EQ(Job(id)->allocation[0].node, "n1");
}

}  // namespace
}  // namespace sluice::core::cluster

namespace sluice::core::cluster {
namespace {

TEST_F(ClusterPolicyTest, FairShareUsageIsJournaledAndRestored) {
  ClusterConfig c = ThreeNodes();
  c.priority.type = "priority/multifactor";
  c.priority.weight_fairshare = 1000;
  c.accounts = {{"a", "", 1}, {"b", "", 1}};
  c.users = {{"alice", "a", 1, true}, {"bob", "b", 1, true}};
  Reset(c);
  JobId id = Submit(Spec(4));
  Schedule();
  now_ += 100;
  End(id);
  auto changes = state_->TakeChanges();
  ASSERT_EQ(changes.usage.size(), 1u);
  EXPECT_EQ(changes.usage[0].account, "a");
  EXPECT_EQ(changes.usage[0].user, "alice");
  EXPECT_NEAR(changes.usage[0].usage, 400, 1);  // 4 CPUs for 100 s
  // A restarted state with that usage ranks bob (no usage) above alice.
  ClusterState restored(c);
  restored.Restore({}, {}, 10, now_, {}, changes.usage);
  model::JobSpec bob = Spec();
  bob.user = "bob";
  std::vector<Effect> fx;
  JobId alice_job = restored.Apply(cmd::Submit{Spec()}, now_, &fx).job_ids.front();
  JobId bob_job = restored.Apply(cmd::Submit{bob}, now_, &fx).job_ids.front();
  auto view = restored.MakeView(now_);
  EXPECT_GT(view->FindJob(bob_job)->priority, view->FindJob(alice_job)->priority);
}

}  // namespace
}  // namespace sluice::core::cluster

namespace sluice::core::cluster {
namespace {

TEST_F(ClusterPolicyTest, GpuSharesAndWholeGpusThroughTheStateMachine) {
  ClusterConfig c = ThreeNodes(/*cpus=*/8);
  for (auto& n : c.nodes) {
    if (n.name != "n1") continue;
    for (uint32_t i = 0; i < 4; ++i) {
      model::Gpu g;
      g.index = i;
      g.type = "h100";
      g.memory_mb = 80000;
      n.gpus.push_back(g);
    }
  }
  Reset(c);
  auto mps = [](uint32_t percent) {
    model::JobSpec s = Spec();
    s.mps_percent = percent;
    s.gpu_memory_mb = 10000;
    return s;
  };
  std::vector<JobId> ids;
  for (uint32_t p : {50, 50, 50, 50, 25}) ids.push_back(Submit(mps(p)));
  Schedule();
  // Four 50% jobs take one GPU each (least occupied, lowest index first); the fifth job lands on
  // GPU 0, the least occupied with the lowest index.
  std::vector<uint32_t> gpus;
  for (JobId id : ids) {
    ASSERT_EQ(Job(id)->state, JobState::kRunning);
    ASSERT_EQ(Job(id)->allocation[0].gpus.size(), 1u);
    gpus.push_back(Job(id)->allocation[0].gpus[0].index);
  }
  EXPECT_EQ(gpus, (std::vector<uint32_t>{0, 1, 2, 3, 0}));
  EXPECT_EQ(Node("n1")->gpus[0].shares_used, 75u);
  // Every GPU is shared now: a whole-GPU job must wait.
  model::JobSpec whole = Spec();
  whole.gpus_per_node = 1;
  JobId w = Submit(whole);
  Schedule();
  EXPECT_EQ(Job(w)->state, JobState::kPending);
  End(ids[1]);
  Schedule();
  ASSERT_EQ(Job(w)->state, JobState::kRunning);
  EXPECT_EQ(Job(w)->allocation[0].gpus[0].index, 1u);
  EXPECT_EQ(Job(w)->allocation[0].gpus[0].shares, 0u);
  EXPECT_TRUE(Node("n1")->gpus[1].whole);
  // A GPU request on a partition without enough GPUs is refused at submission.
  model::JobSpec too_many = Spec();
  too_many.gpus_per_node = 5;
  EXPECT_FALSE(Apply(cmd::Submit{too_many}).status.ok());
}

}  // namespace
}  // namespace sluice::core::cluster

namespace sluice::core::cluster {
namespace {

model::Node CpuNode(uint32_t cpus, uint32_t sockets) {
  model::Node n;
  n.name = "c";
  n.cpus = cpus;
  n.sockets = sockets;
  n.cores_per_socket = cpus / sockets;
  return n;
}

TEST(CpuIdsTest, OneRunUntilAnIdBreaksItThenAList) {
  model::CpuIds ids = model::CpuIds::Run(4, 3);
  EXPECT_EQ(ids.size(), 3u);
  ids.push_back(7);  // still one run
  std::vector<std::pair<uint32_t, uint32_t>> runs;
  ids.ForEachRun([&](uint32_t first, uint32_t count) { runs.emplace_back(first, count); });
  EXPECT_EQ(runs, (std::vector<std::pair<uint32_t, uint32_t>>{{4, 4}}));
  ids.push_back(9);  // a gap: listed from here on
  ids.push_back(10);
  EXPECT_EQ(ids.ToVector(), (std::vector<uint32_t>{4, 5, 6, 7, 9, 10}));
  runs.clear();
  ids.ForEachRun([&](uint32_t first, uint32_t count) { runs.emplace_back(first, count); });
  EXPECT_EQ(runs, (std::vector<std::pair<uint32_t, uint32_t>>{{4, 4}, {9, 2}}));
  EXPECT_EQ(ids, (model::CpuIds{4, 5, 6, 7, 9, 10}));
  EXPECT_FALSE(ids == model::CpuIds::Run(4, 6));
  ids.clear();
  EXPECT_TRUE(ids.empty());
  EXPECT_EQ(ids, model::CpuIds{});
}

TEST(PickCpusTest, GpuSocketFirstThenBestFitSocket) {
  model::Node n = CpuNode(8, 2);
  n.cpu_in_use.Reset(8);
  model::Gpu g0, g1;
  g0.index = 0;
  g0.socket = 0;
  g1.index = 1;
  g1.socket = 1;
  n.gpus = {g0, g1};
  // A GPU on socket 1: its CPUs come from socket 1 (ids 4-7).
  EXPECT_EQ(ClusterState::PickCpus(n, 2, {{1, 0, 0}}).ToVector(), (std::vector<uint32_t>{4, 5}));
  // Without GPUs: the fullest socket that still holds them all.
  n.cpu_in_use.Set(0, 2, true);  // socket 0 has 2 free, socket 1 has 4
  EXPECT_EQ(ClusterState::PickCpus(n, 2, {}).ToVector(), (std::vector<uint32_t>{2, 3}));
  EXPECT_EQ(ClusterState::PickCpus(n, 3, {}).ToVector(), (std::vector<uint32_t>{4, 5, 6}));
  // More than a socket holds: spill over, every CPU distinct and free.
  EXPECT_EQ(ClusterState::PickCpus(n, 6, {}).ToVector(), (std::vector<uint32_t>{2, 3, 4, 5, 6, 7}));
}

// A node's CPUs in use: inline up to 128 ids, on the heap past them, the same either way.
TEST(CpuUseTest, MarksRunsAndKeepsThemThroughResizes) {
  model::CpuUse u;
  u.Reset(16);
  u.Set(3, 7, true);
  u.Set(5, 6, false);
  std::vector<uint32_t> used;
  for (uint32_t i = 0; i < 20; ++i) {
    if (u[i]) used.push_back(i);
  }
  EXPECT_EQ(used, (std::vector<uint32_t>{3, 4, 6}));
  EXPECT_FALSE(u[16]);  // past the end: free
  u.Set(10, 40, true);  // clipped to the 16 ids
  EXPECT_TRUE(u[15]);
  u.Resize(300);  // onto the heap: kept, new ids free
  EXPECT_TRUE(u[3] && u[4] && !u[5] && u[6] && u[15]);
  EXPECT_FALSE(u[16]);
  u.Set(60, 260, true);
  EXPECT_TRUE(u[60] && u[64] && u[127] && u[128] && u[259]);
  EXPECT_FALSE(u[59] || u[260]);
  u.Resize(100);  // back inline: ids past 100 gone, and free when it grows again
  EXPECT_TRUE(u[99] && u[60] && u[3]);
  EXPECT_FALSE(u[100]);
  u.Resize(200);
  EXPECT_FALSE(u[100] || u[150] || u[199]);
  EXPECT_TRUE(u[99]);
  u.Resize(64);
  u.Resize(70);
  EXPECT_FALSE(u[64] || u[69]);
  EXPECT_TRUE(u[63]);
  u.Reset(8);
  for (uint32_t i = 0; i < 8; ++i) EXPECT_FALSE(u[i]);
  const model::CpuUse listed{true, false, true};
  EXPECT_EQ(listed.size(), 3u);
  EXPECT_TRUE(listed[0] && !listed[1] && listed[2] && !listed[3]);
}

TEST(PickCpusTest, OneSocketTakesTheLowestFreeIds) {
  model::Node n = CpuNode(6, 1);
  EXPECT_EQ(ClusterState::PickCpus(n, 2, {}).ToVector(), (std::vector<uint32_t>{0, 1}));  // idle
  n.cpu_in_use = model::CpuUse{true, false, true, false, false};  // shorter than cpus: 5 is free
  n.alloc_cpus = 2;
  EXPECT_EQ(ClusterState::PickCpus(n, 3, {}).ToVector(), (std::vector<uint32_t>{1, 3, 4}));
  EXPECT_EQ(ClusterState::PickCpus(n, 4, {}).ToVector(), (std::vector<uint32_t>{1, 3, 4, 5}));
  // --ntasks-per-socket caps what the one socket gives.
  EXPECT_EQ(ClusterState::PickCpus(n, 4, {}, 2).ToVector(), (std::vector<uint32_t>{1, 3}));
}

TEST_F(ClusterPolicyTest, JobsGetDistinctCpuIdsAndGiveThemBack) {
  JobId a = Submit(Spec(2));
  JobId b = Submit(Spec(2));
  Schedule();
  ASSERT_EQ(Job(a)->allocation[0].node, Job(b)->allocation[0].node);
  EXPECT_EQ(Job(a)->allocation[0].cpu_ids.ToVector(), (std::vector<uint32_t>{0, 1}));
  EXPECT_EQ(Job(b)->allocation[0].cpu_ids.ToVector(), (std::vector<uint32_t>{2, 3}));
  End(a);
  JobId c = Submit(Spec(1));
  Schedule();
  EXPECT_EQ(Job(c)->allocation[0].cpu_ids.ToVector(), (std::vector<uint32_t>{0}));
}

}  // namespace
}  // namespace sluice::core::cluster

namespace sluice::core::cluster {
namespace {

TEST_F(ClusterPolicyTest, FutureReservationAdmitsOnlyJobsThatEndBeforeIt) {
  cmd::CreateReservation create;
  create.reservation.name = "soon";
  create.reservation.start = now_ + 600;
  create.reservation.end = now_ + 1200;
  create.reservation.users = {"bob"};
  create.node_count = 3;
  ASSERT_TRUE(Apply(create).status.ok());
  model::JobSpec short_spec = Spec();
  short_spec.time_limit = 300;
  model::JobSpec long_spec = Spec();
  long_spec.time_limit = 900;
  JobId short_job = Submit(short_spec);
  JobId long_job = Submit(long_spec);
  Schedule();
  EXPECT_EQ(Job(short_job)->state, JobState::kRunning);
  EXPECT_EQ(Job(long_job)->state, JobState::kPending);
  EXPECT_EQ(Job(long_job)->reason, Reason::kResources);
  EXPECT_GE(Job(long_job)->expected_start, now_ + 1200);
}

TEST_F(ClusterPolicyTest, PlacementOptionIsCheckedAndUsed) {
  model::JobSpec bad = Spec();
  bad.placement = "scattered";
  Reply r = Apply(cmd::Submit{bad});
  EXPECT_FALSE(r.status.ok());
  EXPECT_NE(r.status.message().find("best-fit"), std::string::npos) << r.status.message();
  // spread puts each task of a 3-task job on its own idle node.
  model::JobSpec spread = Spec(3);
  spread.placement = "spread";
  JobId id = Submit(spread);
  Schedule();
  EXPECT_EQ(Job(id)->allocation.size(), 3u);
  // best-fit (the default) keeps them on one node.
  JobId packed = Submit(Spec(3));
  Schedule();
  EXPECT_EQ(Job(packed)->allocation.size(), 1u);
}

}  // namespace
}  // namespace sluice::core::cluster

namespace sluice::core::cluster {
namespace {

TEST_F(ClusterPolicyTest, NtasksPerSocketCapsTasksPerNodeAndSpreadsCpus) {
  ClusterConfig c = ThreeNodes();
  for (auto& n : c.nodes) {
    n.sockets = 2;
    n.cores_per_socket = 2;  // CPUs 0-1 on socket 0, 2-3 on socket 1
  }
  Reset(c);
  model::JobSpec s = Spec(4);
  s.ntasks_per_socket = 1;
  JobId id = Submit(s);
  Schedule();
  ASSERT_EQ(Job(id)->state, JobState::kRunning);
  ASSERT_EQ(Job(id)->allocation.size(), 2u);  // two tasks per 2-socket node at most
  for (const auto& a : Job(id)->allocation) {
    EXPECT_EQ(a.cpus, 2u);
    EXPECT_EQ(a.cpu_ids.ToVector(), (std::vector<uint32_t>{0, 2})) << a.node;
  }
}

}  // namespace
}  // namespace sluice::core::cluster

namespace sluice::core::cluster {
namespace {

TEST_F(ClusterPolicyTest, MatchingOrKeepsAllNodesOnOneAlternative) {
  ClusterConfig c = ThreeNodes();
  c.nodes[0].features = {"rack1"};
  c.nodes[1].features = {"rack2"};
  c.nodes[2].features = {"rack2"};
  Reset(c);
  // Two whole nodes: only rack2 has two, so a plain OR could mix racks but [..] must not.
  model::JobSpec s = Spec(8, 1, 2);
  s.constraint = "[rack1|rack2]";
  JobId id = Submit(s);
  Schedule();
  ASSERT_EQ(Job(id)->state, JobState::kRunning);
  EXPECT_EQ(Job(id)->NodeNames(), (std::vector<std::string>{"n2", "n3"}));
  // Three nodes cannot all share one rack: refused at submission.
  model::JobSpec wide = Spec(3, 1, 3);
  wide.constraint = "[rack1|rack2]";
  EXPECT_FALSE(Apply(cmd::Submit{wide}).status.ok());
}

}  // namespace
}  // namespace sluice::core::cluster

namespace sluice::core::cluster {
namespace {

TEST_F(ClusterPolicyTest, QuickPassesBetweenFullPassesLookOnlyAtTheQueueHead) {
  ClusterConfig c = ThreeNodes();
  c.scheduler.default_queue_depth = 1;
  c.scheduler.bf_interval = 100;
  Reset(c);
  Schedule();  // the first pass is a full one
  now_ += 1;
  JobId a = Submit(Spec());
  JobId b = Submit(Spec());
  Schedule();  // quick: only the head of the queue
  EXPECT_EQ(Job(a)->state, JobState::kRunning);
  EXPECT_EQ(Job(b)->state, JobState::kPending);
  now_ += 100;
  Schedule();  // full again
  EXPECT_EQ(Job(b)->state, JobState::kRunning);
}

}  // namespace
}  // namespace sluice::core::cluster

namespace sluice::core::cluster {
namespace {

TEST_F(ClusterPolicyTest, MaxCpusPerNodeCapsAPartitionsShareOfEachNode) {
  ClusterConfig c = ThreeNodes();
  c.partitions[0].max_cpus_per_node = 2;  // debug: at most 2 CPUs of any node
  Reset(c);
  JobId a = Submit(Spec(2));
  JobId b = Submit(Spec(2));
  JobId d = Submit(Spec(2));
  JobId e = Submit(Spec(1));
  Schedule();
  // Each 4-CPU node gives debug 2 CPUs: three 2-task jobs take one node each; the fourth waits.
  std::set<std::string> used;
  for (JobId id : {a, b, d}) {
    ASSERT_EQ(Job(id)->state, JobState::kRunning);
    used.insert(Job(id)->allocation[0].node);
  }
  EXPECT_EQ(used.size(), 3u);
  EXPECT_EQ(Job(e)->state, JobState::kPending);
  // A job that needs more than 2 CPUs on one node can never run there: refused.
  EXPECT_FALSE(Apply(cmd::Submit{Spec(1, 3)}).status.ok());
  // The small partition has no cap: its job uses n1's other two CPUs.
  model::JobSpec small = Spec(2);
  small.partition = "small";
  JobId s = Submit(small);
  Schedule();
  EXPECT_EQ(Job(s)->state, JobState::kRunning);
}

}  // namespace
}  // namespace sluice::core::cluster
