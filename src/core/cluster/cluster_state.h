// ClusterState: the one state machine. Commands in, effects out, explicit `now`, no I/O.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/cluster/commands.h"
#include "core/cluster/config.h"
#include "core/cluster/job_table.h"
#include "core/model/job.h"
#include "core/model/node.h"
#include "core/policy/fair_tree.h"
#include "core/policy/limits.h"
#include "core/policy/priority.h"
#include "core/sched/scheduler.h"

namespace sluice::core::cluster {

// An immutable snapshot for queries. Records are shared with the state, not copied.
struct ClusterView {
  UnixTime now = 0;
  JobTable jobs;                      // by id; shares its chunks with the state that published it
  std::vector<model::NodePtr> nodes;  // in configuration order
  std::vector<model::PartitionPtr> partitions;
  std::vector<model::ReservationPtr> reservations;  // by name

  model::JobPtr FindJob(JobId id) const;
  model::NodePtr FindNode(const std::string& name) const;
  model::PartitionPtr FindPartition(const std::string& name) const;
};

// A user association's decayed fair-share usage (CPU-seconds) as of `at`.
struct UsageRecord {
  std::string account;
  std::string user;
  double usage = 0;
  UnixTime at = 0;
};

// What changed since the last TakeChanges(), for the journal.
struct Changes {
  std::vector<model::JobPtr> jobs;
  std::vector<JobId> purged_jobs;
  std::vector<model::NodePtr> nodes;
  std::vector<model::ReservationPtr> reservations;
  std::vector<std::string> deleted_reservations;
  std::vector<UsageRecord> usage;
  std::vector<model::PartitionPtr> partitions;  // changed by scontrol update
  bool empty() const {
    return jobs.empty() && purged_jobs.empty() && nodes.empty() && reservations.empty() &&
           deleted_reservations.empty() && usage.empty() && partitions.empty();
  }
};

class ClusterState {
 public:
  // Checks what the constructor would otherwise replace with defaults: the scheduler policy and
  // knobs and the account tree. Daemons call it before constructing.
  static Status Validate(const ClusterConfig& config);

  explicit ClusterState(ClusterConfig config);

  // Loads what the journal kept (a restart). Call once, before any Apply. Nodes come back as
  // not responding, with `now` as their last contact, so they get a full timeout to reconnect.
  // `journaled_nodes`: those the configuration lacks are added (nodes that registered); a
  // configured one keeps only what an administrator set on it (a drain, a DOWN, its reason).
  // `journaled_partitions`: a configured partition takes what an administrator set on it
  // (State=, MaxTime=); others are ignored (the configuration defines the partitions).
  void Restore(std::vector<model::Job> jobs, std::vector<model::Node> journaled_nodes,
               JobId next_job_id, UnixTime now, std::vector<model::Reservation> reservations = {},
               const std::vector<UsageRecord>& usage = {},
               const std::vector<model::Partition>& journaled_partitions = {});

  // Applies one command at `now`; appends what the driver must do to `effects`.
  Reply Apply(const Command& command, UnixTime now, std::vector<Effect>* effects);

  // True when a command since the last Schedule() may let a job start.
  bool NeedsSchedule() const { return needs_schedule_; }

  // One FIFO pass: starts the jobs that fit in priority order, stops at the first that does not,
  // and gives every pending job its reason.
  void Schedule(UnixTime now, std::vector<Effect>* effects);

  Changes TakeChanges();
  // Forgets what changed since the last TakeChanges() without listing it: what a driver with no
  // journal (the simulator) does with its result, without the copies of every changed record.
  void DropChanges();
  std::shared_ptr<const ClusterView> MakeView(UnixTime now) const;

  // Which CPUs of `node` a job gets: its GPUs' socket first, then whole sockets best-fit.
  // With `per_socket_max` (--ntasks-per-socket x CPUs per task), no socket gives more.
  static model::CpuIds PickCpus(const model::Node& node, uint32_t count,
                                const std::vector<model::GpuAllocation>& gpus,
                                uint32_t per_socket_max = 0);

