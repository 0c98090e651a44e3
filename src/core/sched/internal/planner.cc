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

}  // namespace

void Planner::Prepare(const std::vector<NodeInfo>& nodes, const std::vector<RunningJob>& running,
                      bool keep_reserved) {
  nodes_ = &nodes;
  running_ = &running;
  ++pass_;
  has_reservations_ = false;
  deferred_.clear();
  for (uint32_t node : pending_) {
    if (node < marks_.size()) flags_[node].pending = 0;
  }
  pending_.clear();
  const size_t n = nodes.size();
  if (marks_.size() != n) {
    marks_.assign(n, Marks{});
    touched_.assign(n, 0);
    flags_.assign(n, Flags{});
    steps_.resize(n);
    stable_until_.assign(n, kNever);
    pos_in_group_.assign(n, 0);
    reserved_.assign(n, {});
    reserved_hash_.assign(n, 0);
    cause_.assign(n, {});
    saturated_.assign(n, 0);
    free_now_.assign(n, {});
    valid_.assign(n, 0);
    info_hash_.assign(n, 0);
    info_hash_chain_.assign(n, 0);
    built_grid_.assign(n, 0);
    valid_until_.assign(n, 0);
    reserved_count_ = 0;
    // Node numbers from before may be out of range: dropped here, the rest below.
    taken_nodes_.clear();
    taken_bits_.assign((n + 63) / 64, 0);
    pass_taken_.clear();
    regroup_.clear();
    keep_reserved = false;
  }
  causes_for_takes_ = keep_reserved;
  if (keep_reserved) {
    // The last pass's takes are gone: its nodes keep only their reservations, if any.
    for (uint32_t node : pass_taken_) {
      valid_[node] = 0;
      if (reserved_[node].empty()) {
        Untake(node);
      } else {
        RegroupFor(node, kTakesDropped);
      }
    }
    pass_taken_.clear();
  } else {
    ++chain_;  // no steps built before are kept
    for (uint32_t node : taken_nodes_) {
      if (!reserved_[node].empty()) reservation_log_.push_back(node);
      flags_[node].taken = flags_[node].grouped = flags_[node].regroup = 0;
      taken_bits_[node / 64] &= ~(uint64_t{1} << (node % 64));
      reserved_[node].clear();
      reserved_hash_[node] = 0;
      touched_[node] = 0;  // this pass has not listed it yet
    }
    reserved_count_ = 0;
    taken_nodes_.clear();
    pass_taken_.clear();
    for (uint32_t node : regroup_) flags_[node].regroup = 0;
    regroup_.clear();
    for (uint32_t g = 0; g < group_count_; ++g) groups_[g].nodes.clear();
    group_count_ = 0;
    std::fill(live_groups_.begin(), live_groups_.end(), 0);
    free_groups_.clear();
    if (group_table_used_ > 0) {
      std::fill(group_table_.begin(), group_table_.end(), std::pair{uint64_t{0}, kNoGroup});
      group_table_used_ = 0;
    }
  }
  refs_.clear();
  for (size_t j = 0; j < running.size(); ++j) {
    const auto& alloc = running[j].alloc;
    for (size_t a = 0; a < alloc.size(); ++a) {
      const uint32_t node = alloc[a].first;
      if (node >= n) continue;
      if (marks_[node].listed != pass_) {
        marks_[node].listed = pass_;
        Touch(node);
        marks_[node].refs_head = -1;
        if (flags_[node].taken) Regroup(node);
      }
      refs_.push_back({marks_[node].refs_head, static_cast<uint32_t>(j), static_cast<uint32_t>(a)});
      marks_[node].refs_head = static_cast<int32_t>(refs_.size() - 1);
    }
  }
}

void Planner::Changed(uint32_t n) {
  if (n >= marks_.size()) return;
  valid_[n] = 0;
  info_hash_chain_[n] = 0;
  marks_[n].built = 0;
  if (!flags_[n].taken) return;
  RegroupFor(n, kInfoChanged);
  cause_[n].info = true;
}

int64_t Planner::EndSlot(UnixTime end) const {
  if (end <= now_) return 1;  // overdue: still holding its resources now
  if (end >= kUnlimited) return kNever;
  // The first grid boundary at or after `end`, counted from the one at or before now.
  const int64_t s = end / res_ + (end % res_ != 0) - grid_slot_;
  return std::min(std::max<int64_t>(s, 1), kNever);
}

