// End to end: real sluiced and sluice-noded processes, real scripts, real files.
#include <gtest/gtest.h>
#include <unistd.h>

#include "cluster_fixture.h"

namespace sluice::testing {
namespace {

class JobsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    cluster_ = new LocalCluster(3, 4);
    ASSERT_EQ(cluster_->up().exit_code, 0) << cluster_->up().err << cluster_->up().out;
  }
  static void TearDownTestSuite() {
    delete cluster_;
    cluster_ = nullptr;
  }
  static LocalCluster* cluster_;
  const LocalCluster& c() { return *cluster_; }
};
LocalCluster* JobsTest::cluster_ = nullptr;

TEST_F(JobsTest, UpPrintsHowToUseIt) {
  EXPECT_NE(c().up().out.find("export PATH="), std::string::npos) << c().up().out;
  auto r = c().Run("sluice status");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("node n3: responding"), std::string::npos) << r.out;
  // The state directory is private.
  EXPECT_EQ(fs::status(c().state()).permissions() & (fs::perms::group_all | fs::perms::others_all),
            fs::perms::none);
}

TEST_F(JobsTest, BatchScriptSeesSlurmEnvironmentAndWritesOutput) {
  const std::string script =
      "#!/bin/bash\n"
      "#SBATCH -J envjob\n"
      "#SBATCH -n 2 -c 1\n"
      "#SBATCH --output=env-%j-%x.out\n"
      "echo \"id=$SLURM_JOB_ID name=$SLURM_JOB_NAME nodes=$SLURM_JOB_NODELIST nn=$SLURM_NNODES\"\n"
      "echo \"ntasks=$SLURM_NTASKS cpus=$SLURM_CPUS_ON_NODE part=$SLURM_JOB_PARTITION\"\n"
      "echo \"submit=$SLURM_SUBMIT_DIR node=$SLURMD_NODENAME sluice=$SLUICE_JOB_ID\"\n"
      "echo \"cwd=$(pwd) args=$1,$2 mine=$MY_VAR\"\n"
      "echo oops >&2\n";
  {
    std::ofstream f(c().work() + "/env.sh");
    f << script;
  }
  auto r = c().Run("MY_VAR=carried sbatch --parsable env.sh a1 a2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  int id = atoi(r.out.c_str());
  ASSERT_GT(id, 0);
  ASSERT_TRUE(c().WaitForState(id, "COMPLETED")) << c().State(id);
  const std::string out = ReadAll(c().work() + "/env-" + std::to_string(id) + "-envjob.out");
  const std::string sid = std::to_string(id);
  EXPECT_NE(out.find("id=" + sid + " name=envjob nodes=n1 nn=1"), std::string::npos) << out;
  EXPECT_NE(out.find("ntasks=2 cpus=2 part=debug"), std::string::npos) << out;
  EXPECT_NE(out.find("submit=" + c().work() + " node=n1 sluice=" + sid), std::string::npos) << out;
  EXPECT_NE(out.find("cwd=" + c().work() + " args=a1,a2 mine=carried"), std::string::npos) << out;
  EXPECT_NE(out.find("oops"), std::string::npos) << "stderr goes with stdout by default";
}

TEST_F(JobsTest, DefaultOutputFileErrorFileAndChdir) {
  fs::create_directories(c().work() + "/sub");
  int id = c().Submit("--wrap 'echo hello; echo bad >&2'");
  ASSERT_TRUE(c().WaitForState(id, "COMPLETED"));
  EXPECT_EQ(ReadAll(c().work() + "/slurm-" + std::to_string(id) + ".out"), "hello\nbad\n");
  int id2 = c().Submit("-D sub -o o.txt -e e-%u.txt --wrap 'pwd; echo bad >&2'");
  ASSERT_TRUE(c().WaitForState(id2, "COMPLETED"));
  EXPECT_EQ(ReadAll(c().work() + "/sub/o.txt"), c().work() + "/sub\n");
  std::string user = getenv("USER") != nullptr ? getenv("USER") : "root";
  EXPECT_EQ(ReadAll(c().work() + "/sub/e-" + user + ".txt"), "bad\n");
}

TEST_F(JobsTest, ExitCodeAndSignalReachTheJobRecord) {
  int failed = c().Submit("--wrap 'exit 3'");
  int killed = c().Submit("--wrap 'kill -USR1 $$'");
  ASSERT_TRUE(c().WaitForState(failed, "FAILED"));
  ASSERT_TRUE(c().WaitForState(killed, "FAILED"));
  auto r = c().Run("scontrol show job " + std::to_string(failed));
  EXPECT_NE(r.out.find("ExitCode=3:0"), std::string::npos) << r.out;
  r = c().Run("scontrol show job -o " + std::to_string(killed));
  EXPECT_NE(r.out.find("ExitCode=0:10"), std::string::npos) << r.out;
}

TEST_F(JobsTest, TimeLimitEndsJobWithTimeout) {
  // The job ignores SIGTERM: the agent must follow with SIGKILL after KillWait (1 s).
  auto start = std::chrono::steady_clock::now();
  int id = c().Submit("-t 0:02 --wrap 'trap \"\" TERM; sleep 60'");
  ASSERT_TRUE(c().WaitForState(id, "TIMEOUT", std::chrono::seconds(20))) << c().State(id);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(15));
}

