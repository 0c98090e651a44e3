#include "rpc/convert.h"

#include <gtest/gtest.h>

#include "rpc/http_client.h"

namespace sluice::rpc {
namespace {

namespace m = core::model;

TEST(ConvertTest, JobRoundTripsThroughProto) {
  m::Job job;
  job.id = 42;
  auto spec = std::make_shared<m::JobSpec>();
  spec->name = "train";
  spec->user = "alice";
  spec->num_tasks = 8;
  spec->cpus_per_task = 2;
  spec->mem_per_cpu_mb = 512;
  spec->time_limit = kUnlimited;
  spec->environment = {"A=1", "B=2"};
  spec->argv = {"x", "y"};
  spec->hold = true;
  job.spec = spec;
  job.state = m::JobState::kTimeout;
  job.reason = m::Reason::kResources;
  job.time_limit = kUnlimited;
  job.allocation = {{"n1", 4, 2048}, {"n2", 12, 6144}};
  job.exit_code = 3;
  job.term_signal = 9;
  job.restarts = 1;
  v1::Job pb;
  ToProto(job, &pb);
  EXPECT_EQ(pb.time_limit_s(), -1);
  EXPECT_EQ(pb.reason(), "Resources");
  m::Job back = FromProto(pb);
  EXPECT_EQ(back.id, 42u);
  EXPECT_EQ(back.spec->name, "train");
  EXPECT_EQ(back.spec->num_tasks, 8u);
  EXPECT_EQ(back.spec->time_limit, kUnlimited);
  EXPECT_EQ(back.spec->environment, spec->environment);
  EXPECT_TRUE(back.spec->hold);
  EXPECT_EQ(back.state, m::JobState::kTimeout);
  EXPECT_EQ(back.reason, m::Reason::kResources);
  EXPECT_EQ(back.time_limit, kUnlimited);
  ASSERT_EQ(back.allocation.size(), 2u);
  EXPECT_EQ(back.allocation[1].node, "n2");
  EXPECT_EQ(back.allocation[1].memory_mb, 6144u);
  EXPECT_EQ(back.NumCpus(), 16u);
  EXPECT_EQ(back.exit_code, 3);
  EXPECT_EQ(back.term_signal, 9);
}

TEST(ConvertTest, EveryJobStateMapsBothWays) {
  for (int s = 0; s <= static_cast<int>(m::JobState::kNodeFail); ++s) {
    auto state = static_cast<m::JobState>(s);
    EXPECT_EQ(FromProto(ToProto(state)), state);
  }
  EXPECT_EQ(ToProto(m::JobState::kPending), v1::JOB_STATE_PENDING);
  EXPECT_EQ(ToProto(m::JobState::kNodeFail), v1::JOB_STATE_NODE_FAIL);
}

TEST(ConvertTest, AccountingRecordAndFilterRoundTripThroughProto) {
  m::AccountingRecord r;
  r.id = 7;
  r.name = "train";
  r.user = "alice";
  r.uid = 1000;
  r.gid = 100;
  r.group = "users";
  r.account = "physics";
  r.partition = "gpu";
  r.qos = "normal";
  r.state = m::JobState::kNodeFail;
  r.exit_code = 1;
  r.term_signal = 9;
  r.submit_time = 10;
  r.start_time = 20;
  r.end_time = 30;
  r.time_limit = kUnlimited;
  r.req_cpus = 8;
  r.alloc_cpus = 8;
  r.req_nodes = 2;
  r.alloc_nodes = 2;
  r.req_mem_mb = 4096;
  r.nodelist = "n[1-2]";
  r.req_tres = "billing=8,cpu=8,gres/gpu=2,mem=4G,node=2";
  r.alloc_tres = r.req_tres;
  r.work_dir = "/w";
  r.reservation = "maint";
  r.constraints = "a100";
  r.restarts = 2;
  v1::AccountingJob pb;
  ToProto(r, &pb);
  EXPECT_EQ(pb.time_limit_s(), -1);
  EXPECT_EQ(FromProto(pb), r);

  m::AccountingFilter f{.job_ids = {1, 2},
                        .users = {"alice"},
                        .accounts = {"physics"},
                        .partitions = {"gpu"},
                        .names = {"train"},
                        .states = {m::JobState::kCompleted, m::JobState::kRunning},
                        .start = 100,
                        .end = 200};
  v1::AccountingFilter fpb;
  ToProto(f, &fpb);
  m::AccountingFilter back = FromProto(fpb);
  EXPECT_EQ(back.job_ids, f.job_ids);
  EXPECT_EQ(back.users, f.users);
  EXPECT_EQ(back.accounts, f.accounts);
  EXPECT_EQ(back.partitions, f.partitions);
  EXPECT_EQ(back.names, f.names);
  EXPECT_EQ(back.states, f.states);
  EXPECT_EQ(back.start, 100);
  EXPECT_EQ(back.end, 200);
}

TEST(HttpClientTest, UnreachableServerIsUnavailable) {
  // Port 1 on loopback is closed on any sane machine.
  auto r = HttpCall("127.0.0.1:1", "GET", "/", {}, "", 1000);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kUnavailable);
  EXPECT_FALSE(HttpCall("no-port", "GET", "/", {}, "", 1000).ok());
}

}  // namespace
}  // namespace sluice::rpc
