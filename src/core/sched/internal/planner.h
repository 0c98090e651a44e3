// The planner: each node's free resources as a step function of time, and the node index that
// finds nodes with room now without scanning the cluster. Internal to the scheduler pass.
#pragma once

#include <bit>
#include <cstdint>
#include <limits>
#include <span>
#include <utility>
#include <vector>

#include "core/sched/scheduler.h"

namespace sluice::core::sched::internal {

// Time is counted in slots of bf_resolution from `now` (slot 0). kNever: not within any horizon.
inline constexpr int64_t kNever = std::numeric_limits<int64_t>::max() / 4;

// Free resources from `slot` until the next step's slot.
struct Step {
  int64_t slot = 0;
  Resources free;
};

// Over a node's steps: the componentwise minimum of the free resources over [a, b), and the
// index of the step beginning at `slot`, split off the one it falls in where none does.
Resources MinOverSteps(const std::vector<Step>& steps, int64_t a, int64_t b);
// What a node has free once its releases ending by `by` are back, at most its total.
Resources FreeAfterReleases(const NodeInfo& node, UnixTime by);
size_t SplitSteps(std::vector<Step>* steps, int64_t slot);

// Free resources per node over time: running jobs return theirs at their end slot; jobs started
// or reserved by the pass take theirs over [start, end). A node's steps are built on its first
// use in a pass, so a pass pays for the nodes it looks at, not for the whole cluster.
//
// Reservations may outlive the pass (Reserve): they are kept in absolute time, per node, and a
// later pass that keeps them (Begin's keep_reserved) works out its own slots from them when it
// builds a node, so a conservative pass pays nothing for the reservations it leaves alone.
class Planner {
 public:
  // Starts a pass over `nodes` (borrowed until the next Begin). A node's steps come from its
  // free resources, its NodeInfo::releases and the running jobs' allocations on it: ends are
  // rounded up to slots of `res` from `now` (an end at or before `now` still holds now: slot 1).
  // A running job whose start is after `now` is a future hold (see RunningJob), taken over
  // [start rounded down, end) only. `keep_reserved`: the reservations made by Reserve stay
  // (the caller says which nodes changed since, with Changed); otherwise they are dropped.
  void Begin(const std::vector<NodeInfo>& nodes, UnixTime now, Seconds res,
             const std::vector<RunningJob>& running, bool keep_reserved = false);
  // Node n's NodeInfo changed since the last pass (its group is worked out again).
  void Changed(uint32_t n);
  // The same with the running jobs' slots given: `end_slots[i]` is running[i]'s end (>= 1),
  // `start_slots[i]` its start (< 0: holds now; >= 0: a future hold). Empty `start_slots`: all
  // hold now. Future holds do not count as reservations (has_reservations()).
  void Init(const std::vector<NodeInfo>& nodes, const std::vector<RunningJob>& running,
            const std::vector<int64_t>& end_slots, const std::vector<int64_t>& start_slots = {});

