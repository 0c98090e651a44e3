#include "compat/slurm/squeue_format.h"

#include <gtest/gtest.h>

#include "peer_fixtures.h"

namespace sluice::compat::slurm {
namespace {

using namespace testing_peer;  // NOLINT: test fixtures
using core::model::JobPtr;

class SqueueTest : public ::testing::Test {
 protected:
  void SetUp() override { UseUtc(); }
  std::vector<JobPtr> jobs_ = {Job3(), Job1(), Job2()};
};

// Byte for byte what squeue 22.05 printed (its job 4, pending for PartitionConfig, left out).
TEST_F(SqueueTest, DefaultFormatMatchesSlurm) {
  auto out = FormatSqueue(jobs_, "", true, kNow);
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ(*out,
            "             JOBID PARTITION     NAME     USER ST       TIME  NODES NODELIST(REASON)\n"
            "                 3     debug     wrap     root PD       0:00      1 (JobHeldUser)\n"
            "                 1     debug     wrap     root  R       0:04      1 n1\n"
            "                 2     debug longname     root  R       0:04      1 n1\n");
}

TEST_F(SqueueTest, LongFormatMatchesSlurm) {
  auto out = FormatSqueue(jobs_, SqueueLongFormat(), true, kNow);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out,
            "             JOBID PARTITION     NAME     USER    STATE       TIME TIME_LIMI  NODES "
            "NODELIST(REASON)\n"
            "                 3     debug     wrap     root  PENDING       0:00 UNLIMITED      1 "
            "(JobHeldUser)\n"
            "                 1     debug     wrap     root  RUNNING       0:04 UNLIMITED      1 "
            "n1\n"
            "                 2     debug longname     root  RUNNING       0:04     10:00      1 "
            "n1\n");
}

TEST_F(SqueueTest, PipeFormatMatchesSlurm) {
  auto out = FormatSqueue(jobs_, "%i|%j|%T|%r|%l|%L|%C|%m|%N", true, kNow);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out,
            "JOBID|NAME|STATE|REASON|TIME_LIMIT|TIME_LEFT|CPUS|MIN_MEMORY|NODELIST\n"
            "3|wrap|PENDING|JobHeldUser|UNLIMITED|UNLIMITED|1|100M|\n"
            "1|wrap|RUNNING|None|UNLIMITED|UNLIMITED|2|100M|n1\n"
            "2|longname_job_xyz|RUNNING|None|10:00|9:56|1|100M|n1\n");
}

TEST_F(SqueueTest, TimesAndPathsMatchSlurm) {
  auto out = FormatSqueue(jobs_, "%i|%S|%V|%e|%Z|%o|%A|%Q|%p|%u|%g|%a|%B", false, kNow);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out,
            "3|N/A|2026-11-22T00:35:12|N/A|/tmp|(null)|3|0|0.00000000000000|root|root|(null)|n/a\n"
            "1|2026-11-22T00:35:15|2026-11-22T00:35:12|NONE|/tmp|(null)|1|4294901759|"
            "0.99998474121093|root|root|(null)|n1\n"
            "2|2026-11-22T00:35:15|2026-11-22T00:35:12|2026-11-22T00:45:15|/tmp|(null)|2|"
            "4294901758|0.99998474097810|root|root|(null)|n1\n");
}

// Justification and truncation as squeue 22.05 printed them for -o
// "%5i|%.5i|%.3j|%3j|%10i%5P|%i %%|%.0i|%0j|".
TEST_F(SqueueTest, WidthsMatchSlurm) {
  auto out = FormatSqueue({Job1()}, "%5i|%.5i|%.3j|%3j|%10i%5P|%i %%|%.0i|%0j|", true, kNow);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out,
            "JOBID|JOBID|NAM|NAM|JOBID     PARTI|JOBID %|JOBID|NAME|\n"
            "1    |    1|wra|wra|1         debug|1 %|1|wrap|\n");
}

TEST_F(SqueueTest, PrefixTextAndNoHeader) {
  auto out = FormatSqueue({Job1()}, "id=%i", false, kNow);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, "id=1\n");
  auto none = FormatSqueue({}, "%i", true, kNow);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, "JOBID\n");
}

TEST_F(SqueueTest, MemoryAndCommand) {
  auto spec = std::make_shared<core::model::JobSpec>(*Job1()->spec);
  spec->mem_per_cpu_mb = 0;
  spec->mem_per_node_mb = 2048;
  spec->command = "/tmp/myscript.sh";
  spec->argv = {"a", "b"};
  auto job = std::make_shared<core::model::Job>(*Job1());
  job->spec = spec;
  auto out = FormatSqueue({job}, "%m|%o", false, kNow);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, "2G|/tmp/myscript.sh a b\n");
}

