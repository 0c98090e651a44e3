#include "sim/sacct.h"

#include <gtest/gtest.h>

#include "compat/slurm/time_format.h"

namespace sluice::sim {
namespace {

// sacct -P -o State,JobID,User,Partition,Submit,Start,End,Elapsed,NCPUS,NNodes,Timelimit,ReqTRES
// (columns in an unusual order on purpose; without -X, so with steps).
constexpr const char* kHistory =
    "State|JobID|User|Partition|Submit|Start|End|Elapsed|NCPUS|NNodes|Timelimit|ReqTRES\n"
    "COMPLETED|100|alice|batch|2026-01-10T10:00:00|2026-01-10T10:00:05|2026-01-10T10:30:05|"
    "00:30:00|4|1|01:00:00|billing=4,cpu=4,mem=8G,node=1\n"
    "COMPLETED|100.batch||||2026-01-10T10:00:05|2026-01-10T10:30:05|00:30:00|4|1||cpu=4\n"
    "COMPLETED|100.extern||||2026-01-10T10:00:05|2026-01-10T10:30:05|00:30:00|4|1||cpu=4\n"
    // Ran two seconds past its limit (KillWait): capped. The earliest submit: time 0.
    "TIMEOUT|101|bob|gpu|2026-01-10T09:59:00|2026-01-10T10:05:00|2026-01-10T12:05:02|02:00:02|"
    "8|2|02:00:00|billing=8,cpu=8,gres/gpu=4,node=2\n"
    "FAILED|102|carol|gpu|2026-01-10T10:10:00|2026-01-10T10:10:00|2026-01-10T10:20:00|00:10:00|"
    "2|1|Partition_Limit|cpu=2,gres/mps=50,node=1\n"
    "PENDING|103|alice|batch|2026-01-10T10:11:00|Unknown|Unknown|00:00:00|4|1|01:00:00|cpu=4\n"
    // Cancelled while pending: Start = End, no time, no CPUs; or Start None.
    "CANCELLED by 1000|104|bob|batch|2026-01-10T10:12:00|2026-01-10T10:15:00|"
    "2026-01-10T10:15:00|00:00:00|0|0|1-00:00:00|cpu=16\n"
    "CANCELLED by 1000|105|bob|batch|2026-01-10T10:12:00|None|2026-01-10T10:15:00|00:00:00|16|1|"
    "1-00:00:00|cpu=16\n"
    "RUNNING|106|alice|batch|2026-01-10T10:20:00|2026-01-10T10:21:00|Unknown|01:00:00|4|1|"
    "UNLIMITED|cpu=4\n"
    // Cancelled while running: it ran, so it stays.
    "CANCELLED by 1001|107|dave|batch|2026-01-10T10:30:00|2026-01-10T10:31:00|"
    "2026-01-10T10:41:00|00:10:00|16|1|UNLIMITED|cpu=16\n"
    "COMPLETED|108|erin|batch|2026-01-10T10:40:00|2026-01-10T10:40:00|2026-01-10T10:40:00|"
    "00:00:00|1|1|00:05:00|cpu=1\n";

TEST(SacctTest, ReadsJobsInAnyColumnOrderAndCleansThem) {
  auto t = ParseSacct(kHistory);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->records, 9u);
  EXPECT_EQ(t->steps, 2u);
  EXPECT_EQ(t->never_started, 3u);  // 103, 104, 105
  EXPECT_EQ(t->unfinished, 1u);     // 106
  EXPECT_EQ(t->dropped, 1u);        // 108: no run time
  EXPECT_EQ(t->exact_estimates, 0u);
  EXPECT_EQ(t->partition_limits, 1u);
  EXPECT_EQ(t->capped, 1u);
  EXPECT_EQ(t->origin, *compat::slurm::ParseTimestamp("2026-01-10T09:59:00", 0));
  ASSERT_EQ(t->jobs.size(), 4u);

  const SimJob& a = t->jobs[0];
  EXPECT_EQ(a.id, 100u);
  EXPECT_EQ(a.submit, 60);
  EXPECT_EQ(a.run, 1800);
  EXPECT_EQ(a.estimate, 3600);
  EXPECT_EQ(a.procs, 4u);
  ASSERT_NE(a.spec, nullptr);
  EXPECT_EQ(a.spec->user, "alice");
  EXPECT_EQ(a.spec->partition, "batch");
  EXPECT_EQ(a.spec->num_tasks, 4u);
  EXPECT_EQ(a.spec->cpus_per_task, 1u);
  EXPECT_EQ(a.spec->num_nodes, 0u);  // one node: left to the scheduler
  EXPECT_EQ(a.spec->gpus, 0u);

  const SimJob& b = t->jobs[1];
  EXPECT_EQ(b.id, 101u);
  EXPECT_EQ(b.submit, 0);
  EXPECT_EQ(b.run, 7200);  // capped
  EXPECT_EQ(b.estimate, 7200);
  EXPECT_EQ(b.spec->gpus, 4u);
  EXPECT_EQ(b.spec->num_nodes, 2u);

  const SimJob& c = t->jobs[2];
  EXPECT_EQ(c.submit, 660);
  EXPECT_EQ(c.estimate, 0);  // Partition_Limit: ResolveTimeLimits
  EXPECT_EQ(c.spec->mps_percent, 50u);