  // A node nothing was taken from (Untouched) only gains room over time, so these answer for it
  // from its releases without building its steps: a plan that sweeps and ranks a wide job's
  // thousands of nodes builds none of them.
  const Resources& FreeNow(uint32_t n) const {
    const Marks& m = marks_[n];
    // No reservation has begun (they are in start order) and no running-list entry names it:
    // free now is its NodeInfo's less this pass's takes from now (free_now_), if any; takes
    // that begin later wait until the node is built (an EASY pass's reservation, on a thousand
    // nodes). A pass's changed nodes are releveled, and the nodes of the jobs it starts, without
    // building their steps.
    const bool plain =
        m.listed != pass_ && (reserved_[n].empty() || reserved_[n].front().start > grid_);
    if (plain && m.deferred != pass_) return (*nodes_)[n].free;
    if (plain && m.built != pass_) return m.deferred_from > 0 ? (*nodes_)[n].free : free_now_[n];
    return Built(n)[0].free;
  }
  const std::vector<Step>& Steps(uint32_t n) const { return Built(n); }
  // Asks the memory for what Steps(n) reads first (a plan asks a node of each of hundreds of
  // groups, each elsewhere in memory).
  void PrefetchSteps(uint32_t n) const {
    __builtin_prefetch(&marks_[n]);
    __builtin_prefetch(&steps_[n]);
  }
  // The free resources at `slot`.
  Resources FreeAt(uint32_t n, int64_t slot) const;
  // Componentwise minimum of the free resources over [a, b).
  Resources MinOver(uint32_t n, int64_t a, int64_t b) const;
  // {FreeNow(n), AvailNow(n, len)} at once: a node with steps has what is free now as its first
  // step's, and asking FreeNow apart read its reservations and NodeInfo as well.
  std::pair<Resources, Resources> NowAndAvail(uint32_t n, int64_t len) const {
    if (Untouched(n)) return {(*nodes_)[n].free, (*nodes_)[n].free};
    const std::vector<Step>& steps = Built(n);
    if (stable_until_[n] < 0) Refresh(n);
    return {steps[0].free, len <= stable_until_[n] ? steps[0].free : MinOver(n, 0, len)};
  }
  // MinOver(n, 0, len), in O(1) while no reservation on the node begins before `len`.
  Resources AvailNow(uint32_t n, int64_t len) const { return NowAndAvail(n, len).second; }
  // Takes `r` from node n over [a, b) for this pass only. A take on a node not built yet waits
  // until the node is built (most of a wide reservation's nodes never are).
  void Take(uint32_t n, int64_t a, int64_t b, const Resources& r);
  // Reserves `r` on node n for `owner` from absolute time `start` for `len` slots, until
  // dropped (Unreserve, or a Begin that does not keep reservations). Each pass places it from
  // the slot `start` rounds up to (from the pass's now) on; one whose start has passed holds
  // from now until its window ends.
  void Reserve(uint32_t n, UnixTime start, int64_t len, const Resources& r, uint64_t owner);
  // Gives back what Reserve took on node n for `owner`.
  void Unreserve(uint32_t n, uint64_t owner);
  // Node n's steps as Unreserve(n, owner) would leave them, changing nothing: a job looked at
  // again can be planned as if it had given its reservation back, and keep it untouched when
  // the plan comes out the same. False where the owner holds no single reservation there or
  // the node's steps ran out of room (Unreserve builds those again).
  bool StepsWithout(uint32_t n, uint64_t owner, std::vector<Step>* out) const;
  // What `owner` reserved on node n (null: nothing), and every owner of a reservation there.
  const Resources* ReservedFor(uint32_t n, uint64_t owner) const {
    for (const Reserved& e : reserved_[n]) {
      if (e.owner == owner) return &e.r;
    }
    return nullptr;
  }
  template <typename F>
  void ForEachOwnerOn(uint32_t n, F&& f) const {
    for (const Reserved& e : reserved_[n]) f(e.owner);
  }
  // A hash of node n's NodeInfo as steps are built from it (kind, free, releases), and whether
  // two nodes' are equal.
  uint64_t NodeInfoHash(uint32_t n) const;
  bool SameNodeInfo(uint32_t a, uint32_t b) const;
  // True once anything was taken from a future slot (a reservation).
  bool has_reservations() const { return has_reservations_ || reserved_count_ > 0; }
  // The nodes something was taken from, this pass or by a kept reservation: with the nodes
  // running-list entries name (holds), the only nodes whose steps are not just their releases.
  const std::vector<uint32_t>& TakenNodes() {
    MarkPending();
    return taken_nodes_;
  }
  bool IsTaken(uint32_t n) const { return flags_[n].taken != 0 || flags_[n].pending != 0; }
  // The taken nodes (TakenNodes) as a bitset by node number.
  const std::vector<uint64_t>& TakenBits() {
    MarkPending();
    return taken_bits_;
  }
  // Whether node n holds a reservation (Reserve), and the nodes that gained their first one or
  // whose last one was given back or dropped (each time), kept from pass to pass until the
  // caller clears it.
  bool HasReservation(uint32_t n) const { return !reserved_[n].empty(); }
  std::vector<uint32_t>& reservation_log() { return reservation_log_; }
  // From LogRegroups() until the next Begin, the nodes whose group or whether they are
  // Untouched may have changed (those TakenGroups regroups, and those that left the taken nodes)
  // are listed in regroup_log() until the caller clears it.
  void LogRegroups() { log_regroups_ = true; }
  std::vector<uint32_t>& regroup_log() { return regroup_log_; }
  // The taken nodes grouped by what their steps are made of (their NodeInfo, this pass's takes,
  // their reservations) and kind: the nodes of one group have equal steps and equal usable,
  // total and sockets, so a plan asks one of them and counts the rest. A conservative pass
  // reserves most of a large cluster in a few dozen distinct shapes (Curie: ~2,000 reserved
  // nodes in ~30 groups), and the nodes of a wide job it starts come out alike too. Groups may
  // be empty; a node's group is kept current as takes change it (only the nodes changed since
  // the last call are regrouped), and kept reservations keep their groups from pass to pass.
  //
  // What a plan's loop over the groups reads (the nodes, the first of them, the first rises) is
  // in the group's first cache line.
  struct alignas(64) TakenGroup {
    std::vector<uint32_t> nodes;
    // nodes.front() while nodes is not empty, kept beside the list: loops over hundreds of
    // groups ask each for one node, and reading it here saves a cache miss a group.
    uint32_t first = 0;
    // RoomFrom's answers: where the most CPUs free so far rises along the group's steps, as
    // (time the step begins, that many CPUs), worked out when first asked after the group took
    // its inputs (FindOrAddGroup). A group keeps its inputs from pass to pass, and its steps
    // lie in absolute time, so the answers stand (a later pass only drops steps now past).
    // Most groups have one or two rises (room now, and all of it after their reservations):
    // the first kInlineRises of `rises` are held here too (rises_held of them), and the list is
    // read only where it has more (more_rises).
    bool rises_known = false;
    bool more_rises = false;
    uint8_t rises_held = 0;
    static constexpr uint8_t kInlineRises = 2;
    UnixTime rise_at[kInlineRises] = {};
    uint32_t rise_cpus[kInlineRises] = {};
    uint64_t hash = 0;
    std::vector<std::pair<UnixTime, uint32_t>> rises;
  };
  std::span<const TakenGroup> TakenGroups();
  // The earliest time at which a node of group g (as of the last TakenGroups) may have `cpus`
  // free CPUs, or kNoTime: no step has that many. A plan passes by a group that has none by its
  // cap without fetching the group's steps (three in four of the groups a plan asks).
  UnixTime RoomFrom(uint32_t g, uint32_t cpus) {
    const TakenGroup& group = groups_[g];
    if (!group.rises_known) FindRises(g);
    for (uint8_t i = 0; i < group.rises_held; ++i) {
      if (group.rise_cpus[i] >= cpus) return group.rise_at[i];
    }
    if (group.more_rises) {
      for (size_t i = group.rises_held; i < group.rises.size(); ++i) {
        if (group.rises[i].second >= cpus) return group.rises[i].first;
      }
    }
    return kNoTime;
  }
  static constexpr UnixTime kNoTime = std::numeric_limits<UnixTime>::max();
  // Calls f(g) for each group of the last TakenGroups that has nodes, in group order: emptied
  // groups wait in place for reuse, and loops over the groups passed by as many of them as
  // there were groups with nodes (CEA-Curie conservative: over half).
  template <typename F>
  void ForEachLiveGroup(F&& f) const {
    for (size_t w = 0; w < live_groups_.size(); ++w) {
      for (uint64_t bits = live_groups_[w]; bits != 0; bits &= bits - 1) {
        f(static_cast<uint32_t>(w * 64 + std::countr_zero(bits)));
      }
    }
  }
  // What TakenGroups has yet to do: the nodes it would regroup, and the groups it returns.
  size_t RegroupsPending() const { return regroup_.size(); }
  uint32_t GroupCount() const { return group_count_; }
  // The node's group as of the last TakenGroups (nodes changed since: none), or kNoGroup.
  uint32_t GroupOf(uint32_t n) const {
    const Flags& f = flags_[n];
    return f.grouped != 0 && f.regroup == 0 && f.pending == 0 ? f.group : kNoGroup;
  }
  static constexpr uint32_t kNoGroup = UINT32_MAX;
  // The slot at which resources returning at `end` are free again (Begin's rounding).
  int64_t EndSlot(UnixTime end) const;
  // Nothing was taken from node n this pass, it holds no reservation and no running-list entry
  // names it: its room only grows over time, as its releases say.
  bool Untouched(uint32_t n) const { return touched_[n] < pass_; }

