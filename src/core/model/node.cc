#include "core/model/node.h"

namespace sluice::core::model {

std::string_view NodeStateName(NodeState s) {
  switch (s) {
    case NodeState::kUnknown:
      return "UNKNOWN";
    case NodeState::kIdle:
      return "IDLE";
    case NodeState::kMixed:
      return "MIXED";
    case NodeState::kAllocated:
      return "ALLOCATED";
    case NodeState::kDown:
      return "DOWN";
  }
  return "UNKNOWN";
}

std::string_view NodeStateShortLower(NodeState s) {
  switch (s) {
    case NodeState::kUnknown:
      return "unk";
    case NodeState::kIdle:
      return "idle";
    case NodeState::kMixed:
      return "mix";
    case NodeState::kAllocated:
      return "alloc";
    case NodeState::kDown:
      return "down";
  }
  return "unk";
}

std::string_view PartitionStateName(const Partition& p) {
  if (p.up) return p.accepts_jobs ? "UP" : "DRAIN";
  return p.accepts_jobs ? "DOWN" : "INACTIVE";
}

NodeState Node::State() const {
  if (down) return NodeState::kDown;
  if (boot_time == 0 && last_seen == 0) return NodeState::kUnknown;
  if (alloc_cpus == 0) return NodeState::kIdle;
  if (alloc_cpus >= cpus) return NodeState::kAllocated;
  return NodeState::kMixed;
}

CpuUse::CpuUse(std::initializer_list<bool> used) {
  Reset(used.size());
  size_t id = 0;
  for (bool u : used) {
    if (u) Set(id, id + 1, true);
    ++id;
  }
}

void CpuUse::Reset(size_t n) {
  size_ = static_cast<uint32_t>(n);
  std::fill(inline_, inline_ + kInlineWords, 0);
  if (Inline()) {
    heap_.clear();
  } else {
    heap_.assign((n + 63) / 64, 0);
  }
}

void CpuUse::Resize(size_t n) {
  if (n == size_) return;
  const size_t words = (n + 63) / 64;
  const bool was_inline = Inline();
  const bool to_inline = n <= 64 * kInlineWords;
  if (was_inline && !to_inline) {
    heap_.assign(words, 0);
    std::copy(inline_, inline_ + kInlineWords, heap_.begin());
    std::fill(inline_, inline_ + kInlineWords, 0);
  } else if (!was_inline && to_inline) {
    for (size_t w = 0; w < kInlineWords; ++w) inline_[w] = w < heap_.size() ? heap_[w] : 0;
    heap_.clear();
  } else if (!to_inline) {
    heap_.resize(words, 0);
  }
  // Ids past a smaller size are free, so that growing again finds them free.
  const size_t old = size_;
  size_ = static_cast<uint32_t>(n);
  if (n < old) {
    uint64_t* w = Words();
    const size_t all = to_inline ? kInlineWords : heap_.size();
    for (size_t i = n / 64; i < all; ++i) {
      const size_t from = i * 64;
      w[i] &= n > from ? (n - from >= 64 ? ~uint64_t{0} : (uint64_t{1} << (n - from)) - 1) : 0;
    }
  }
}

void CpuUse::Set(size_t first, size_t last, bool used) {
  last = std::min<size_t>(last, size_);
  uint64_t* w = Words();
  while (first < last) {
    const size_t i = first / 64, lo = first % 64;
    const size_t hi = std::min<size_t>(64, lo + (last - first));  // bits [lo, hi) of word i
    const uint64_t mask = (hi - lo == 64 ? ~uint64_t{0} : ((uint64_t{1} << (hi - lo)) - 1)) << lo;
    w[i] = used ? w[i] | mask : w[i] & ~mask;
    first += hi - lo;
  }
}

}  // namespace sluice::core::model