  JobId next_job_id() const { return next_job_id_; }
  const ClusterConfig& config() const { return config_; }

 private:
  // The scheduler's view of the nodes for one pass: an index per node and one candidate list
  // per partition, shared by that partition's jobs.
  struct PassInput {
    std::vector<sched::NodeInfo> nodes;  // by node number (node_number_)
    std::vector<std::vector<uint32_t>> candidate_sets;
    std::unordered_map<std::string, uint32_t> partition_set;
  };

  Reply Submit(const cmd::Submit& c, UnixTime now);
  Reply Cancel(const cmd::Cancel& c, UnixTime now, std::vector<Effect>* effects);
  Reply Hold(const std::vector<JobId>& ids, bool hold, UnixTime now);
  Reply UpdateJob(const cmd::UpdateJob& c, UnixTime now, std::vector<Effect>* effects);
  Reply UpdateNode(const cmd::UpdateNode& c, UnixTime now, std::vector<Effect>* effects);
  Reply UpdatePartition(const cmd::UpdatePartition& c);
  // An agent is back: the node is up again unless an administrator holds it down, and keeps
  // an administrator's reason (a drain's).
  static void ReturnToService(model::Node& node);
  // What a submission's checks make of a job spec: where and how long it runs, the spec as
  // stored (with the default memory it is charged), and the fewest nodes it can run on. Fails
  // with the user's one-line reason when the job could never run. `user_jobs_submitted`: the
  // user's jobs already counted in the QOS (for its submit limit). `entering_partition`: the job
  // is new to its partition, which must then take jobs (not DRAIN or INACTIVE).
  struct Admitted {
    const model::Partition* partition = nullptr;
    Seconds time_limit = 0;
    std::shared_ptr<model::JobSpec> spec;
    uint32_t min_nodes = 1;
  };
  Result<Admitted> Admit(const model::JobSpec& spec, JobId id, UnixTime now,
                         uint32_t user_jobs_submitted, bool entering_partition);
  Reply RegisterNode(const cmd::RegisterNode& c, UnixTime now, std::vector<Effect>* effects);
  void JobEnded(const std::string& node, const JobEnd& end, UnixTime now,
                std::vector<Effect>* effects);
  void Tick(UnixTime now);
  void SetResponding(const std::string& node, bool responding, UnixTime now);
  Reply CreateReservation(const cmd::CreateReservation& c, UnixTime now);
  Reply UpdateReservation(const cmd::UpdateReservation& c, UnixTime now);
  Reply DeleteReservation(const cmd::DeleteReservation& c);
  // Checks a reservation against the nodes and the other reservations (`except`: its own name).
  Status CheckReservation(const model::Reservation& r, const std::string& except) const;

