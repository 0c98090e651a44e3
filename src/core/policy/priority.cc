#include "core/policy/priority.h"

#include <algorithm>

namespace sluice::core::policy {

namespace {
constexpr uint32_t kBasePriority = 0xFFFF0000u;
constexpr double kMaxPriority = 0xFFFFFFFEu;  // 0xFFFFFFFF is Slurm's INFINITE

// a / b, or 1 when b is 0 (a single-node or single-CPU cluster: every job is as small as any).
double RatioOrOne(double a, double b) { return b == 0 ? 1.0 : a / b; }
}  // namespace

uint32_t BasicPriority(model::JobId id) { return id < kBasePriority ? kBasePriority - id : 1; }

PriorityCalculator::PriorityCalculator(const cluster::PriorityConfig& config,
                                       const std::vector<cluster::QosConfig>& qos,
                                       uint32_t total_cluster_cpus,
                                       uint32_t max_partition_job_factor,
                                       uint32_t total_cluster_nodes)
    : config_(config),
      multifactor_(config.type == "priority/multifactor"),
      cpus_(total_cluster_cpus),
      nodes_(total_cluster_nodes),
      max_part_factor_(max_partition_job_factor) {
  uint32_t max_qos = 0;
  for (const auto& q : qos) max_qos = std::max(max_qos, q.priority);
  for (const auto& q : qos) {
    qos_norm_[q.name] = max_qos == 0 ? 0.0 : static_cast<double>(q.priority) / max_qos;
  }
}

double PriorityCalculator::JobSize(const model::Job& job) const {
  if (cpus_ == 0) return 0.0;
  double c = std::min<double>(job.NumCpus(), cpus_);
  double size;
  if (nodes_ == 0) {
    size = c / cpus_;
    if (config_.favor_small) size = 1.0 - size;
  } else {
    double n = std::min<double>(std::max<uint32_t>(job.min_nodes, 1), nodes_);
    if (config_.favor_small) {
      size = (RatioOrOne(nodes_ - n, nodes_ - 1.0) + RatioOrOne(cpus_ - c, cpus_ - 1.0)) / 2;
    } else {
      size = (n / nodes_ + c / cpus_) / 2;
    }
  }
  return std::clamp(size, 0.0, 1.0);
}

PriorityFactors PriorityCalculator::Compute(const model::Job& job,
                                            const model::Partition& partition, const FairTree& tree,
                                            UnixTime now) const {
  PriorityFactors f;
  f.nice = job.spec ? job.spec->nice : 0;
  if (!multifactor_) {
    f.priority = job.held ? 0 : BasicPriority(job.id);
    return f;
  }
  if (!job.held) {
    Seconds waited = std::max<Seconds>(0, now - job.submit_time);
    if (config_.max_age <= 0) {
      f.age = waited > 0 ? 1.0 : 0.0;
    } else {
      f.age = static_cast<double>(std::min(waited, config_.max_age)) / config_.max_age;
    }
  }
  if (job.spec) {
    f.fairshare = tree.FairShareFactor(job.spec->user, job.spec->account);
    auto q = qos_norm_.find(job.spec->qos.empty() ? std::string("normal") : job.spec->qos);
    if (q != qos_norm_.end()) f.qos = q->second;
  }
  f.job_size = JobSize(job);
  if (max_part_factor_ > 0) {
    f.partition =
        std::min(1.0, static_cast<double>(partition.priority_job_factor) / max_part_factor_);
  }
  if (job.held) return f;  // priority 0

  double p = config_.weight_age * f.age + config_.weight_fairshare * f.fairshare +
             config_.weight_job_size * f.job_size + config_.weight_partition * f.partition +
             config_.weight_qos * f.qos - static_cast<double>(f.nice);
  // Slurm truncates the double sum to its uint32_t priority.
  f.priority = static_cast<uint32_t>(std::clamp(p, 1.0, kMaxPriority));
  return f;
}

}  // namespace sluice::core::policy
