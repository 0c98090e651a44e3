#include <gtest/gtest.h>

#include <memory>

#include "core/policy/priority.h"

namespace sluice::core::policy {
namespace {

using cluster::PriorityConfig;
using cluster::QosConfig;
using model::Job;
using model::JobSpec;
using model::Partition;

PriorityConfig Multifactor() {
  PriorityConfig c;
  c.type = "priority/multifactor";
  c.weight_age = 1000;
  c.weight_fairshare = 10000;
  c.weight_job_size = 1000;
  c.weight_partition = 5000;
  c.weight_qos = 2000;
  c.max_age = 1000;
  return c;
}

const std::vector<QosConfig> kQos = {{"normal", 10}, {"high", 100}, {"zero", 0}};

Job MakeJob(uint32_t id, uint32_t cpus, UnixTime submit, std::string qos = "", int32_t nice = 0) {
  auto spec = std::make_shared<JobSpec>();
  spec->user = "u1";
  spec->num_tasks = cpus;
  spec->qos = std::move(qos);
  spec->nice = nice;
  Job j;
  j.id = id;
  j.spec = spec;
  j.submit_time = submit;
  j.min_nodes = 1;
  return j;
}

Partition Part(uint32_t factor) {
  Partition p;
  p.name = "debug";
  p.priority_job_factor = factor;
  return p;
}

FairTree OneUser() {
  auto t = FairTree::Build({{"A", "", 1}}, {{"u1", "A", 1}}, 0);
  EXPECT_TRUE(t.ok());
  return std::move(t).value();
}

class PriorityTest : public ::testing::Test {
 protected:
  FairTree tree_ = OneUser();
};

TEST_F(PriorityTest, AllFactorsAndTheirWeightedSum) {
  PriorityCalculator calc(Multifactor(), kQos, /*cpus=*/64, /*max_part=*/4);
  ASSERT_TRUE(calc.multifactor());
  Job j = MakeJob(5, 16, /*submit=*/100, "high", /*nice=*/100);
  ASSERT_EQ(j.NumCpus(), 16u);
  PriorityFactors f = calc.Compute(j, Part(2), tree_, /*now=*/600);
  EXPECT_DOUBLE_EQ(f.age, 0.5);
  EXPECT_DOUBLE_EQ(f.fairshare, 1.0);
  EXPECT_DOUBLE_EQ(f.job_size, 0.25);
  EXPECT_DOUBLE_EQ(f.partition, 0.5);
  EXPECT_DOUBLE_EQ(f.qos, 1.0);
  EXPECT_EQ(f.nice, 100);
  // 500 + 10000 + 250 + 2500 + 2000 - 100
  EXPECT_EQ(f.priority, 15150u);
}

TEST_F(PriorityTest, AgeIsCappedAtMaxAgeAndZeroWhenHeld) {
  PriorityCalculator calc(Multifactor(), kQos, 64, 4);
  Job j = MakeJob(5, 16, 100);
  EXPECT_DOUBLE_EQ(calc.Compute(j, Part(2), tree_, 100).age, 0.0);
  EXPECT_DOUBLE_EQ(calc.Compute(j, Part(2), tree_, 350).age, 0.25);
  EXPECT_DOUBLE_EQ(calc.Compute(j, Part(2), tree_, 1100).age, 1.0);
  EXPECT_DOUBLE_EQ(calc.Compute(j, Part(2), tree_, 50000).age, 1.0);
  j.held = true;
  PriorityFactors held = calc.Compute(j, Part(2), tree_, 50000);
  EXPECT_DOUBLE_EQ(held.age, 0.0);
  EXPECT_EQ(held.priority, 0u);
}

TEST_F(PriorityTest, JobSizeCpuOnlyAndFavorSmall) {
  PriorityConfig c = Multifactor();
  EXPECT_DOUBLE_EQ(
      PriorityCalculator(c, kQos, 64, 4).Compute(MakeJob(1, 64, 0), Part(1), tree_, 0).job_size,
      1.0);
  c.favor_small = true;
  PriorityCalculator small(c, kQos, 64, 4);
  EXPECT_DOUBLE_EQ(small.Compute(MakeJob(1, 16, 0), Part(1), tree_, 0).job_size, 0.75);
}

TEST_F(PriorityTest, JobSizeWithNodesFollowsSlurm) {
  PriorityConfig c = Multifactor();
  Job j = MakeJob(1, 16, 0);
  // (1/4 + 16/64) / 2
  EXPECT_DOUBLE_EQ(
      PriorityCalculator(c, kQos, 64, 4, /*nodes=*/4).Compute(j, Part(1), tree_, 0).job_size, 0.25);
  j.min_nodes = 4;  // (4/4 + 16/64) / 2
  EXPECT_DOUBLE_EQ(PriorityCalculator(c, kQos, 64, 4, 4).Compute(j, Part(1), tree_, 0).job_size,
                   0.625);
  c.favor_small = true;
  j.min_nodes = 1;  // ((4-1)/3 + (64-16)/63) / 2
  EXPECT_DOUBLE_EQ(PriorityCalculator(c, kQos, 64, 4, 4).Compute(j, Part(1), tree_, 0).job_size,
                   (1.0 + 48.0 / 63) / 2);
}

TEST_F(PriorityTest, PartitionAndQosNormalization) {
  PriorityCalculator calc(Multifactor(), kQos, 64, 4);
  EXPECT_DOUBLE_EQ(calc.Compute(MakeJob(1, 1, 0), Part(4), tree_, 0).partition, 1.0);
  EXPECT_DOUBLE_EQ(calc.Compute(MakeJob(1, 1, 0), Part(1), tree_, 0).partition, 0.25);
  EXPECT_DOUBLE_EQ(calc.Compute(MakeJob(1, 1, 0, "high"), Part(1), tree_, 0).qos, 1.0);
  EXPECT_DOUBLE_EQ(calc.Compute(MakeJob(1, 1, 0, ""), Part(1), tree_, 0).qos, 0.1);  // normal
  EXPECT_DOUBLE_EQ(calc.Compute(MakeJob(1, 1, 0, "zero"), Part(1), tree_, 0).qos, 0.0);
  EXPECT_DOUBLE_EQ(calc.Compute(MakeJob(1, 1, 0, "nope"), Part(1), tree_, 0).qos, 0.0);
  PriorityCalculator no_max(Multifactor(), {{"a", 0}}, 64, 0);
  PriorityFactors f = no_max.Compute(MakeJob(1, 1, 0, "a"), Part(3), tree_, 0);
  EXPECT_DOUBLE_EQ(f.qos, 0.0);
  EXPECT_DOUBLE_EQ(f.partition, 0.0);
}

TEST_F(PriorityTest, FairshareUsesTheTreeAndTheDefaultAccount) {
  auto t = FairTree::Build({{"A", "", 1}}, {{"u1", "A", 1}, {"u2", "A", 1}}, 0);
  ASSERT_TRUE(t.ok());
  ASSERT_TRUE(t->AddUsage("A", "u1", 100, 1).ok());
  t->Recompute();
  PriorityCalculator calc(Multifactor(), kQos, 64, 4);
  Job j = MakeJob(1, 1, 0);  // u1, no account: its default A
  EXPECT_DOUBLE_EQ(calc.Compute(j, Part(1), *t, 0).fairshare, 0.5);
  auto other = std::make_shared<JobSpec>(*j.spec);
  other->user = "u2";
  other->account = "A";
  j.spec = other;
  EXPECT_DOUBLE_EQ(calc.Compute(j, Part(1), *t, 0).fairshare, 1.0);
  other->user = "stranger";
  other->account = "";
  EXPECT_DOUBLE_EQ(calc.Compute(j, Part(1), *t, 0).fairshare, 0.0);
}

TEST_F(PriorityTest, NiceAndClamping) {
  PriorityCalculator calc(Multifactor(), kQos, 64, 4);
  uint32_t base = calc.Compute(MakeJob(1, 16, 100), Part(2), tree_, 600).priority;
  EXPECT_EQ(calc.Compute(MakeJob(1, 16, 100, "", 1000), Part(2), tree_, 600).priority, base - 1000);
  EXPECT_EQ(calc.Compute(MakeJob(1, 16, 100, "", -1000), Part(2), tree_, 600).priority,
            base + 1000);
  EXPECT_EQ(calc.Compute(MakeJob(1, 16, 100, "", 10000000), Part(2), tree_, 600).priority, 1u);
  PriorityConfig huge = Multifactor();
  huge.weight_age = huge.weight_fairshare = huge.weight_partition = 4000000000u;
  PriorityCalculator big(huge, kQos, 64, 4);
  EXPECT_EQ(big.Compute(MakeJob(1, 16, 0), Part(4), tree_, 5000).priority, 0xFFFFFFFEu);
}

TEST_F(PriorityTest, TruncatesTheSumLikeSlurm) {
  PriorityConfig c;
  c.type = "priority/multifactor";
  c.weight_age = 1000;
  c.max_age = 3;
  PriorityCalculator calc(c, {}, 64, 1);
  // age 2/3 * 1000 = 666.67 -> 666
  EXPECT_EQ(calc.Compute(MakeJob(1, 1, 10), Part(1), tree_, 12).priority, 666u);
}

TEST_F(PriorityTest, BasicIsSubmitOrder) {
  PriorityCalculator calc(PriorityConfig{}, kQos, 64, 4);
  EXPECT_FALSE(calc.multifactor());
  Job first = MakeJob(1, 1, 0);
  Job second = MakeJob(2, 64, 0, "high");
  PriorityFactors a = calc.Compute(first, Part(1), tree_, 1000);
  PriorityFactors b = calc.Compute(second, Part(4), tree_, 1000);
  EXPECT_EQ(a.priority, 4294901759u);
  EXPECT_EQ(b.priority, 4294901758u);
  EXPECT_EQ(a.age, 0.0);
  EXPECT_EQ(b.qos, 0.0);
  first.held = true;
  EXPECT_EQ(calc.Compute(first, Part(1), tree_, 1000).priority, 0u);
  EXPECT_EQ(BasicPriority(0xFFFF0000u), 1u);
}

}  // namespace
}  // namespace sluice::core::policy