  // Adds nodes (from the configuration, the journal or a first registration) to the partitions
  // that name them or take ALL nodes.
  void AddNodes(std::vector<model::Node> nodes);
  const model::Partition* FindPartition(const std::string& name) const;
  // What the submit-time checks need of a partition's nodes (from the idle pass input).
  struct PartitionShape {
    uint32_t widest_cpus = 0;           // most CPUs of one node
    uint64_t largest_memory_mb = 0;     // most memory of one node
    uint64_t smallest_mem_per_cpu = 0;  // least memory per CPU of a node (0: no nodes)
  };
  const PartitionShape& PartitionShapeOf(const model::Partition& partition);
  // The node as a pass sees it; `idle`: every resource free and the node usable.
  sched::NodeInfo NodeInfoOf(uint32_t number, bool idle) const;
  // The same into `out`, every field set, reusing its buffers; `refresh`: `out` is this node's
  // view already (its name, which never changes, is left alone).
  void FillNodeInfo(uint32_t number, bool idle, sched::NodeInfo* out, bool refresh = false) const;
  // The pass input for `now`, brought up to date: nodes changed since the last pass are
  // refreshed, the candidate sets rebuilt only when the nodes or the active reservations
  // changed. Kept between passes so that a pass costs what changed, not the cluster's size.
  const PassInput& CurrentPass(UnixTime now);
  // Every node idle and usable, no reservation: what a job must fit to be accepted.
  const PassInput& IdlePass();
  // A running job's resources on each of its nodes return at its end (releases_by_node_).
  // `numbers`: its nodes' numbers, parallel to its allocation (NumbersOf); Untrack returns them.
  void TrackRunning(const model::Job& job, std::vector<uint32_t> numbers);
  std::vector<uint32_t> UntrackRunning(const model::Job& job);
  static constexpr uint32_t kNoNode = UINT32_MAX;  // a NumbersOf entry for an unknown node
  std::vector<uint32_t> NumbersOf(const std::vector<model::NodeAllocation>& alloc) const;
  // The job's request in the scheduler's terms; fails if its -w nodes are not candidates.
  Result<sched::JobRequest> MakeRequest(const model::Job& job, const model::Partition& partition,
                                        const PassInput& in) const;
  // The job names nodes (-w) or a reservation: whether it may run depends on their state.
  static bool NamesNodes(const model::Job& job);
  // Why a pending job may not be considered at all (held, partition limits), or kNone.
  model::Reason StaticReason(const model::Job& job, const model::Partition* partition,
                             UnixTime now) const;
  // `current`: the job's record when the caller holds it (saves the lookup).
  void SetPendingInfo(JobId id, model::Reason reason, UnixTime expected_start,
                      const model::Job* current = nullptr);
  void RecalculatePriorities(UnixTime now);
  // Takes (or gives back) each allocation on its node; `numbers` as for TrackRunning.
  void Allocate(const std::vector<model::NodeAllocation>& alloc, bool release,
                const std::vector<uint32_t>& numbers);
  void FinishJob(model::Job& job, model::JobState state, UnixTime now);
  void Requeue(model::Job& job);

  // Copy-on-write access: a record shared with a published view is copied before it changes.
  // `journal`: false for derived fields (reason, planned start, priority) that the next pass
  // recomputes anyway; they reach the published view but cost no journal write.
  model::Job& MutableJob(JobId id, bool journal = true);
  model::Node& MutableNode(const std::string& name);
  model::Node& MutableNodeAt(uint32_t number);
  // Drops every derived scheduling input (nodes or partitions changed shape).
  void InvalidatePassCaches();
  // Pending jobs' requests are rebuilt at the next pass (and their partitions looked up again).
  void ForgetRequests(bool partitions_too);