// As squeue 22.05 printed job 1258 (see scontrol_show_test) with
// -o '%a|%q|%y|%f|%S|%x|%h|%Y|%E', and job 3's plain values.
TEST_F(SqueueTest, PlacementFieldsMatchSlurm) {
  auto spec = std::make_shared<core::model::JobSpec>(*Job3()->spec);
  spec->exclude = {"n3"};
  spec->account = "foo";
  spec->nice = 7;
  spec->constraint = "a&b";
  spec->exclusive = true;
  auto job = std::make_shared<core::model::Job>(*Job3());
  job->spec = spec;
  auto out = FormatSqueue({job, Job3()}, "%a|%q|%y|%f|%S|%x|%h|%Y|%E", true, kNow);
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ(*out,
            "ACCOUNT|QOS|NICE|FEATURES|START_TIME|EXC_NODES|OVER_SUBSCRIBE|SCHEDNODES|DEPENDENCY\n"
            "foo|(null)|7|a&b|N/A|n3|NO|(null)|(null)\n"
            "(null)|(null)|0|(null)|N/A||OK|(null)|(null)\n");
  spec->qos = "high";
  auto qos = FormatSqueue({job}, "%q", false, kNow);
  ASSERT_TRUE(qos.ok());
  EXPECT_EQ(*qos, "high\n");
}

// squeue --start, as 22.05 printed it for a held job; then with a planned start.
TEST_F(SqueueTest, StartFormatMatchesSlurm) {
  EXPECT_EQ(SqueueStartFormat(), "%.18i %.9P %.8j %.8u %.2t %.19S %.6D %20Y %R");
  auto out = FormatSqueue({Job3()}, SqueueStartFormat(), true, kNow);
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ(*out,
            "             JOBID PARTITION     NAME     USER ST          START_TIME  NODES "
            "SCHEDNODES           NODELIST(REASON)\n"
            "                 3     debug     wrap     root PD                 N/A      1 "
            "(null)               (JobHeldUser)\n");
  auto planned = std::make_shared<core::model::Job>(*Job3());
  planned->expected_start = kStart + 3600;
  auto start = FormatSqueue({planned}, "%S", false, kNow);
  ASSERT_TRUE(start.ok());
  EXPECT_EQ(*start, "2026-11-22T01:35:15\n");
  // Only a pending job shows its plan; a running one its start.
  auto running = std::make_shared<core::model::Job>(*Job1());
  running->expected_start = kStart + 3600;
  auto run = FormatSqueue({running}, "%S", false, kNow);
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(*run, "2026-11-22T00:35:15\n");
}

TEST_F(SqueueTest, UnknownFieldIsAnError) {
  for (const char* bad : {"%i %-5i", "%H", "%.5"}) {
    auto out = FormatSqueue(jobs_, bad, true, kNow);
    ASSERT_FALSE(out.ok()) << bad;
    EXPECT_NE(out.status().message().find("Invalid job format specification"), std::string::npos);
  }
}

TEST(SortForSqueue, PendingFirstThenPriorityThenIdDescending) {
  auto make = [](core::model::JobId id, core::model::JobState state, uint32_t prio,
                 std::string part) {
    auto j = std::make_shared<core::model::Job>(*Job1());
    j->id = id;
    j->state = state;
    j->priority = prio;
    j->partition = std::move(part);
    return JobPtr(j);
  };
  using S = core::model::JobState;
  // The order squeue 22.05 printed: 4 15 14 10 3 (pending) 8 11 12 13 (running).
  std::vector<JobPtr> jobs = {
      make(8, S::kRunning, 4294901753u, "debug"),  make(3, S::kPending, 0, "debug"),
      make(13, S::kRunning, 4294901749u, "debug"), make(10, S::kPending, 0, "debug"),
      make(4, S::kPending, 4294901757u, "debug"),  make(11, S::kRunning, 4294901751u, "debug"),
      make(15, S::kPending, 0, "debug"),           make(12, S::kRunning, 4294901750u, "debug"),
      make(14, S::kPending, 0, "debug"),           make(1, S::kRunning, 5, "a_first")};
  SortForSqueue(&jobs);
  std::vector<core::model::JobId> ids;
  for (const auto& j : jobs) ids.push_back(j->id);
  EXPECT_EQ(ids, (std::vector<core::model::JobId>{1, 4, 15, 14, 10, 3, 8, 11, 12, 13}));
}

}  // namespace
}  // namespace sluice::compat::slurm
