#include "core/sched/internal/gpu.h"

#include <algorithm>

namespace sluice::core::sched::internal {
namespace {

constexpr uint8_t kWholeOk = 1;
constexpr uint8_t kPicked = 2;
constexpr uint32_t kNoSocket = UINT32_MAX;

bool TypeMatches(const JobRequest& job, const model::Gpu& gpu) {
  return job.gpu_type.empty() || gpu.type == job.gpu_type;
}

// Room for `shares` of the request on the GPU, ignoring its current use when `now` is false.
bool ShareFits(const JobRequest& job, const model::Gpu& gpu, uint32_t shares, double threshold,
               bool now) {
  if (!TypeMatches(job, gpu) || shares > gpu.share_capacity) return false;
  if (job.gpu_memory_mb > 0 && gpu.memory_mb > 0 && job.gpu_memory_mb > gpu.memory_mb) {
    return false;
  }
  if (!now) return true;
  if (gpu.whole) return false;
  const uint64_t used = uint64_t{gpu.shares_used} + shares;
  if (used > gpu.share_capacity) return false;
  if (job.gpu_memory_mb > 0 && gpu.memory_mb > 0 &&
      gpu.memory_used_mb + job.gpu_memory_mb > gpu.memory_mb) {
    return false;
  }
  // The part beyond one GPU's worth is overprovisioned: granted only while the GPU is not busy.
  return used <= 100 || gpu.utilization < threshold;
}

}  // namespace

bool GpuStaticFit(const JobRequest& job, const NodeInfo& node) {
  const uint32_t shares = SharesOf(job);
  if (node.gpus.empty()) {
    return shares == 0 && job.gpu_type.empty() && node.total.gpus >= job.gpus_per_node;
  }
  uint32_t typed = 0;
  bool share_ok = shares == 0;
  for (const model::Gpu& g : node.gpus) {
    if (!TypeMatches(job, g)) continue;
    ++typed;
    if (!share_ok && ShareFits(job, g, shares, 0, /*now=*/false)) share_ok = true;
  }
  // The share needs a GPU besides the whole ones.
  return typed >= job.gpus_per_node + (shares > 0 ? 1 : 0) && share_ok;
}

bool GpuPicker::Pick(const JobRequest& job, const std::vector<model::Gpu>& gpus, double threshold,
                     bool fresh_share_ok, std::vector<model::GpuAllocation>* out) {
  const uint32_t shares = SharesOf(job);
  const size_t n = gpus.size();
  if (out != nullptr) out->clear();
  if (n == 0) return false;
  scores_.resize(n);
  state_.assign(n, 0);
  uint32_t whole_ok = 0;
  for (size_t i = 0; i < n; ++i) {
    scores_[i] = score_->Score(job, gpus[i]);
    if (TypeMatches(job, gpus[i]) && !gpus[i].whole && gpus[i].shares_used == 0) {
      state_[i] = kWholeOk;
      ++whole_ok;
    }
  }
  // Higher score first, then the lower GPU index.
  auto better = [&](size_t a, size_t b) {
    return scores_[a] != scores_[b] ? scores_[a] > scores_[b] : gpus[a].index < gpus[b].index;
  };
  uint32_t need = job.gpus_per_node;
  if (need > whole_ok) return false;
  // Whole GPUs socket by socket: first a socket that holds all that is still needed, else the
  // one with the best GPU; within it, the best GPUs.
  while (need > 0) {
    uint32_t socket = kNoSocket;
    bool socket_holds_all = false;
    size_t socket_best = 0;
    for (size_t i = 0; i < n; ++i) {
      if (state_[i] != kWholeOk) continue;
      uint32_t count = 0;
      size_t best = i;
      for (size_t j = 0; j < n; ++j) {
        if (state_[j] == kWholeOk && gpus[j].socket == gpus[i].socket) {
          ++count;
          if (better(j, best)) best = j;
        }
      }
      const bool holds_all = count >= need;
      if (socket == kNoSocket || (holds_all && !socket_holds_all) ||
          (holds_all == socket_holds_all && better(best, socket_best))) {
        socket = gpus[i].socket;
        socket_holds_all = holds_all;
        socket_best = best;
      }
    }
    for (; need > 0; --need) {
      size_t best = n;
      for (size_t j = 0; j < n; ++j) {
        if (state_[j] == kWholeOk && gpus[j].socket == socket && (best == n || better(j, best))) {
          best = j;
        }
      }
      if (best == n) break;  // the socket is used up; pick the next one
      state_[best] = kPicked;
    }
  }
  if (shares > 0) {
    // The socket holding most of the whole GPUs just chosen (lowest socket on ties).
    uint32_t home = kNoSocket, home_count = 0;
    for (size_t i = 0; i < n; ++i) {
      if (state_[i] != kPicked) continue;
      uint32_t count = 0;
      for (size_t j = 0; j < n; ++j) {
        count += state_[j] == kPicked && gpus[j].socket == gpus[i].socket;
      }
      if (count > home_count || (count == home_count && gpus[i].socket < home)) {
        home = gpus[i].socket;
        home_count = count;
      }
    }
    size_t best = n;
    for (size_t i = 0; i < n; ++i) {
      if (state_[i] == kPicked || (!fresh_share_ok && gpus[i].shares_used == 0)) continue;
      if (!ShareFits(job, gpus[i], shares, threshold, /*now=*/true)) continue;
      if (best == n) {
        best = i;
        continue;
      }
      const bool home_i = gpus[i].socket == home, home_best = gpus[best].socket == home;
      if (home_i != home_best ? home_i : better(i, best)) best = i;
    }
    if (best == n) return false;
    if (out != nullptr) {
      for (size_t i = 0; i < n; ++i) {
        if (state_[i] == kPicked) out->push_back({gpus[i].index, 0, 0});
      }
      std::sort(out->begin(), out->end(),
                [](const auto& a, const auto& b) { return a.index < b.index; });
      out->push_back({gpus[best].index, shares, job.gpu_memory_mb});
    }
    return true;
  }
  if (out != nullptr) {
    for (size_t i = 0; i < n; ++i) {
      if (state_[i] == kPicked) out->push_back({gpus[i].index, 0, 0});
    }
    std::sort(out->begin(), out->end(),
              [](const auto& a, const auto& b) { return a.index < b.index; });
  }
  return true;
}

uint32_t ApplyGpus(const std::vector<model::GpuAllocation>& alloc, std::vector<model::Gpu>* gpus) {
  uint32_t fresh = 0;
  for (const model::GpuAllocation& a : alloc) {
    auto it = std::find_if(gpus->begin(), gpus->end(),
                           [&](const model::Gpu& g) { return g.index == a.index; });
    if (it == gpus->end()) continue;
    if (a.shares == 0) {
      it->whole = true;
    } else {
      fresh += it->shares_used == 0;
      it->shares_used += a.shares;
      it->memory_used_mb += a.memory_mb;
    }
  }
  return fresh;
}

bool HasShareRoom(const std::vector<model::Gpu>& gpus) {
  return std::any_of(gpus.begin(), gpus.end(), [](const model::Gpu& g) {
    return !g.whole && g.shares_used < g.share_capacity;
  });
}

}  // namespace sluice::core::sched::internal
