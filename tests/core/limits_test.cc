#include "core/policy/limits.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace sluice::core::policy {
namespace {

using cluster::QosConfig;
using cluster::Tres;
using model::Job;
using model::JobSpec;
using model::JobState;
using model::Reason;

constexpr UnixTime kNow = 100000;

// What a job asks for (pending) or holds (running).
struct Req {
  uint32_t cpus = 1;
  uint64_t mem_mb = 0;
  uint32_t nodes = 1;
  uint32_t gpus = 0;
  Seconds limit = 3600;
  std::string user = "u";
  std::string qos;  // empty: the default QOS
};

std::shared_ptr<JobSpec> SpecOf(const Req& r) {
  auto spec = std::make_shared<JobSpec>();
  spec->user = r.user;
  spec->qos = r.qos;
  spec->num_tasks = r.cpus;
  spec->num_nodes = r.nodes;
  spec->mem_per_node_mb = r.mem_mb / r.nodes;
  spec->gpus = r.gpus;
  return spec;
}

Job Pending(model::JobId id, const Req& r) {
  Job j;
  j.id = id;
  j.spec = SpecOf(r);
  j.min_nodes = r.nodes;
  j.time_limit = r.limit;
  return j;
}

// A running job started at `start`, its CPUs and memory spread evenly over its nodes and its
// GPUs (whole) on the first node.
Job Running(model::JobId id, const Req& r, UnixTime start = kNow - 60) {
  Job j = Pending(id, r);
  j.state = JobState::kRunning;
  j.start_time = start;
  for (uint32_t n = 0; n < r.nodes; ++n) {
    model::NodeAllocation a;
    a.node = "n" + std::to_string(n);
    a.cpus = r.cpus / r.nodes;
    a.memory_mb = r.mem_mb / r.nodes;
    if (n == 0) {
      for (uint32_t g = 0; g < r.gpus; ++g) a.gpus.push_back({g, 0, 0});
    }
    j.allocation.push_back(a);
  }
  return j;
}

std::vector<const Job*> Ptrs(const std::vector<Job>& jobs) {
  std::vector<const Job*> out;
  for (const auto& j : jobs) out.push_back(&j);
  return out;
}

QosConfig Normal() {
  QosConfig q;
  q.name = "normal";
  return q;
}

struct AdmitCase {
  std::string name;
  QosConfig qos;
  std::vector<Req> running;
  std::vector<Req> queue;
  std::vector<Reason> want;
};

TEST(LimitTracker, EachLimitAdmitsToTheEdgeAndBlocksBeyond) {
  auto with = [](auto set) {
    QosConfig q = Normal();
    set(q);
    return q;
  };
  const Req one;
  const std::vector<AdmitCase> cases = {
      {"max jobs, one running",
       with([](QosConfig& q) { q.max_jobs_per_user = 2; }),
       {one},
       {one, one},
       {Reason::kNone, Reason::kQosMaxJobsPerUserLimit}},
      {"max jobs, earlier queued jobs count",
       with([](QosConfig& q) { q.max_jobs_per_user = 1; }),
       {},
       {one, one, one},
       {Reason::kNone, Reason::kQosMaxJobsPerUserLimit, Reason::kQosMaxJobsPerUserLimit}},
      {"cpu",
       with([](QosConfig& q) { q.max_tres_per_user.cpu = 8; }),
       {{.cpus = 4}},
       {{.cpus = 4}, {.cpus = 1}},
       {Reason::kNone, Reason::kQosMaxCpuPerUserLimit}},
      {"a blocked job uses no budget",
       with([](QosConfig& q) { q.max_tres_per_user.cpu = 8; }),
       {{.cpus = 4}},
       {{.cpus = 5}, {.cpus = 4}},
       {Reason::kQosMaxCpuPerUserLimit, Reason::kNone}},
      {"memory",
       with([](QosConfig& q) { q.max_tres_per_user.mem_mb = 16384; }),
       {{.mem_mb = 8192}},
       {{.mem_mb = 8192}, {.mem_mb = 1}},
       {Reason::kNone, Reason::kQosMaxMemoryPerUser}},
      {"nodes",
       with([](QosConfig& q) { q.max_tres_per_user.node = 3; }),
       {{.cpus = 2, .nodes = 2}},
       {{.nodes = 1}, {.nodes = 1}},
       {Reason::kNone, Reason::kQosMaxNodePerUserLimit}},
      {"gpus",
       with([](QosConfig& q) { q.max_tres_per_user.gpu = 4; }),
       {{.gpus = 2}},
       {{.gpus = 2}, {.gpus = 1}},
       {Reason::kNone, Reason::kQosMaxGresPerUser}},
      {"max wall",
       with([](QosConfig& q) { q.max_wall = 3600; }),
       {},
       {{.limit = 3600}, {.limit = 3601}, {.limit = kUnlimited}},
       {Reason::kNone, Reason::kQosMaxWallDurationPerJobLimit,
        Reason::kQosMaxWallDurationPerJobLimit}},
      // Running: 2 CPUs with 100 minutes left = 200 CPU-minutes.
      {"cpu run minutes",
       with([](QosConfig& q) { q.max_tres_run_mins_per_user.cpu = 600; }),
       {{.cpus = 2, .limit = 120 * 60}},
       {{.cpus = 4, .limit = 100 * 60}, {.cpus = 1, .limit = 60}},
       {Reason::kNone, Reason::kMaxCpuRunMinsPerUser}},
      {"memory run minutes",
       with([](QosConfig& q) { q.max_tres_run_mins_per_user.mem_mb = 1000 * 60; }),
       {},
       {{.mem_mb = 1000, .limit = 30 * 60},
        {.mem_mb = 1000, .limit = 30 * 60},
        {.mem_mb = 1, .limit = 60}},
       {Reason::kNone, Reason::kNone, Reason::kMaxMemoryRunMinsPerUser}},
      {"node run minutes",
       with([](QosConfig& q) { q.max_tres_run_mins_per_user.node = 120; }),
       {},
       {{.cpus = 2, .nodes = 2, .limit = 3600}, {.limit = 60}},
       {Reason::kNone, Reason::kMaxNodeRunMinsPerUser}},
      {"gpu run minutes",
       with([](QosConfig& q) { q.max_tres_run_mins_per_user.gpu = 60; }),
       {},
       {{.gpus = 1, .limit = 3600}, {.gpus = 1, .limit = 60}, {.limit = 60}},
       {Reason::kNone, Reason::kMaxGresRunMinsPerUser, Reason::kNone}},
      {"an unlimited time limit never fits run minutes",
       with([](QosConfig& q) { q.max_tres_run_mins_per_user.cpu = 1000000; }),
       {},
       {{.limit = kUnlimited}, {.limit = 60}},
       {Reason::kMaxCpuRunMinsPerUser, Reason::kNone}},
      {"users are counted apart",
       with([](QosConfig& q) { q.max_jobs_per_user = 1; }),
       {{.user = "a"}},
       {{.user = "a"}, {.user = "b"}, {.user = "b"}},
       {Reason::kQosMaxJobsPerUserLimit, Reason::kNone, Reason::kQosMaxJobsPerUserLimit}},
      {"first failing limit wins: wall, jobs, TRES, run minutes",
       with([](QosConfig& q) {
         q.max_wall = 60;
         q.max_jobs_per_user = 1;
         q.max_tres_per_user.cpu = 1;
         q.max_tres_run_mins_per_user.cpu = 1;
       }),
       {},
       {{.cpus = 2, .limit = 120}, {.cpus = 2, .limit = 60}, {.limit = 60}, {.limit = 60}},
       {Reason::kQosMaxWallDurationPerJobLimit, Reason::kQosMaxCpuPerUserLimit, Reason::kNone,
        Reason::kQosMaxJobsPerUserLimit}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    LimitTracker t({c.qos});
    model::JobId id = 1;
    std::vector<Job> running;
    for (const auto& r : c.running) running.push_back(Running(id++, r, kNow - 20 * 60));
    for (const auto& j : running) {
      t.JobSubmitted(j);
      t.JobStarted(j);
    }
    std::vector<Job> queue;
    for (const auto& r : c.queue) queue.push_back(Pending(id++, r));
    EXPECT_EQ(t.Admit(Ptrs(queue), kNow), c.want);
  }
}

TEST(LimitTracker, QosResolution) {
  QosConfig limited = Normal();
  limited.max_jobs_per_user = 1;
  QosConfig other;
  other.name = "other";
  other.max_jobs_per_user = 1;
  const std::vector<Job> queue = {
      Pending(1, {}),
      Pending(2, {}),  // normal: second blocked
      Pending(3, {.qos = "other"}),
      Pending(4, {.qos = "other"}),  // other: apart from normal
      Pending(5, {.qos = "nosuch"}),
      Pending(6, {.qos = "nosuch"}),  // unknown: no limits
  };
  LimitTracker t({limited, other});
  EXPECT_EQ(t.Admit(Ptrs(queue), kNow),
            (std::vector<Reason>{Reason::kNone, Reason::kQosMaxJobsPerUserLimit, Reason::kNone,
                                 Reason::kQosMaxJobsPerUserLimit, Reason::kNone, Reason::kNone}));
  EXPECT_EQ(t.QosOf(*queue[0].spec)->name, "normal");
  EXPECT_EQ(t.QosOf(*queue[2].spec)->name, "other");
  EXPECT_EQ(t.QosOf(*queue[4].spec), nullptr);

  // Without a "normal" QOS a job naming none has no limits.
  LimitTracker no_default({other});
  std::vector<Job> plain;
  for (model::JobId id = 1; id <= 3; ++id) plain.push_back(Pending(id, {.cpus = 1000}));
  EXPECT_EQ(no_default.QosOf(*plain[0].spec), nullptr);
  EXPECT_EQ(no_default.Admit(Ptrs(plain), kNow), std::vector<Reason>(3, Reason::kNone));
  LimitTracker none({});
  EXPECT_EQ(none.Admit(Ptrs(plain), kNow), std::vector<Reason>(3, Reason::kNone));
}

TEST(LimitTracker, HeldAndNonPendingJobsUseNoBudget) {
  QosConfig q = Normal();
  q.max_jobs_per_user = 1;
  LimitTracker t({q});
  Job held = Pending(1, {});
  held.held = true;
  Job running = Running(2, {});  // listed but never reported started
  const std::vector<Job> queue = {held, running, Pending(3, {})};
  EXPECT_EQ(t.Admit(Ptrs(queue), kNow), std::vector<Reason>(3, Reason::kNone));
}

TEST(LimitTracker, EndedAndRequeuedJobsFreeBudget) {
  QosConfig q = Normal();
  q.max_jobs_per_user = 1;
  q.max_tres_per_user.cpu = 4;
  LimitTracker t({q});
  const Job a = Running(1, {.cpus = 4});
  t.JobSubmitted(a);
  t.JobStarted(a);
  t.JobStarted(a);  // charged anew, not twice
  const std::vector<Job> queue = {Pending(2, {.cpus = 1})};
  EXPECT_EQ(t.Admit(Ptrs(queue), kNow), std::vector<Reason>{Reason::kQosMaxJobsPerUserLimit});
  EXPECT_EQ(t.SubmittedJobs(*a.spec), 1u);

  t.JobRequeued(a);
  EXPECT_EQ(t.Admit(Ptrs(queue), kNow), std::vector<Reason>{Reason::kNone});
  EXPECT_EQ(t.SubmittedJobs(*a.spec), 1u);  // still pending

  t.JobStarted(a);
  EXPECT_EQ(t.Admit(Ptrs(queue), kNow), std::vector<Reason>{Reason::kQosMaxJobsPerUserLimit});
  t.JobEnded(a);
  EXPECT_EQ(t.Admit(Ptrs(queue), kNow), std::vector<Reason>{Reason::kNone});
  EXPECT_EQ(t.SubmittedJobs(*a.spec), 0u);
  t.JobEnded(a);  // again: ignored
  EXPECT_EQ(t.SubmittedJobs(*a.spec), 0u);
}

TEST(LimitTracker, RunMinutesShrinkAsTimePasses) {
  QosConfig q = Normal();
  q.max_tres_run_mins_per_user.cpu = 600;
  LimitTracker t({q});
  const UnixTime start = kNow;
  const Job r = Running(1, {.cpus = 2, .limit = 300 * 60}, start);  // 600 CPU-minutes left
  t.JobStarted(r);
  const std::vector<Job> queue = {Pending(2, {.cpus = 1, .limit = 60 * 60})};  // needs 60
  const struct {
    Seconds elapsed;
    Reason want;
  } cases[] = {
      {0, Reason::kMaxCpuRunMinsPerUser},
      {29 * 60, Reason::kMaxCpuRunMinsPerUser},  // 2 * 271 + 60 = 602
      {30 * 60, Reason::kNone},                  // 2 * 270 + 60 = 600
      {300 * 60, Reason::kNone},
      {400 * 60, Reason::kNone},  // past its limit (being killed): nothing left
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.elapsed);
    EXPECT_EQ(t.Admit(Ptrs(queue), start + c.elapsed), std::vector<Reason>{c.want});
  }
}

TEST(LimitTracker, SubmittedJobsCount) {
  LimitTracker t({Normal(), {"other", 0}});
  const Job a = Pending(1, {});
  const Job b = Pending(2, {});
  const Job c = Pending(3, {.qos = "other"});
  const Job d = Pending(4, {.user = "v"});
  for (const Job* j : {&a, &a, &b, &c, &d}) t.JobSubmitted(*j);
  EXPECT_EQ(t.SubmittedJobs(*a.spec), 2u);  // a once, b
  EXPECT_EQ(t.SubmittedJobs(*c.spec), 1u);
  EXPECT_EQ(t.SubmittedJobs(*d.spec), 1u);
  t.JobStarted(a);
  EXPECT_EQ(t.SubmittedJobs(*a.spec), 2u);  // running still counts
  t.JobEnded(b);
  EXPECT_EQ(t.SubmittedJobs(*a.spec), 1u);
  const Job unknown = Pending(5, {.qos = "nosuch"});
  t.JobSubmitted(unknown);
  EXPECT_EQ(t.SubmittedJobs(*unknown.spec), 0u);
}

TEST(LimitCheckSubmit, SubmitLimitAndMaxWall) {
  QosConfig q = Normal();
  q.max_submit_jobs_per_user = 2;
  q.max_wall = 3600;
  const JobSpec spec;
  const struct {
    const QosConfig* qos;
    Seconds limit;
    uint32_t submitted;
    bool ok;
  } cases[] = {
      {&q, 3600, 0, true},  {&q, 3600, 1, true},        {&q, 3600, 2, false},
      {&q, 3601, 0, false}, {&q, kUnlimited, 0, false}, {nullptr, kUnlimited, 100, true},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(testing::Message() << c.limit << " " << c.submitted);
    Status s = CheckSubmit(spec, c.limit, c.qos, c.submitted);
    EXPECT_EQ(s.ok(), c.ok);
    if (!c.ok) {
      EXPECT_EQ(s.code(), Code::kInvalidArgument);
      EXPECT_EQ(s.message(),
                "Job violates accounting/QOS policy (job submit limit, user's size and/or time "
                "limits)");
    }
  }
  QosConfig unlimited = Normal();
  EXPECT_TRUE(CheckSubmit(spec, kUnlimited, &unlimited, 1000000).ok());
}

TEST(LimitCheckSubmit, QosTimeLimitGivesMaxWallWithoutDashT) {
  QosConfig q = Normal();
  q.max_wall = 3600;
  JobSpec no_t;
  JobSpec with_t;
  with_t.time_limit = 7200;
  EXPECT_EQ(QosTimeLimit(no_t, kUnlimited, &q), 3600);
  EXPECT_EQ(QosTimeLimit(no_t, 600, &q), 600);      // a shorter partition default stays
  EXPECT_EQ(QosTimeLimit(with_t, 7200, &q), 7200);  // CheckSubmit refuses it
  EXPECT_EQ(QosTimeLimit(no_t, kUnlimited, nullptr), kUnlimited);
  const QosConfig no_wall = Normal();
  EXPECT_EQ(QosTimeLimit(no_t, kUnlimited, &no_wall), kUnlimited);
}

TEST(LimitJobTres, AllocationOrRequest) {
  Job r = Running(1, {.cpus = 4, .mem_mb = 2000, .nodes = 2, .gpus = 2});
  r.allocation[1].gpus.push_back({0, 50, 1000});  // an MPS share is not a whole GPU
  const Tres held = JobTres(r);
  EXPECT_EQ(held.cpu, 4u);
  EXPECT_EQ(held.mem_mb, 2000u);
  EXPECT_EQ(held.node, 2u);
  EXPECT_EQ(held.gpu, 2u);

  Job p = Pending(2, {.cpus = 6, .nodes = 3});
  auto spec = std::make_shared<JobSpec>(*p.spec);
  spec->mem_per_node_mb = 0;
  spec->mem_per_cpu_mb = 100;
  spec->gpus = 0;
  spec->gpus_per_node = 2;
  p.spec = spec;
  const Tres asked = JobTres(p);
  EXPECT_EQ(asked.cpu, 6u);
  EXPECT_EQ(asked.mem_mb, 600u);
  EXPECT_EQ(asked.node, 3u);
  EXPECT_EQ(asked.gpu, 6u);
  spec->gpus_per_node = 0;
  spec->gpus_per_task = 1;
  EXPECT_EQ(JobTres(p).gpu, 6u);
}

}  // namespace
}  // namespace sluice::core::policy
