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
  EXPECT_TRUE(batch.accepts_jobs);  // DOWN: jobs queue, none starts
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
      // Slurm's 16-bit counts: past them, per-CPU state would be sized by billions.
      {"NodeName=n1 CPUs=65536\n",
       "slurm.conf line 1: cpus=65536 is more than a node may have "
       "(65535)"},
      {"NodeName=n1 ThreadsPerCore=4294967295\n",
       "slurm.conf line 1: threadspercore=4294967295 is more than a node may have (65535)"},
      {"NodeName=DEFAULT Sockets=256\nNodeName=n1 CoresPerSocket=256\n",
       "slurm.conf line 2: Sockets x CoresPerSocket x ThreadsPerCore is more CPUs than a node may "
       "have (65535)"},
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

TEST(ParseSlurmConf, FeaturesWeightsAndPartitionLimits) {
  auto c = ParseSlurmConf(
      "NodeName=DEFAULT CPUs=4 Feature=intel,ib Weight=10\n"
      "NodeName=a[1-2]\n"
      "NodeName=g1 Features=\"gpu, v100\" Weight=1\n"
      "NodeName=p1 Feature= Weight=5\n"
      "PartitionName=DEFAULT MaxNodes=4\n"
      "PartitionName=batch Nodes=ALL MaxCPUsPerNode=2 PriorityJobFactor=10\n"
      "PartitionName=big Nodes=a[1-2] MaxNodes=UNLIMITED MaxCPUsPerNode=INFINITE\n");
  ASSERT_TRUE(c.ok()) << c.status().message();
  ASSERT_EQ(c->nodes.size(), 4u);
  EXPECT_EQ(c->nodes[0].features, (std::vector<std::string>{"intel", "ib"}));
  EXPECT_EQ(c->nodes[0].weight, 10u);
  EXPECT_EQ(c->nodes[2].features, (std::vector<std::string>{"gpu", "v100"}));
  EXPECT_EQ(c->nodes[2].weight, 1u);
  EXPECT_TRUE(c->nodes[3].features.empty());
  EXPECT_EQ(c->nodes[3].weight, 5u);
  ASSERT_EQ(c->partitions.size(), 2u);
  EXPECT_EQ(c->partitions[0].max_nodes, 4u);
  EXPECT_EQ(c->partitions[0].max_cpus_per_node, 2u);
  EXPECT_EQ(c->partitions[0].priority_job_factor, 10u);
  EXPECT_EQ(c->partitions[1].max_nodes, 0u);
  EXPECT_EQ(c->partitions[1].max_cpus_per_node, 0u);
  EXPECT_EQ(c->partitions[1].priority_job_factor, 1u);

  auto defaults = ParseSlurmConf("NodeName=n1\n");
  ASSERT_TRUE(defaults.ok());
  EXPECT_TRUE(defaults->nodes[0].features.empty());
  EXPECT_EQ(defaults->nodes[0].weight, 1u);
}