  const SimJob& d = t->jobs[3];
  EXPECT_EQ(d.id, 107u);
  EXPECT_EQ(d.submit, 1860);
  EXPECT_EQ(d.run, 600);
  EXPECT_EQ(d.estimate, kUnlimited);
  EXPECT_EQ(d.spec->user, "dave");
}

// sacct -p ends every line with '|'; without Timelimit the run is the estimate; JobIDRaw gives
// array tasks their own number; End alone gives the run time; AllocCPUS stands in for NCPUS.
TEST(SacctTest, ReadsParsableOutputWithFewerColumns) {
  auto t = ParseSacct(
      "JobID|JobIDRaw|Submit|Start|End|AllocCPUS|AllocTRES|\n"
      "200_1|201|2026-01-10T10:00:00|2026-01-10T10:00:00|2026-01-10T10:01:40|2|"
      "cpu=2,gres/gpu=1|\n"
      "200_2|202|2026-01-10T10:00:00|2026-01-10T10:00:10|2026-01-10T10:00:40|1||\n"
      "200_2.batch|202.batch|2026-01-10T10:00:00|2026-01-10T10:00:10|2026-01-10T10:00:40|1||\n");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->records, 2u);
  EXPECT_EQ(t->steps, 1u);
  EXPECT_EQ(t->exact_estimates, 2u);
  ASSERT_EQ(t->jobs.size(), 2u);
  EXPECT_EQ(t->jobs[0].id, 201u);
  EXPECT_EQ(t->jobs[0].run, 100);
  EXPECT_EQ(t->jobs[0].estimate, 100);
  EXPECT_EQ(t->jobs[0].procs, 2u);
  EXPECT_EQ(t->jobs[0].spec->gpus, 1u);
  EXPECT_EQ(t->jobs[1].id, 202u);
  EXPECT_EQ(t->jobs[1].run, 30);
  EXPECT_EQ(t->jobs[1].submit, 0);
}

TEST(SacctTest, ReadsDaysInDurations) {
  auto t = ParseSacct(
      "JobID|Submit|Start|Elapsed|ReqCPUS|Timelimit\n"
      "5|2026-01-10T00:00:00|2026-01-10T00:00:00|1-01:00:00|64|2-00:00:00\n");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  ASSERT_EQ(t->jobs.size(), 1u);
  EXPECT_EQ(t->jobs[0].run, 90000);
  EXPECT_EQ(t->jobs[0].estimate, 172800);
  EXPECT_EQ(t->jobs[0].procs, 64u);
}

struct BadHistory {
  const char* text;
  const char* message;
};

class BadSacctTest : public ::testing::TestWithParam<BadHistory> {};

TEST_P(BadSacctTest, FailsWithOneLineNamingTheLine) {
  auto t = ParseSacct(GetParam().text);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(t.status().message(), GetParam().message);
}

constexpr const char* kHeader = "JobID|Submit|Start|End|NCPUS|Timelimit\n";

INSTANTIATE_TEST_SUITE_P(
    Errors, BadSacctTest,
    ::testing::Values(
        BadHistory{"", "sacct output is empty: no header line"},
        BadHistory{"100|2026-01-10T10:00:00|2026-01-10T10:00:00|2026-01-10T10:01:00|1|\n",
                   "sacct line 1: no header naming JobID: run sacct with --parsable2 (-P) and "
                   "without --noheader"},
        BadHistory{"JobID|User|Submit|NCPUS\n",
                   "sacct line 1: the header lacks Start End(or Elapsed); e.g. sacct -P -X -o "
                   "JobID,User,Partition,Submit,Start,End,NCPUS,Timelimit,ReqTRES,State"},
        BadHistory{"JobID|Submit|Start|End\n",
                   "sacct line 1: the header lacks NCPUS(or AllocCPUS, ReqCPUS); e.g. sacct -P "
                   "-X -o JobID,User,Partition,Submit,Start,End,NCPUS,Timelimit,ReqTRES,State"},
        BadHistory{"JobID|Submit|Start|End|NCPUS|Timelimit\n\n1|2|3\n",
                   "sacct line 3: 3 fields, the header names 6 (a '|' inside a field, e.g. in "
                   "JobName?)"},
        BadHistory{"JobID|Submit|Start|End|NCPUS|Timelimit\n"
                   "1|yesterday|2026-01-10T10:00:00|2026-01-10T10:01:00|1|10\n",
                   "sacct line 2: Submit \"yesterday\" is not a time stamp like "
                   "2026-11-20T10:00:00"},
        BadHistory{"JobID|Submit|Start|End|NCPUS|Timelimit\n"
                   "x|2026-01-10T10:00:00|2026-01-10T10:00:00|2026-01-10T10:01:00|1|10\n",
                   "sacct line 2: JobID \"x\" is not a job id"},
        BadHistory{"JobID|Submit|Start|End|NCPUS|Timelimit\n"
                   "1|2026-01-10T10:00:00|2026-01-10T10:00:00|2026-01-10T10:01:00|four|10\n",
                   "sacct line 2: CPUs \"four\" is not a count"},
        BadHistory{"JobID|Submit|Start|End|NCPUS|Timelimit\n"
                   "1|2026-01-10T10:00:00|2026-01-10T10:00:00|2026-01-10T10:01:00|1|forever\n",
                   "sacct line 2: Timelimit \"forever\" is not a time limit"},
        BadHistory{"JobID|Submit|Start|Elapsed|NCPUS\n"
                   "1|2026-01-10T10:00:00|2026-01-10T10:00:00|an hour|1\n",
                   "sacct line 2: Elapsed \"an hour\" is not a duration like 1-02:03:04"}));

}  // namespace
}  // namespace sluice::sim