TEST_F(JobsTest, CancelRunningAndPendingJobs) {
  int running = c().Submit("-J victim --wrap 'sleep 60'");
  ASSERT_TRUE(c().WaitForState(running, "RUNNING"));
  int pending = c().Submit("--hold --wrap true");
  auto r = c().Run("scancel " + std::to_string(running) + " " + std::to_string(pending));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(c().WaitForState(running, "CANCELLED"));
  EXPECT_EQ(c().State(pending), "CANCELLED");
  // By name and state.
  int a = c().Submit("-J byname --hold --wrap true");
  int b = c().Submit("-J other --hold --wrap true");
  r = c().Run("scancel -n byname -t PENDING");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(c().State(a), "CANCELLED");
  EXPECT_EQ(c().State(b), "PENDING");
  r = c().Run("scancel -u $(id -un) -t pd");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(c().State(b), "CANCELLED");
  r = c().Run("scancel 999999");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("Invalid job id specified"), std::string::npos) << r.err;
}

TEST_F(JobsTest, HoldAndRelease) {
  int id = c().Submit("-H --wrap true");
  auto r = c().Run("squeue -h -o '%T %r' -j " + std::to_string(id));
  EXPECT_EQ(r.out, "PENDING JobHeldUser\n");
  r = c().Run("scontrol release " + std::to_string(id));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(c().WaitForState(id, "COMPLETED"));
}

// scontrol update JobId=...: a pending job takes every change or none, the change outlives a
// kill -9 of the controller, and a running job's new limit reaches the node that enforces it.
TEST(ScontrolUpdateTest, ChangesAJobAsSlurmDoesAndLosesNothing) {
  LocalCluster c(3, 4);
  ASSERT_EQ(c.up().exit_code, 0) << c.up().err;
  const std::string held = std::to_string(c.Submit("-H -t 10 --wrap true"));
  auto shown = [&] { return c.Run("squeue -h -o '%j %l %D %r' -j " + held).out; };
  auto r = c.Run("scontrol update JobId=" + held + " TimeLimit=5:00 JobName=renamed NumNodes=2");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(shown(), "renamed 5:00 2 JobHeldUser\n");
  // Relative limits, and JobId= after the changes, as Slurm takes them.
  r = c.Run("scontrol update TimeLimit=+2 jobid=" + held);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  r = c.Run("scontrol update JobId=" + held + " TimeLimit=-1");  // a minute less, not UNLIMITED
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(shown(), "renamed 6:00 2 JobHeldUser\n");

  // Refused, with Slurm's words and the job named; the name change beside it does not stick.
  r = c.Run("scontrol update JobId=" + held + " JobName=lost Partition=nowhere");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "Invalid partition name specified: nowhere for job " + held + "\n");
  r = c.Run("scontrol update JobId=" + held + " JobName=lost NumNodes=4");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("Requested node configuration is not available"), std::string::npos)
      << r.err;
  r = c.Run("scontrol update JobId=" + held + " Bogus=1");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "scontrol: error: Update of this parameter is not supported: Bogus=1\n");
  r = c.Run("scontrol update JobId=" + held + " TimeLimit=soon");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "scontrol: error: Invalid TimeLimit value\n");
  r = c.Run("scontrol update JobId=999999 TimeLimit=5");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "Invalid job id specified for job 999999\n");
  EXPECT_EQ(shown(), "renamed 6:00 2 JobHeldUser\n");

  // The change was journaled before scontrol heard it was made.
  r = c.KillControllerAndRestart();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(shown(), "renamed 6:00 2 JobHeldUser\n");

  // A running job's limit, cut to two seconds: its node ends it then, as timed out.
  const std::string running = std::to_string(c.Submit("-t 10:00 --wrap 'sleep 60'"));
  ASSERT_TRUE(c.WaitForState(std::stoi(running), "RUNNING"));
  r = c.Run("scontrol update JobId=" + running + " Partition=debug");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "Job is no longer pending execution for job " + running + "\n");
  r = c.Run("scontrol update JobId=" + running + " TimeLimit=0:02");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(c.WaitForState(std::stoi(running), "TIMEOUT", std::chrono::seconds(20)))
      << c.State(std::stoi(running));
  r = c.Run("scontrol update JobId=" + running + " TimeLimit=5");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "Job has already finished for job " + running + "\n");
}

