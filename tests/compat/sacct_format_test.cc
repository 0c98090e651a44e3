#include "compat/slurm/sacct_format.h"

#include <gtest/gtest.h>

#include "peer_fixtures.h"

namespace sluice::compat::slurm {
namespace {

using namespace testing_peer;  // NOLINT: test fixtures
namespace m = core::model;

class SacctTest : public ::testing::Test {
 protected:
  void SetUp() override {
    UseUtc();
    m::AccountingRecord done;
    done.id = 4;
    done.name = "wrap";
    done.user = "root";
    done.account = "root";
    done.partition = "debug";
    done.qos = "normal";
    done.state = m::JobState::kCompleted;
    done.submit_time = kSubmit;
    done.start_time = kStart;
    done.end_time = kNow;
    done.time_limit = 300;
    done.req_cpus = done.alloc_cpus = 1;
    done.req_nodes = done.alloc_nodes = 1;
    done.nodelist = "n1";
    done.req_tres = done.alloc_tres = "billing=1,cpu=1,mem=100M,node=1";
    m::AccountingRecord failed = done;
    failed.id = 5;
    failed.name = "a_rather_long_job_name";
    failed.state = m::JobState::kFailed;
    failed.exit_code = 3;
    m::AccountingRecord cancelled = done;  // while pending: never started
    cancelled.id = 6;
    cancelled.state = m::JobState::kCancelled;
    cancelled.term_signal = 15;
    cancelled.start_time = 0;
    cancelled.alloc_cpus = cancelled.alloc_nodes = 0;
    cancelled.nodelist = cancelled.alloc_tres = "";
    records_ = {done, failed, cancelled};
  }

  std::string Render(std::string_view format, SacctLayout layout, bool header = true) {
    auto columns = ParseSacctFormat(format);
    EXPECT_TRUE(columns.ok()) << columns.status().message();
    SacctOptions o;
    o.layout = layout;
    o.header = header;
    o.now = kNow;
    o.cluster = "it";
    return columns.ok() ? FormatSacct(records_, *columns, o) : "";
  }