TEST(ParseSlurmConf, SchedulerAndPriority) {
  auto d = ParseSlurmConf("");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->scheduler.policy, "easy");
  EXPECT_EQ(d->scheduler.bf_window, 86400);
  EXPECT_EQ(d->priority.type, "priority/basic");

  auto c = ParseSlurmConf(
      "SchedulerType=sched/builtin\n"
      "SchedulerParameters=bf_window=120,bf_resolution=30,bf_max_job_test=50,"
      "default_queue_depth=20,bf_continue,sched_interval=5\n"
      "PriorityType=priority/multifactor\n"
      "PriorityWeightAge=1000 PriorityWeightFairshare=2000 PriorityWeightJobSize=3000\n"
      "PriorityWeightPartition=4000 PriorityWeightQOS=5000\n"
      "PriorityMaxAge=7-0 PriorityDecayHalfLife=1-12:00:00 PriorityFavorSmall=YES\n");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->scheduler.policy, "fifo");
  EXPECT_EQ(c->scheduler.bf_window, 120 * 60);
  EXPECT_EQ(c->scheduler.bf_resolution, 30);
  EXPECT_EQ(c->scheduler.bf_max_job_test, 50u);
  EXPECT_EQ(c->scheduler.default_queue_depth, 20u);
  EXPECT_TRUE(c->scheduler.bf_continue);
  EXPECT_EQ(c->priority.type, "priority/multifactor");
  EXPECT_EQ(c->priority.weight_age, 1000u);
  EXPECT_EQ(c->priority.weight_fairshare, 2000u);
  EXPECT_EQ(c->priority.weight_job_size, 3000u);
  EXPECT_EQ(c->priority.weight_partition, 4000u);
  EXPECT_EQ(c->priority.weight_qos, 5000u);
  EXPECT_EQ(c->priority.max_age, 7 * 86400);
  EXPECT_EQ(c->priority.decay_half_life, 86400 + 12 * 3600);
  EXPECT_TRUE(c->priority.favor_small);

  // SchedulerPolicy wins over SchedulerType wherever it is.
  auto policy = ParseSlurmConf("SchedulerPolicy=Conservative\nSchedulerType=sched/builtin\n");
  ASSERT_TRUE(policy.ok()) << policy.status().message();
  EXPECT_EQ(policy->scheduler.policy, "conservative");
  auto backfill = ParseSlurmConf("SchedulerType=sched/backfill\nPriorityDecayHalfLife=0\n");
  ASSERT_TRUE(backfill.ok());
  EXPECT_EQ(backfill->scheduler.policy, "easy");
  EXPECT_EQ(backfill->priority.decay_half_life, 0);
}

TEST(ParseSlurmConf, Associations) {
  auto c = ParseSlurmConf(
      "User=alice Account=physics Fairshare=3\n"  // accounts may come later
      "User=alice Account=chem DefaultAccount=YES\n"
      "User=bob Account=chem\n"
      "Account=science Fairshare=10\n"
      "Account=physics Parent=science Fairshare=2\n"
      "Account=chem Parent=root\n"
      "QOS=normal\n"
      "QOS=high Priority=100\n");
  ASSERT_TRUE(c.ok()) << c.status().message();
  ASSERT_EQ(c->accounts.size(), 3u);
  EXPECT_EQ(c->accounts[0].name, "science");
  EXPECT_EQ(c->accounts[0].parent, "");
  EXPECT_EQ(c->accounts[0].fairshare, 10u);
  EXPECT_EQ(c->accounts[1].parent, "science");
  EXPECT_EQ(c->accounts[1].fairshare, 2u);
  EXPECT_EQ(c->accounts[2].name, "chem");
  EXPECT_EQ(c->accounts[2].parent, "");  // root
  EXPECT_EQ(c->accounts[2].fairshare, 1u);
  ASSERT_EQ(c->users.size(), 3u);
  EXPECT_EQ(c->users[0].name, "alice");
  EXPECT_EQ(c->users[0].account, "physics");
  EXPECT_EQ(c->users[0].fairshare, 3u);
  EXPECT_FALSE(c->users[0].is_default);
  EXPECT_TRUE(c->users[1].is_default);
  EXPECT_TRUE(c->users[2].is_default);  // bob's only association
  ASSERT_EQ(c->qos.size(), 2u);
  EXPECT_EQ(c->qos[0].name, "normal");
  EXPECT_EQ(c->qos[0].priority, 0u);
  EXPECT_EQ(c->qos[1].name, "high");
  EXPECT_EQ(c->qos[1].priority, 100u);
}