// scontrol update NodeName=...: a drained node takes no new job until RESUME, sinfo shows it
// and its reason as Slurm's does, and the drain outlives a kill -9 of the controller.
TEST(ScontrolUpdateTest, DrainAndResumeANode) {
  LocalCluster c(2, 4);
  ASSERT_EQ(c.up().exit_code, 0) << c.up().err;
  auto r = c.Run("scontrol update NodeName=n1 State=DRAIN Reason='maint work'");
  if (geteuid() != 0) {
    EXPECT_EQ(r.err, "slurm_update error: Invalid user id\n");
    GTEST_SKIP() << "draining a node is root's";
  }
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = c.Run("scontrol update NodeName=n2 State=DRAIN");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "You must specify a reason when DOWNING or DRAINING a node. Request denied\n");
  r = c.Run("scontrol update NodeName=n9 State=DRAIN Reason=x");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "slurm_update error: Invalid node name specified: n9\n");
  r = c.Run("scontrol update NodeName=n2 State=FIXED");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("slurm_update error: Invalid node state specified: FIXED"),
            std::string::npos)
      << r.err;
  const int pinned = c.Submit("-w n1 --wrap true");
  auto drained = [&] {
    return c.Run("sinfo -h -p debug").out ==
               "debug*       up    1:00:00      1  drain n1\n"
               "debug*       up    1:00:00      1   idle n2\n" &&
           c.Run("sinfo -h -R | cut -c1-31").out == "maint work           root      \n" &&
           c.Run("squeue -h -o %r -j " + std::to_string(pinned)).out == "ReqNodeNotAvail\n";
  };
  EXPECT_TRUE(WaitFor(drained)) << c.Run("sinfo").out << c.Run("sinfo -R").out;
  EXPECT_EQ(c.State(pinned), "PENDING");

  r = c.KillControllerAndRestart();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(WaitFor(drained)) << c.Run("sinfo").out << c.Run("sinfo -R").out;

  r = c.Run("scontrol update NodeName=n1 State=RESUME");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(c.WaitForState(pinned, "COMPLETED"));
  EXPECT_EQ(c.Run("sinfo -h -R").out, "");
}

// scontrol update PartitionName=...: a drained partition takes no new job (sbatch says why in
// Slurm's words) and keeps its state through a kill -9 of the controller until State=UP.
TEST(ScontrolUpdateTest, DrainAPartition) {
  LocalCluster c(1, 2);
  ASSERT_EQ(c.up().exit_code, 0) << c.up().err;
  auto r = c.Run("scontrol update PartitionName=debug State=DRAIN");
  if (geteuid() != 0) {
    EXPECT_EQ(r.err, "slurm_update error: Invalid user id\n");
    GTEST_SKIP() << "draining a partition is root's";
  }
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = c.Run("scontrol update PartitionName=nope State=UP");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "slurm_update error: Invalid partition name specified\n");
  r = c.Run("scontrol update PartitionName=debug State=OPEN");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("slurm_update error: Invalid input: State=OPEN"), std::string::npos)
      << r.err;
  auto drained = [&] {
    CommandResult sb = c.Run("sbatch --wrap true");
    return sb.exit_code == 1 &&
           sb.err ==
               "sbatch: error: Batch job submission failed: Required partition not available "
               "(inactive or drain)\n" &&
           c.Run("sinfo -h -p debug | cut -c1-16").out == "debug*    drain \n" &&
           c.Run("scontrol show partition debug").out.find(" State=DRAIN ") != std::string::npos;
  };
  EXPECT_TRUE(drained()) << c.Run("sinfo").out;
  r = c.KillControllerAndRestart();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(drained()) << c.Run("sinfo").out;
  EXPECT_EQ(c.Run("squeue -h -t all").out, "");  // the refused jobs left nothing behind
  r = c.Run("scontrol update PartitionName=debug State=UP");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(c.WaitForState(c.Submit("--wrap true"), "COMPLETED"));
}

