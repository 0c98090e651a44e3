#include "compat/slurm/job_env.h"

#include <algorithm>
#include <set>
#include <utility>

#include "common/strings.h"
#include "compat/slurm/hostlist.h"

namespace sluice::compat::slurm {

std::string FormatCountsPerNode(const std::vector<uint32_t>& counts) {
  std::string out;
  size_t i = 0;
  while (i < counts.size()) {
    size_t j = i;
    while (j + 1 < counts.size() && counts[j + 1] == counts[i]) ++j;
    if (!out.empty()) out += ',';
    out += std::to_string(counts[i]);
    if (j > i) out += "(x" + std::to_string(j - i + 1) + ")";
    i = j + 1;
  }
  return out;
}

std::vector<std::string> BuildJobEnvironment(const core::model::Job& job,
                                             std::string_view node_name) {
  const core::model::JobSpec& spec = *job.spec;
  std::vector<std::string> names = job.NodeNames();
  std::string nodelist = CompressHostlist(names);
  uint32_t num_nodes = job.NumNodes();
  uint32_t num_tasks = job.NumTasks();

  uint32_t cpus_on_node = 0;
  uint32_t node_id = 0;
  std::vector<uint32_t> cpus_per_node;
  for (size_t i = 0; i < job.allocation.size(); ++i) {
    const auto& a = job.allocation[i];
    cpus_per_node.push_back(a.cpus);
    if (a.node == node_name) {
      cpus_on_node = a.cpus;
      node_id = static_cast<uint32_t>(i);
    }
  }
  // Tasks spread in blocks over the allocated nodes, the first ones taking the remainder.
  std::vector<uint32_t> tasks_per_node;
  for (uint32_t i = 0; i < num_nodes; ++i) {
    tasks_per_node.push_back(num_tasks / num_nodes + (i < num_tasks % num_nodes ? 1 : 0));
  }

  std::vector<std::pair<std::string, std::string>> vars = {
      {"SLURM_JOB_ID", std::to_string(job.id)},
      {"SLURM_JOBID", std::to_string(job.id)},
      {"SLURM_JOB_NAME", spec.name},
      {"SLURM_JOB_NODELIST", nodelist},
      {"SLURM_NODELIST", nodelist},
      {"SLURM_NNODES", std::to_string(num_nodes)},
      {"SLURM_JOB_NUM_NODES", std::to_string(num_nodes)},
      {"SLURM_NTASKS", std::to_string(num_tasks)},
      {"SLURM_NPROCS", std::to_string(num_tasks)},
      {"SLURM_CPUS_PER_TASK", std::to_string(std::max<uint32_t>(spec.cpus_per_task, 1))},
      {"SLURM_CPUS_ON_NODE", std::to_string(cpus_on_node)},
      {"SLURM_JOB_CPUS_PER_NODE", FormatCountsPerNode(cpus_per_node)},
      {"SLURM_TASKS_PER_NODE", FormatCountsPerNode(tasks_per_node)},
      {"SLURM_SUBMIT_DIR", spec.work_dir},
      {"SLURM_SUBMIT_HOST", spec.submit_host},
      {"SLURM_JOB_PARTITION", job.partition},
      {"SLURMD_NODENAME", std::string(node_name)},
      {"SLURM_NODEID", std::to_string(node_id)},
      {"SLURM_PROCID", "0"},
      {"SLURM_LOCALID", "0"},
      {"SLURM_JOB_USER", spec.user},
      {"SLURM_JOB_UID", std::to_string(spec.uid)},
      {"SLURM_JOB_GID", std::to_string(spec.gid)},
  };
  if (spec.mem_per_node_mb > 0) {
    vars.emplace_back("SLURM_MEM_PER_NODE", std::to_string(spec.mem_per_node_mb));
  }
  if (spec.mem_per_cpu_mb > 0) {
    vars.emplace_back("SLURM_MEM_PER_CPU", std::to_string(spec.mem_per_cpu_mb));
  }
  for (const auto& a : job.allocation) {
    if (a.node != node_name || a.cpu_ids.empty()) continue;
    std::vector<std::string> ids;
    a.cpu_ids.ForEach([&](uint32_t id) { ids.push_back(std::to_string(id)); });
    vars.emplace_back("SLUICE_CPU_IDS", str::Join(ids, ","));
  }
  // GPUs on this node: whole ones by index (Slurm's gres/gpu variables), or the MPS share.
  for (const auto& a : job.allocation) {
    if (a.node != node_name || a.gpus.empty()) continue;
    std::vector<std::string> whole;
    for (const auto& g : a.gpus) {
      if (g.shares == 0) whole.push_back(std::to_string(g.index));
    }
    if (!whole.empty()) {
      const std::string list = str::Join(whole, ",");
      vars.emplace_back("CUDA_VISIBLE_DEVICES", list);
      vars.emplace_back("GPU_DEVICE_ORDINAL", list);
      vars.emplace_back("SLURM_JOB_GPUS", list);
      vars.emplace_back("SLURM_GPUS_ON_NODE", std::to_string(whole.size()));
    } else {
      const auto& g = a.gpus.front();
      vars.emplace_back("CUDA_VISIBLE_DEVICES", std::to_string(g.index));
      if (spec.mps_percent > 0) {
        vars.emplace_back("CUDA_MPS_ACTIVE_THREAD_PERCENTAGE", std::to_string(g.shares));
        if (g.memory_mb > 0) {
          vars.emplace_back("CUDA_MPS_PINNED_DEVICE_MEM_LIMIT",
                            std::to_string(g.index) + "=" + std::to_string(g.memory_mb) + "M");
        }
      } else {
        vars.emplace_back("SLURM_SHARDS_ON_NODE", std::to_string(g.shares));
      }
    }
  }
  std::vector<std::pair<std::string, std::string>> sluice_vars = {
      {"SLUICE_JOB_ID", std::to_string(job.id)},
      {"SLUICE_JOB_NAME", spec.name},
      {"SLUICE_JOB_NODELIST", nodelist},
      {"SLUICE_NNODES", std::to_string(num_nodes)},
      {"SLUICE_NTASKS", std::to_string(num_tasks)},
      {"SLUICE_CPUS_ON_NODE", std::to_string(cpus_on_node)},
      {"SLUICE_SUBMIT_DIR", spec.work_dir},
      {"SLUICE_JOB_PARTITION", job.partition},
      {"SLUICE_NODENAME", std::string(node_name)},
  };
  vars.insert(vars.end(), sluice_vars.begin(), sluice_vars.end());

  std::set<std::string, std::less<>> overridden;
  for (const auto& [name, value] : vars) overridden.insert(name);

  std::vector<std::string> env;
  env.reserve(spec.environment.size() + vars.size());
  for (const std::string& entry : spec.environment) {
    std::string_view name = std::string_view(entry).substr(0, entry.find('='));
    if (overridden.count(name) == 0) env.push_back(entry);
  }
  for (const auto& [name, value] : vars) env.push_back(name + "=" + value);
  return env;
}

}  // namespace sluice::compat::slurm
