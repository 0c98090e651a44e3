// Job and JobSpec: what a user asked for and what became of it. Plain values, no I/O.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/time.h"

namespace sluice::core::model {

using JobId = uint32_t;

// Slurm's job states, by the same names.
enum class JobState : uint8_t {
  kPending,
  kRunning,
  kCompleting,  // the end was requested (cancel); waiting for the node to confirm
  kCompleted,
  kFailed,
  kCancelled,
  kTimeout,
  kNodeFail,
};

std::string_view JobStateName(JobState s);                  // "PENDING"
std::string_view JobStateShort(JobState s);                 // "PD"
std::optional<JobState> ParseJobState(std::string_view s);  // accepts both forms, any case
bool IsFinished(JobState s);                                // a terminal state

// Why a job is pending (or None); Slurm's reason names.
enum class Reason : uint8_t {
  kNone,
  kPriority,
  kResources,
  kPartitionTimeLimit,
  kPartitionDown,
  kJobHeldUser,
  kBeginTime,
  kNodeDown,
  kPartitionNodeLimit,  // asks more nodes than the partition's MaxNodes
  kReqNodeNotAvail,     // a node named with -w is down or not responding
  kReservation,         // waiting for its advance reservation to begin
  // QOS limits (core/policy/limits.h). The run-minutes names are Slurm 24.05's, which first
  // enforced MaxTRESRunMinsPerUser.
  kQosMaxJobsPerUserLimit,         // MaxJobsPerUser running already
  kQosMaxCpuPerUserLimit,          // MaxTRESPerUser cpu
  kQosMaxMemoryPerUser,            // MaxTRESPerUser mem
  kQosMaxNodePerUserLimit,         // MaxTRESPerUser node
  kQosMaxGresPerUser,              // MaxTRESPerUser gres/gpu
  kQosMaxWallDurationPerJobLimit,  // the job's time limit exceeds MaxWall
  kMaxCpuRunMinsPerUser,           // MaxTRESRunMinsPerUser cpu
  kMaxMemoryRunMinsPerUser,        // MaxTRESRunMinsPerUser mem
  kMaxNodeRunMinsPerUser,          // MaxTRESRunMinsPerUser node
  kMaxGresRunMinsPerUser,          // MaxTRESRunMinsPerUser gres/gpu
};
std::string_view ReasonName(Reason r);
std::optional<Reason> ParseReason(std::string_view s);

// What the user submitted. Immutable once the job exists.
struct JobSpec {
  std::string name;  // -J; sbatch defaults it to the script's base name or "wrap"
  std::string user;  // submitting user's name
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::string group;
  std::string partition;                 // -p; empty: the default partition
  uint32_t num_nodes = 0;                // -N; 0: as few as the tasks need
  uint32_t num_tasks = 0;                // -n; 0: one per node
  uint32_t cpus_per_task = 1;            // -c
  uint64_t mem_per_node_mb = 0;          // --mem; 0: not given
  uint64_t mem_per_cpu_mb = 0;           // --mem-per-cpu; 0: not given
  std::optional<Seconds> time_limit;     // -t; nullopt: partition DefaultTime; kUnlimited allowed
  std::string work_dir;                  // -D, else the submit directory (absolute)
  std::string stdout_path;               // -o pattern, unexpanded; empty: slurm-%j.out
  std::string stderr_path;               // -e pattern, unexpanded; empty: with stdout
  std::string script;                    // the whole batch script text
  std::string command;                   // the script's path as given to sbatch, empty for --wrap
  std::vector<std::string> argv;         // arguments after the script
  std::vector<std::string> environment;  // "NAME=value", the submit environment
  std::string submit_host;
  bool hold = false;                  // --hold
  uint32_t ntasks_per_node = 0;       // --ntasks-per-node; 0: not given
  uint32_t ntasks_per_socket = 0;     // --ntasks-per-socket: at most this many tasks per socket
  bool exclusive = false;             // --exclusive: whole nodes
  std::vector<std::string> nodelist;  // -w/--nodelist, expanded: every one must be allocated
  std::vector<std::string> exclude;   // -x/--exclude, expanded: none of these
  std::string constraint;             // -C/--constraint: node features, Slurm's & | [a|b] syntax
  std::string account;                // -A/--account; empty: the user's default account
  std::string qos;                    // -q/--qos; empty: the default QOS
  int32_t nice = 0;                   // --nice: lowers (or, for root, raises) the priority
  // GPU requests, whole GPUs (exclusive to the job) or shares of one GPU.
  uint32_t gpus = 0;           // --gpus (total over the job)
  uint32_t gpus_per_node = 0;  // --gpus-per-node, --gres=gpu[:type]:N
  uint32_t gpus_per_task = 0;  // --gpus-per-task
  std::string gpu_type;        // --gres=gpu:TYPE:N, --gpus=TYPE:N
  uint32_t mps_percent = 0;    // --gres=mps:P: P percent of one GPU per node
  uint32_t shards = 0;         // --gres=shard:N: N shards of one GPU per node
  uint64_t gpu_memory_mb = 0;  // --gpu-mem (Sluice): the GPU memory an MPS job needs
  std::string reservation;     // --reservation
  // --placement (Sluice's): the node placement policy for this job, a scheduler Score plugin
  // name (best-fit, compact, spread, locality; see core/sched/framework.h); empty: the
  // partition's Placement=, else the cluster's SchedulerPlacement=.
  std::string placement;
};

// The normalized multifactor priority factors of a pending job, its nice value and the priority
// they give (see core/policy/priority.h for the formula).
struct PriorityFactors {
  double age = 0;
  double fairshare = 0;
  double job_size = 0;
  double partition = 0;
  double qos = 0;
  int32_t nice = 0;
  uint32_t priority = 0;
};

// A GPU (or part of one) given to a job on a node.
struct GpuAllocation {
  uint32_t index = 0;
  uint32_t shares = 0;     // 0: the whole GPU; else MPS percent or shards
  uint64_t memory_mb = 0;  // MPS: the GPU memory limit promised
};

// One node's share of an allocation.
// Which CPUs (hardware threads) of a node a job holds, ascending. Most allocations are one run
// of ids (a whole node, or a block of one), held without a heap allocation, since a replay
// starts jobs on millions of nodes; others are listed.
class CpuIds {
 public:
  CpuIds() = default;
  CpuIds(std::initializer_list<uint32_t> ids) {
    for (uint32_t id : ids) push_back(id);
  }
  // The ids [first, first + count).
  static CpuIds Run(uint32_t first, uint32_t count) {
    CpuIds ids;
    ids.first_ = first;
    ids.count_ = count;
    return ids;
  }
  // Appends `id` (above every id held, to keep them ascending).
  void push_back(uint32_t id);
  void clear() {
    first_ = count_ = 0;
    list_.clear();
  }
  size_t size() const { return list_.empty() ? count_ : list_.size(); }
  bool empty() const { return size() == 0; }
  // f(first, count) for each run of consecutive ids, in order.
  template <typename F>
  void ForEachRun(F&& f) const {
    if (list_.empty()) {
      if (count_ > 0) f(first_, count_);
      return;
    }
    for (size_t i = 0; i < list_.size();) {
      size_t j = i + 1;
      while (j < list_.size() && list_[j] == list_[j - 1] + 1) ++j;
      f(list_[i], static_cast<uint32_t>(j - i));
      i = j;
    }
  }
  // f(id) for each id, in order.
  template <typename F>
  void ForEach(F&& f) const {
    ForEachRun([&](uint32_t first, uint32_t count) {
      for (uint32_t i = 0; i < count; ++i) f(first + i);
    });
  }
  std::vector<uint32_t> ToVector() const;
  bool operator==(const CpuIds& o) const { return ToVector() == o.ToVector(); }

