// QOS limits: Slurm's per-user QOS limits, checked when a job is submitted and before each
// scheduling pass.
//
// The limits (sacctmgr's names; Sluice reads them from slurm.conf's QOS lines), 0 meaning none:
//   MaxSubmitJobsPerUser   pending and running jobs of a user in the QOS: a submission that
//                          would exceed it is refused.
//   MaxWall                a job's time limit. A job submitted without -t gets MaxWall when its
//                          partition's limit is longer (as in Slurm); one whose limit exceeds it is
//                          refused at submission (Slurm does so only with DenyOnLimit, and
//                          otherwise queues it), and a pending job over it (the QOS changed) waits
//                          with QOSMaxWallDurationPerJobLimit.
//   MaxJobsPerUser         running jobs of a user in the QOS: QOSMaxJobsPerUserLimit.
//   MaxTRESPerUser         TRES of the user's running jobs in the QOS: QOSMaxCpuPerUserLimit,
//                          QOSMaxMemoryPerUser, QOSMaxNodePerUserLimit, QOSMaxGRESPerUser.
//   MaxTRESRunMinsPerUser  the sum over the user's running jobs in the QOS of TRES * minutes left
//                          of their time limit; a job starts only if that sum plus its own TRES *
//                          its whole time limit stays within the limit (an unlimited time limit
//                          never does). Reasons MaxCpuRunMinsPerUser, MaxMemoryRunMinsPerUser,
//                          MaxNodeRunMinsPerUser, MaxGRESRunMinsPerUser: Slurm 24.05's names, the
//                          first version to enforce this limit.
// When several limits block a job its reason is the first in the order MaxWall, MaxJobsPerUser,
// MaxTRESPerUser (cpu, mem, node, gpu), MaxTRESRunMinsPerUser (cpu, mem, node, gpu).
//
// A job's QOS is the one its -q names, else "normal" when configured (Slurm's default QOS, the
// same rule as the priority module's QOS factor); a job with none, or naming a QOS that is not
// configured, has no limits. A job's TRES (JobTres): a running job's allocation (CPUs, memory,
// nodes and whole GPUs; MPS and shard shares are not gres/gpu), a pending job's request.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/status.h"
#include "common/time.h"
#include "core/cluster/config.h"
#include "core/model/job.h"

namespace sluice::core::policy {

// The TRES `job` counts against per-user limits: its allocation once it has one, else its
// request (CPUs, memory from --mem or --mem-per-cpu, its min_nodes, GPUs from --gpus,
// --gpus-per-node or --gpus-per-task).
cluster::Tres JobTres(const model::Job& job);

// The time limit a job gets under `qos` (nullptr: none): `resolved_limit` (-t, else the
// partition's default), except that a job submitted without -t gets MaxWall where
// `resolved_limit` is longer.
Seconds QosTimeLimit(const model::JobSpec& spec, Seconds resolved_limit,
                     const cluster::QosConfig* qos);

// Checks a submission against `qos` (nullptr: no limits): InvalidArgument "Job violates
// accounting/QOS policy (job submit limit, user's size and/or time limits)", Slurm's words, when
// the user already has `user_jobs_submitted` pending and running jobs in the QOS and
// MaxSubmitJobsPerUser allows no more, or `time_limit` (the job's resolved limit, after
// QosTimeLimit) exceeds MaxWall.
Status CheckSubmit(const model::JobSpec& spec, Seconds time_limit, const cluster::QosConfig* qos,
                   uint32_t user_jobs_submitted);

// What each (QOS, user) pair has submitted and running, and which pending jobs the QOS limits
// let start. The owner reports every job's submission, start, requeue and end; a restarted
// controller replays them from its job table (JobSubmitted for each unfinished job, then
// JobStarted for each running one). Not thread-safe; pure (no clock: `now` is an argument).
class LimitTracker {
 public:
  // Copies the QOS list. An empty list, or QOSes without limits, admit everything.
  explicit LimitTracker(const std::vector<cluster::QosConfig>& qos);

  // The QOS whose limits apply to a job with `spec`: its -q, else "normal"; nullptr when that
  // QOS is not configured. The pointer lives as long as the tracker.
  const cluster::QosConfig* QosOf(const model::JobSpec& spec) const;

  // Pending and running jobs of spec.user in QosOf(spec), for CheckSubmit; 0 without a QOS.
  uint32_t SubmittedJobs(const model::JobSpec& spec) const;

  // Counts a job that entered the queue (accepted submission, or replay after a restart).
  // Repeated calls for the same job id count it once.
  void JobSubmitted(const model::Job& job);

  // Charges a job that started: one running job, JobTres(job) (call it after the allocation is
  // set), and its TRES * time limit from job.start_time for run-minutes. A job already charged
  // is charged anew (call it again when a running job's time limit changes).
  void JobStarted(const model::Job& job);

  // Releases a running job's charge but keeps it counted as submitted (requeued: pending again).
  void JobRequeued(const model::Job& job);

  // Releases all a job holds: its running charge and its submitted count. Call it when the job
  // leaves RUNNING for good (Slurm frees limits as the job starts COMPLETING) or is cancelled
  // while pending. Unknown ids are ignored.
  void JobEnded(const model::Job& job);

  // For each job of `queue_in_priority_order`: Reason::kNone if the QOS limits let it be
  // considered for starting at `now`, else the reason of the first limit it breaks. Assumes each
  // admitted job starts, so it counts against the jobs after it (two jobs of a user with
  // MaxJobsPerUser=1 and none running: the first is admitted, the second is not). Jobs that are
  // not pending, are held or have no spec get kNone and use nothing. The result has one entry per
  // job, in order. O(queue + running jobs of the queue's limited users), hash maps only.
  std::vector<model::Reason> Admit(const std::vector<const model::Job*>& queue_in_priority_order,
                                   UnixTime now) const;
  // Whether any QOS sets a limit Admit checks (when none does, Admit admits every job).
  bool AnyLimited() const {
    return std::any_of(qos_.begin(), qos_.end(), [](const QosState& q) { return q.limited; });
  }

 private:
  // A running job's charge.
  struct Running {
    cluster::Tres tres;
    UnixTime end = 0;  // start + time limit; kUnlimited when the limit is
  };
  // What one user has in one QOS.
  struct Usage {
    uint32_t submitted = 0;
    uint32_t running = 0;
    cluster::Tres tres;                              // sum over running jobs
    std::unordered_map<model::JobId, Running> jobs;  // running jobs, for run-minutes
  };
  struct QosState {
    cluster::QosConfig config;
    bool limited = false;   // any limit Admit checks
    bool run_mins = false;  // any run-minutes limit
    std::unordered_map<std::string, Usage> users;
  };
  // Where a job is counted.
  struct Tracked {
    size_t qos = 0;
    std::string user;
    bool submitted = false;
    bool running = false;
  };

  // Index into qos_ of the QOS of `spec`, or -1.
  int QosIndex(const model::JobSpec& spec) const;
  Usage* FindUsage(const Tracked& t);
  // The job's entry, created on first sight; null when its QOS sets no limits.
  Tracked* Track(const model::Job& job);
  void Release(Tracked& t, model::JobId id, bool submitted_too);

  std::vector<QosState> qos_;
  std::unordered_map<std::string, size_t> qos_index_;  // name -> index into qos_
  int default_qos_ = -1;                               // "normal", or -1
  std::unordered_map<model::JobId, Tracked> tracked_;
};

}  // namespace sluice::core::policy
