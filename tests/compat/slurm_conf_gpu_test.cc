// slurm.conf's GPU settings on NodeName lines: Gres=gpu, and Sluice's GpuMemory, GpuSockets,
// MpsCapacity and GpuUtilThreshold.
#include <gtest/gtest.h>

#include "compat/slurm/slurm_conf.h"

namespace sluice::compat::slurm {
namespace {

TEST(ParseSlurmConfGpus, GresAndSluiceKeys) {
  auto c = ParseSlurmConf(
      "GresTypes=gpu,mps,shard\n"
      "NodeName=DEFAULT Sockets=2 CoresPerSocket=8 GpuMemory=80G MpsCapacity=200\n"
      "NodeName=g[1-2] Gres=gpu:h100:2,gpu:a100:2,mps:400 GpuSockets=0,0,1,1 "
      "GpuUtilThreshold=30\n"
      "NodeName=g3 Gres=gpu:3,shard:12 MpsCapacity=100\n"
      "NodeName=g4 Gres=gpu\n"
      "NodeName=c1 CPUs=4\n");
  ASSERT_TRUE(c.ok()) << c.status().message();
  ASSERT_EQ(c->nodes.size(), 5u);
  const auto& g1 = c->nodes[0];
  ASSERT_EQ(g1.gpus.size(), 4u);
  for (uint32_t i = 0; i < 4; ++i) {
    EXPECT_EQ(g1.gpus[i].index, i);
    EXPECT_EQ(g1.gpus[i].type, i < 2 ? "h100" : "a100");
    EXPECT_EQ(g1.gpus[i].socket, i < 2 ? 0u : 1u);
    EXPECT_EQ(g1.gpus[i].memory_mb, 81920u);
    EXPECT_EQ(g1.gpus[i].share_capacity, 200u);
    EXPECT_EQ(g1.gpus[i].shares_used, 0u);
    EXPECT_FALSE(g1.gpus[i].whole);
  }
  EXPECT_DOUBLE_EQ(g1.gpu_overprovision_threshold, 0.3);
  EXPECT_EQ(c->nodes[1].gpus.size(), 4u);
  const auto& g3 = c->nodes[2];
  ASSERT_EQ(g3.gpus.size(), 3u);
  EXPECT_EQ(g3.gpus[2].index, 2u);
  EXPECT_EQ(g3.gpus[2].type, "");
  EXPECT_EQ(g3.gpus[2].socket, 0u);
  EXPECT_EQ(g3.gpus[2].share_capacity, 100u);
  EXPECT_DOUBLE_EQ(g3.gpu_overprovision_threshold, 0.5);  // the default
  EXPECT_EQ(c->nodes[3].gpus.size(), 1u);                 // gpu alone: one
  EXPECT_TRUE(c->nodes[4].gpus.empty());
}

TEST(ParseSlurmConfGpus, Errors) {
  const std::pair<const char*, const char*> cases[] = {
      {"ClusterName=x\nNodeName=n1 Gres=fpga:1\n",
       "slurm.conf line 2: unsupported Gres \"fpga:1\" (gpu, mps or shard)"},
      {"NodeName=n1 Gres=gpu:a100:x\n", "slurm.conf line 1: invalid Gres \"gpu:a100:x\""},
      {"NodeName=n1 Gres=gpu:a:b:c\n", "slurm.conf line 1: invalid Gres \"gpu:a:b:c\""},
      {"NodeName=n1 Gres=gpu:2,mps\n", "slurm.conf line 1: invalid Gres \"mps\""},
      {"\nNodeName=n1 Sockets=2 Gres=gpu:4 GpuSockets=0,1\n",
       "slurm.conf line 2: GpuSockets names 2 sockets for 4 GPUs"},
      {"NodeName=n1 Sockets=2 Gres=gpu:2 GpuSockets=0,2\n",
       "slurm.conf line 1: GpuSockets names socket 2 of a node with 2 sockets"},
      {"NodeName=n1 Gres=gpu:2 GpuSockets=0,x\n",
       "slurm.conf line 1: invalid number \"x\" for gpusockets"},
      {"NodeName=n1 Gres=gpu:2 GpuMemory=lots\n",
       "slurm.conf line 1: invalid size \"lots\" for gpumemory"},
      {"NodeName=n1 Gres=gpu:2 MpsCapacity=0\n",
       "slurm.conf line 1: MpsCapacity must be at least 1"},
      {"NodeName=n1 Gres=gpu:2 GpuUtilThreshold=150\n",
       "slurm.conf line 1: GpuUtilThreshold is a percentage (0-100), got \"150\""},
  };
  for (const auto& [text, message] : cases) {
    auto c = ParseSlurmConf(text);
    ASSERT_FALSE(c.ok()) << text;
    EXPECT_EQ(c.status().message(), message);
    EXPECT_EQ(c.status().code(), Code::kInvalidArgument);
  }
}

}  // namespace
}  // namespace sluice::compat::slurm
