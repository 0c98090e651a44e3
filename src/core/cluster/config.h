// ClusterConfig: what slurm.conf (or `sluice up`) says about the cluster, as plain values.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/time.h"
#include "core/model/node.h"

namespace sluice::core::cluster {

// A NodeName= line: one entry per node name, already expanded from its hostlist.
struct NodeConfig {
  std::string name;
  uint32_t cpus = 1;
  uint32_t sockets = 1;
  uint32_t cores_per_socket = 1;
  uint32_t threads_per_core = 1;
  uint64_t memory_mb = 1;  // RealMemory
};

struct ClusterConfig {
  std::string cluster_name = "sluice";
  std::vector<NodeConfig> nodes;
  std::vector<model::Partition> partitions;  // Nodes=ALL is expanded by the parser
  Seconds kill_wait = 30;           // KillWait: SIGTERM to SIGKILL at a time limit or cancel
  Seconds min_job_age = 300;        // MinJobAge: how long finished jobs stay visible
  Seconds node_timeout = 300;       // SlurmdTimeout: a silent node is DOWN after this
  uint64_t def_mem_per_cpu_mb = 0;  // DefMemPerCPU; 0: a node's memory / its CPUs
  uint32_t first_job_id = 1;        // FirstJobId
};

}  // namespace sluice::core::cluster
