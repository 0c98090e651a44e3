#include "compat/slurm/job_env.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>

namespace sluice::compat::slurm {
namespace {

using core::model::Job;
using core::model::JobSpec;

std::map<std::string, std::string> AsMap(const std::vector<std::string>& env) {
  std::map<std::string, std::string> m;
  for (const auto& e : env) {
    size_t eq = e.find('=');
    m[e.substr(0, eq)] = e.substr(eq + 1);
  }
  return m;
}

Job MakeJob() {
  auto spec = std::make_shared<JobSpec>();
  spec->name = "train";
  spec->user = "alice";
  spec->uid = 1000;
  spec->gid = 100;
  spec->num_nodes = 3;
  spec->num_tasks = 7;
  spec->cpus_per_task = 2;
  spec->mem_per_node_mb = 4096;
  spec->work_dir = "/home/alice";
  spec->submit_host = "login1";
  spec->environment = {"PATH=/bin", "SLURM_JOB_ID=999", "HOME=/home/alice"};
  Job job;
  job.id = 42;
  job.spec = spec;
  job.partition = "gpu";
  job.state = core::model::JobState::kRunning;
  job.allocation = {{"n3", 4, 4096}, {"n1", 6, 4096}, {"n2", 4, 4096}};
  return job;
}

TEST(BuildJobEnvironment, SlurmAndSluiceVariables) {
  Job job = MakeJob();
  auto env = BuildJobEnvironment(job, "n1");
  auto m = AsMap(env);
  const std::pair<std::string, std::string> want[] = {
      {"SLURM_JOB_ID", "42"},
      {"SLURM_JOBID", "42"},
      {"SLURM_JOB_NAME", "train"},
      {"SLURM_JOB_NODELIST", "n[1-3]"},
      {"SLURM_NODELIST", "n[1-3]"},
      {"SLURM_NNODES", "3"},
      {"SLURM_JOB_NUM_NODES", "3"},
      {"SLURM_NTASKS", "7"},
      {"SLURM_NPROCS", "7"},
      {"SLURM_CPUS_PER_TASK", "2"},
      {"SLURM_CPUS_ON_NODE", "6"},
      {"SLURM_JOB_CPUS_PER_NODE", "4,6,4"},
      {"SLURM_TASKS_PER_NODE", "3,2(x2)"},
      {"SLURM_SUBMIT_DIR", "/home/alice"},
      {"SLURM_SUBMIT_HOST", "login1"},
      {"SLURM_JOB_PARTITION", "gpu"},
      {"SLURMD_NODENAME", "n1"},
      {"SLURM_NODEID", "1"},
      {"SLURM_JOB_USER", "alice"},
      {"SLURM_JOB_UID", "1000"},
      {"SLURM_MEM_PER_NODE", "4096"},
      {"SLUICE_JOB_ID", "42"},
      {"SLUICE_JOB_NAME", "train"},
      {"SLUICE_JOB_NODELIST", "n[1-3]"},
      {"SLUICE_NNODES", "3"},
      {"SLUICE_NTASKS", "7"},
      {"SLUICE_CPUS_ON_NODE", "6"},
      {"SLUICE_SUBMIT_DIR", "/home/alice"},
      {"SLUICE_JOB_PARTITION", "gpu"},
      {"SLUICE_NODENAME", "n1"},
      {"PATH", "/bin"},
      {"HOME", "/home/alice"},
  };
  for (const auto& [name, value] : want) EXPECT_EQ(m[name], value) << name;
  EXPECT_EQ(m.count("SLURM_MEM_PER_CPU"), 0u);
  // The submit environment's own SLURM_JOB_ID is replaced, not duplicated; order is kept.
  int count = 0;
  for (const auto& e : env) count += e.rfind("SLURM_JOB_ID=", 0) == 0;
  EXPECT_EQ(count, 1);
  EXPECT_EQ(env[0], "PATH=/bin");
  EXPECT_EQ(env[1], "HOME=/home/alice");
}

TEST(FormatCountsPerNode, Runs) {
  EXPECT_EQ(FormatCountsPerNode({2, 2, 2, 1}), "2(x3),1");
  EXPECT_EQ(FormatCountsPerNode({4}), "4");
  EXPECT_EQ(FormatCountsPerNode({}), "");
}

}  // namespace
}  // namespace sluice::compat::slurm
