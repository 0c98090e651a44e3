// PriorityCalculator: a pending job's priority, by Slurm's priority/basic or priority/multifactor.
//
// priority/multifactor (Slurm 22.05's formula, without the site and TRES factors, which Sluice
// does not configure):
//   priority = PriorityWeightAge       * age
//            + PriorityWeightFairshare * fairshare
//            + PriorityWeightJobSize   * job_size
//            + PriorityWeightPartition * partition
//            + PriorityWeightQOS       * qos
//            - nice
// summed in double, truncated to an integer and clamped to [1, 0xFFFFFFFE]: 0 is reserved for
// held jobs, which get 0. Each factor lies in [0, 1]:
//   age       min(now - submit_time, PriorityMaxAge) / PriorityMaxAge; 0 for a held job (Slurm
//             accrues age from the eligible time; Sluice's Job has no such time yet, so a
//             released job ages from its submission). PriorityMaxAge <= 0: 1 once submitted.
//   fairshare FairTree::FairShareFactor(user, account); an empty account means the user's
//             default account.
//   job_size  Slurm's formula over nodes and CPUs, with N nodes and C CPUs in the cluster, n =
//             the job's min_nodes and c = its requested CPUs:
//               favor large (default): (n / N + c / C) / 2
//               PriorityFavorSmall:    ((N - n) / (N - 1) + (C - c) / (C - 1)) / 2
//             (a term whose denominator would be 0 counts as 1). Built with no node count
//             (total_cluster_nodes = 0) it uses CPUs alone: c / C, or 1 - c / C.
//   partition the partition's PriorityJobFactor / the largest over all partitions (0 if 0).
//   qos       the job's QOS priority / the largest QOS priority (0 if that is 0, the QOS is
//             unknown, or the job names none and no QOS is called "normal", Slurm's default).
// priority/basic (and any other type): Slurm's submit order, 0xFFFF0000 - job id (at least 1),
// 0 for a held job; all factors 0.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/time.h"
#include "core/cluster/config.h"
#include "core/model/job.h"
#include "core/model/node.h"
#include "core/policy/fair_tree.h"

namespace sluice::core::policy {

// The normalized factors of one job (a model type: jobs carry their latest factors for sprio).
using PriorityFactors = model::PriorityFactors;

// priority/basic's priority of job `id` (held jobs are the caller's business: they get 0).
uint32_t BasicPriority(model::JobId id);

class PriorityCalculator {
 public:
  // Borrows nothing: copies the weights and the QOS priorities. `total_cluster_cpus` and
  // `total_cluster_nodes` are the configured totals (job size), `max_partition_job_factor` the
  // largest PriorityJobFactor over all partitions. total_cluster_nodes = 0: CPU-only job size.
  PriorityCalculator(const cluster::PriorityConfig& config,
                     const std::vector<cluster::QosConfig>& qos, uint32_t total_cluster_cpus,
                     uint32_t max_partition_job_factor, uint32_t total_cluster_nodes = 0);

  // True for PriorityType=priority/multifactor.
  bool multifactor() const { return multifactor_; }

  // The configured weights and settings.
  const cluster::PriorityConfig& config() const { return config_; }

  // The factors and resulting priority of pending `job` in `partition` at `now`, with the
  // fair-share factors `tree` last computed.
  PriorityFactors Compute(const model::Job& job, const model::Partition& partition,
                          const FairTree& tree, UnixTime now) const;

 private:
  double JobSize(const model::Job& job) const;

  cluster::PriorityConfig config_;
  bool multifactor_ = false;
  std::unordered_map<std::string, double> qos_norm_;  // name -> priority / max priority
  uint32_t cpus_ = 0;
  uint32_t nodes_ = 0;
  uint32_t max_part_factor_ = 0;
};

}  // namespace sluice::core::policy
