// The scheduler core: one pass over the pending queue decides which jobs start now, on which
// nodes, and when the others are expected to start. Pure logic: the caller hands in a snapshot of
// the nodes, the running jobs and the queue, and `now`.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "common/time.h"
#include "core/cluster/config.h"
#include "core/model/job.h"
#include "core/model/node.h"

namespace sluice::core::sched {

// A resource vector: what a node has, what a job takes on one node, what is free.
struct Resources {
  // Written (cpus, memory_mb, gpus), as the constructor takes them; kept as 16 bytes without
  // padding: planner steps and node views copy them by the million, and a padded 24-byte copy
  // read back at once stalled on store forwarding.
  uint32_t cpus = 0;
  uint32_t gpus = 0;
  uint64_t memory_mb = 0;

  constexpr Resources() = default;
  constexpr Resources(uint32_t cpus_, uint64_t memory_mb_, uint32_t gpus_)
      : cpus(cpus_), gpus(gpus_), memory_mb(memory_mb_) {}

  // True when every component is <= free's. (These are inline: the planner's step arithmetic
  // calls them by the million from another translation unit.)
  bool FitsIn(const Resources& free) const {
    return cpus <= free.cpus && memory_mb <= free.memory_mb && gpus <= free.gpus;
  }
  // Componentwise; -= saturates at zero rather than wrapping on inconsistent input.
  Resources& operator+=(const Resources& o) {
    cpus += o.cpus;
    memory_mb += o.memory_mb;
    gpus += o.gpus;
    return *this;
  }
  Resources& operator-=(const Resources& o) {
    cpus = cpus > o.cpus ? cpus - o.cpus : 0;
    memory_mb = memory_mb > o.memory_mb ? memory_mb - o.memory_mb : 0;
    gpus = gpus > o.gpus ? gpus - o.gpus : 0;
    return *this;
  }
  friend bool operator==(const Resources&, const Resources&) = default;
};

// Resources a running job holds on a node until `end` (start + time limit; kUnlimited: never).
struct Release {
  UnixTime end = 0;
  Resources resources;
};

// A node as one pass sees it.
struct NodeInfo {
  // What a pass reads of every node it looks at comes first, in one cache line.
  Resources total;
  Resources free;  // free now
  // The running jobs' resources here (already taken from `free`) and when they return: the
  // same as listing those jobs in RunPass's `running`, for a caller that keeps its nodes
  // between passes (a job must not be given both ways).
  std::vector<Release> releases;
  bool usable = true;  // responding, not down: jobs may start here now
  uint32_t sockets = 1;
  uint32_t weight = 1;  // Slurm's Weight: lower first
  // The node's GPUs as they are now (shares and memory in use, held whole, last utilization).
  // When non-empty, total.gpus must be gpus.size() and free.gpus the number neither held whole
  // nor shared (SetGpus does both). Empty: GPUs are only counted (total.gpus), so only untyped
  // whole-GPU requests can use them, and decisions name no GPU indexes.
  std::vector<model::Gpu> gpus;
  // A share beyond 100% of a GPU is granted only while its utilization is below this (0..1).
  double gpu_overprovision_threshold = 0.5;
  std::string name;
};

// Sets node->gpus and derives total.gpus and free.gpus from it (free: neither whole nor shared).
void SetGpus(NodeInfo* node, std::vector<model::Gpu> gpus);

// A running job: holds its resources until `end`. A job holding GPU shares (MPS, shards) holds
// no whole GPUs: its Resources::gpus is 0 on every node (its GPUs' use is in NodeInfo::gpus).
//
// A future hold (an advance reservation that has not begun): `start` > now. Its resources are
// held only over [start, end), so NodeInfo::free must still count them as free now; a job may
// start on those nodes now only if it ends (by its time limit) before `start`, and plans avoid
// the window. The start is rounded down and the end up to bf_resolution, so the window the
// planner holds may be wider than asked, never narrower.
struct RunningJob {
  model::JobId id = 0;
  UnixTime end = 0;  // start + time limit (kUnlimited limits: the far future)
  std::vector<std::pair<uint32_t, Resources>> alloc;  // node index, resources on it
  UnixTime start = 0;  // > now: a future hold over [start, end); else held from now on
};

// JobRequest::candidate_set value meaning "use the job's own `candidates` vector".
inline constexpr uint32_t kOwnCandidates = std::numeric_limits<uint32_t>::max();

// A pending job, resolved by the caller (partition, defaults, features already applied).
struct JobRequest {
  model::JobId id = 0;
  uint32_t tasks = 1;
  uint32_t cpus_per_task = 1;
  uint32_t nodes = 0;             // exactly this many nodes; 0: as few as fit
  uint32_t tasks_per_node = 0;    // --ntasks-per-node; 0: free
  uint32_t tasks_per_socket = 0;  // --ntasks-per-socket: at most this x the node's sockets
  uint64_t mem_per_node_mb = 0;   // per node when > 0
  uint64_t mem_per_cpu_mb = 0;    // else CPUs on the node x this (0: no memory asked)
  uint32_t gpus_per_node = 0;     // whole GPUs on each node (exclusive to the job)
  std::string gpu_type;           // only GPUs of this type count (whole and shared); empty: any
  // Shares of ONE GPU on each node: MPS percent and shards count against the same per-GPU
  // share capacity (Gpu::share_capacity), so a job asking both takes their sum on one GPU.
  uint32_t mps_percent = 0;
  uint32_t shards = 0;
  uint64_t gpu_memory_mb = 0;  // shared requests: GPU memory needed on that GPU (0: not asked)
  bool exclusive = false;      // whole nodes: the job takes all of each node it gets
  Seconds time_limit = 3600;   // kUnlimited allowed
  // Node indexes it may use (partition, -w/-x, features): already filtered. Ignored when
  // `candidate_set` names a shared list.
  std::vector<uint32_t> candidates;
  std::vector<uint32_t> required;  // node indexes it must get (-w); subset of the candidates
  // Index into RunPass's `candidate_sets`: jobs of one partition share one list instead of each
  // carrying 10,000 indexes (which at 100,000 jobs would not fit in memory). kOwnCandidates: use
  // `candidates`. Jobs with equal own vectors are also shared, at the cost of hashing them.
  uint32_t candidate_set = kOwnCandidates;
  // A partition's MaxCPUsPerNode: by node index, how many more CPUs jobs of `cap_group` may take
  // there (borrowed for the call; null: no cap). The pass charges jobs it starts against it.
  const std::vector<uint32_t>* cpu_caps = nullptr;
  uint32_t cap_group = 0;
  // The job's node placement policy, a Score plugin name (framework.h: best-fit, compact,
  // spread, locality, ...); empty: Options::placement. The caller validates it (KnownPlacement);
  // an unknown name falls back to Options::placement.
  std::string placement;
};

// The pass's knobs, from SchedulerConfig.
struct Options {
  enum class Policy { kFifo, kEasy, kConservative } policy = Policy::kEasy;
  Seconds bf_window = 86400;       // plans reaching further than this are "no start time"
  Seconds bf_resolution = 60;      // planner time granularity; planned times round up to it
  uint32_t bf_max_job_test = 500;  // planner queries (so reservations and expected starts) a pass
  // Not used by RunPass, which examines the whole queue it is given: the caller's quick pass
  // hands it only the first default_queue_depth jobs with policy kFifo.
  uint32_t default_queue_depth = 100;
  bool bf_continue = false;  // accepted for Slurm compatibility; a pass never yields
  // Score plugin name for node choice of jobs naming none (JobRequest::placement); unknown:
  // best-fit. See framework.h for the built-ins.
  std::string placement = "best-fit";
  // GPU score plugin name for GPU choice within a node: "least-occupied" (fewest shares in use)
  // or "utilization" (lowest reported utilization); unknown: least-occupied.
  std::string gpu_placement = "least-occupied";
  // Whether a waiting job's Decision::reason says Priority or Resources (a fit test against the
  // free resources alone, for every waiting job at every pass); without, it is kNone. Nothing
  // else depends on it (SchedulerConfig::pending_reasons).
  bool pending_reasons = true;

