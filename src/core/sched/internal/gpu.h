// GPU choice within one node: which GPUs can take a request and which of them it gets. Internal
// to the scheduler pass, which keeps the GPUs' state as jobs start during the pass.
#pragma once

#include <cstdint>
#include <vector>

#include "core/model/job.h"
#include "core/model/node.h"
#include "core/sched/framework.h"
#include "core/sched/scheduler.h"

namespace sluice::core::sched::internal {

// The shares of one GPU a request takes on each node: MPS percent and shards count against the
// same per-GPU share capacity.
inline uint32_t SharesOf(const JobRequest& job) { return job.mps_percent + job.shards; }

// Whether any GPU must be chosen for the request (whole GPUs or a share).
inline bool WantsGpus(const JobRequest& job) { return job.gpus_per_node > 0 || SharesOf(job) > 0; }

// Whether the node could ever host the request's GPU part, from what does not change while jobs
// come and go: enough GPUs of the type for the whole GPUs; one GPU of the type whose share
// capacity and memory can hold the share. A node without a GPU list (count only) hosts untyped
// whole GPUs up to total.gpus and nothing else.
bool GpuStaticFit(const JobRequest& job, const NodeInfo& node);

// Chooses GPUs with one GPU score plugin (borrowed; it must outlive the picker). Holds scratch
// space, so one picker serves a whole pass without allocating per node.
class GpuPicker {
 public:
  explicit GpuPicker(const GpuScorePlugin* score) : score_(score) {}

  // Chooses the request's GPUs among `gpus` (a node's GPUs as they are now): gpus_per_node
  // whole GPUs among those of the type neither whole nor shared, on as few sockets as possible
  // and best-scored first; then, for a share, one other GPU of the type not held whole with room
  // in its share capacity and memory (beyond 100% only while utilization < `threshold`), on the
  // socket holding most of the whole GPUs chosen, else best-scored. `fresh_share_ok`: whether
  // the share may take a GPU that holds nothing yet. False when the request does not fit;
  // otherwise, with `out`, sets it to the whole GPUs (ascending index) followed by the share.
  bool Pick(const JobRequest& job, const std::vector<model::Gpu>& gpus, double threshold,
            bool fresh_share_ok, std::vector<model::GpuAllocation>* out);

 private:
  const GpuScorePlugin* score_;
  std::vector<int64_t> scores_;
  std::vector<uint8_t> state_;  // per GPU position: kWholeOk, kPicked bits
};

// Records `alloc` on `gpus` (whole: held whole; share: shares and memory added). Returns how many
// GPUs took their first share (they leave the pool of whole GPUs).
uint32_t ApplyGpus(const std::vector<model::GpuAllocation>& alloc, std::vector<model::Gpu>* gpus);

// Whether some GPU of `gpus` could still take a share of any size (not whole, not full).
bool HasShareRoom(const std::vector<model::Gpu>& gpus);

}  // namespace sluice::core::sched::internal
