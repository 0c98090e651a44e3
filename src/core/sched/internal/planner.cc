#include "core/sched/internal/planner.h"

#include <algorithm>
#include <tuple>

namespace sluice::core::sched::internal {
namespace {

Resources Min(const Resources& a, const Resources& b) {
  return {std::min(a.cpus, b.cpus), std::min(a.memory_mb, b.memory_mb), std::min(a.gpus, b.gpus)};
}

}  // namespace

void Planner::Init(const std::vector<NodeInfo>& nodes, const std::vector<RunningJob>& running,
                   const std::vector<int64_t>& end_slots, const std::vector<int64_t>& start_slots) {
  auto future = [&](size_t j) { return j < start_slots.size() && start_slots[j] >= 0; };
  const uint32_t n = static_cast<uint32_t>(nodes.size());
  steps_.assign(n, {});
  for (uint32_t i = 0; i < n; ++i) steps_[i].push_back({0, nodes[i].free});
  // One sort of every (node, end) pair builds all step functions at once.
  std::vector<std::tuple<uint32_t, int64_t, const Resources*>> ends;
  for (size_t j = 0; j < running.size(); ++j) {
    if (future(j)) continue;  // free now: taken below over its window only
    for (const auto& [node, r] : running[j].alloc) {
      if (node < n) ends.emplace_back(node, end_slots[j], &r);
    }
  }
  std::sort(ends.begin(), ends.end(), [](const auto& a, const auto& b) {
    return std::tie(std::get<0>(a), std::get<1>(a)) < std::tie(std::get<0>(b), std::get<1>(b));
  });
  for (const auto& [node, slot, r] : ends) {
    if (slot >= kNever) continue;  // unlimited: never returns within any horizon
    auto& steps = steps_[node];
    Resources free = steps.back().free;
    free += *r;
    // Inconsistent input (a running job larger than the node) must not invent resources.
    const Resources& total = nodes[node].total;
    free = Min(free, total);
    if (steps.back().slot == slot) {
      steps.back().free = free;
    } else {
      steps.push_back({slot, free});
    }
  }
  stable_until_.assign(n, kNever);
  for (size_t j = 0; j < running.size(); ++j) {
    if (!future(j) || start_slots[j] >= end_slots[j]) continue;
    for (const auto& [node, r] : running[j].alloc) {
      if (node < n) Take(node, start_slots[j], end_slots[j], r);
    }
  }
  has_reservations_ = false;
}

Resources Planner::MinOver(uint32_t n, int64_t a, int64_t b) const {
  const auto& steps = steps_[n];
  auto it = std::upper_bound(steps.begin(), steps.end(), a,
                             [](int64_t s, const Step& st) { return s < st.slot; });
  --it;  // steps[0].slot == 0 <= a
  Resources m = it->free;
  for (++it; it != steps.end() && it->slot < b; ++it) m = Min(m, it->free);
  return m;
}

size_t Planner::Split(uint32_t n, int64_t slot) {
  auto& steps = steps_[n];
  auto it = std::upper_bound(steps.begin(), steps.end(), slot,
                             [](int64_t s, const Step& st) { return s < st.slot; });
  size_t i = static_cast<size_t>(it - steps.begin()) - 1;
  if (steps[i].slot == slot) return i;
  steps.insert(steps.begin() + static_cast<ptrdiff_t>(i) + 1, Step{slot, steps[i].free});
  return i + 1;
}

void Planner::Take(uint32_t n, int64_t a, int64_t b, const Resources& r) {
  if (a > 0) has_reservations_ = true;
  size_t first = Split(n, a);
  size_t last = b < kNever ? Split(n, b) : steps_[n].size();
  for (size_t i = first; i < last; ++i) steps_[n][i].free -= r;
  Refresh(n);
}

void Planner::Refresh(uint32_t n) {
  const auto& steps = steps_[n];
  stable_until_[n] = kNever;
  for (size_t i = 1; i < steps.size(); ++i) {
    if (!steps[0].free.FitsIn(steps[i].free)) {
      stable_until_[n] = steps[i].slot;
      break;
    }
  }
}

NodeIndex::NodeIndex(std::vector<uint32_t> order, uint32_t max_cpus)
    : order_(std::move(order)),
      level_(order_.size(), kAbsent),
      top_(std::min(max_cpus, kMaxLevel)),
      words_(static_cast<uint32_t>((order_.size() + 63) / 64)),
      bits_(size_t{top_ + 1} * words_, 0),
      count_(top_ + 1, 0) {}

void NodeIndex::Set(uint32_t local, int32_t level) {
  const int32_t old = level_[local];
  if (old == level) return;
  const uint64_t bit = uint64_t{1} << (local % 64);
  if (old != kAbsent) {
    bits_[size_t(old) * words_ + local / 64] &= ~bit;
    --count_[old];
  }
  if (level != kAbsent) {
    bits_[size_t(level) * words_ + local / 64] |= bit;
    ++count_[level];
  }
  level_[local] = level;
}

uint32_t NodeIndex::CountAtLeast(uint32_t level) const {
  uint32_t c = 0;
  for (uint32_t l = ClampLevel(level); l <= top_; ++l) c += count_[l];
  return c;
}

uint64_t NodeIndex::TasksBound(uint32_t cpus_per_task) const {
  // The top level may stand for more CPUs than it says; treat it as unbounded.
  if (top_ == kMaxLevel && count_[top_] > 0) return UINT64_MAX;
  uint64_t t = 0;
  for (uint32_t l = cpus_per_task; l <= top_; ++l) t += uint64_t{count_[l]} * (l / cpus_per_task);
  return t;
}

}  // namespace sluice::core::sched::internal
