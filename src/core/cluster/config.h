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
  uint64_t memory_mb = 1;             // RealMemory
  std::vector<std::string> features;  // Feature= (Slurm's Features= too)
  uint32_t weight = 1;                // Weight=
  std::vector<model::Gpu> gpus;       // Gres=gpu:TYPE:N (+ gres.conf or the agent's inventory)
  double gpu_overprovision_threshold = 0.5;
};

// The queue policy and Slurm's backfill knobs (SchedulerType, SchedulerParameters).
struct SchedulerConfig {
  std::string policy = "easy";         // fifo (sched/builtin), easy (sched/backfill), conservative
  Seconds bf_window = 86400;           // bf_window (minutes in slurm.conf): how far ahead to plan
  Seconds bf_resolution = 60;          // bf_resolution (seconds): planner time granularity
  uint32_t bf_max_job_test = 500;      // bf_max_job_test: jobs given a planned start per pass
  uint32_t default_queue_depth = 100;  // default_queue_depth: jobs the quick pass examines
  bool bf_continue = false;            // bf_continue
  // bf_interval (seconds): how often the full backfill pass runs. Between full passes, each
  // batch of commands gets a quick pass over the first default_queue_depth jobs, which only
  // starts what fits in order (Slurm's main scheduler). Slurm's default is 30; Sluice's full
  // pass is fast enough to run every second.
  Seconds bf_interval = 1;
  // SchedulerPlacement= (Sluice's): the node placement policy of jobs and partitions naming
  // none: best-fit, compact, spread or locality (core/sched/framework.h).
  std::string placement = "best-fit";
  // GpuPlacement= (Sluice's): which GPUs of a node a job gets: least-occupied or utilization.
  std::string gpu_placement = "least-occupied";
  // Not in slurm.conf: whether a pass works out why each waiting job waits (squeue's REASON,
  // Priority or Resources). `sluice sim` shows no reasons and turns it off; decisions are the
  // same either way.
  bool pending_reasons = true;
};

// An account in the fair-share tree (Slurm keeps these in slurmdbd; Sluice reads them from the
// configuration for now: `Account=NAME Parent=NAME Fairshare=N`).
struct AccountConfig {
  std::string name;
  std::string parent;  // empty: below root
  uint32_t fairshare = 1;
};

// A user's association with an account (`User=NAME Account=NAME Fairshare=N [Default=YES]`).
struct UserConfig {
  std::string name;
  std::string account;
  uint32_t fairshare = 1;
  bool is_default = false;
};

// Trackable resources (Slurm's TRES) a QOS limit counts; 0 is no limit. `gpu` is gres/gpu, whole
// GPUs (MPS and shard allocations do not count).
struct Tres {
  uint64_t cpu = 0;
  uint64_t mem_mb = 0;
  uint64_t node = 0;
  uint64_t gpu = 0;
};

// A QOS (`QOS=NAME Priority=N [limits]`) and its per-user limits, Slurm's names; 0: no limit.
// Enforced by core/policy/limits.h.
struct QosConfig {
  std::string name;
  uint32_t priority = 0;
  uint32_t max_jobs_per_user = 0;         // MaxJobsPerUser: running jobs
  uint32_t max_submit_jobs_per_user = 0;  // MaxSubmitJobsPerUser: pending and running jobs
  Tres max_tres_per_user;                 // MaxTRESPerUser: TRES of the user's running jobs
  Seconds max_wall = 0;                   // MaxWall: the longest time limit of a job
  Tres max_tres_run_mins_per_user;        // MaxTRESRunMinsPerUser: sum over running jobs of
                                          // TRES * minutes left of their time limit
};

// PriorityType and the multifactor plugin's settings, with Slurm's names and defaults.
struct PriorityConfig {
  std::string type = "priority/basic";  // or priority/multifactor
  uint32_t weight_age = 0;
  uint32_t weight_fairshare = 0;
  uint32_t weight_job_size = 0;
  uint32_t weight_partition = 0;
  uint32_t weight_qos = 0;
  Seconds max_age = 7 * 86400;          // PriorityMaxAge
  Seconds decay_half_life = 7 * 86400;  // PriorityDecayHalfLife
  bool favor_small = false;             // PriorityFavorSmall
  Seconds calc_period = 300;            // PriorityCalcPeriod: how often pending jobs are rescored
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
  SchedulerConfig scheduler;
  PriorityConfig priority;
  std::vector<AccountConfig> accounts;
  std::vector<UserConfig> users;
  std::vector<QosConfig> qos;
};

}  // namespace sluice::core::cluster