  // Maps the configuration; InvalidArgument for an unknown policy, placement or GPU placement
  // (names checked against Registry::Global()), or a non-positive window or resolution.
  static Result<Options> FromConfig(const cluster::SchedulerConfig& config);
};

// The verdict on one examined job.
struct Decision {
  model::JobId id = 0;
  bool start = false;                                 // start now on `alloc`
  std::vector<std::pair<uint32_t, Resources>> alloc;  // when start; ascending node index
  // When start: parallel to `alloc`, the GPUs given on each node: whole GPUs (shares 0) or the
  // one shared GPU (shares = mps_percent + shards, memory_mb = gpu_memory_mb). Empty on nodes
  // without GPU requests or without a GPU list (NodeInfo::gpus).
  std::vector<std::vector<model::GpuAllocation>> gpus;
  // When !start: the planned start; 0 when none within bf_window or not planned.
  UnixTime expected_start = 0;
  // When !start: kResources or kPriority (kNone without Options::pending_reasons).
  model::Reason reason = model::Reason::kNone;
  // When !start: the verdict bears on the jobs behind it (a planner query was spent on it, or
  // it blocks a fifo queue). A pass after nothing but new submissions need look only at these
  // jobs and the new ones (see ClusterState::Schedule).
  bool anchor = false;
};

// Counters of one pass.
struct PassStats {
  uint32_t examined = 0, started = 0, reserved = 0;
  uint32_t kept = 0;  // of the reserved: the last pass's reservations made again unplanned
};

// One scheduling pass over `queue`, already in priority order (highest first). Returns one
// Decision per job it examined, in queue order; jobs not examined keep their previous reason.
// Every job is examined; kPriority means "fits the free resources but a higher-priority job
// comes first", kResources "does not fit (yet)". Never fails: a request that can never fit is a
// kResources verdict with no start time.
//
// GPUs: whole GPUs are planned as a count per node (Resources::gpus), so a whole-GPU job gets
// reservations and planned starts like CPUs; a typed request is planned against the untyped
// count of nodes that have enough GPUs of its type (exact on nodes of one GPU type). Which GPUs
// a starting job gets is chosen from NodeInfo::gpus: whole GPUs only among those neither whole
// nor shared, a share only on a GPU not held whole, with room in its share capacity and GPU
// memory, and beyond 100% only while its utilization is under the node's threshold. Shares are
// not planned over time: a shared request that cannot start now is kResources (or kPriority)
// with no planned start and holds no reservation. A GPU that takes its first share leaves the
// whole-GPU count for the rest of the planning window (its sharers' ends are not tracked), and
// a share goes on a free GPU only when no whole-GPU reservation needs it.
std::vector<Decision> RunPass(const Options& options, UnixTime now,
                              const std::vector<NodeInfo>& nodes,
                              const std::vector<RunningJob>& running,
                              const std::vector<JobRequest>& queue, PassStats* stats = nullptr);

// The same, for jobs that name a shared candidate list: JobRequest::candidate_set indexes
// `candidate_sets` (an out-of-range index means no candidates). The lists are borrowed for the
// call only.
std::vector<Decision> RunPass(const Options& options, UnixTime now,
                              const std::vector<NodeInfo>& nodes,
                              const std::vector<RunningJob>& running,
                              const std::vector<JobRequest>& queue,
                              const std::vector<std::vector<uint32_t>>& candidate_sets,
                              PassStats* stats = nullptr);

// What one pass leaves for the next when the caller keeps its nodes and candidate sets between
// passes (same vectors, same order) and says which nodes changed: the node indexes, candidate
// set summaries and the planner's buffers. Without it each pass rebuilds them, O(nodes) a pass;
// with it a pass costs the nodes it looks at and those that changed.
class PassCache {
 public:
  PassCache();
  ~PassCache();
  PassCache(const PassCache&) = delete;
  PassCache& operator=(const PassCache&) = delete;
  // Node n's NodeInfo (free resources, usability, GPUs, releases) changed since the last pass;
  // that includes the nodes where the last pass started jobs.
  void NodeChanged(uint32_t n);
  // The nodes or the candidate sets changed otherwise (added, rebuilt): forget everything.
  void Reset();
  // For the next pass only: the caller vouches that nothing was freed or taken since the last
  // pass (jobs were only added, behind the others). The reservations that pass made still hold
  // and none could begin earlier, so a job holding one keeps it instead of being planned again.
  void KeepReservations();
  // Whether the next pass, at `now` after KeepReservations, may be handed only the jobs added
  // since: the last pass was conservative and left its reservations in the planner (it had no
  // holds), none of them begins by `now`, and the `anchors` jobs the caller would hand in
  // again (the last pass's planned ones) all hold one: a job planned without a start within
  // the window is planned again as the window moves. Only for a conservative pass without
  // holds: then KeepUnseenReservations() says so, and the pass keeps the reservations of the
  // jobs it is not handed as they are (their last decisions stand, as a look would have found
  // them) and counts them against bf_max_job_test as if it had looked. A pass after
  // submissions alone then costs the new jobs rather than the whole queue. A job handed in
  // anyway keeps its reservation. (The caller keeps the unseen jobs' pending reasons: they
  // hold while nothing started since they were given.)
  bool ReservationsStandUnseen(UnixTime now, size_t anchors);
  void KeepUnseenReservations();
  // Running jobs on node n ended since the last pass (its room grew); kept for the next pass.
  void NodeFreed(uint32_t n);
  // For the next pass only: the caller vouches that since the last pass jobs only ended
  // (NodeFreed says where) or were added behind the others. A job keeps the reservation that
  // pass made unless the room it needs is gone, or a node freed since (by an end, or by a job
  // ahead of it that started or moved) could hold it before its start: then it is planned
  // again. Jobs a freed node cannot reach in time would be planned exactly as before, up to
  // the choice among equally good nodes.
  //
  // Under conservative, a pass after either goes on from the last pass's reservations, left in
  // the planner: a job whose reservation stands is not looked at, and one that may move gives
  // it back and is planned against all the others, so no job's reservation is pushed back by
  // another's new plan (a full pass plans each job against the jobs ahead of it only).
  void RecheckReservations();