  std::vector<m::AccountingRecord> records_;
};

// sacct's default columns and widths: JobID left-justified in 12, the rest right-justified,
// every cell followed by a space, a dashed line under the header; long text ends in '+'.
TEST_F(SacctTest, DefaultLayoutIsSacctsColumns) {
  EXPECT_EQ(Render(SacctDefaultFormat(), SacctLayout::kFixed),
            "JobID           JobName  Partition    Account  AllocCPUS      State ExitCode \n"
            "------------ ---------- ---------- ---------- ---------- ---------- -------- \n"
            "4                  wrap      debug       root          1  COMPLETED      0:0 \n"
            "5            a_rather_+      debug       root          1     FAILED      3:0 \n"
            "6                  wrap      debug       root          0  CANCELLED     0:15 \n");
}

TEST_F(SacctTest, ParsableLayouts) {
  const char* format = "JobID,State,ExitCode,Start,End,Elapsed,NodeList";
  EXPECT_EQ(Render(format, SacctLayout::kParsable2),
            "JobID|State|ExitCode|Start|End|Elapsed|NodeList\n"
            "4|COMPLETED|0:0|2026-11-22T00:35:15|2026-11-22T00:35:19|00:00:04|n1\n"
            "5|FAILED|3:0|2026-11-22T00:35:15|2026-11-22T00:35:19|00:00:04|n1\n"
            // Ended without starting: Start is its end, as Slurm shows it.
            "6|CANCELLED|0:15|2026-11-22T00:35:19|2026-11-22T00:35:19|00:00:00|None assigned\n");
  EXPECT_EQ(Render("jobid,state", SacctLayout::kParsable, false),
            "4|COMPLETED|\n5|FAILED|\n6|CANCELLED|\n");
}

TEST_F(SacctTest, WidthsAndJustification) {
  EXPECT_EQ(Render("jobid%5,jobname%-6,state%3,ncpus%2", SacctLayout::kFixed),
            "JobID JobNam Sta NC \n"
            "----- ------ --- -- \n"
            "    4 wrap   CO+  1 \n"
            "    5 a_rat+ FA+  1 \n"
            "    6 wrap   CA+  0 \n");
}

TEST_F(SacctTest, EveryRecordedFieldHasItsValue) {
  records_.resize(1);
  records_[0].uid = 1000;
  records_[0].gid = 100;
  records_[0].group = "users";
  records_[0].work_dir = "/home/u";
  records_[0].req_mem_mb = 2048;
  EXPECT_EQ(Render("JobIDRaw,User,UID,Group,GID,Account,QOS,Cluster,Submit,Eligible,Timelimit,"
                   "TimelimitRaw,NCPUS,ReqCPUS,NNodes,AllocNodes,ReqNodes,ReqMem,ReqTRES,"
                   "AllocTRES,CPUTime,CPUTimeRAW,ElapsedRaw,Suspended,WorkDir,MaxRSS,Restarts",
                   SacctLayout::kParsable2, false),
            "4|root|1000|users|100|root|normal|it|2026-11-22T00:35:12|2026-11-22T00:35:12|"
            "00:05:00|5|1|1|1|1|1|2G|billing=1,cpu=1,mem=100M,node=1|"
            "billing=1,cpu=1,mem=100M,node=1|00:00:04|4|4|00:00:00|/home/u||0\n");
}

TEST_F(SacctTest, FormatNamesArePrefixesAsInSacct) {
  struct Case {
    const char* list;
    const char* header;
  };
  for (const Case& c : std::vector<Case>{{"jobid", "JobID"},
                                         {"JOBIDR", "JobIDRaw"},
                                         {"node", "NodeList"},
                                         {"n", "NCPUS"},
                                         {"st", "Start"},
                                         {"sta", "Start"},
                                         {"stat", "State"},
                                         {"al", "Account"},  // "al" is a prefix of ALL
                                         {" elapsed ", "Elapsed"}}) {
    auto columns = ParseSacctFormat(c.list);
    ASSERT_TRUE(columns.ok()) << c.list;
    SacctOptions o;
    o.layout = SacctLayout::kParsable2;
    const std::string out = FormatSacct({}, *columns, o);
    EXPECT_EQ(out.substr(0, out.find('|') == std::string::npos ? out.find('\n') : out.find('|')),
              c.header)
        << c.list;
  }
  auto all = ParseSacctFormat("ALL");
  ASSERT_TRUE(all.ok());
  EXPECT_GT(all->size(), 100u);
  // Widths past 4096 either way (or past an int) are 4096: no row of gigabytes of padding.
  for (const auto& [list, width] :
       std::vector<std::pair<const char*, int>>{{"jobid%8888888888888888", 4096},
                                                {"jobid%-99999", -4096},
                                                {"jobid%12", 12},
                                                {"jobid%-12", -12},
                                                {"jobid%x", 0}}) {
    auto r = ParseSacctFormat(list);
    ASSERT_TRUE(r.ok()) << list;
    EXPECT_EQ(r->front().width, width) << list;
  }
  for (const char* bad : {"bogus", "jobid,nosuchfield", ",", ""}) {
    auto r = ParseSacctFormat(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().message().rfind("Invalid field requested: \"", 0), 0u) << bad;
  }
}

TEST_F(SacctTest, HelpFormatListsFourAColumn) {
  const std::string help = SacctHelpFormat();
  EXPECT_EQ(help.substr(0, help.find('\n')),
            "Account             AdminComment        AllocCPUS           AllocNodes         ");
  EXPECT_NE(help.find("JobID               JobIDRaw"), std::string::npos);
}

TEST_F(SacctTest, TimesInSacctsForms) {
  const UnixTime now = kNow;             // 2026-11-22T00:35:19 UTC
  const UnixTime midnight = 1795305600;  // 2026-11-22T00:00:00
  struct Case {
    const char* text;
    UnixTime want;
  };
  for (const Case& c : std::vector<Case>{
           {"now", now},
           {"now-1hour", now - 3600},
           {"now+30", now + 30},
           {"today", midnight},
           {"midnight", midnight},
           {"noon", midnight + 12 * 3600},
           {"teatime", midnight + 16 * 3600},
           {"tomorrow", midnight + 86400},
           {"10:30", midnight + 10 * 3600 + 1800},
           {"10:30:05", midnight + 10 * 3600 + 1805},
           {"1:15pm", midnight + 13 * 3600 + 900},
           {"2026-11-20", midnight - 2 * 86400},
           {"2026-11-20T08:00", midnight - 2 * 86400 + 8 * 3600},
           {"2026-11-20-08:00:30", midnight - 2 * 86400 + 8 * 3600 + 30},
           {"1120", midnight - 2 * 86400},
           {"112026", midnight - 2 * 86400},
           {"11/20", midnight - 2 * 86400},
           {"11/20/26-08:00", midnight - 2 * 86400 + 8 * 3600},
           {"11.20.26", midnight - 2 * 86400},
       }) {
    auto t = ParseSacctTime(c.text, now);
    ASSERT_TRUE(t.ok()) << c.text << ": " << t.status().message();
    EXPECT_EQ(*t, c.want) << c.text;
  }
  for (const char* bad :
       {"", "yesterday-ish", "25:00", "13/45", "2026-13-01", "now*2", "11/20-x"}) {
    auto t = ParseSacctTime(bad, now);
    ASSERT_FALSE(t.ok()) << bad;
    EXPECT_EQ(t.status().message(), "Invalid time specification: \"" + std::string(bad) + "\"");
  }
}

TEST_F(SacctTest, RecordOfAJobIsInSlurmsTerms) {
  auto spec = WrapSpec("train");
  spec->num_tasks = 4;
  spec->gpus_per_node = 2;
  spec->qos = "";
  spec->account = "";
  m::Job job;
  job.id = 9;
  job.spec = spec;
  job.state = m::JobState::kCompleting;
  job.partition = "gpu";
  job.time_limit = 600;
  job.submit_time = kSubmit;
  job.start_time = kStart;
  job.end_time = kNow;
  job.min_nodes = 2;
  job.allocation = {{"n2", 2, 200, {{0, 0, 0}, {1, 0, 0}}}, {"n1", 2, 200, {{0, 0, 0}}}};
  m::AccountingRecord r = AccountingRecordOf(job, "physics");
  EXPECT_EQ(r.account, "physics");
  EXPECT_EQ(r.qos, "normal");
  EXPECT_EQ(r.state, m::JobState::kRunning);  // COMPLETING is RUNNING to accounting
  EXPECT_EQ(r.end_time, 0);                   // not ended yet
  EXPECT_EQ(r.req_cpus, 4u);
  EXPECT_EQ(r.alloc_cpus, 4u);
  EXPECT_EQ(r.alloc_nodes, 2u);
  EXPECT_EQ(r.nodelist, "n[1-2]");
  EXPECT_EQ(r.req_mem_mb, 400u);  // --mem-per-cpu=100 x 4
  EXPECT_EQ(r.req_tres, "billing=4,cpu=4,gres/gpu=4,mem=400M,node=2");
  EXPECT_EQ(r.alloc_tres, "billing=4,cpu=4,gres/gpu=3,mem=400M,node=2");
  EXPECT_EQ(r.work_dir, "/tmp");

  job.state = m::JobState::kCancelled;  // cancelled while pending
  job.start_time = 0;
  job.allocation.clear();
  spec->mps_percent = 30;
  spec->gpus_per_node = 0;
  r = AccountingRecordOf(job);
  EXPECT_EQ(r.state, m::JobState::kCancelled);
  EXPECT_EQ(r.end_time, kNow);
  EXPECT_EQ(r.alloc_cpus, 0u);
  EXPECT_EQ(r.nodelist, "");
  EXPECT_EQ(r.alloc_tres, "");
  EXPECT_EQ(r.req_tres, "billing=4,cpu=4,gres/mps=60,mem=400M,node=2");
  EXPECT_EQ(r.account, "");
}

}  // namespace
}  // namespace sluice::compat::slurm
