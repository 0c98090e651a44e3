#include "compat/slurm/slurm_conf.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

namespace sluice::compat::slurm {
namespace {

// The peer Slurm's slurm.conf (trimmed of paths), as real sites write it.
constexpr char kPeerConf[] = R"(ClusterName=peer
SlurmctldHost=localhost
SlurmctldPort=16817
AuthType=auth/munge
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
MinJobAge=30
ReturnToService=2
DefMemPerCPU=100
NodeName=n1 NodeHostname=localhost Port=17001 CPUs=4 RealMemory=4000 State=UNKNOWN
NodeName=n2 NodeHostname=localhost Port=17002 CPUs=4 RealMemory=4000 State=UNKNOWN
NodeName=n3 NodeHostname=localhost Port=17003 CPUs=4 RealMemory=4000 State=UNKNOWN
PartitionName=debug Nodes=n[1-3] Default=YES MaxTime=INFINITE State=UP
)";

TEST(ParseSlurmConf, PeerConfig) {
  auto c = ParseSlurmConf(kPeerConf);
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->cluster_name, "peer");
  EXPECT_EQ(c->min_job_age, 30);
  EXPECT_EQ(c->def_mem_per_cpu_mb, 100u);
  EXPECT_EQ(c->kill_wait, 30);  // default kept
  ASSERT_EQ(c->nodes.size(), 3u);
  EXPECT_EQ(c->nodes[0].name, "n1");
  EXPECT_EQ(c->nodes[0].cpus, 4u);
  EXPECT_EQ(c->nodes[0].sockets, 4u);  // as scontrol show node reports: Sockets=4
  EXPECT_EQ(c->nodes[0].cores_per_socket, 1u);
  EXPECT_EQ(c->nodes[0].memory_mb, 4000u);
  ASSERT_EQ(c->partitions.size(), 1u);
  const auto& p = c->partitions[0];
  EXPECT_EQ(p.name, "debug");
  EXPECT_EQ(p.nodes, (std::vector<std::string>{"n1", "n2", "n3"}));
  EXPECT_EQ(p.nodes_expr, "n[1-3]");
  EXPECT_TRUE(p.is_default);
  EXPECT_TRUE(p.up);
  EXPECT_EQ(p.max_time, kUnlimited);
  EXPECT_FALSE(p.default_time.has_value());
}

TEST(ParseSlurmConf, DefaultsTopologyAndGlobals) {
  auto c = ParseSlurmConf(
      "# comment line\n"
      "clustername=big   # trailing comment\n"
      "KillWait=5\nMINJOBAGE=60\nSlurmdTimeout=120\nFirstJobId=1000\nUnknownKey=whatever\n"
      "NodeName=DEFAULT Sockets=2 CoresPerSocket=8 ThreadsPerCore=2 RealMemory=64000\n"
      "NodeName=c[01-02]\n"
      "NodeName=c03 CPUs=16 \\\n  RealMemory=1000\n"
      "PartitionName=DEFAULT MaxTime=1-00:00:00\n"
      "PartitionName=batch Nodes=ALL DefaultTime=30 State=DOWN DefMemPerCPU=500\n"
      "PartitionName=short Nodes=c01 MaxTime=60 Default=yes\n");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->cluster_name, "big");
  EXPECT_EQ(c->kill_wait, 5);
  EXPECT_EQ(c->min_job_age, 60);
  EXPECT_EQ(c->node_timeout, 120);
  EXPECT_EQ(c->first_job_id, 1000u);
  ASSERT_EQ(c->nodes.size(), 3u);
  EXPECT_EQ(c->nodes[0].name, "c01");
  EXPECT_EQ(c->nodes[0].cpus, 32u);
  EXPECT_EQ(c->nodes[0].memory_mb, 64000u);
  EXPECT_EQ(c->nodes[2].cpus, 16u);
  EXPECT_EQ(c->nodes[2].sockets, 2u);  // from DEFAULT
  EXPECT_EQ(c->nodes[2].memory_mb, 1000u);
  ASSERT_EQ(c->partitions.size(), 2u);
  const auto& batch = c->partitions[0];
  EXPECT_EQ(batch.nodes, (std::vector<std::string>{"c01", "c02", "c03"}));
  EXPECT_EQ(batch.max_time, 86400);
  EXPECT_EQ(batch.default_time, 30 * 60);
  EXPECT_FALSE(batch.up);
  EXPECT_EQ(batch.def_mem_per_cpu_mb, 500u);
  EXPECT_FALSE(batch.is_default);
  EXPECT_TRUE(c->partitions[1].is_default);
  EXPECT_EQ(c->partitions[1].max_time, 3600);
}

TEST(ParseSlurmConf, PartitionBeforeNodes) {
  auto c = ParseSlurmConf("PartitionName=p Nodes=n1\nNodeName=n1 CPUs=2\n");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->partitions[0].nodes, std::vector<std::string>{"n1"});
}

TEST(ParseSlurmConf, Errors) {
  const std::pair<std::string, std::string> cases[] = {
      {"NodeName=n1\nPartitionName=p Nodes=n[1-2]\n",
       "slurm.conf line 2: partition p names undefined node n2"},
      {"NodeName=n1 CPUs=x\n", "slurm.conf line 1: invalid number \"x\" for cpus"},
      {"KillWait=soon\n", "slurm.conf line 1: invalid number \"soon\" for killwait"},
      {"NodeName=n[1-\n", "slurm.conf line 1: invalid host list \"n[1-\": unterminated '['"},
      {"NodeName=n1\nNodeName=n1\n", "slurm.conf line 2: node n1 already defined on line 1"},
      {"NodeName=n1\nPartitionName=p Nodes=n1 MaxTime=soon\n",
       "slurm.conf line 2: invalid time \"soon\" for maxtime"},
      {"NodeName=n1\nPartitionName=p Nodes=n1 Default=maybe\n",
       "slurm.conf line 2: expected YES or NO for default, got \"maybe\""},
      {"\n\njunk\n", "slurm.conf line 3: expected Key=Value, got \"junk\""},
  };
  for (const auto& [text, message] : cases) {
    auto c = ParseSlurmConf(text);
    ASSERT_FALSE(c.ok()) << text;
    EXPECT_EQ(c.status().message(), message);
  }
}

TEST(LoadSlurmConf, ReadsFileAndReportsMissing) {
  std::string path = testing::TempDir() + "/slurm_conf_test.conf";
  {
    std::ofstream out(path);
    out << kPeerConf;
  }
  auto c = LoadSlurmConf(path);
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->nodes.size(), 3u);
  std::remove(path.c_str());

  auto missing = LoadSlurmConf(path);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), Code::kNotFound);
  EXPECT_NE(missing.status().message().find(path), std::string::npos);
}

}  // namespace
}  // namespace sluice::compat::slurm
