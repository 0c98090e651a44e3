// Reservations, GPU sharing and QOS limits, end to end through the real commands.
#include <gtest/gtest.h>

#include "cluster_fixture.h"

namespace sluice::testing {
namespace {

std::string Trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

TEST(PolicyTest, ReservationsKeepNodesForTheirUsers) {
  LocalCluster c(2, 2);
  ASSERT_EQ(c.up().exit_code, 0) << c.up().err;
  auto r = c.Run(
      "scontrol create reservation ReservationName=maint StartTime=now Duration=10 "
      "Nodes=n1 Users=$(id -un)");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "Reservation created: maint\n");
  r = c.Run("scontrol show reservation maint");
  EXPECT_NE(r.out.find("ReservationName=maint"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Nodes=n1 NodeCnt=1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("State=ACTIVE"), std::string::npos) << r.out;
  int inside = c.Submit("--reservation=maint -o in.out --wrap 'echo $SLURMD_NODENAME; sleep 2'");
  int outside = c.Submit("-o out.out --wrap 'echo $SLURMD_NODENAME'");
  ASSERT_TRUE(c.WaitForState(outside, "COMPLETED"));
  EXPECT_EQ(ReadAll(c.work() + "/out.out"), "n2\n");
  ASSERT_TRUE(c.WaitForState(inside, "RUNNING") || c.WaitForState(inside, "COMPLETED"));
  r = c.Run("scontrol delete ReservationName=maint");
  if (c.State(inside) == "RUNNING") EXPECT_EQ(r.exit_code, 1) << "in use";
  ASSERT_TRUE(c.WaitForState(inside, "COMPLETED"));
  EXPECT_EQ(ReadAll(c.work() + "/in.out"), "n1\n");
  r = c.Run("scontrol delete ReservationName=maint");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(c.Run("scontrol show reservation").out, "No reservations in the system\n");
  r = c.Run("sbatch --reservation=nope --wrap true");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("reservation"), std::string::npos) << r.err;
  r = c.Run("scontrol create reservation ReservationName=bad Duration=10 Nodes=n9 Users=x");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("Invalid node name"), std::string::npos) << r.err;
  // A job cannot be moved into a reservation that no longer exists (scontrol update checks
  // what sbatch checks), and the update of a finished one says so, the job named.
  const std::string waiting = std::to_string(c.Submit("-H --wrap true"));
  r = c.Run("scontrol update JobId=" + waiting + " Reservation=maint");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "Requested reservation is invalid: maint for job " + waiting + "\n");
  r = c.Run("scontrol update JobId=" + std::to_string(outside) + " Reservation=maint");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "Job has already finished for job " + std::to_string(outside) + "\n");
  // Creating a partition is not Sluice's: one line says so, where PartitionName= would read as a
  // bad reservation key.
  r = c.Run("scontrol create PartitionName=extra Nodes=n1");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("create of partitions is not supported"), std::string::npos) << r.err;
}

TEST(PolicyTest, MpsSharesGoToTheLeastOccupiedGpuAndWholeGpusStayApart) {
  LocalCluster c(1, 8, "", "NodeName=n1 CPUs=8 RealMemory=8000 Gres=gpu:h100:4 GpuMemory=80G\n");
  ASSERT_EQ(c.up().exit_code, 0) << c.up().err << c.up().out;
  const std::string show =
      " --wrap 'echo $CUDA_VISIBLE_DEVICES $CUDA_MPS_ACTIVE_THREAD_PERCENTAGE "
      "$CUDA_MPS_PINNED_DEVICE_MEM_LIMIT; sleep 3'";
  int a = c.Submit("--gres=mps:50 --gpu-mem=10G -o a.out" + show);
  int b = c.Submit("--gres=mps:50 --gpu-mem=10G -o b.out" + show);
  int whole = c.Submit("--gpus=2 -o w.out" + show);
  for (int id : {a, b, whole}) ASSERT_TRUE(c.WaitForState(id, "COMPLETED")) << id;
  EXPECT_EQ(ReadAll(c.work() + "/a.out"), "0 50 0=10240M\n");
  EXPECT_EQ(ReadAll(c.work() + "/b.out"), "1 50 1=10240M\n");
  EXPECT_EQ(ReadAll(c.work() + "/w.out"), "2,3\n");
  auto r = c.Run("sbatch --gpus=5 --wrap true");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("not available"), std::string::npos) << r.err;
  r = c.Run("sbatch --gres=mps:150 --wrap true");
  EXPECT_EQ(r.exit_code, 1) << "a share is at most one GPU";
}

TEST(PolicyTest, QosLimitHoldsBackTheSecondJob) {
  LocalCluster c(1, 4, "QOS=normal MaxJobsPerUser=1 MaxWall=10\n");
  ASSERT_EQ(c.up().exit_code, 0) << c.up().err << c.up().out;
  int first = c.Submit("--wrap 'sleep 3'");
  int second = c.Submit("--wrap true");
  ASSERT_TRUE(c.WaitForState(first, "RUNNING"));
  auto r = c.Run("squeue -h -o %r -j " + std::to_string(second));
  EXPECT_EQ(Trimmed(r.out), "QOSMaxJobsPerUserLimit");
  EXPECT_TRUE(c.WaitForState(second, "COMPLETED"));
  r = c.Run("sbatch -t 20 --wrap true");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("QOS policy"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace sluice::testing
