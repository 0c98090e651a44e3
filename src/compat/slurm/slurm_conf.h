// slurm.conf, the subset Sluice models (core/cluster/config.h).
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"
#include "core/cluster/config.h"

namespace sluice::compat::slurm {

// Parses slurm.conf text. Understood: ClusterName, KillWait, MinJobAge, SlurmdTimeout,
// DefMemPerCPU, FirstJobId; NodeName=<hostlist> CPUs Sockets CoresPerSocket ThreadsPerCore
// RealMemory Feature|Features (comma list) Weight, Gres=gpu[:TYPE][:N],... (N GPUs of TYPE,
// indexes 0.. over the gpu items in order; mps:N and shard:N items are accepted and ignored, as
// every GPU has a share capacity) and Sluice's GPU keys GpuMemory=SIZE (per GPU, M/G suffixes),
// GpuSockets=0,0,1,1 (the socket of each GPU index), MpsCapacity=P (per-GPU share capacity in
// percent, default 100; above 100 overprovisions) and GpuUtilThreshold=PERCENT (default 50: an
// overprovisioned share only while the GPU is less busy) (NodeName=DEFAULT sets defaults for
// later lines; without CPUs a node has Sockets*CoresPerSocket*ThreadsPerCore, and CPUs alone
// means one core per socket as in Slurm); PartitionName=<name> Nodes=<hostlist|ALL> Default=YES|NO
// MaxTime DefaultTime State DefMemPerCPU MaxNodes MaxCPUsPerNode (both: a count or UNLIMITED)
// PriorityJobFactor and Sluice's Placement=NAME (the partition's node placement policy)
// (PartitionName=DEFAULT likewise). Scheduling: SchedulerType=sched/backfill
// (policy "easy") or sched/builtin ("fifo"); Sluice's SchedulerPolicy=fifo|easy|conservative,
// which wins wherever it appears; SchedulerParameters bf_window (minutes, stored as seconds),
// bf_resolution (seconds), bf_max_job_test, default_queue_depth, bf_continue (other options
// ignored); Sluice's SchedulerPlacement=NAME (best-fit, compact, spread, locality or another
// registered scheduler Score plugin) and GpuPlacement=least-occupied|utilization. Priority:
// PriorityType=priority/basic|priority/multifactor, PriorityWeightAge, PriorityWeightFairshare,
// PriorityWeightJobSize, PriorityWeightPartition, PriorityWeightQOS,
// PriorityMaxAge and PriorityDecayHalfLife (Slurm's time notation: "7-0" is 7 days, "0" zero),
// PriorityFavorSmall=YES|NO. Associations, which Slurm keeps in slurmdbd: `Account=NAME
// [Parent=NAME] [Fairshare=N]` (Parent=root or none: below the root), `User=NAME Account=NAME
// [Fairshare=N] [DefaultAccount=YES]` (one line per association; a user's first association is
// the default when none is marked), `QOS=NAME [Priority=N]`; they may come in any order.
// Keys are case-insensitive, '#' starts a comment, a trailing '\' continues a line, other keys
// are ignored. Fails with InvalidArgument naming the line: a malformed word, a bad number or
// time, a Gres item other than gpu, mps or shard (or a bad count), GpuSockets not naming one
// existing socket per GPU, MpsCapacity=0, GpuUtilThreshold above 100, a node, partition, account,
// association or QOS defined twice, a partition naming an undefined node, an account's unknown
// parent (or a parent cycle), a user's unknown account, two default accounts for one user, an
// unsupported SchedulerType or PriorityType, an unknown SchedulerPolicy, Placement,
// SchedulerPlacement or GpuPlacement (the message lists the valid names).
Result<core::cluster::ClusterConfig> ParseSlurmConf(std::string_view text);

// Reads and parses the file at `path`; the only function here that does I/O. Fails with
// NotFound when the file cannot be read, else as ParseSlurmConf with the path in the message.
Result<core::cluster::ClusterConfig> LoadSlurmConf(const std::string& path);

}  // namespace sluice::compat::slurm
