#include "compat/slurm/scontrol_show.h"

#include <gtest/gtest.h>

#include "peer_fixtures.h"

namespace sluice::compat::slurm {
namespace {

using namespace testing_peer;  // NOLINT: test fixtures

// Slurm prints the submitting session id in AllocNode:Sid (1200 there); Sluice has none and
// prints 0. Everything else is byte for byte what scontrol 22.05 printed.
std::string SlurmWithSid0(std::string s) {
  size_t pos = s.find("localhost:1200");
  if (pos != std::string::npos) s.replace(pos, 14, "localhost:0");
  return s;
}

class ScontrolTest : public ::testing::Test {
 protected:
  void SetUp() override { UseUtc(); }
};

TEST_F(ScontrolTest, RunningJobMatchesSlurm) {
  EXPECT_EQ(
      ShowJob(*Job1(), false, kNow),
      SlurmWithSid0(
          "JobId=1 JobName=wrap\n"
          "   UserId=root(0) GroupId=root(0) MCS_label=N/A\n"
          "   Priority=4294901759 Nice=0 Account=(null) QOS=(null)\n"
          "   JobState=RUNNING Reason=None Dependency=(null)\n"
          "   Requeue=1 Restarts=0 BatchFlag=1 Reboot=0 ExitCode=0:0\n"
          "   RunTime=00:00:04 TimeLimit=UNLIMITED TimeMin=N/A\n"
          "   SubmitTime=2026-11-22T00:35:12 EligibleTime=2026-11-22T00:35:12\n"
          "   AccrueTime=2026-11-22T00:35:12\n"
          "   StartTime=2026-11-22T00:35:15 EndTime=Unknown Deadline=N/A\n"
          "   SuspendTime=None SecsPreSuspend=0 LastSchedEval=2026-11-22T00:35:15 Scheduler=Main\n"
          "   Partition=debug AllocNode:Sid=localhost:1200\n"
          "   ReqNodeList=(null) ExcNodeList=(null)\n"
          "   NodeList=n1\n"
          "   BatchHost=n1\n"
          "   NumNodes=1 NumCPUs=2 NumTasks=2 CPUs/Task=1 ReqB:S:C:T=0:0:*:*\n"
          "   TRES=cpu=2,mem=200M,node=1,billing=2\n"
          "   Socks/Node=* NtasksPerN:B:S:C=0:0:*:* CoreSpec=*\n"
          "   MinCPUsNode=1 MinMemoryCPU=100M MinTmpDiskNode=0\n"
          "   Features=(null) DelayBoot=00:00:00\n"
          "   OverSubscribe=OK Contiguous=0 Licenses=(null) Network=(null)\n"
          "   Command=(null)\n"
          "   WorkDir=/tmp\n"
          "   StdErr=/tmp/slurm-1.out\n"
          "   StdIn=/dev/null\n"
          "   StdOut=/tmp/slurm-1.out\n"
          "   Power=\n"
          "   \n"
          "\n"));
}

TEST_F(ScontrolTest, HeldJobMatchesSlurm) {
  EXPECT_EQ(
      ShowJob(*Job3(), false, kNow),
      SlurmWithSid0(
          "JobId=3 JobName=wrap\n"
          "   UserId=root(0) GroupId=root(0) MCS_label=N/A\n"
          "   Priority=0 Nice=0 Account=(null) QOS=(null)\n"
          "   JobState=PENDING Reason=JobHeldUser Dependency=(null)\n"
          "   Requeue=1 Restarts=0 BatchFlag=1 Reboot=0 ExitCode=0:0\n"
          "   RunTime=00:00:00 TimeLimit=UNLIMITED TimeMin=N/A\n"
          "   SubmitTime=2026-11-22T00:35:12 EligibleTime=Unknown\n"
          "   AccrueTime=Unknown\n"
          "   StartTime=Unknown EndTime=Unknown Deadline=N/A\n"
          "   SuspendTime=None SecsPreSuspend=0 LastSchedEval=2026-11-22T00:35:12 Scheduler=Main\n"
          "   Partition=debug AllocNode:Sid=localhost:1200\n"
          "   ReqNodeList=(null) ExcNodeList=(null)\n"
          "   NodeList=\n"
          "   NumNodes=1 NumCPUs=1 NumTasks=1 CPUs/Task=1 ReqB:S:C:T=0:0:*:*\n"
          "   TRES=cpu=1,mem=100M,node=1,billing=1\n"
          "   Socks/Node=* NtasksPerN:B:S:C=0:0:*:* CoreSpec=*\n"
          "   MinCPUsNode=1 MinMemoryCPU=100M MinTmpDiskNode=0\n"
          "   Features=(null) DelayBoot=00:00:00\n"
          "   OverSubscribe=OK Contiguous=0 Licenses=(null) Network=(null)\n"
          "   Command=(null)\n"
          "   WorkDir=/tmp\n"
          "   StdErr=/tmp/slurm-3.out\n"
          "   StdIn=/dev/null\n"
          "   StdOut=/tmp/slurm-3.out\n"
          "   Power=\n"
          "   \n"
          "\n"));
}

TEST_F(ScontrolTest, OneLinerMatchesSlurm) {
  EXPECT_EQ(
      ShowJob(*Job2(), true, kNow),
      SlurmWithSid0(
          "JobId=2 JobName=longname_job_xyz UserId=root(0) GroupId=root(0) MCS_label=N/A "
          "Priority=4294901758 Nice=0 Account=(null) QOS=(null) JobState=RUNNING Reason=None "
          "Dependency=(null) Requeue=1 Restarts=0 BatchFlag=1 Reboot=0 ExitCode=0:0 "
          "RunTime=00:00:04 TimeLimit=00:10:00 TimeMin=N/A SubmitTime=2026-11-22T00:35:12 "
          "EligibleTime=2026-11-22T00:35:12 AccrueTime=2026-11-22T00:35:12 "
          "StartTime=2026-11-22T00:35:15 EndTime=2026-11-22T00:45:15 Deadline=N/A SuspendTime=None "
          "SecsPreSuspend=0 LastSchedEval=2026-11-22T00:35:15 Scheduler=Main Partition=debug "
          "AllocNode:Sid=localhost:1200 ReqNodeList=(null) ExcNodeList=(null) NodeList=n1 "
          "BatchHost=n1 NumNodes=1 NumCPUs=1 NumTasks=1 CPUs/Task=1 ReqB:S:C:T=0:0:*:* "
          "TRES=cpu=1,mem=100M,node=1,billing=1 Socks/Node=* NtasksPerN:B:S:C=0:0:*:* CoreSpec=* "
          "MinCPUsNode=1 MinMemoryCPU=100M MinTmpDiskNode=0 Features=(null) DelayBoot=00:00:00 "
          "OverSubscribe=OK Contiguous=0 Licenses=(null) Network=(null) Command=(null) "
          "WorkDir=/tmp StdErr=/tmp/slurm-2.out StdIn=/dev/null StdOut=/tmp/slurm-2.out Power= "
          "\n"));
}

TEST_F(ScontrolTest, JobDetails) {
  auto spec = std::make_shared<core::model::JobSpec>(*Job1()->spec);
  spec->mem_per_cpu_mb = 0;
  spec->mem_per_node_mb = 2048;
  spec->command = "/tmp/myscript.sh";
  spec->argv = {"a", "b"};
  spec->stdout_path = "o_%j_%x_%u_%N.txt";
  spec->cpus_per_task = 2;
  auto job = std::make_shared<core::model::Job>(*Job1());
  job->spec = spec;
  job->state = core::model::JobState::kFailed;
  job->exit_code = 3;
  job->term_signal = 9;
  job->end_time = kStart + 3600;
  std::string out = ShowJob(*job, false, kNow);
  for (const char* want :
       {"JobState=FAILED ", "ExitCode=3:9\n", "RunTime=01:00:00 ", "EndTime=2026-11-22T01:35:15 ",
        "MinCPUsNode=2 MinMemoryNode=2G ", "Command=/tmp/myscript.sh a b\n",
        "StdErr=/tmp/o_1_wrap_root_%N.txt\n", "StdOut=/tmp/o_1_wrap_root_%N.txt\n"}) {
    EXPECT_NE(out.find(want), std::string::npos) << want << "\n" << out;
  }
}

TEST(ShowPartition, MatchesSlurm) {
  std::vector<core::model::NodePtr> nodes = {PeerNode("n1", 3), PeerNode("n2", 0),
                                             PeerNode("n3", 0)};
  EXPECT_EQ(ShowPartition(*DebugPartition(), nodes, false),
            "PartitionName=debug\n"
            "   AllowGroups=ALL AllowAccounts=ALL AllowQos=ALL\n"
            "   AllocNodes=ALL Default=YES QoS=N/A\n"
            "   DefaultTime=NONE DisableRootJobs=NO ExclusiveUser=NO GraceTime=0 Hidden=NO\n"
            "   MaxNodes=UNLIMITED MaxTime=UNLIMITED MinNodes=0 LLN=NO MaxCPUsPerNode=UNLIMITED\n"
            "   Nodes=n[1-3]\n"
            "   PriorityJobFactor=1 PriorityTier=1 RootOnly=NO ReqResv=NO OverSubscribe=NO\n"
            "   OverTimeLimit=NONE PreemptMode=OFF\n"
            "   State=UP TotalCPUs=12 TotalNodes=3 SelectTypeParameters=NONE\n"
            "   JobDefaults=(null)\n"
            "   DefMemPerNode=UNLIMITED MaxMemPerNode=UNLIMITED\n"
            "   TRES=cpu=12,mem=12000M,node=3,billing=12\n"
            "\n");
  EXPECT_EQ(ShowPartition(*DebugPartition(), nodes, true),
            "PartitionName=debug AllowGroups=ALL AllowAccounts=ALL AllowQos=ALL AllocNodes=ALL "
            "Default=YES QoS=N/A DefaultTime=NONE DisableRootJobs=NO ExclusiveUser=NO GraceTime=0 "
            "Hidden=NO MaxNodes=UNLIMITED MaxTime=UNLIMITED MinNodes=0 LLN=NO "
            "MaxCPUsPerNode=UNLIMITED Nodes=n[1-3] PriorityJobFactor=1 PriorityTier=1 RootOnly=NO "
            "ReqResv=NO OverSubscribe=NO OverTimeLimit=NONE PreemptMode=OFF State=UP TotalCPUs=12 "
            "TotalNodes=3 SelectTypeParameters=NONE JobDefaults=(null) DefMemPerNode=UNLIMITED "
            "MaxMemPerNode=UNLIMITED TRES=cpu=12,mem=12000M,node=3,billing=12\n");
}

TEST(ShowPartition, EmptyAndLimits) {
  auto p = std::make_shared<core::model::Partition>();
  p->name = "empty";
  p->max_time = 2 * 86400;
  p->default_time = 600;
  p->up = false;
  std::string out = ShowPartition(*p, {}, false);
  for (const char* want :
       {"Default=NO ", "DefaultTime=00:10:00 ", "MaxTime=2-00:00:00 ", "Nodes=(null)\n",
        "State=DOWN TotalCPUs=0 TotalNodes=0 ", "TRES=(null)\n"}) {
    EXPECT_NE(out.find(want), std::string::npos) << want << "\n" << out;
  }
  // Slurm's four states: DRAIN runs its queue but takes no job, INACTIVE neither.
  p->accepts_jobs = false;
  EXPECT_NE(ShowPartition(*p, {}, false).find("State=INACTIVE "), std::string::npos);
  p->up = true;
  EXPECT_NE(ShowPartition(*p, {}, false).find("State=DRAIN "), std::string::npos);
}

TEST_F(ScontrolTest, NodeFieldOrderFollowsSlurm) {
  auto n = std::make_shared<core::model::Node>(*PeerNode("n1", 3));
  n->arch = "x86_64";
  n->os = "Linux 6.18.44-fc-v669 #1 SMP PREEMPT_DYNAMIC @0";
  n->address = "localhost";
  n->agent_start_time = kStart;
  std::string out = ShowNode(*n, false);
  EXPECT_EQ(out.substr(0, out.find("CPULoad")),
            "NodeName=n1 Arch=x86_64 CoresPerSocket=1 \n"
            "   CPUAlloc=3 CPUEfctv=4 CPUTot=4 ");
  for (const char* want :
       {"\n   AvailableFeatures=(null)\n   ActiveFeatures=(null)\n   Gres=(null)\n",
        "\n   NodeAddr=localhost NodeHostName=localhost ",
        "\n   OS=Linux 6.18.44-fc-v669 #1 SMP PREEMPT_DYNAMIC @0 \n",
        "\n   RealMemory=4000 AllocMem=300 ", " Sockets=4 Boards=1\n",
        "\n   State=MIXED ThreadsPerCore=1 TmpDisk=0 Weight=1 Owner=N/A MCS_label=N/A\n",
        "\n   Partitions=debug \n",
        "\n   CfgTRES=cpu=4,mem=4000M,billing=4\n   AllocTRES=cpu=3,mem=300M\n",
        "\n   CapWatts=n/a\n   CurrentWatts=0 AveWatts=0\n"
        "   ExtSensorsJoules=n/s ExtSensorsWatts=0 ExtSensorsTemp=n/s\n\n"}) {
    EXPECT_NE(out.find(want), std::string::npos) << want << "\n" << out;
  }
  std::string one = ShowNode(*n, true);
  EXPECT_NE(one.find("CoresPerSocket=1  CPUAlloc=3"), std::string::npos) << one;
  EXPECT_EQ(one.back(), '\n');
  EXPECT_EQ(one.find('\n'), one.size() - 1);

  auto idle = PeerNode("n2", 0);
  EXPECT_NE(ShowNode(*idle, true).find(" AllocTRES= CapWatts"), std::string::npos);
  auto lost = std::make_shared<core::model::Node>(*idle);
  lost->responding = false;
  lost->down = true;
  lost->reason = "Not responding";
  std::string lost_out = ShowNode(*lost, false);
  EXPECT_NE(lost_out.find("State=DOWN* "), std::string::npos);
  EXPECT_NE(lost_out.find("\n   Reason=Not responding\n\n"), std::string::npos);

  // As scontrol 22.05 showed n1 drained with a job on it ("busy" given at 15:43:28 UTC).
  UseUtc();
  auto drained = std::make_shared<core::model::Node>(*PeerNode("n1", 1));
  drained->drain = true;
  drained->reason = "busy";
  drained->reason_user = "root";
  drained->reason_time = 1796658208;
  std::string drained_out = ShowNode(*drained, false);
  EXPECT_NE(drained_out.find("   State=MIXED+DRAIN ThreadsPerCore="), std::string::npos)
      << drained_out;
  EXPECT_NE(drained_out.find("\n   Reason=busy [root@2026-12-07T15:43:28]\n\n"), std::string::npos)
      << drained_out;
}

// As scontrol 22.05 printed job 1258 (sbatch -w n2,n1 -x n3 -A foo --nice=7 -C a,b
// --ntasks-per-node=2 -N2 --exclusive); QOS shows "(null)" there only because the peer has no
// accounting.
TEST_F(ScontrolTest, JobPlacementFields) {
  auto spec = std::make_shared<core::model::JobSpec>(*Job3()->spec);
  spec->nodelist = {"n2", "n1"};
  spec->exclude = {"n3"};
  spec->account = "foo";
  spec->qos = "high";
  spec->nice = 7;
  spec->constraint = "a&b";
  spec->ntasks_per_node = 2;
  spec->exclusive = true;
  auto job = std::make_shared<core::model::Job>(*Job3());
  job->spec = spec;
  std::string out = ShowJob(*job, false, kNow);
  for (const char* want :
       {"\n   Priority=0 Nice=7 Account=foo QOS=high\n", "\n   ReqNodeList=n[1-2] ExcNodeList=n3\n",
        " NtasksPerN:B:S:C=2:0:*:* ", "\n   MinCPUsNode=2 ",
        "\n   Features=a&b DelayBoot=00:00:00\n", "\n   OverSubscribe=NO Contiguous=0 "}) {
    EXPECT_NE(out.find(want), std::string::npos) << want << "\n" << out;
  }
  std::string plain = ShowJob(*Job3(), true, kNow);
  for (const char* want :
       {" Nice=0 Account=(null) QOS=(null) ", " ReqNodeList=(null) ExcNodeList=(null) ",
        " Features=(null) ", " OverSubscribe=OK "}) {
    EXPECT_NE(plain.find(want), std::string::npos) << want << "\n" << plain;
  }
}

// As scontrol 22.05 printed after `scontrol update NodeName=n1 AvailableFeatures=a,b
// ActiveFeatures=a,b Weight=5`.
TEST_F(ScontrolTest, NodeFeaturesAndWeight) {
  auto n = std::make_shared<core::model::Node>(*PeerNode("n1", 0));
  n->features = {"a", "b"};
  n->weight = 5;
  std::string out = ShowNode(*n, false);
  EXPECT_NE(out.find("\n   AvailableFeatures=a,b\n   ActiveFeatures=a,b\n"), std::string::npos)
      << out;
  EXPECT_NE(out.find(" TmpDisk=0 Weight=5 Owner=N/A "), std::string::npos) << out;
}

TEST(ShowPartition, ConfiguredLimits) {
  auto p = std::make_shared<core::model::Partition>(*DebugPartition());
  p->max_nodes = 4;
  p->max_cpus_per_node = 16;
  p->priority_job_factor = 10;
  std::string out = ShowPartition(*p, {}, false);
  for (const char* want :
       {"\n   MaxNodes=4 MaxTime=UNLIMITED MinNodes=0 LLN=NO MaxCPUsPerNode=16\n",
        "\n   PriorityJobFactor=10 PriorityTier=1 "}) {
    EXPECT_NE(out.find(want), std::string::npos) << want << "\n" << out;
  }
}

}  // namespace
}  // namespace sluice::compat::slurm