 private:
  const std::vector<Step>& Built(uint32_t n) const {
    if (marks_[n].built != pass_) {
      if (Kept(n)) {
        Shift(n);
      } else {
        Build(n);
      }
    }
    return steps_[n];
  }
  void Build(uint32_t n) const;
  // Moves steps built at an earlier pass of the chain to this pass's slots.
  void Shift(uint32_t n) const;
  // Steps built at an earlier pass of the chain still hold (after Shift).
  bool Kept(uint32_t n) const { return valid_[n] == chain_ && valid_until_[n] > grid_; }
  void Prepare(const std::vector<NodeInfo>& nodes, const std::vector<RunningJob>& running,
               bool keep_reserved);
  size_t Split(uint32_t n, int64_t slot) const;  // ensures a step starts at `slot`; returns it
  void Refresh(uint32_t n) const;
  // Returns the index of the step beginning at `a`.
  size_t TakeBuilt(uint32_t n, int64_t a, int64_t b, const Resources& r) const;
  // After a take from [a, b) on a built node: where the room first drops below free now.
  void TookFrom(uint32_t n, size_t first, int64_t b);
  // TakeBuilt, then where the room first drops below free now (from scratch after a take from
  // now, which changes free now).
  void TakeBuiltNow(uint32_t n, int64_t a, int64_t b, const Resources& r);
  void MarkTaken(uint32_t n);
  // Take's nodes join the taken nodes (and their groups) when next asked for: an EASY pass
  // takes a wide reservation's thousand nodes after its one plan, and never asks.
  void MarkPending();
  void Untake(uint32_t n);
  // Node n changed since it was grouped. Regroup: in any way; RegroupFor: by a reservation made
  // or given back, a take or a new NodeInfo, recorded (RegroupCause) so that TakenGroups can
  // tell nodes of one group that the same changes reached (a plan's reservation on its nodes, a
  // job started on them) without comparing their inputs.
  struct GroupOp {
    enum Kind : uint8_t { kReserve, kUnreserve, kTake, kInfo, kTakesDropped } kind;
    UnixTime start;  // Take: the first slot
    int64_t len;     // Take: the slot it ends at
    Resources r;
    bool operator==(const GroupOp&) const = default;
  };
  void Regroup(uint32_t n);
  void RegroupFor(uint32_t n, const GroupOp& op) {
    if (!flags_[n].regroup) RegroupFirst(n);
    AddCause(n, op);
  }
  // RegroupFirst's list entry and cause; the cause alone (StartCause), and an op added to it.
  void RegroupFirst(uint32_t n);
  void StartCause(uint32_t n);
  void FindRises(uint32_t g);  // RoomFrom's TakenGroup::rises
  void AddCause(uint32_t n, const GroupOp& op) {
    RegroupCause& cause = cause_[n];
    if (cause.from == kNoGroup) return;
    if (cause.count == 2) {
      cause.from = kNoGroup;
      return;
    }
    if (op_id_ == 0 || !(op == last_op_)) {
      last_op_ = op;
      ++op_id_;
    }
    cause.ops[cause.count++] = op_id_;
  }

