// Node and Partition: the machines and how they are grouped. Plain values, no I/O.
#pragma once

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/time.h"

namespace sluice::core::model {

// The base state Slurm shows; "responding" is kept apart (Slurm's '*' suffix).
enum class NodeState : uint8_t { kUnknown, kIdle, kMixed, kAllocated, kDown };
std::string_view NodeStateName(NodeState s);        // "IDLE"
std::string_view NodeStateShortLower(NodeState s);  // sinfo's "idle", "mix", "alloc", "down", "unk"

// One GPU of a node. Used whole (one job) or shared (MPS percentages or shards), never both.
struct Gpu {
  uint32_t index = 0;  // the node-local index (nvidia-smi's)
  std::string type;    // e.g. "h100"; --gres=gpu:TYPE:N matches it
  std::string uuid;    // for CUDA_VISIBLE_DEVICES
  uint64_t memory_mb = 0;
  uint32_t socket = 0;            // the socket (NUMA domain) it hangs off, for locality
  uint32_t share_capacity = 100;  // MPS percent (or shards) it offers; > 100 overprovisions
  uint32_t shares_used = 0;       // MPS percent / shards held by running jobs
  uint64_t memory_used_mb = 0;    // GPU memory promised to MPS jobs
  bool whole = false;             // held whole by one job
  double utilization = 0;         // last reported, 0..1 (NVML); gates overprovisioned shares
};

// Which of a node's CPU ids running jobs hold, a bit an id. Up to 128 ids the bits are held
// inline, beside the node's counts, rather than in a heap block of their own that every start
// and end on the node reached for apart (a cache miss a node, thousands for a wide job).
class CpuUse {
 public:
  CpuUse() = default;
  CpuUse(std::initializer_list<bool> used);
  size_t size() const { return size_; }
  // Whether CPU `id` is in use (false past the end).
  bool operator[](size_t id) const {
    return id < size_ && ((Words()[id / 64] >> (id % 64)) & 1) != 0;
  }
  // `n` ids, all free.
  void Reset(size_t n);
  // `n` ids, those kept as they were and new ones free.
  void Resize(size_t n);
  // Marks ids [first, last), clipped to the size, used or free.
  void Set(size_t first, size_t last, bool used);

 private:
  static constexpr size_t kInlineWords = 2;
  bool Inline() const { return size_ <= 64 * kInlineWords; }
  const uint64_t* Words() const { return Inline() ? inline_ : heap_.data(); }
  uint64_t* Words() { return Inline() ? inline_ : heap_.data(); }
  uint32_t size_ = 0;
  uint64_t inline_[kInlineWords] = {};
  std::vector<uint64_t> heap_;  // past kInlineWords words
};

// The most CPUs (and sockets, cores a socket, threads a core) one node may have: Slurm keeps
// these counts in 16 bits and refuses larger ones in slurm.conf. Per-CPU state (CpuUse) is
// sized by them, so a count of billions from a typo or a corrupt registration would exhaust
// memory rather than be refused.
inline constexpr uint32_t kMaxNodeCpus = 65535;

// What every pass and every start or end reads of a node comes first, within its first two
// cache lines (names, lists and labels after).
struct Node {
  uint32_t cpus = 0;
  uint32_t alloc_cpus = 0;
  uint64_t memory_mb = 0;
  uint64_t alloc_memory_mb = 0;
  uint32_t sockets = 1;
  uint32_t weight = 1;      // Weight=: lower-weight nodes are allocated first
  bool responding = false;  // the agent is connected
  bool down = false;        // declared DOWN (did not come back within the node timeout)
  bool drain = false;       // scontrol update State=DRAIN: no new jobs; running ones finish
  bool held_down = false;   // State=DOWN by an administrator: down until State=RESUME
  UnixTime last_seen = 0;   // the agent's last registration or message
  // A share beyond 100% of a GPU is granted only while its utilization is below this (0..1).
  double gpu_overprovision_threshold = 0.5;
  std::vector<Gpu> gpus;
  CpuUse cpu_in_use;  // by CPU id; ids run socket by socket, core by core
  std::string name;
  uint32_t cores_per_socket = 1;
  uint32_t threads_per_core = 1;
  std::string reason;       // why it is down or drained
  std::string reason_user;  // who gave the reason (scontrol update); empty: the controller
  UnixTime reason_time = 0;
  UnixTime boot_time = 0;
  UnixTime agent_start_time = 0;
  std::string arch;
  std::string os;
  std::string address;  // where the agent runs (host name)
  std::vector<std::string> partitions;
  std::vector<std::string> features;  // Feature= in slurm.conf; --constraint matches these

  NodeState State() const;
  uint32_t FreeCpus() const { return cpus - alloc_cpus; }
  // The socket CPU `id` belongs to (CPUs are numbered socket by socket).
  uint32_t SocketOf(uint32_t id) const {
    const uint32_t per_socket = cpus / (sockets > 0 ? sockets : 1);
    return per_socket > 0 ? std::min(id / per_socket, sockets > 0 ? sockets - 1 : 0) : 0;
  }
  uint64_t FreeMemoryMb() const { return memory_mb - alloc_memory_mb; }
  bool Usable() const { return responding && !down && !drain; }
};

struct Partition {
  std::string name;
  std::vector<std::string> nodes;  // expanded node names
  std::string nodes_expr;          // as configured (hostlist or ALL)
  bool is_default = false;
  // Slurm's State=: UP runs and takes jobs, DOWN takes but does not run them, DRAIN runs its
  // queue but takes no new job, INACTIVE neither.
  bool up = true;            // its jobs may start (UP, DRAIN)
  bool accepts_jobs = true;  // new jobs may be submitted to it (UP, DOWN)
  std::string updated_by;    // who last set State= or MaxTime= (scontrol update); empty:
                             // as configured
  // What slurm.conf said when they were set: a restart keeps the administrator's State= and
  // MaxTime= only while slurm.conf still says this (an edited slurm.conf wins).
  bool configured_up = true;
  bool configured_accepts_jobs = true;
  Seconds configured_max_time = kUnlimited;
  Seconds max_time = kUnlimited;
  std::optional<Seconds> default_time;  // nullopt: MaxTime applies (Slurm's NONE)
  uint64_t def_mem_per_cpu_mb = 0;      // 0: unset, cluster default applies
  uint32_t max_nodes = 0;               // MaxNodes per job; 0: UNLIMITED
  uint32_t max_cpus_per_node = 0;       // MaxCPUsPerNode; 0: UNLIMITED
  uint32_t priority_job_factor = 1;     // PriorityJobFactor: the partition factor of priority
  // Placement= (Sluice's): the node placement policy of its jobs that name none (a scheduler
  // Score plugin name); empty: the cluster's SchedulerPlacement=.
  std::string placement;
};

// Slurm's name for a partition's State=: "UP", "DOWN", "DRAIN" or "INACTIVE".
std::string_view PartitionStateName(const Partition& p);

using NodePtr = std::shared_ptr<const Node>;            // shared: views hold the same node
using PartitionPtr = std::shared_ptr<const Partition>;  // shared: views hold the same partition

}  // namespace sluice::core::model