TEST(ParseSlurmConf, SchedulingAndAssociationErrors) {
  const std::pair<std::string, std::string> cases[] = {
      {"NodeName=n1 Weight=x\n", "slurm.conf line 1: invalid number \"x\" for weight"},
      {"NodeName=n1\nPartitionName=p Nodes=n1 MaxNodes=lots\n",
       "slurm.conf line 2: invalid number \"lots\" for maxnodes"},
      {"NodeName=n1\nPartitionName=p Nodes=n1 MaxCPUsPerNode=-1\n",
       "slurm.conf line 2: invalid number \"-1\" for maxcpuspernode"},
      {"NodeName=n1\nPartitionName=p Nodes=n1 PriorityJobFactor=high\n",
       "slurm.conf line 2: invalid number \"high\" for priorityjobfactor"},
      {"\nSchedulerPolicy=sjf\n",
       "slurm.conf line 2: unknown SchedulerPolicy \"sjf\" (fifo, easy or conservative)"},
      {"SchedulerType=sched/gang\n",
       "slurm.conf line 1: unsupported SchedulerType \"sched/gang\" (sched/backfill or "
       "sched/builtin)"},
      {"SchedulerParameters=bf_window=day\n",
       "slurm.conf line 1: invalid number \"day\" for bf_window"},
      {"SchedulerParameters=bf_continue,bf_max_job_test\n",
       "slurm.conf line 1: invalid number \"\" for bf_max_job_test"},
      {"PriorityType=priority/fancy\n",
       "slurm.conf line 1: unsupported PriorityType \"priority/fancy\" (priority/basic or "
       "priority/multifactor)"},
      {"PriorityWeightAge=lots\n",
       "slurm.conf line 1: invalid number \"lots\" for priorityweightage"},
      {"PriorityMaxAge=soon\n", "slurm.conf line 1: invalid time \"soon\" for prioritymaxage"},
      {"PriorityMaxAge=UNLIMITED\n",
       "slurm.conf line 1: invalid time \"UNLIMITED\" for prioritymaxage"},
      {"PriorityFavorSmall=maybe\n",
       "slurm.conf line 1: expected YES or NO for priorityfavorsmall, got \"maybe\""},
      {"Account=a\nAccount=b Parent=nope\n",
       "slurm.conf line 2: account b names unknown parent account nope"},
      {"Account=a Parent=b\nAccount=b Parent=a\n",
       "slurm.conf line 1: account a is its own ancestor"},
      {"Account=a\n\nUser=u Account=x\n", "slurm.conf line 3: user u names unknown account x"},
      {"User=u\n", "slurm.conf line 1: user u needs Account="},
      {"Account=a\nAccount=a\n", "slurm.conf line 2: account a already defined on line 1"},
      {"Account=a\nUser=u Account=a\nUser=u Account=a\n",
       "slurm.conf line 3: user u in account a already defined on line 2"},
      {"Account=a\nAccount=b\nUser=u Account=a DefaultAccount=YES\n"
       "User=u Account=b DefaultAccount=YES\n",
       "slurm.conf line 4: user u already has a default account on line 3"},
      {"Account=a Fairshare=x\n", "slurm.conf line 1: invalid number \"x\" for fairshare"},
      {"QOS=high\nQOS=high\n", "slurm.conf line 2: QOS high already defined on line 1"},
      {"QOS=high Priority=top\n", "slurm.conf line 1: invalid number \"top\" for priority"},
      {"QOS=\n", "slurm.conf line 1: qos needs a name"},
  };
  for (const auto& [text, message] : cases) {
    auto c = ParseSlurmConf(text);
    ASSERT_FALSE(c.ok()) << text;
    EXPECT_EQ(c.status().message(), message);
  }
}