  ClusterConfig config_;
  JobTable jobs_;
  std::vector<model::NodePtr> nodes_;  // by node number, as node_order_ names them
  std::vector<std::string> node_order_;
  std::vector<model::PartitionPtr> partitions_;
  // A pending job's scheduling inputs (derived, never journaled): its partition and request,
  // resolved once per job while the partitions and candidate sets hold.
  struct QueuedRequest {
    bool resolved = false;  // `partition` and `names_nodes` are set
    const model::Partition* partition = nullptr;
    bool built = false;  // `ok` and `request` are set
    // The job names nodes or a reservation: StaticReason must look at them every pass.
    bool names_nodes = false;
    bool ok = false;  // MakeRequest succeeded (else the job waits: Resources)
    sched::JobRequest request;
    uint64_t seen_pass = 0;     // the last pass (pass_serial_) that judged the job
    uint64_t anchor_epoch = 0;  // anchors_epoch_ while the job is one of anchors_
  };
  // Pending jobs in id order (priority/basic's queue order) with their scheduling inputs.
  std::map<JobId, QueuedRequest> pending_;
  std::unordered_map<std::string, std::set<JobId>> jobs_on_node_;  // batch host -> running jobs
  std::deque<std::pair<UnixTime, JobId>> finished_;                // end time order, for MinJobAge
  JobId next_job_id_;
  sched::Options sched_options_;
  policy::FairTree tree_;
  policy::PriorityCalculator priority_;
  policy::LimitTracker limits_;  // QOS limits: what each user's jobs hold and have queued
  UnixTime last_priority_calc_ = 0;
  UnixTime last_full_pass_ = 0;
  bool needs_schedule_ = false;
  // Something other than a submission happened since the last pass (a job ended, a node or a
  // reservation changed...): the next pass looks at the whole queue.
  bool needs_full_pass_ = true;
  // Something other than submissions and job ends happened since the last pass: plans made
  // then may no longer hold, and the next pass plans afresh.
  bool needs_fresh_plans_ = true;
  // What any change but a submission or a job end calls for: a full pass that plans afresh.
  void NeedFreshPass() { needs_schedule_ = needs_full_pass_ = needs_fresh_plans_ = true; }
  uint64_t pass_serial_ = 0;
  // Jobs a pass must judge even if a fifo pass stops before reaching them (new, held or
  // released jobs, jobs naming nodes or a reservation): their last verdict may be stale.
  std::vector<JobId> rejudge_;
  // The last full pass's jobs whose verdicts bear on the jobs behind them (sched::Decision::
  // anchor): a pass after nothing but submissions re-judges only these and the new jobs.
  std::vector<JobId> anchors_;
  bool anchors_valid_ = false;
  // Whether every anchor is still pending, without a lookup of each at every pass: the anchors
  // carry the epoch of the set they joined (QueuedRequest::anchor_epoch), and a job of the
  // current set that leaves the queue is counted (a requeued one stays counted, and the next
  // pass is a full one). A new set of anchors is a new epoch.
  uint64_t anchors_epoch_ = 1;
  size_t anchors_gone_ = 0;
  // Takes the job out of the queue (if queued), counting it if it is an anchor.
  void ErasePending(JobId id) {
    auto it = pending_.find(id);
    if (it == pending_.end()) return;
    if (it->second.anchor_epoch == anchors_epoch_) ++anchors_gone_;
    pending_.erase(it);
  }
  // The anchors' pending reasons were worked out against what is free now: the last full pass
  // started no job (a start after a reason was given can change it from Priority to Resources).
  // A conservative pass may leave them unseen only then, where reasons are worked out at all.
  bool anchor_reasons_current_ = false;
  std::set<JobId> dirty_jobs_;
  std::set<JobId> purged_;
  std::vector<uint32_t> dirty_nodes_;     // node numbers, each once
  std::vector<uint8_t> dirty_node_flag_;  // by node number: in dirty_nodes_
  std::map<std::string, model::ReservationPtr> reservations_;
  std::set<std::string> dirty_reservations_;
  std::set<std::string> dirty_partitions_;
  std::set<std::string> deleted_reservations_;
  std::set<std::pair<std::string, std::string>> dirty_usage_;  // (account, user)

  // Derived scheduling state, kept between passes and never journaled (see CurrentPass).
  std::unordered_map<std::string, uint32_t> node_number_;  // name -> position in node_order_
  // The node named `name`, or null.
  const model::NodePtr* FindNodePtr(const std::string& name) const {
    auto it = node_number_.find(name);
    return it == node_number_.end() ? nullptr : &nodes_[it->second];
  }
  PassInput pass_;
  bool pass_valid_ = false;       // pass_.nodes matches the nodes, except pass_dirty_ ones
  bool pass_sets_valid_ = false;  // pass_.candidate_sets matches the active reservations
  std::vector<std::string> pass_active_reservations_;  // names the candidate sets leave out
  std::vector<uint32_t> pass_dirty_;                   // node numbers changed since the last pass
  std::vector<uint8_t> pass_dirty_flag_;               // by node number
  PassInput idle_;
  bool idle_valid_ = false;
  std::unordered_map<std::string, PartitionShape> partition_shape_;  // with idle_
  // Submit's fit verdicts by request shape (jobs of one shape fit or not alike); with idle_.
  std::unordered_map<std::string, bool> fit_memo_;
  sched::PassCache idle_cache_;  // Submit's trial passes over idle_
  // By node number: the running jobs there, what each holds and when it returns it.
  std::vector<std::vector<std::pair<JobId, sched::Release>>> releases_by_node_;
  // Running jobs' node numbers, parallel to their allocations: their ends need no name lookups.
  std::unordered_map<JobId, std::vector<uint32_t>> running_nodes_;
  sched::PassCache pass_cache_;
};

}  // namespace sluice::core::cluster