 private:
  uint32_t first_ = 0, count_ = 0;  // the run, while list_ is empty
  std::vector<uint32_t> list_;      // the ids, once they are not one run
};

struct NodeAllocation {
  std::string node;
  uint32_t cpus = 0;
  uint64_t memory_mb = 0;
  std::vector<GpuAllocation> gpus;
  CpuIds cpu_ids;  // which CPUs (hardware threads) of the node
};

// A job as the controller knows it. Shared immutably between state versions; see ClusterState.
struct Job {
  JobId id = 0;
  std::shared_ptr<const JobSpec> spec;  // shared: never changes and is large (script, env)
  JobState state = JobState::kPending;
  Reason reason = Reason::kNone;
  bool held = false;
  uint32_t priority = 0;
  std::string partition;            // resolved partition name
  Seconds time_limit = kUnlimited;  // resolved limit
  UnixTime submit_time = 0;
  UnixTime start_time = 0;
  UnixTime end_time = 0;
  std::vector<NodeAllocation> allocation;  // empty while pending
  uint32_t min_nodes = 1;       // -N, or the fewest nodes the request can fit on (squeue's NODES)
  PriorityFactors factors;      // pending, priority/multifactor: as of the last calculation
  UnixTime expected_start = 0;  // pending: the planned start (squeue --start); 0: none
  int exit_code = 0;            // the batch script's exit status
  int term_signal = 0;          // the signal that ended it, 0 if none
  uint32_t restarts = 0;
  JobState final_state = JobState::kCancelled;  // while COMPLETING: the state it ends in

  uint32_t NumNodes() const;  // allocated nodes, or the requested count while pending
  uint32_t NumTasks() const;
  uint32_t NumCpus() const;       // allocated CPUs, or requested while pending
  uint64_t MemPerNodeMb() const;  // the larger of the allocated per-node memory amounts
  std::vector<std::string> NodeNames() const;
};

using JobPtr = std::shared_ptr<const Job>;  // shared: views and state versions hold the same job

}  // namespace sluice::core::model