  const std::vector<NodeInfo>* nodes_ = nullptr;
  const std::vector<RunningJob>* running_ = nullptr;
  UnixTime now_ = 0;
  Seconds res_ = 1;
  // Slots are counted on one grid of res_ from the epoch, so that steps built at one pass hold
  // at the next: slot 0 is the grid slot now falls in (grid_slot_, beginning at grid_), and a
  // slot s > 0 begins at grid_ + s x res_.
  int64_t grid_slot_ = 0;
  UnixTime grid_ = 0;
  // Steps built at an earlier pass stay valid while valid_[n] == chain_ (a Begin that keeps
  // reservations goes on with the chain) and no release they hold is due (valid_until_):
  // they were built on grid slot built_grid_[n].
  uint64_t chain_ = 1;
  mutable std::vector<uint64_t> valid_;
  mutable std::vector<int64_t> built_grid_;
  mutable std::vector<UnixTime> valid_until_;
  std::vector<int64_t> end_slots_, start_slots_;  // per running job
  // Running jobs' allocations by node: a list per node through `next`, valid for this pass.
  struct AllocRef {
    int32_t next;
    uint32_t job;
    uint32_t alloc;
  };
  std::vector<AllocRef> refs_;
  // What is done with each node, in one place (a wide reservation visits each of its nodes
  // once): each stamp is pass_ when true for this pass; the flags outlive the pass.
  struct Marks {
    uint64_t built = 0;     // steps_ current (built lazily, hence mutable)
    uint64_t listed = 0;    // refs_head starts its running-list entries
    uint64_t deferred = 0;  // deferred_head starts this pass's takes
    int32_t refs_head = -1;
    int32_t deferred_head = -1;
    int64_t deferred_from = 0;  // the first slot this pass's takes begin at
    uint32_t taken_pos = 0;
  };
  mutable std::vector<Marks> marks_;
  // What GroupOf and IsTaken read, apart from Marks: 8 bytes a node, asked of every node a plan
  // ranks or a walk passes.
  struct Flags {
    uint32_t group = 0;   // groups_[group] holds the node while `grouped`
    uint8_t taken = 0;    // in taken_nodes_ (at Marks::taken_pos)
    uint8_t regroup = 0;  // in regroup_
    uint8_t grouped = 0;  // in groups_[group]
    uint8_t pending = 0;  // in pending_ (taken this pass, not marked yet)
  };
  std::vector<Flags> flags_;
  uint64_t pass_ = 0;
  // What Untouched asks, 8 bytes a node in one array (plans, walks and freed-node checks ask it
  // of thousands of nodes, where reading Marks and the reservation list cost two cache misses
  // a node): kHeld while the node holds a reservation, else the last pass that listed it
  // (running-list entries) or took from it (Take), 0 if none.
  std::vector<uint64_t> touched_;
  static constexpr uint64_t kHeld = UINT64_MAX;
  void Touch(uint32_t n) {
    if (touched_[n] != kHeld) touched_[n] = pass_;
  }
  mutable std::vector<std::vector<Step>> steps_;
  // Reservations by node, in absolute time, sorted so that alike nodes list them alike.
  struct Reserved {
    UnixTime start;
    int64_t len;
    Resources r;
    uint64_t owner;
  };
  std::vector<std::vector<Reserved>> reserved_;
  std::vector<uint64_t> reserved_hash_;  // sum of ReservedHash over reserved_[n]
  static uint64_t ReservedHash(const Reserved& e);
  // ReservedHash, remembering the last window asked: a reservation's nodes ask the same one.
  uint64_t ReservedHashOf(const Reserved& e) {
    if (e.start != hashed_.start || e.len != hashed_.len || !(e.r == hashed_.r)) {
      hashed_ = e;
      hashed_value_ = ReservedHash(e);
    }
    return hashed_value_;
  }
  Reserved hashed_{-1, -1, {}, 0};
  uint64_t hashed_value_ = ReservedHash(hashed_);
  // A reservation's window in this pass's slots, [a, b): from where its start rounds up to (0
  // once it has passed) for its length from there; b <= 0 once it is over.
  std::pair<int64_t, int64_t> WindowOf(const Reserved& e) const;
  static uint64_t ResourcesHash(const Resources& r);
  // Some take found less room than it took (inconsistent input): giving one back is not exact.
  mutable std::vector<uint8_t> saturated_;
  // While Marks::deferred is this pass's: the node's free now less this pass's takes from now.
  std::vector<Resources> free_now_;
  size_t reserved_count_ = 0;
  // Nodes this pass took from (Take): their takes end with the pass.
  std::vector<uint32_t> pass_taken_;
  std::vector<uint32_t> pending_;  // see MarkPending
  // First slot where the node's free drops below what is free now; before it, the minimum over
  // any window starting now is simply FreeNow.
  // (kStaleStable: not worked out since the steps last grew; AvailNow works it out.)
  mutable std::vector<int64_t> stable_until_;
  static constexpr int64_t kStaleStable = -1;
  // NodeInfoHash by node, valid while info_hash_chain_[n] == chain_ (Changed drops it).
  mutable std::vector<uint64_t> info_hash_, info_hash_chain_;
  mutable std::vector<std::pair<int64_t, const Resources*>> scratch_;
  // Build's take edges (+ where a take begins, - where it ends) and release levels.
  struct Edge {
    int64_t slot, cpus, mem, gpus;
  };
  mutable std::vector<Edge> edges_;
  mutable std::vector<Step> base_;
  bool has_reservations_ = false;
  std::vector<uint32_t> taken_nodes_;
  std::vector<uint64_t> taken_bits_;       // taken_nodes_ by node number
  std::vector<uint32_t> reservation_log_;  // see reservation_log()
  bool log_regroups_ = false;
  std::vector<uint32_t> regroup_log_;  // see regroup_log()
  // This pass's takes, applied when the node is built (and again if a reservation given back
  // makes it build anew): one list for all nodes, chained per node from Marks::deferred_head.
  struct Deferred {
    int64_t a, b;
    Resources r;
    int32_t next;
  };
  std::vector<Deferred> deferred_;
  // TakenGroups: groups_[flags_[n].group].nodes[pos_in_group_[n]] == n while Flags::grouped;
  // regroup_ lists taken nodes changed since they were grouped. Nodes group by what builds
  // their steps (which is the same in every pass), not by the steps of one pass.
  uint64_t InputsHash(uint32_t n) const;
  bool SameInputs(uint32_t a, uint32_t b) const;
  void Ungroup(uint32_t n);
  uint32_t FindOrAddGroup(uint32_t n, uint64_t hash);
  void GrowGroupTable();
  // groups_[0, group_count_) are this pass's (later ones keep their storage for reuse).
  std::vector<TakenGroup> groups_;
  uint32_t group_count_ = 0;
  std::vector<uint64_t> live_groups_;  // by group: has nodes (ForEachLiveGroup)
  std::vector<uint32_t> free_groups_;
  // Nonempty groups by hash: open addressing, linear probing; kNoGroup marks an empty slot,
  // kGoneGroup one whose group emptied (probes go on past it).
  static constexpr uint32_t kGoneGroup = UINT32_MAX - 1;
  std::vector<std::pair<uint64_t, uint32_t>> group_table_;
  uint32_t group_table_used_ = 0;  // slots not kNoGroup
  std::vector<uint32_t> pos_in_group_;
  std::vector<uint32_t> regroup_;
  // By node, while in regroup_: its group when first changed and the changes since, when they
  // were at most two reservations made or given back (from == kNoGroup otherwise). Nodes of one
  // group changed alike have equal inputs again (inputs compare reservations by window and
  // resources, as the ops record them).
  struct RegroupCause {
    uint32_t from = kNoGroup;
    uint32_t count = 0;
    uint64_t ops[2] = {0, 0};  // op ids (op_id_)
    // One op was a change of its NodeInfo (Changed: a job started or ended on it, where a
    // wide job's nodes change alike): the nodes it leads to a group with are checked to have
    // equal NodeInfo, as their reservations are equal by the rest of the cause.
    bool info = false;
    bool operator==(const RegroupCause& o) const {
      return from == o.from && count == o.count && ops[0] == o.ops[0] &&
             (count < 2 || ops[1] == o.ops[1]);
    }
  };
  // RegroupCause::from for a node that was Untouched (not in any group).
  static constexpr uint32_t kFromUntouched = UINT32_MAX - 2;
  // Changed's op (the NodeInfo itself is compared apart: RegroupCause::info).
  static constexpr GroupOp kInfoChanged{GroupOp::kInfo, 0, 0, {}};
  // A new pass's op on the nodes the last one took from (Take): its takes are gone.
  static constexpr GroupOp kTakesDropped{GroupOp::kTakesDropped, 0, 0, {}};
  // Ops by id: an op equal to the last one recorded gets its id, any other a new one, so that
  // equal ids are equal ops (a reservation's nodes take one op in a row).
  GroupOp last_op_{};
  uint64_t op_id_ = 0;
  std::vector<RegroupCause> cause_;
  // TakenGroups' scratch: the group each cause led to, this call.
  std::vector<std::pair<RegroupCause, uint32_t>> led_to_;
  static constexpr size_t kCausesKept = 64;
  // Take records its op as a cause (this pass keeps the last one's reservations).
  bool causes_for_takes_ = false;
};

// A candidate set's usable nodes bucketed by free CPUs ("level"), one bitset per level over the
// nodes in (weight, index) order. Finding the best-fit node is a walk up from the level a job
// needs; rejecting a job is a count check.
class NodeIndex {
 public:
  static constexpr int32_t kAbsent = -1;
  static constexpr uint32_t kMaxLevel = 1024;  // higher free CPU counts share the top level