TEST(ParseSlurmConf, QosLimits) {
  auto c = ParseSlurmConf(
      "QOS=normal MaxJobsPerUser=2 MaxSubmitJobsPerUser=10 "
      "MaxTRESPerUser=cpu=8,mem=16G,node=2,gres/gpu=4 MaxWall=1-00:00:00 "
      "MaxTRESRunMinsPerUser=cpu=6000\n"
      "QOS=short Priority=5 MaxJobsPU=-1 MaxSubmitJobsPU=UNLIMITED MaxTRESPU=\"cpu=4, mem=500\" "
      "MaxWallDurationPerJob=30 MaxTRESRunMinsPU=mem=100M,node=-1,GRES/GPU=60\n"
      "QOS=open MaxWall=UNLIMITED\n");
  ASSERT_TRUE(c.ok()) << c.status().message();
  ASSERT_EQ(c->qos.size(), 3u);
  const auto& normal = c->qos[0];
  EXPECT_EQ(normal.max_jobs_per_user, 2u);
  EXPECT_EQ(normal.max_submit_jobs_per_user, 10u);
  EXPECT_EQ(normal.max_tres_per_user.cpu, 8u);
  EXPECT_EQ(normal.max_tres_per_user.mem_mb, 16u * 1024);
  EXPECT_EQ(normal.max_tres_per_user.node, 2u);
  EXPECT_EQ(normal.max_tres_per_user.gpu, 4u);
  EXPECT_EQ(normal.max_wall, 86400);
  EXPECT_EQ(normal.max_tres_run_mins_per_user.cpu, 6000u);
  EXPECT_EQ(normal.max_tres_run_mins_per_user.mem_mb, 0u);
  const auto& short_qos = c->qos[1];
  EXPECT_EQ(short_qos.priority, 5u);
  EXPECT_EQ(short_qos.max_jobs_per_user, 0u);
  EXPECT_EQ(short_qos.max_submit_jobs_per_user, 0u);
  EXPECT_EQ(short_qos.max_tres_per_user.cpu, 4u);
  EXPECT_EQ(short_qos.max_tres_per_user.mem_mb, 500u);
  EXPECT_EQ(short_qos.max_tres_per_user.gpu, 0u);
  EXPECT_EQ(short_qos.max_wall, 30 * 60);
  EXPECT_EQ(short_qos.max_tres_run_mins_per_user.mem_mb, 100u);
  EXPECT_EQ(short_qos.max_tres_run_mins_per_user.node, 0u);
  EXPECT_EQ(short_qos.max_tres_run_mins_per_user.gpu, 60u);
  const auto& open = c->qos[2];
  EXPECT_EQ(open.max_wall, 0);  // UNLIMITED: no limit
  EXPECT_EQ(open.max_jobs_per_user, 0u);
  EXPECT_EQ(open.max_tres_per_user.cpu, 0u);
}

TEST(ParseSlurmConf, QosLimitErrors) {
  const std::pair<std::string, std::string> cases[] = {
      {"QOS=q MaxJobsPerUser=many\n",
       "slurm.conf line 1: invalid number \"many\" for maxjobsperuser"},
      {"\nQOS=q MaxSubmitJobsPerUser=-2\n",
       "slurm.conf line 2: invalid number \"-2\" for maxsubmitjobsperuser"},
      {"QOS=q MaxTRESPerUser=cpu=x\n",
       "slurm.conf line 1: invalid TRES \"cpu=x\" for maxtresperuser"},
      {"QOS=q MaxTRESPerUser=mem=lots\n",
       "slurm.conf line 1: invalid TRES \"mem=lots\" for maxtresperuser"},
      {"QOS=q MaxTRESPerUser=cpu\n", "slurm.conf line 1: invalid TRES \"cpu\" for maxtresperuser"},
      {"QOS=q MaxTRESRunMinsPerUser=billing=10\n",
       "slurm.conf line 1: unsupported TRES \"billing=10\" for maxtresrunminsperuser (cpu, mem, "
       "node or gres/gpu)"},
      {"QOS=q MaxTRESPerUser=gres/gpu:a100=2\n",
       "slurm.conf line 1: unsupported TRES \"gres/gpu:a100=2\" for maxtresperuser (cpu, mem, node "
       "or gres/gpu)"},
      {"QOS=q\nQOS=r MaxWall=soon\n", "slurm.conf line 2: invalid time \"soon\" for maxwall"},
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