  struct State;  // scheduler.cc
  State& state() { return *state_; }

 private:
  std::unique_ptr<State> state_;
};

// The same over borrowed requests: a caller that keeps its queue's requests between passes
// hands them in without copying, and may hand in a PassCache (null: none).
std::vector<Decision> RunPass(const Options& options, UnixTime now,
                              const std::vector<NodeInfo>& nodes,
                              const std::vector<RunningJob>& running,
                              const std::vector<const JobRequest*>& queue,
                              const std::vector<std::vector<uint32_t>>& candidate_sets,
                              PassStats* stats = nullptr, PassCache* cache = nullptr);

// A queue the pass pulls from, highest priority first; null when no job is left.
using JobSource = std::function<const JobRequest*()>;

// The same, pulling the queue: one Decision per pulled job, in pull order. A fifo pass stops
// pulling at the first job that must wait (every fitting job behind it would be kPriority), so
// a long queue behind a blocked head costs nothing; the caller keeps those jobs' reasons.
std::vector<Decision> RunPass(const Options& options, UnixTime now,
                              const std::vector<NodeInfo>& nodes,
                              const std::vector<RunningJob>& running, const JobSource& next,
                              const std::vector<std::vector<uint32_t>>& candidate_sets,
                              PassStats* stats = nullptr, PassCache* cache = nullptr);

}  // namespace sluice::core::sched
