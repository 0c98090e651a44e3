// slurm.conf's placement keys (Sluice's): PartitionName ... Placement=, SchedulerPlacement= and
// GpuPlacement=.
#include <gtest/gtest.h>

#include <string>
#include <utility>

#include "compat/slurm/slurm_conf.h"

namespace sluice::compat::slurm {
namespace {

TEST(ParseSlurmConfPlacement, Defaults) {
  auto c = ParseSlurmConf("NodeName=n1\nPartitionName=p Nodes=n1\n");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->scheduler.placement, "best-fit");
  EXPECT_EQ(c->scheduler.gpu_placement, "least-occupied");
  ASSERT_EQ(c->partitions.size(), 1u);
  EXPECT_EQ(c->partitions[0].placement, "");
}

TEST(ParseSlurmConfPlacement, GlobalAndPerPartition) {
  auto c = ParseSlurmConf(
      "SchedulerPlacement=compact\n"
      "GpuPlacement=utilization\n"
      "NodeName=n[1-4]\n"
      "PartitionName=DEFAULT Placement=spread\n"
      "PartitionName=wide Nodes=n[1-2]\n"
      "PartitionName=gpu Nodes=n[3-4] placement=locality\n"
      "PartitionName=DEFAULT Placement=best-fit\n"
      "PartitionName=tight Nodes=ALL\n");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->scheduler.placement, "compact");
  EXPECT_EQ(c->scheduler.gpu_placement, "utilization");
  ASSERT_EQ(c->partitions.size(), 3u);
  EXPECT_EQ(c->partitions[0].placement, "spread");  // from PartitionName=DEFAULT
  EXPECT_EQ(c->partitions[1].placement, "locality");
  EXPECT_EQ(c->partitions[2].placement, "best-fit");
}

TEST(ParseSlurmConfPlacement, UnknownNamesNameTheLine) {
  const std::pair<std::string, std::string> cases[] = {
      {"NodeName=n1\nPartitionName=p Nodes=n1 Placement=tight\n",
       "slurm.conf line 2: unknown Placement \"tight\" (best-fit, compact, locality, spread or "
       "weight-first)"},
      {"ClusterName=c\n\nSchedulerPlacement=Spread\n",
       "slurm.conf line 3: unknown SchedulerPlacement \"Spread\" (best-fit, compact, locality, "
       "spread or weight-first)"},
      {"GpuPlacement=compact\n",
       "slurm.conf line 1: unknown GpuPlacement \"compact\" (least-occupied or utilization)"},
  };
  for (const auto& [text, message] : cases) {
    auto c = ParseSlurmConf(text);
    ASSERT_FALSE(c.ok()) << text;
    EXPECT_EQ(c.status().message(), message);
  }
}

}  // namespace
}  // namespace sluice::compat::slurm