void Planner::Begin(const std::vector<NodeInfo>& nodes, UnixTime now, Seconds res,
                    const std::vector<RunningJob>& running, bool keep_reserved) {
  now_ = now;
  res_ = std::max<Seconds>(res, 1);
  log_regroups_ = false;
  regroup_log_.clear();
  grid_slot_ = now / res_ - (now % res_ < 0);
  grid_ = grid_slot_ * res_;
  end_slots_.clear();
  start_slots_.clear();
  for (const auto& r : running) {
    end_slots_.push_back(EndSlot(r.end));
    // Rounded down: a hold never starts later than asked.
    start_slots_.push_back(r.start > now ? (r.start - grid_) / res_ : -1);
  }
  Prepare(nodes, running, keep_reserved);
}

void Planner::Init(const std::vector<NodeInfo>& nodes, const std::vector<RunningJob>& running,
                   const std::vector<int64_t>& end_slots, const std::vector<int64_t>& start_slots) {
  now_ = 0;
  res_ = 1;
  reservation_log_.clear();
  grid_slot_ = 0;
  grid_ = 0;
  end_slots_ = end_slots;
  start_slots_ = start_slots;
  start_slots_.resize(running.size(), -1);
  Prepare(nodes, running, /*keep_reserved=*/false);
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
  UnixTime first_end = kUnlimited;
  for (const auto& r : node.releases) {
    scratch_.emplace_back(EndSlot(r.end), &r.resources);
    first_end = std::min(first_end, r.end);
  }
  const bool listed = marks_[n].listed == pass_;
  // Kept for the passes after while nothing it was built from changes: not with running-list
  // entries (named per pass), nor past the first release (which a fresh build would still
  // hold for one slot if it were overdue).
  valid_[n] = listed ? 0 : chain_;
  saturated_[n] = 0;
  built_grid_[n] = grid_slot_;
  valid_until_[n] = first_end;
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
  // Takes (future holds, reservations, this pass's takes) as one sweep over their edges: a
  // node may carry hundreds of reservations, which step-by-step splitting would make quadratic.
  // Takes saturate at zero, so the free of a step is its release level less the takes over it.
  edges_.clear();
  auto edge = [this](int64_t a, int64_t b, const Resources& r) {
    if (a >= b || a >= kNever) return;
    edges_.push_back({a, int64_t{r.cpus}, static_cast<int64_t>(r.memory_mb), int64_t{r.gpus}});
    if (b < kNever) {
      edges_.push_back({b, -int64_t{r.cpus}, -static_cast<int64_t>(r.memory_mb), -int64_t{r.gpus}});
    }
  };
  for (int32_t i = listed ? marks_[n].refs_head : -1; i >= 0; i = refs_[i].next) {
    const AllocRef& ref = refs_[i];
    const int64_t start = start_slots_[ref.job], end = end_slots_[ref.job];
    if (start < 0) continue;
    edge(start, end, (*running_)[ref.job].alloc[ref.alloc].second);
  }
  for (const Reserved& e : reserved_[n]) {
    const auto [a, b] = WindowOf(e);
    if (b > 0) edge(a, b, e.r);
  }
  if (marks_[n].deferred == pass_) {
    for (int32_t i = marks_[n].deferred_head; i >= 0; i = deferred_[i].next) {
      edge(deferred_[i].a, deferred_[i].b, deferred_[i].r);
    }
  }
  if (!edges_.empty()) {
    std::sort(edges_.begin(), edges_.end(),
              [](const Edge& x, const Edge& y) { return x.slot < y.slot; });
    // Merge the release levels (steps, as built above) with the take edges.
    base_.swap(steps);
    steps.clear();
    int64_t cpus = 0, mem = 0, gpus = 0;  // taken at the current slot
    auto level = [&](const Resources& f) {
      const int64_t c = int64_t{f.cpus} - cpus, m = static_cast<int64_t>(f.memory_mb) - mem,
                    g = int64_t{f.gpus} - gpus;
      if (c < 0 || m < 0 || g < 0) saturated_[n] = 1;
      return Resources{static_cast<uint32_t>(std::max<int64_t>(c, 0)),
                       static_cast<uint64_t>(std::max<int64_t>(m, 0)),
                       static_cast<uint32_t>(std::max<int64_t>(g, 0))};
    };
    size_t bi = 0, ei = 0;
    while (bi < base_.size() || ei < edges_.size()) {
      const int64_t slot = std::min(bi < base_.size() ? base_[bi].slot : kNever,
                                    ei < edges_.size() ? edges_[ei].slot : kNever);
      while (bi < base_.size() && base_[bi].slot == slot) ++bi;
      for (; ei < edges_.size() && edges_[ei].slot == slot; ++ei) {
        cpus += edges_[ei].cpus;
        mem += edges_[ei].mem;
        gpus += edges_[ei].gpus;
      }
      const Resources free = level(base_[bi - 1].free);
      if (steps.empty() || !(steps.back().free == free)) steps.push_back({slot, free});
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
  return FreeAfterReleases(node, grid_ + slot * res_);
}

Resources FreeAfterReleases(const NodeInfo& node, UnixTime by) {
  Resources free = node.free;
  for (const auto& r : node.releases) {
    if (r.end <= by) free += r.resources;
  }
  return Min(free, node.total);
}

Resources Planner::MinOver(uint32_t n, int64_t a, int64_t b) const {
  // Room only grows on an untouched node: the minimum is at the start.
  if (Untouched(n) && a < kNever) return FreeAt(n, a);
  return MinOverSteps(Built(n), a, b);
}

Resources MinOverSteps(const std::vector<Step>& steps, int64_t a, int64_t b) {
  auto it = std::upper_bound(steps.begin(), steps.end(), a,
                             [](int64_t s, const Step& st) { return s < st.slot; });
  --it;  // steps[0].slot == 0 <= a
  Resources m = it->free;
  for (++it; it != steps.end() && it->slot < b; ++it) m = Min(m, it->free);
  return m;
}

size_t SplitSteps(std::vector<Step>* steps, int64_t slot) {
  auto it = std::upper_bound(steps->begin(), steps->end(), slot,
                             [](int64_t s, const Step& st) { return s < st.slot; });
  const size_t i = static_cast<size_t>(it - steps->begin()) - 1;
  if ((*steps)[i].slot == slot) return i;
  steps->insert(steps->begin() + static_cast<ptrdiff_t>(i) + 1, Step{slot, (*steps)[i].free});
  return i + 1;
}

size_t Planner::Split(uint32_t n, int64_t slot) const { return SplitSteps(&steps_[n], slot); }

size_t Planner::TakeBuilt(uint32_t n, int64_t a, int64_t b, const Resources& r) const {
  const size_t first = Split(n, a);
  const size_t last = b < kNever ? Split(n, b) : steps_[n].size();
  for (size_t i = first; i < last; ++i) {
    Resources& free = steps_[n][i].free;
    if (!r.FitsIn(free)) saturated_[n] = 1;
    free -= r;
  }
  return first;
}

std::pair<int64_t, int64_t> Planner::WindowOf(const Reserved& e) const {
  // Its first slot: where `start` rounds up to (<= 0 once it has passed).
  const int64_t d = e.start - grid_;
  const int64_t a = d <= 0 ? -((-d) / res_) : std::min<int64_t>(d / res_ + (d % res_ != 0), kNever);
  const int64_t b = e.len >= kNever - a ? kNever : a + e.len;
  return {std::max<int64_t>(a, 0), b};
}

void Planner::MarkTaken(uint32_t n) {
  if (flags_[n].taken) return;
  flags_[n].taken = 1;
  marks_[n].taken_pos = static_cast<uint32_t>(taken_nodes_.size());
  taken_nodes_.push_back(n);
  taken_bits_[n / 64] |= uint64_t{1} << (n % 64);
}

void Planner::Untake(uint32_t n) {
  if (!flags_[n].taken) return;
  if (log_regroups_) regroup_log_.push_back(n);  // untouched now, perhaps
  Ungroup(n);
  flags_[n].taken = 0;
  const uint32_t last = taken_nodes_.back();
  taken_nodes_[marks_[n].taken_pos] = last;
  taken_bits_[n / 64] &= ~(uint64_t{1} << (n % 64));
  marks_[last].taken_pos = marks_[n].taken_pos;
  taken_nodes_.pop_back();
}

void Planner::Regroup(uint32_t n) {
  cause_[n].from = kNoGroup;
  if (flags_[n].regroup) return;
  flags_[n].regroup = 1;
  regroup_.push_back(n);
}

void Planner::RegroupFirst(uint32_t n) {
  flags_[n].regroup = 1;
  regroup_.push_back(n);
  StartCause(n);
}

void Planner::StartCause(uint32_t n) {
  // Alike with its group only while grouped and untouched by this pass's takes since. A node
  // nothing was taken from (its first reservation) is alike with any other such node whose
  // NodeInfo is equal: the cause leads it to their group once its NodeInfo is checked.
  const Flags& f = flags_[n];
  RegroupCause& cause = cause_[n];
  const bool alone = !f.grouped && !f.pending && Untouched(n);
  cause.from = f.grouped && !f.pending ? f.group : alone ? kFromUntouched : kNoGroup;
  cause.count = 0;
  cause.info = alone;
}

void Planner::TookFrom(uint32_t n, size_t first, int64_t b) {
  if (stable_until_[n] == kStaleStable) return;  // worked out when asked
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

void Planner::MarkPending() {
  for (uint32_t n : pending_) {
    flags_[n].pending = 0;
    MarkTaken(n);
    if (!causes_for_takes_) {
      Regroup(n);
    } else if (!flags_[n].regroup) {
      // With the cause its takes recorded (Take), or its changes since, if already listed.
      flags_[n].regroup = 1;
      regroup_.push_back(n);
    }
  }
  pending_.clear();
}

void Planner::Take(uint32_t n, int64_t a, int64_t b, const Resources& r) {
  if (a > 0) has_reservations_ = true;
  // Its cause, from its group (or Untouched) as it was before the pass's first take since; it
  // joins the regroup list only when marked (MarkPending). Only along a chain of passes that
  // keep reservations, whose groups last: elsewhere (an EASY pass's reservation, a fifo pass's
  // starts) takes are many and their groups few and short-lived.
  if (causes_for_takes_) {
    if (!flags_[n].regroup && !flags_[n].pending) StartCause(n);
    AddCause(n, {GroupOp::kTake, a, b, r});
  }
  if (!flags_[n].pending) {
    flags_[n].pending = 1;
    pending_.push_back(n);
  }
  if (marks_[n].deferred != pass_) {
    marks_[n].deferred = pass_;
    Touch(n);
    marks_[n].deferred_head = -1;
    marks_[n].deferred_from = a;
    pass_taken_.push_back(n);
    free_now_[n] = (*nodes_)[n].free;
  }
  marks_[n].deferred_from = std::min(marks_[n].deferred_from, a);
  deferred_.push_back({a, b, r, marks_[n].deferred_head});
  marks_[n].deferred_head = static_cast<int32_t>(deferred_.size() - 1);
  // As a build takes it (saturating): what FreeNow answers until something builds the node.
  if (a == 0) free_now_[n] -= r;
  if (marks_[n].built != pass_) {
    valid_[n] = 0;  // built with this pass's takes when next asked for
    return;
  }
  TakeBuiltNow(n, a, b, r);
}

void Planner::TakeBuiltNow(uint32_t n, int64_t a, int64_t b, const Resources& r) {
  const size_t first = TakeBuilt(n, a, b, r);
  if (a == 0) {
    Refresh(n);  // what is free now changed: drops are measured from it
  } else {
    TookFrom(n, first, b);
  }
}

void Planner::Reserve(uint32_t n, UnixTime start, int64_t len, const Resources& r, uint64_t owner) {
  MarkTaken(n);
  RegroupFor(n, {GroupOp::kReserve, start, len, r});
  auto& list = reserved_[n];
  if (list.empty()) reservation_log_.push_back(n);
  const Reserved e{start, len, r, owner};
  // Sorted by window and resources, so that alike nodes list their reservations alike.
  auto before = [](const Reserved& x, const Reserved& y) {
    return std::tie(x.start, x.len, x.r.cpus, x.r.memory_mb, x.r.gpus) <
           std::tie(y.start, y.len, y.r.cpus, y.r.memory_mb, y.r.gpus);
  };
  list.insert(std::upper_bound(list.begin(), list.end(), e, before), e);
  touched_[n] = kHeld;
  ++reserved_count_;
  reserved_hash_[n] += ReservedHashOf(e);
  if (marks_[n].built != pass_) {
    if (!Kept(n)) return;  // built from the list when next asked for
    Shift(n);
  }
  const auto [a, b] = WindowOf(e);
  if (b > 0) TakeBuiltNow(n, a, b, r);
}

void Planner::Unreserve(uint32_t n, uint64_t owner) {
  auto& list = reserved_[n];
  Reserved gone{};
  size_t count = 0;
  std::erase_if(list, [&](const Reserved& e) {
    if (e.owner != owner) return false;
    gone = e;
    ++count;
    return true;
  });
  if (count == 0) return;
  if (list.empty()) {
    reservation_log_.push_back(n);
    touched_[n] = marks_[n].listed == pass_ || marks_[n].deferred == pass_ ? pass_ : 0;
  }
  reserved_count_ -= count;
  reserved_hash_[n] -= ReservedHashOf(gone) * count;
  // Steps that never ran out of room take the reservation back exactly; others are built
  // again from what is left.
  bool exact = count == 1 && !saturated_[n] && (marks_[n].built == pass_ || Kept(n));
  if (exact && marks_[n].built != pass_) Shift(n);
  if (exact) {
    const auto [a, b] = WindowOf(gone);
    if (b > 0) {
      auto& steps = steps_[n];
      const size_t first = Split(n, a);
      const size_t last = b < kNever ? Split(n, b) : steps.size();
      for (size_t i = first; i < last; ++i) steps[i].free += gone.r;
      // The window's edges go where the room is as on their other side again, so that steps
      // kept from pass to pass do not gather the edges of every reservation ever given back.
      if (last < steps.size() && steps[last].free == steps[last - 1].free) {
        steps.erase(steps.begin() + static_cast<ptrdiff_t>(last));
      }
      if (first > 0 && steps[first].free == steps[first - 1].free) {
        steps.erase(steps.begin() + static_cast<ptrdiff_t>(first));
      }
      stable_until_[n] = kStaleStable;
    }
  } else {
    marks_[n].built = 0;
    valid_[n] = 0;
  }
  if (list.empty() && marks_[n].deferred != pass_ && marks_[n].listed != pass_) {
    Untake(n);
  } else if (count == 1) {
    RegroupFor(n, {GroupOp::kUnreserve, gone.start, gone.len, gone.r});
  } else {
    Regroup(n);
  }
}

bool Planner::StepsWithout(uint32_t n, uint64_t owner, std::vector<Step>* out) const {
  const Reserved* own = nullptr;
  for (const Reserved& e : reserved_[n]) {
    if (e.owner != owner) continue;
    if (own != nullptr) return false;
    own = &e;
  }
  if (own == nullptr || saturated_[n]) return false;
  *out = Built(n);
  if (saturated_[n]) return false;  // found when built
  const auto [a, b] = WindowOf(*own);
  if (b <= 0) return true;
  const size_t first = SplitSteps(out, a);
  const size_t last = b < kNever ? SplitSteps(out, b) : out->size();
  for (size_t i = first; i < last; ++i) (*out)[i].free += own->r;
  return true;
}

uint64_t Planner::ResourcesHash(const Resources& r) {
  return Mix((uint64_t{r.cpus} << 32 | r.gpus) ^ r.memory_mb * 0xc2b2ae3d27d4eb4fULL);
}

uint64_t Planner::ReservedHash(const Reserved& e) {
  return Mix(static_cast<uint64_t>(e.start) * 0x9e3779b97f4a7c15ULL ^ static_cast<uint64_t>(e.len) ^
             ResourcesHash(e.r));
}

uint64_t Planner::NodeInfoHash(uint32_t n) const {
  if (info_hash_chain_[n] == chain_) return info_hash_[n];
  info_hash_chain_[n] = chain_;
  const NodeInfo& node = (*nodes_)[n];
  uint64_t h = Mix(Mix(node.total.cpus + (uint64_t{node.sockets} << 32)) ^ node.total.memory_mb) ^
               Mix(node.total.gpus + (uint64_t{node.usable} << 32));
  h = Mix(h ^ ResourcesHash(node.free));
  // A sum: the same releases in any order hash alike (SameNodeInfo compares them in order).
  uint64_t sum = 0;
  for (const auto& r : node.releases) {
    sum += Mix(static_cast<uint64_t>(r.end) ^ ResourcesHash(r.resources));
  }
  return info_hash_[n] = Mix(h ^ sum);
}

bool Planner::SameNodeInfo(uint32_t a, uint32_t b) const {
  const NodeInfo& x = (*nodes_)[a];
  const NodeInfo& y = (*nodes_)[b];
  return x.usable == y.usable && x.sockets == y.sockets && x.total == y.total && x.free == y.free &&
         std::equal(x.releases.begin(), x.releases.end(), y.releases.begin(), y.releases.end(),
                    [](const Release& p, const Release& q) {
                      return p.end == q.end && p.resources == q.resources;
                    });
}

uint64_t Planner::InputsHash(uint32_t n) const {
  uint64_t sum = NodeInfoHash(n) + reserved_hash_[n];
  if (marks_[n].deferred == pass_) {
    for (int32_t i = marks_[n].deferred_head; i >= 0; i = deferred_[i].next) {
      const Deferred& d = deferred_[i];
      sum += Mix(Mix(static_cast<uint64_t>(d.a) + 0x632be59bd9b4e019ULL) ^
                 static_cast<uint64_t>(d.b) ^ ResourcesHash(d.r));
    }
  }
  return Mix(sum);
}

bool Planner::SameInputs(uint32_t a, uint32_t b) const {
  // Running-list entries (holds) name jobs, not windows: such nodes stand alone.
  if (marks_[a].listed == pass_ || marks_[b].listed == pass_) return a == b;
  if (!SameNodeInfo(a, b)) return false;
  if (!std::equal(reserved_[a].begin(), reserved_[a].end(), reserved_[b].begin(),
                  reserved_[b].end(), [](const Reserved& p, const Reserved& q) {
                    return p.start == q.start && p.len == q.len && p.r == q.r;
                  })) {
    return false;
  }
  int32_t i = marks_[a].deferred == pass_ ? marks_[a].deferred_head : -1;
  int32_t j = marks_[b].deferred == pass_ ? marks_[b].deferred_head : -1;
  for (; i >= 0 && j >= 0; i = deferred_[i].next, j = deferred_[j].next) {
    const Deferred& p = deferred_[i];
    const Deferred& q = deferred_[j];
    if (p.a != q.a || p.b != q.b || !(p.r == q.r)) return false;
  }
  return i < 0 && j < 0;
}

void Planner::Ungroup(uint32_t n) {
  if (!flags_[n].grouped) return;
  flags_[n].grouped = 0;
  const uint32_t g = flags_[n].group;
  auto& nodes = groups_[g].nodes;
  const uint32_t last = nodes.back();
  nodes[pos_in_group_[n]] = last;
  pos_in_group_[last] = pos_in_group_[n];
  nodes.pop_back();
  if (!nodes.empty()) {
    groups_[g].first = nodes.front();
    return;
  }
  live_groups_[g / 64] &= ~(uint64_t{1} << (g % 64));
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
    if (g != kGoneGroup && hash == h && SameInputs(groups_[g].nodes.front(), n)) return g;
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
  groups_[g].rises_known = false;
  group_table_[i] = {h, g};
  ++group_table_used_;
  return g;
}

void Planner::FindRises(uint32_t g) {
  TakenGroup& group = groups_[g];
  group.rises.clear();
  const std::vector<Step>& steps = Built(group.first);
  // Slot 0 holds from before now: its room may be gone at a later pass, so it counts as having
  // been there always (never passed by).
  const int64_t last_slot = (kNoTime - grid_) / res_;
  for (size_t i = 0; i < steps.size(); ++i) {
    if (i > 0 && steps[i].free.cpus <= group.rises.back().second) continue;
    const UnixTime at = i == 0                       ? std::numeric_limits<UnixTime>::min()
                        : steps[i].slot >= last_slot ? kNoTime
                                                     : grid_ + steps[i].slot * res_;
    group.rises.emplace_back(at, steps[i].free.cpus);
  }
  group.rises_known = true;
  group.rises_held =
      static_cast<uint8_t>(std::min<size_t>(group.rises.size(), TakenGroup::kInlineRises));
  group.more_rises = group.rises.size() > TakenGroup::kInlineRises;
  for (uint8_t i = 0; i < group.rises_held; ++i) {
    group.rise_at[i] = group.rises[i].first;
    group.rise_cpus[i] = group.rises[i].second;
  }
}

std::span<const Planner::TakenGroup> Planner::TakenGroups() {
  MarkPending();
  if (log_regroups_) regroup_log_.insert(regroup_log_.end(), regroup_.begin(), regroup_.end());
  led_to_.clear();
  size_t last = 0;  // the entry of led_to_ last used: nodes changed alike mostly come in a row
  for (uint32_t n : regroup_) {
    flags_[n].regroup = 0;
    Ungroup(n);
    if (!flags_[n].taken) continue;
    // A node changed as one before it of its group was follows it into its group (a plan's
    // reservation takes a row of alike nodes).
    const RegroupCause& cause = cause_[n];
    uint32_t g = kNoGroup;
    if (cause.from != kNoGroup) {
      if (last < led_to_.size() && led_to_[last].first == cause) {
        g = led_to_[last].second;
      } else {
        for (size_t i = 0; i < led_to_.size(); ++i) {
          if (led_to_[i].first == cause) {
            g = led_to_[i].second;
            last = i;
            break;
          }
        }
      }
      if (g != kNoGroup && cause.info && !SameNodeInfo(groups_[g].nodes.front(), n)) {
        g = kNoGroup;
      }
    }
    if (g == kNoGroup) {
      g = FindOrAddGroup(n, InputsHash(n));
      if (cause.from != kNoGroup && led_to_.size() < kCausesKept) {
        last = led_to_.size();
        led_to_.emplace_back(cause, g);
      }
    }
    flags_[n].grouped = 1;
    flags_[n].group = g;
    pos_in_group_[n] = static_cast<uint32_t>(groups_[g].nodes.size());
    if (groups_[g].nodes.empty()) {
      if (live_groups_.size() <= g / 64) live_groups_.resize(g / 64 + 1, 0);
      live_groups_[g / 64] |= uint64_t{1} << (g % 64);
      groups_[g].first = n;
    }
    groups_[g].nodes.push_back(n);
  }
  regroup_.clear();
  return {groups_.data(), group_count_};
}

void Planner::Shift(uint32_t n) const {
  std::vector<Step>& steps = steps_[n];
  const int64_t d = grid_slot_ - built_grid_[n];
  marks_[n].built = pass_;
  built_grid_[n] = grid_slot_;
  if (d == 0) return;
  // What began by now is free now: the last such step becomes slot 0.
  size_t first = 0;
  while (first + 1 < steps.size() && steps[first + 1].slot <= d) ++first;
  steps.erase(steps.begin(), steps.begin() + static_cast<ptrdiff_t>(first));
  steps[0].slot = 0;
  for (size_t i = 1; i < steps.size(); ++i) steps[i].slot -= d;
  stable_until_[n] = kStaleStable;
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
      count_(top_ + 1, 0) {
  by_number_ = true;
  for (uint32_t i = 0; i < order_.size() && by_number_; ++i) by_number_ = order_[i] == i;
}

void NodeIndex::Set(uint32_t local, int32_t level) {
  const int32_t old = level_[local];
  if (old == level) return;
  const uint64_t bit = uint64_t{1} << (local % 64);
  if (old != kAbsent) {
    bits_[size_t(old) * words_ + local / 64] &= ~bit;
    --count_[old];
    level_sum_ -= static_cast<uint32_t>(old);
  }
  if (level != kAbsent) {
    bits_[size_t(level) * words_ + local / 64] |= bit;
    ++count_[level];
    level_sum_ += static_cast<uint32_t>(level);
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
  if (cpus_per_task == 1) return level_sum_;  // one task a CPU: the levels' sum, kept by Set
  uint64_t t = 0;
  for (uint32_t l = cpus_per_task; l <= top_; ++l) t += uint64_t{count_[l]} * (l / cpus_per_task);
  return t;
}

}  // namespace sluice::core::sched::internal
