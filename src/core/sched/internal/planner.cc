#include "core/sched/internal/planner.h"

#include <algorithm>
#include <tuple>

namespace sluice::core::sched::internal {
namespace {

Resources Min(const Resources& a, const Resources& b) {
  return {std::min(a.cpus, b.cpus), std::min(a.memory_mb, b.memory_mb), std::min(a.gpus, b.gpus)};
}

uint64_t Mix(uint64_t x) {  // splitmix64's finalizer
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// A node's steps hash as the sum of its steps' hashes: steps have distinct slots, so the sum
// names the step list, and a take updates it for the steps it touches only.
uint64_t StepHash(const Step& s) {
  return Mix(static_cast<uint64_t>(s.slot) * 0x9e3779b97f4a7c15ULL ^
             (uint64_t{s.free.cpus} << 32 | s.free.gpus) ^
             s.free.memory_mb * 0xc2b2ae3d27d4eb4fULL);
}

}  // namespace

void Planner::Prepare(const std::vector<NodeInfo>& nodes, const std::vector<RunningJob>& running) {
  nodes_ = &nodes;
  running_ = &running;
  ++pass_;
  has_reservations_ = false;
  taken_nodes_.clear();
  for (uint32_t g = 0; g < group_count_; ++g) groups_[g].nodes.clear();
  group_count_ = 0;
  free_groups_.clear();
  if (group_table_used_ > 0) {
    std::fill(group_table_.begin(), group_table_.end(), std::pair{uint64_t{0}, kNoGroup});
    group_table_used_ = 0;
  }
  regroup_.clear();
  deferred_.clear();
  const size_t n = nodes.size();
  if (marks_.size() != n) {
    marks_.assign(n, Marks{});
    steps_.resize(n);
    steps_hash_.assign(n, 0);
    stable_until_.assign(n, kNever);
    group_of_.assign(n, 0);
    pos_in_group_.assign(n, 0);
  }
  refs_.clear();
  for (size_t j = 0; j < running.size(); ++j) {
    const auto& alloc = running[j].alloc;
    for (size_t a = 0; a < alloc.size(); ++a) {
      const uint32_t node = alloc[a].first;
      if (node >= n) continue;
      if (marks_[node].listed != pass_) {
        marks_[node].listed = pass_;
        marks_[node].refs_head = -1;
      }
      refs_.push_back({marks_[node].refs_head, static_cast<uint32_t>(j), static_cast<uint32_t>(a)});
      marks_[node].refs_head = static_cast<int32_t>(refs_.size() - 1);
    }
  }
}

int64_t Planner::EndSlot(UnixTime end) const {
  if (end <= now_) return 1;  // overdue: still holding its resources now
  const int64_t d = end - now_;
  const int64_t s = d / res_ + (d % res_ != 0);
  return std::min(s, kNever);
}

void Planner::Begin(const std::vector<NodeInfo>& nodes, UnixTime now, Seconds res,
                    const std::vector<RunningJob>& running) {
  now_ = now;
  res_ = std::max<Seconds>(res, 1);
  end_slots_.clear();
  start_slots_.clear();
  for (const auto& r : running) {
    end_slots_.push_back(EndSlot(r.end));
    // Rounded down: a hold never starts later than asked.
    start_slots_.push_back(r.start > now ? (r.start - now) / res_ : -1);
  }
  Prepare(nodes, running);
}

void Planner::Init(const std::vector<NodeInfo>& nodes, const std::vector<RunningJob>& running,
                   const std::vector<int64_t>& end_slots, const std::vector<int64_t>& start_slots) {
  now_ = 0;
  res_ = 1;
  end_slots_ = end_slots;
  start_slots_ = start_slots;
  start_slots_.resize(running.size(), -1);
  Prepare(nodes, running);
}

void Planner::Build(uint32_t n) const {
  const NodeInfo& node = (*nodes_)[n];
  std::vector<Step>& steps = steps_[n];
  steps.clear();
  steps.push_back({0, node.free});
  marks_[n].built = pass_;
  stable_until_[n] = kNever;
  // Ends of what holds resources now, in slot order, each returning its resources.
  scratch_.clear();
  for (const auto& r : node.releases) scratch_.emplace_back(EndSlot(r.end), &r.resources);
  const bool listed = marks_[n].listed == pass_;
  for (int32_t i = listed ? marks_[n].refs_head : -1; i >= 0; i = refs_[i].next) {
    const AllocRef& ref = refs_[i];
    if (start_slots_[ref.job] >= 0) continue;  // future hold: taken over its window below
    scratch_.emplace_back(end_slots_[ref.job], &(*running_)[ref.job].alloc[ref.alloc].second);
  }
  std::sort(scratch_.begin(), scratch_.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& [slot, r] : scratch_) {
    if (slot >= kNever) break;  // unlimited: never returns within any horizon
    Resources free = steps.back().free;
    free += *r;
    // Inconsistent input (a running job larger than the node) must not invent resources.
    free = Min(free, node.total);
    if (steps.back().slot == slot) {
      steps.back().free = free;
    } else {
      steps.push_back({slot, free});
    }
  }
  marks_[n].hashed = 0;
  for (int32_t i = listed ? marks_[n].refs_head : -1; i >= 0; i = refs_[i].next) {
    const AllocRef& ref = refs_[i];
    const int64_t start = start_slots_[ref.job], end = end_slots_[ref.job];
    if (start < 0 || start >= end) continue;
    TakeBuilt(n, start, end, (*running_)[ref.job].alloc[ref.alloc].second);
  }
  if (marks_[n].deferred == pass_) {
    for (int32_t i = marks_[n].deferred_head; i >= 0; i = deferred_[i].next) {
      const Deferred& d = deferred_[i];
      TakeBuilt(n, d.a, d.b, d.r);
    }
  }
  Refresh(n);
}

Resources Planner::FreeAt(uint32_t n, int64_t slot) const {
  if (!Untouched(n) || slot >= kNever || slot > (kUnlimited - now_) / res_) {
    const auto& steps = Built(n);
    auto it = std::upper_bound(steps.begin(), steps.end(), slot,
                               [](int64_t s, const Step& st) { return s < st.slot; });
    return std::prev(it)->free;
  }
  const NodeInfo& node = (*nodes_)[n];
  if (slot <= 0) return node.free;
  // EndSlot(end) <= slot exactly when end <= now + slot x res (an overdue end is slot 1).
  const UnixTime by = now_ + slot * res_;
  Resources free = node.free;
  for (const auto& r : node.releases) {
    if (r.end <= by) free += r.resources;
  }
  return Min(free, node.total);
}

Resources Planner::MinOver(uint32_t n, int64_t a, int64_t b) const {
  // Room only grows on an untouched node: the minimum is at the start.
  if (Untouched(n) && a < kNever) return FreeAt(n, a);
  const auto& steps = Built(n);
  auto it = std::upper_bound(steps.begin(), steps.end(), a,
                             [](int64_t s, const Step& st) { return s < st.slot; });
  --it;  // steps[0].slot == 0 <= a
  Resources m = it->free;
  for (++it; it != steps.end() && it->slot < b; ++it) m = Min(m, it->free);
  return m;
}

size_t Planner::Split(uint32_t n, int64_t slot) const {
  auto& steps = steps_[n];
  auto it = std::upper_bound(steps.begin(), steps.end(), slot,
                             [](int64_t s, const Step& st) { return s < st.slot; });
  size_t i = static_cast<size_t>(it - steps.begin()) - 1;
  if (steps[i].slot == slot) return i;
  steps.insert(steps.begin() + static_cast<ptrdiff_t>(i) + 1, Step{slot, steps[i].free});
  if (marks_[n].hashed == pass_) steps_hash_[n] += StepHash(steps[i + 1]);
  return i + 1;
}

size_t Planner::TakeBuilt(uint32_t n, int64_t a, int64_t b, const Resources& r) const {
  const size_t first = Split(n, a);
  const size_t last = b < kNever ? Split(n, b) : steps_[n].size();
  if (marks_[n].hashed != pass_) {
    for (size_t i = first; i < last; ++i) steps_[n][i].free -= r;
    return first;
  }
  uint64_t& h = steps_hash_[n];
  for (size_t i = first; i < last; ++i) {
    Step& s = steps_[n][i];
    h -= StepHash(s);
    s.free -= r;
    h += StepHash(s);
  }
  return first;
}

void Planner::Take(uint32_t n, int64_t a, int64_t b, const Resources& r) {
  if (a > 0) has_reservations_ = true;
  if (marks_[n].taken != pass_) {
    marks_[n].taken = pass_;
    taken_nodes_.push_back(n);
  }
  if (marks_[n].regroup != pass_) {
    marks_[n].regroup = pass_;
    regroup_.push_back(n);
  }
  if (a > 0) {
    if (marks_[n].built != pass_) {
      if (marks_[n].deferred != pass_) {
        marks_[n].deferred = pass_;
        marks_[n].deferred_head = -1;
      }
      deferred_.push_back({a, b, r, marks_[n].deferred_head});
      marks_[n].deferred_head = static_cast<int32_t>(deferred_.size() - 1);
      return;
    }
  }
  Built(n);
  const size_t first = TakeBuilt(n, a, b, r);
  if (a == 0) {
    Refresh(n);  // what is free now changed: drops are measured from it
    return;
  }
  // Free now is as it was: the first drop below it is the old one or within [a, b).
  const auto& steps = steps_[n];
  for (size_t i = first; i < steps.size() && steps[i].slot < b; ++i) {
    if (steps[i].slot >= stable_until_[n]) break;
    if (!steps[0].free.FitsIn(steps[i].free)) {
      stable_until_[n] = steps[i].slot;
      break;
    }
  }
}

uint64_t Planner::StepsHash(uint32_t n) const {
  if (marks_[n].hashed != pass_) {
    uint64_t h = 0;
    for (const Step& s : steps_[n]) h += StepHash(s);
    steps_hash_[n] = h;
    marks_[n].hashed = pass_;
  }
  const NodeInfo& node = (*nodes_)[n];
  const uint64_t kind =
      Mix(Mix(Mix(node.total.cpus + (uint64_t{node.sockets} << 32)) ^ node.total.memory_mb) ^
          (node.total.gpus + (uint64_t{node.usable} << 32)));
  return Mix(steps_hash_[n] ^ kind);
}

bool Planner::SameSteps(uint32_t a, uint32_t b) const {
  const NodeInfo& x = (*nodes_)[a];
  const NodeInfo& y = (*nodes_)[b];
  if (x.usable != y.usable || x.sockets != y.sockets || !(x.total == y.total)) return false;
  const auto& sa = steps_[a];
  const auto& sb = steps_[b];
  return std::equal(sa.begin(), sa.end(), sb.begin(), sb.end(), [](const Step& p, const Step& q) {
    return p.slot == q.slot && p.free == q.free;
  });
}

void Planner::Ungroup(uint32_t n) {
  if (marks_[n].grouped != pass_) return;
  marks_[n].grouped = 0;
  const uint32_t g = group_of_[n];
  auto& nodes = groups_[g].nodes;
  const uint32_t last = nodes.back();
  nodes[pos_in_group_[n]] = last;
  pos_in_group_[last] = pos_in_group_[n];
  nodes.pop_back();
  if (!nodes.empty()) return;
  // An empty group has no node to compare with: it leaves the table and is reused.
  const size_t mask = group_table_.size() - 1;
  for (size_t i = groups_[g].hash & mask;; i = (i + 1) & mask) {
    if (group_table_[i].second == g) {
      group_table_[i].second = kGoneGroup;
      break;
    }
  }
  free_groups_.push_back(g);
}

void Planner::GrowGroupTable() {
  // Sized for the live groups: emptied ones are dropped here.
  const size_t live = group_count_ - free_groups_.size() + 1;
  size_t size = 64;
  while (size < 4 * live) size *= 2;
  std::vector<std::pair<uint64_t, uint32_t>> old(size, {0, kNoGroup});
  old.swap(group_table_);
  group_table_used_ = 0;
  const size_t mask = group_table_.size() - 1;
  for (const auto& [h, g] : old) {
    if (g >= kGoneGroup) continue;
    size_t i = h & mask;
    while (group_table_[i].second != kNoGroup) i = (i + 1) & mask;
    group_table_[i] = {h, g};
    ++group_table_used_;
  }
}

uint32_t Planner::FindOrAddGroup(uint32_t n, uint64_t h) {
  if (2 * (group_table_used_ + 1) > group_table_.size()) GrowGroupTable();
  const size_t mask = group_table_.size() - 1;
  size_t i = h & mask;
  for (; group_table_[i].second != kNoGroup; i = (i + 1) & mask) {
    const auto [hash, g] = group_table_[i];
    if (g != kGoneGroup && hash == h && SameSteps(groups_[g].nodes.front(), n)) return g;
  }
  uint32_t g;
  if (!free_groups_.empty()) {
    g = free_groups_.back();
    free_groups_.pop_back();
  } else {
    g = group_count_++;
    if (g == groups_.size()) groups_.emplace_back();
  }
  groups_[g].hash = h;
  group_table_[i] = {h, g};
  ++group_table_used_;
  return g;
}

std::span<const Planner::TakenGroup> Planner::TakenGroups() {
  for (uint32_t n : regroup_) {
    marks_[n].regroup = 0;
    Ungroup(n);
    Built(n);
    const uint32_t g = FindOrAddGroup(n, StepsHash(n));
    marks_[n].grouped = pass_;
    group_of_[n] = g;
    pos_in_group_[n] = static_cast<uint32_t>(groups_[g].nodes.size());
    groups_[g].nodes.push_back(n);
  }
  regroup_.clear();
  return {groups_.data(), group_count_};
}

void Planner::Refresh(uint32_t n) const {
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
  // Below the shared top level, the top is the most CPUs any indexed node has: none holds more.
  if (level > top_ && top_ < kMaxLevel) return 0;
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