TEST_F(JobsTest, SqueueAndSinfoLookLikeSlurm) {
  auto r = c().Run("squeue");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.substr(0, r.out.find('\n')),
            "             JOBID PARTITION     NAME     USER ST       TIME  NODES "
            "NODELIST(REASON)");
  r = c().Run("sinfo");
  EXPECT_EQ(r.out.substr(0, r.out.find('\n')), "PARTITION AVAIL  TIMELIMIT  NODES  STATE NODELIST");
  EXPECT_NE(r.out.find("debug*"), std::string::npos) << r.out;
  r = c().Run("sinfo -N -h");
  EXPECT_NE(r.out.find("n3"), std::string::npos) << r.out;
  r = c().Run("scontrol show partition debug");
  EXPECT_NE(r.out.find("PartitionName=debug"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("MaxTime=01:00:00"), std::string::npos) << r.out;
  r = c().Run("scontrol show node n2");
  EXPECT_NE(r.out.find("NodeName=n2"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("CPUTot=4"), std::string::npos) << r.out;
}

struct BadInput {
  const char* what;
  const char* command;
  const char* script;
  const char* error_part;
};

TEST_F(JobsTest, BadInputGetsOneLineErrorAndQueuesNothing) {
  const BadInput cases[] = {
      {"unknown option", "sbatch --frobnicate --wrap true", "", "unrecognized option"},
      {"malformed directive", "sbatch", "#!/bin/sh\n#SBATCH --time='1:00\ntrue\n", "#SBATCH"},
      {"unknown directive option", "sbatch", "#!/bin/sh\n#SBATCH --bogus=1\ntrue\n", "bogus"},
      {"not a script", "sbatch", "echo hi\n", "#!"},
      {"too many cpus", "sbatch -c 5 --wrap true", "", "not available"},
      {"too many nodes", "sbatch -N 4 --wrap true", "", "not available"},
      {"unknown partition", "sbatch -p nowhere --wrap true", "", "Invalid partition"},
      {"over MaxTime", "sbatch -p short -t 5 --wrap true", "", "time limit"},
      {"bad time", "sbatch -t soon --wrap true", "", "time"},
  };
  const std::string before = c().Run("squeue -h -t all | wc -l").out;
  for (const auto& bad : cases) {
    auto r = c().Run(bad.command, bad.script);
    EXPECT_EQ(r.exit_code, 1) << bad.what;
    EXPECT_NE(r.err.find(bad.error_part), std::string::npos) << bad.what << ": " << r.err;
    EXPECT_NE(r.err.find("error"), std::string::npos) << bad.what << ": " << r.err;
    EXPECT_TRUE(r.out.empty()) << bad.what;
  }
  EXPECT_EQ(c().Run("squeue -h -t all | wc -l").out, before);
}

TEST_F(JobsTest, MultiNodeJobGetsNodesAndRunsOnFirst) {
  int id = c().Submit(
      "-N 2 -n 5 -o mn.out --wrap 'echo $SLURM_JOB_NODELIST $SLURM_NNODES "
      "$SLURM_NTASKS $SLURMD_NODENAME'");
  ASSERT_TRUE(c().WaitForState(id, "COMPLETED"));
  std::string out = ReadAll(c().work() + "/mn.out");
  EXPECT_NE(out.find(" 2 5 n"), std::string::npos) << out;
  EXPECT_NE(out.find("["), std::string::npos) << "a compressed hostlist: " << out;
}

}  // namespace
}  // namespace sluice::testing