  // `order`: node indexes sorted by (weight, index); `max_cpus`: largest total CPUs among them.
  NodeIndex(std::vector<uint32_t> order, uint32_t max_cpus);

  uint32_t size() const { return static_cast<uint32_t>(order_.size()); }
  uint32_t node(uint32_t local) const { return order_[local]; }
  uint32_t top() const { return top_; }
  uint32_t ClampLevel(uint64_t cpus) const {
    return static_cast<uint32_t>(cpus < top_ ? cpus : top_);
  }
  void Set(uint32_t local, int32_t level);
  // Nodes with at least `level` free CPUs (an upper bound where `level` is in the top level).
  uint32_t CountAtLeast(uint32_t level) const;
  // An upper bound on the tasks of `cpus_per_task` CPUs the indexed nodes hold.
  uint64_t TasksBound(uint32_t cpus_per_task) const;

  // Visitors: f(node index) returns false to stop. Levels from `from` up (or down from the top),
  // each level in (weight, index) order; or all nodes in (weight, index) order.
  template <typename F>
  void VisitUp(uint32_t from, F&& f) const {
    for (uint32_t l = ClampLevel(from); l <= top_; ++l) {
      if (count_[l] > 0 && !VisitLevel(l, f)) return;
    }
  }
  template <typename F>
  void VisitDown(uint32_t from, F&& f) const {
    const uint32_t lo = ClampLevel(from);
    for (uint32_t l = top_ + 1; l-- > lo;) {
      if (count_[l] > 0 && !VisitLevel(l, f)) return;
    }
  }
  // VisitDown less the nodes set in `skip`, a bitset by node number (a plan's sweep passes
  // reserved nodes by): only where the index holds nodes 0, 1, ... in that order (by_number()).
  template <typename F>
  void VisitDownSkipping(uint32_t from, const std::vector<uint64_t>& skip, F&& f) const {
    const uint32_t lo = ClampLevel(from);
    for (uint32_t l = top_ + 1; l-- > lo;) {
      if (count_[l] > 0 && !VisitLevel(l, f, &skip)) return;
    }
  }
  bool by_number() const { return by_number_; }
  template <typename F>
  void VisitByOrder(uint32_t from, F&& f) const {
    const int32_t lo = static_cast<int32_t>(ClampLevel(from));
    for (uint32_t i = 0; i < order_.size(); ++i) {
      if (level_[i] >= lo && !f(order_[i])) return;
    }
  }

 private:
  // `skip` (null: none): nodes by number the visit passes by (see VisitDownSkipping).
  template <typename F>
  bool VisitLevel(uint32_t l, F& f, const std::vector<uint64_t>* skip = nullptr) const {
    const uint64_t* w = &bits_[size_t{l} * words_];
    for (uint32_t i = 0; i < words_; ++i) {
      const uint64_t passed = skip != nullptr && i < skip->size() ? (*skip)[i] : 0;
      for (uint64_t b = w[i] & ~passed; b != 0; b &= b - 1) {
        if (!f(order_[i * 64 + std::countr_zero(b)])) return false;
      }
    }
    return true;
  }

  std::vector<uint32_t> order_;
  std::vector<int32_t> level_;  // per local position; kAbsent when unusable
  uint32_t top_ = 0;
  uint32_t words_ = 0;
  std::vector<uint64_t> bits_;  // (top_ + 1) levels x words_
  std::vector<uint32_t> count_;
  uint64_t level_sum_ = 0;  // the indexed nodes' levels summed
  bool by_number_ = false;  // order_[i] == i throughout
};

}  // namespace sluice::core::sched::internal
