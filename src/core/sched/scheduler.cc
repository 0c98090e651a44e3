// One scheduling pass: fifo, EASY and conservative backfill over a planner.
//
// Costs, for N nodes and a queue of Q jobs: a node's planner steps are built when the pass first
// looks at the node (O(its running jobs log)); with a PassCache the node indexes survive between
// passes and only changed nodes are releveled. Trying to start a job now walks the candidate
// set's node index from the free-CPU level the job needs, so a job that cannot fit is usually
// rejected by a count check, and one that fits stops at the nodes it takes. Planner queries
// (reservations, expected starts) are bounded by bf_max_job_test; each costs the nodes with room
// now plus the releases up to the planned start, plus O(steps) for every node a reservation of
// this pass touched (without releases in NodeInfo: O(N x steps)). A pass takes resources and
// gives back only a kept reservation of a job it looks at again, so failed tries are memoized
// per job shape until then, plans until the planner changes, since real queues hold many jobs
// of one shape.
#include "core/sched/scheduler.h"

#include <algorithm>
#include <deque>
#include <iterator>
#include <memory>
#include <optional>
#include <span>
#include <unordered_map>

#include "core/sched/framework.h"
#include "core/sched/internal/gpu.h"
#include "core/sched/internal/planner.h"

namespace sluice::core::sched {

void SetGpus(NodeInfo* node, std::vector<model::Gpu> gpus) {
  node->gpus = std::move(gpus);
  node->total.gpus = static_cast<uint32_t>(node->gpus.size());
  node->free.gpus = static_cast<uint32_t>(
      std::count_if(node->gpus.begin(), node->gpus.end(),
                    [](const model::Gpu& g) { return !g.whole && g.shares_used == 0; }));
}

Result<Options> Options::FromConfig(const cluster::SchedulerConfig& config) {
  Options o;
  if (config.policy == "fifo") {
    o.policy = Policy::kFifo;
  } else if (config.policy == "easy") {
    o.policy = Policy::kEasy;
  } else if (config.policy == "conservative") {
    o.policy = Policy::kConservative;
  } else {
    return InvalidArgument("unknown scheduler policy '" + config.policy +
                           "'; use fifo, easy or conservative");
  }
  if (config.bf_window <= 0 || config.bf_resolution <= 0) {
    return InvalidArgument("bf_window and bf_resolution must be positive");
  }
  o.bf_window = config.bf_window;
  o.bf_resolution = config.bf_resolution;
  o.bf_max_job_test = config.bf_max_job_test;
  o.default_queue_depth = config.default_queue_depth;
  o.bf_continue = config.bf_continue;
  if (!KnownPlacement(config.placement)) {
    return InvalidArgument("unknown scheduler placement '" + config.placement + "'; use " +
                           PlacementNamesForMessage());
  }
  if (!KnownGpuPlacement(config.gpu_placement)) {
    return InvalidArgument("unknown GPU placement '" + config.gpu_placement + "'; use " +
                           GpuPlacementNamesForMessage());
  }
  o.placement = config.placement;
  o.gpu_placement = config.gpu_placement;
  o.pending_reasons = config.pending_reasons;
  return o;
}

namespace internal {

// Which nodes a candidate set's node index holds, and how it levels them.
enum IndexKind : uint8_t {
  kAllNodes,    // every node, by free CPUs
  kWholeGpus,   // nodes with GPUs; level 0 while none is free whole
  kSharedGpus,  // nodes with a GPU list; level 0 while no GPU has share room
  kIndexKinds,
};

// What makes two jobs interchangeable for memoized verdicts.
struct ShapeKey {
  uint32_t set, tasks, cpt, nodes, tpn, tps, gpus, shares, placement;
  uint64_t mem_node, mem_cpu, gpu_mem, gpu_type;
  int64_t len;
  bool exclusive;
  uint8_t mode;
  bool operator==(const ShapeKey&) const = default;
};

struct ShapeKeyHash {
  size_t operator()(const ShapeKey& k) const {
    uint64_t h = 1469598103934665603ull;
    auto mix = [&h](uint64_t v) { h = (h ^ v) * 1099511628211ull; };
    mix(k.set);
    mix(k.tasks);
    mix(k.cpt);
    mix(k.nodes);
    mix(k.tpn);
    mix(k.tps);
    mix(k.gpus);
    mix(k.shares);
    mix(k.placement);
    mix(k.mem_node);
    mix(k.mem_cpu);
    mix(k.gpu_mem);
    mix(k.gpu_type);
    mix(static_cast<uint64_t>(k.len));
    mix(k.exclusive);
    mix(k.mode);
    return h;
  }
};

// A candidate set as passes see it: its nodes' kinds and, built on first use, node indexes.
struct CandSet {
  const std::vector<uint32_t>* nodes = nullptr;
  std::vector<std::pair<Resources, uint32_t>> types;  // distinct totals, with counts
  uint32_t min_cpus = 0, max_cpus = 0;
  uint32_t max_sockets = 1;  // node types ignore sockets: their checks use the most (optimistic)
  int32_t index[kIndexKinds] = {-1, -1, -1};  // into indexes by IndexKind, built on first use
  std::vector<uint8_t> member;                // by node: in the set (built on first use)
};

}  // namespace internal

// What passes share through a PassCache (a pass without one uses a fresh State).
struct PassCache::State {
  bool valid = false;
  size_t node_count = 0, external_count = 0;
  internal::Planner planner;
  internal::Planner base;  // only while some running job is a future hold, see Pass
  // Candidate sets: the caller's (external, kept) and jobs' own lists (this pass only).
  std::vector<internal::CandSet> sets;
  std::vector<uint32_t> set_of_external;  // caller's set -> sets index; UINT32_MAX: not yet
  std::vector<uint8_t> set_is_own;        // by sets index
  std::vector<std::unique_ptr<internal::NodeIndex>> indexes;  // null: an own set's, dropped
  std::vector<internal::IndexKind> index_kind;
  std::vector<uint32_t> index_set;  // by index: the sets index it serves
  std::vector<std::vector<std::pair<uint32_t, uint32_t>>> member_of;  // node -> (index, local)
  std::vector<int32_t> gpu_copy;  // node -> its pass GPU copy, -1: the snapshot's
  std::vector<uint8_t> mark;
  // The pass's scratch (Pass's members of the same names): kept here for its capacity, as a
  // replay runs tens of thousands of passes and each grew them from nothing.
  struct PlanEvent {
    int64_t slot;
    bool required;  // a -w node's range
    int32_t delta;  // +1: a range begins; -1: one ended the slot before
  };
  struct Scratch {
    std::vector<PlanEvent> events;
    std::vector<int32_t> diff, req_diff;
    std::vector<uint32_t> chosen;
    std::vector<std::pair<uint32_t, uint32_t>> spread;
    std::vector<uint32_t> spread_count;
    std::vector<std::tuple<uint32_t, int64_t, int64_t>> feasible;
    // Pass::EarliestMonotone's sweep: events by slot, and the planner groups and blocks whose
    // feasible ranges it works out as it goes (a RangeSource's range begins or ends at an event
    // naming it; kPlainEvent: a taken node's range edge, `delta` as is).
    struct SweepEvent {
      int64_t slot;
      int32_t delta;
      uint32_t source;
    };
    static constexpr uint32_t kPlainEvent = UINT32_MAX;
    struct RangeSource {
      const std::vector<internal::Step>* steps;
      uint32_t rep;     // the node asked for the group's (block's) verdicts
      uint32_t id;      // the planner group, or the virtual give-back's block
      bool own;         // a block
      int32_t count;    // nodes it stands for
      Resources need;   // what the job takes on each (HoldCheck's, asked of rep)
      size_t step = 0;  // FeasibleStarts' walk, resumed
      int64_t from = 0;
      bool tail = false;      // the walk's last range was given
      int64_t a = 0, b = -1;  // the range the source is in or comes to next
    };
    std::vector<SweepEvent> sweep;
    std::vector<RangeSource> sources;
    // The sweep's answer by runs: a planner group's nodes (none of them a virtual give-back's)
    // or a give-back's block, feasible at the start found as one, for Plan to rank as one.
    struct FeasibleRun {
      uint32_t id;  // the group, or the block
      bool own;     // a block
    };
    std::vector<FeasibleRun> feasible_runs;
    // Plan's runs scored once for all their nodes, and the keys with how many nodes have each.
    struct ScoredRun {
      int64_t key;
      const uint32_t* nodes;
      uint32_t size;
    };
    std::vector<ScoredRun> scored_runs;
    std::vector<std::pair<int64_t, uint32_t>> key_counts;
    std::vector<uint64_t> select_bits;  // by node number, zero between plans
    // Plan's ranking: by -score, then weight and node (packed in `tie`), as one 128-bit number
    // compared at once (selection compares a plan's hundreds of entries many times over): the
    // key, its sign bit flipped so that unsigned order is signed order, high; the tie low.
    struct Ranked {
      unsigned __int128 order;
      Ranked(int64_t key, uint64_t tie)
          : order(static_cast<unsigned __int128>(static_cast<uint64_t>(key) ^ (uint64_t{1} << 63))
                      << 64 |
                  tie) {}
      uint64_t tie() const { return static_cast<uint64_t>(order); }
      int64_t key() const {
        return static_cast<int64_t>(static_cast<uint64_t>(order >> 64) ^ (uint64_t{1} << 63));
      }
      bool operator<(const Ranked& o) const { return order < o.order; }
    };
    std::vector<Ranked> ranked, picked;
    // Pass::sk_: a look again's reservation given back, its nodes and their counts by planner
    // group, the nodes it moves; FreedBefore's answers by group (stamped); SortByNode's
    // scratch (node bits, each node's entry by node number, the sorted entries).
    struct LookAgain {
      std::vector<std::pair<uint32_t, Resources>> moved_out, moved_in, given_back_alloc;
      std::vector<uint32_t> own_nodes, own_in_group;
      std::vector<uint32_t> block_nodes;  // own_nodes by block (Pass::OwnBlock::first)
      std::vector<uint64_t> sort_bits;
      std::vector<uint32_t> sorted_nodes, alloc_nodes, entry_of;  // entry_of: by node number
      std::vector<std::pair<uint32_t, Resources>> sorted_alloc;
      std::vector<std::pair<uint64_t, bool>> group_answer;
      uint64_t group_answer_stamp = 0;
      // BeginVirtualBack: a planner group's first block (stamped by the look).
      std::vector<std::pair<uint64_t, uint32_t>> block_of_group;
      uint64_t block_stamp = 0;
    } look_again;
    // Pass::SortFreed's classes of freed nodes. `sort` counts the passes' first sorts, and
    // stamps what is current (a node's class, a planner group's), so nothing is cleared by node.
    struct FreedClass {
      uint32_t rep;    // a node of it, or kNoRep (Pass::RepOf finds one)
      uint32_t size;   // freed nodes in it
      uint32_t group;  // its planner group, or kNoGroup
      bool untouched;  // by NodeInfo: members lists its nodes (some may have left)
    };
    struct FreedClasses {
      uint64_t sort = 0;
      std::vector<FreedClass> classes;
      std::vector<uint32_t> class_of;  // by node, while classified == sort
      std::vector<uint64_t> classified;
      std::vector<std::vector<uint32_t>> members;  // by class, untouched classes only
      std::vector<size_t> member_pos;              // by class: members before it have left
      std::vector<uint32_t> own_in_class;          // FreedCouldHold's scratch, zero between calls
      std::vector<uint32_t> own_classes;           // the classes it counted in, to zero again
      std::unordered_map<uint64_t, uint32_t> by_key;        // untouched nodes' by NodeInfo hash
      std::vector<std::pair<uint64_t, uint32_t>> of_group;  // (sort, class) by planner group
    } freed;
  } scratch;
  // The passes' plugins, made for the options' names once rather than every pass (a replay runs
  // tens of thousands), and the allocations of the jobs a pass tries, kept for their capacity.
  struct Plugins {  // made while `scores` is empty or the names differ
    std::string placement, gpu_placement;
    std::vector<std::unique_ptr<FilterPlugin>> filters;
    std::vector<std::unique_ptr<ScorePlugin>> scores;  // [0]: Options::placement; then per job
    std::unordered_map<std::string, uint32_t> score_ids;
    std::unique_ptr<GpuScorePlugin> gpu_score;
    std::unique_ptr<internal::GpuPicker> picker;  // borrows gpu_score
  } plugins;
  std::vector<std::pair<uint32_t, Resources>> alloc;
  size_t examined_last = 0;  // jobs the last pass examined: its decisions' room
  // By node: its place + 1 among the nodes of a job planned as if it had given its reservation
  // back (Pass::BeginVirtualBack), zero elsewhere.
  std::vector<uint32_t> own_index;
  // Those nodes' steps without the job's reservation, by block (Pass::own_blocks_), kept for
  // their capacity.
  std::vector<std::vector<internal::Step>> own_steps;
  // Nodes whose index levels must be recomputed at the next pass's start.
  std::vector<uint32_t> changed;
  std::vector<uint8_t> changed_flag;
  // Each node's kind as a job's verdict on it sees it (Pass::HoldCheck): 0 while it is not
  // usable, else 1 + its (total, sockets) in node_kinds. Byte-sized and kept from pass to pass
  // (brought up to date for the changed nodes), so that asking a thousand nodes whether they
  // are of the kind just answered reads a few cache lines rather than every node's NodeInfo.
  std::vector<uint8_t> node_kind;
  std::vector<std::pair<Resources, uint32_t>> node_kinds;
  void SetKind(uint32_t n, const NodeInfo& node) {
    if (!node.usable) {
      node_kind[n] = 0;
      return;
    }
    // Mostly a node changed by a job's start or end: of its kind still.
    const uint8_t now = node_kind[n];
    if (now != 0 && now != kMixedKind && node_kinds[now - 1].second == node.sockets &&
        node_kinds[now - 1].first == node.total) {
      return;
    }
    size_t i = 0;
    while (i < node_kinds.size() &&
           !(node_kinds[i].first == node.total && node_kinds[i].second == node.sockets)) {
      ++i;
    }
    // Past 254 kinds, the rest share the last, which HoldCheck then asks of every node.
    if (i == node_kinds.size() && i < 254) node_kinds.emplace_back(node.total, node.sockets);
    node_kind[n] = i < 254 ? static_cast<uint8_t>(i + 1) : kMixedKind;
  }
  static constexpr uint8_t kMixedKind = 255;
  // The release times (NodeInfo::releases) of the nodes without a reservation in the planner,
  // in time order, each time with its nodes: planning a job on nodes that only gain room over
  // time walks these rather than the cluster (Pass::EarliestMonotone), and a reserved node is
  // worked out from its steps or group instead. A conservative pass reserves the nodes that
  // free up first, so a walk of every node's releases went mostly past reserved ones. Kept from
  // pass to pass (walk_valid) and brought up to date by the first plan that reads it
  // (Pass::ReleaseWalk), from the nodes whose releases changed (releases_stale) and those that
  // gained their first reservation or lost their last (Planner::reservation_log); nodes taken
  // otherwise (a start, the takes of a pass) stay in: the sweep passes them by. walk_keys[n]:
  // node n's entries in the walk (their times, sorted), so that an update edits only those.
  // A job's nodes all end at one time, so the walk holds a few hundred times of a few thousand
  // entries: an update edits the nodes of a time in place (the order of a time's nodes does
  // not matter to a plan) rather than merging a copy of every entry, which moved 0.8 GB over a
  // CEA-Curie replay for the few dozen entries each update changes. Each entry carries what its
  // node has free once its releases up to the time are back (WalkNode::free), so that a plan's
  // sweep reads the walk alone rather than each node's NodeInfo and releases (a million times
  // over a CEA-Curie replay, each elsewhere in memory).
  struct WalkTime {
    UnixTime time;
    uint32_t nodes;  // index into walk_nodes
  };
  struct WalkNode {
    Resources free;  // NodeInfo::free with the releases up to the time, at most its total
    uint32_t node;
  };
  std::vector<WalkTime> walk;                     // by time, each once
  std::vector<std::vector<WalkNode>> walk_nodes;  // the nodes of a time, in no order
  std::vector<uint32_t> walk_unused;              // walk_nodes entries no time holds
  struct WalkKey {
    UnixTime time;
    uint32_t pos;  // the node's place among the time's nodes
  };
  std::vector<std::vector<WalkKey>> walk_keys;
  std::vector<UnixTime> walk_new_keys;  // ReleaseWalk's scratch: a node's new keys
  bool walk_valid = false;
  std::vector<uint32_t> releases_stale;
  std::vector<uint8_t> releases_stale_flag;
  std::vector<uint64_t> walk_dirty;  // by node: == walk_epoch while its entries are redone
  uint64_t walk_epoch = 0;
  // The last pass's reservations by job: start (absolute), the job's limit, its nodes. A pass
  // after KeepReservations() commits them again rather than planning.
  struct Kept {
    UnixTime start = 0;  // a boundary of the planner's grid
    Seconds limit = 0;
    std::vector<std::pair<uint32_t, Resources>> alloc;
    // As planned: k nodes of r tasks, and at most `before` nodes could hold r tasks at any
    // earlier start (a rechecking pass adds the freed nodes that now could).
    uint32_t k = 0, r = 0, before = 0;
    uint64_t pass = 0;        // State::passes when made
    uint64_t freed_pass = 0;  // State::passes when a node it holds was freed (Pass::SortFreed)
    uint32_t blocker = 0;     // the alloc entry that had no room at the last check
    // (node, index in alloc) in node order, made when first needed (Pass::KeptStart).
    std::vector<std::pair<uint32_t, uint32_t>> by_node;
  };
  // Entries are updated in place by the pass that makes the reservation again (Kept::pass),
  // and the others dropped at the pass's end: a kept reservation copies nothing.
  std::unordered_map<model::JobId, Kept> kept;
  // Of `kept`: how many this pass made again (Kept::pass == passes), so that a pass that made
  // them all (most) does not walk the map to drop none; and no entry begins before
  // kept_min_start (a bound, made exact whenever the map is walked).
  size_t kept_marked = 0;
  UnixTime kept_min_start = std::numeric_limits<UnixTime>::min();
  void MarkKept(Kept& k) {
    if (k.pass != passes) ++kept_marked;
    k.pass = passes;
  }
  void UnmarkKept(Kept& k) {
    if (k.pass == passes) --kept_marked;
    k.pass = 0;
  }
  bool keep_reservations = false;
  bool keep_unseen = false;  // KeepUnseenReservations: the pass is handed only new jobs
  bool recheck_reservations = false;
  // The last pass was conservative and left its reservations in the planner (Reserve), kept
  // in `kept`: a pass the caller vouches for (keep or recheck) goes on from them.
  bool resumable = false;
  // Nodes freed since the last pass (NodeFreed), then during a rechecking pass also the nodes
  // of reservations it did not keep.
  std::vector<uint32_t> freed;
  std::vector<uint8_t> freed_flag;
  void Freed(uint32_t n) {
    if (n >= freed_flag.size()) freed_flag.resize(n + 1, 0);
    if (!freed_flag[n]) {
      freed_flag[n] = 1;
      freed.push_back(n);
    }
  }
  void ClearFreed() {
    for (uint32_t n : freed) freed_flag[n] = 0;
    freed.clear();
  }
  // Fit-only capacities carried along a conservative chain (Pass::CapacityNow): for a few
  // shapes, each node's capacity for the shape now and their sum, brought up to date from the
  // nodes whose free resources changed since (capacity_log: the nodes passes releveled, and
  // those of reservations that began). A pass asks the sum to tell a waiting job's reason,
  // once for every job started; summing it afresh visited every node with a free CPU.
  struct ChainCapacity {
    internal::ShapeKey key;
    std::vector<uint32_t> per_node;
    uint64_t total = 0;
    size_t log_pos = 0;  // capacity_log's entries from here on are not counted yet
  };
  static constexpr size_t kChainCapacities = 4;
  std::vector<ChainCapacity> chain_capacities;
  std::vector<uint32_t> capacity_log;
  void CapacityChanged(uint32_t n) {
    ++free_now_epoch;
    if (!chain_capacities.empty()) capacity_log.push_back(n);
  }
  // Counts changes of what is free now (a node releveled, a kept reservation begun, a take
  // from now; every pass off a conservative chain): a pass's memos of it hold while the count
  // is as it was, and along a chain so does a waiting job's reason, which asks only that
  // (fit_now, by shape: the epoch asked at and the verdict). A replay's passes after arrivals
  // alone asked every kept job again with nothing changed.
  uint64_t free_now_epoch = 0;
  std::unordered_map<internal::ShapeKey, std::pair<uint64_t, bool>, internal::ShapeKeyHash> fit_now;
  void ForgetCapacities() {
    chain_capacities.clear();
    capacity_log.clear();
  }

  // Per pass: a stamp of nodes a plan has seen.
  std::vector<uint64_t> seen;
  uint64_t seen_stamp = 0;
  // Passes counted; changed_in[n] == passes when node n changed since the pass before, and
  // changed_now lists those nodes.
  uint64_t passes = 0;
  std::vector<uint64_t> changed_in;
  std::vector<uint32_t> changed_now;

  void MarkReleasesStale(uint32_t n) {
    if (!releases_stale_flag[n]) {
      releases_stale_flag[n] = 1;
      releases_stale.push_back(n);
    }
  }
  void Changed(uint32_t n) {
    if (n < changed_flag.size() && !changed_flag[n]) {
      changed_flag[n] = 1;
      changed.push_back(n);
    }
  }
};

PassCache::PassCache() : state_(std::make_unique<State>()) {}
PassCache::~PassCache() = default;
// NodeChanged and NodeFreed are flattened, as ClusterState::MutableNodeAt: each comes once for
// every node of a job that starts or ends, where the list's push_back was a call.
[[gnu::flatten]] void PassCache::NodeChanged(uint32_t n) { state_->Changed(n); }
void PassCache::Reset() {
  state_->valid = false;
  state_->fit_now.clear();
  state_->ForgetCapacities();
  state_->kept.clear();
  state_->resumable = false;
}
void PassCache::KeepReservations() { state_->keep_reservations = true; }
bool PassCache::ReservationsStandUnseen(UnixTime now, size_t anchors) {
  State& s = *state_;
  if (!s.valid || !s.resumable || s.kept.size() != anchors) return false;
  if (s.kept_min_start <= now) {
    // The bound is made exact: a walk of the reservations, where a look at their jobs would be
    // a pass over them.
    s.kept_min_start = std::numeric_limits<UnixTime>::max();
    for (const auto& [id, kept] : s.kept) s.kept_min_start = std::min(s.kept_min_start, kept.start);
  }
  return s.kept_min_start > now;
}
void PassCache::KeepUnseenReservations() { state_->keep_unseen = true; }
[[gnu::flatten]] void PassCache::NodeFreed(uint32_t n) { state_->Freed(n); }
void PassCache::RecheckReservations() { state_->recheck_reservations = true; }

namespace {

using internal::CandSet;
using internal::GpuPicker;
using internal::IndexKind;
using internal::kAllNodes;
using internal::kIndexKinds;
using internal::kNever;
using internal::kSharedGpus;
using internal::kWholeGpus;
using internal::NodeIndex;
using internal::Planner;
using internal::ShapeKey;
using internal::ShapeKeyHash;
using Alloc = std::vector<std::pair<uint32_t, Resources>>;
using Walk = ScorePlugin::Walk;

// How a request spreads over nodes. Either "as few nodes as possible" (fewest), or exactly k
// nodes each holding at most r tasks, filled in order (Slurm's block distribution).
struct Shape {
  uint32_t tasks = 1;
  bool fewest = false;
  uint32_t k = 1;
  uint32_t r = 1;
};

Shape ShapeOf(const JobRequest& job) {
  Shape s;
  const uint32_t tasks = std::max<uint32_t>(job.tasks, 1);
  const uint32_t req = static_cast<uint32_t>(job.required.size());
  if (job.nodes == 0 && job.tasks_per_node == 0) {
    s.fewest = true;
    s.tasks = std::max(tasks, req);
    return s;
  }
  if (job.nodes > 0) {
    s.k = job.nodes;
    s.tasks = std::max({tasks, job.nodes, job.nodes * job.tasks_per_node});
  } else {
    s.tasks = tasks;
    s.k = (tasks + job.tasks_per_node - 1) / job.tasks_per_node;
  }
  s.r = std::max(job.tasks_per_node, (s.tasks + s.k - 1) / s.k);
  return s;
}

IndexKind KindOf(const JobRequest& job) {
  if (job.gpus_per_node > 0) return kWholeGpus;
  return internal::SharesOf(job) > 0 ? kSharedGpus : kAllNodes;
}

class Pass {
 public:
  Pass(const Options& options, UnixTime now, const std::vector<NodeInfo>& nodes,
       const std::vector<RunningJob>& running,
       const std::vector<std::vector<uint32_t>>& candidate_sets, PassCache::State& state)
      : sk_(state.scratch.look_again),
        opt_(options),
        now_(now),
        nodes_(nodes),
        external_sets_(candidate_sets),
        res_(std::max<Seconds>(options.bf_resolution, 1)),
        grid_(now - (now % res_ + res_) % res_),
        window_slots_(std::max<Seconds>(options.bf_window, 0) / res_),
        st_(state),
        filters_(state.plugins.filters),
        scores_(state.plugins.scores),
        score_ids_(state.plugins.score_ids),
        picker_(state.plugins.picker),
        planner_(state.planner),
        base_(state.base),
        sets_(state.sets),
        set_of_external_(state.set_of_external),
        indexes_(state.indexes),
        index_kind_(state.index_kind),
        member_of_(state.member_of),
        gpu_copy_(state.gpu_copy),
        mark_(state.mark),
        events_(state.scratch.events),
        diff_(state.scratch.diff),
        req_diff_(state.scratch.req_diff),
        chosen_(state.scratch.chosen),
        spread_(state.scratch.spread),
        spread_count_(state.scratch.spread_count),
        feasible_(state.scratch.feasible),
        sweep_(state.scratch.sweep),
        sources_(state.scratch.sources),
        ranked_scratch_(state.scratch.ranked),
        picked_(state.scratch.picked),
        feasible_runs_(state.scratch.feasible_runs),
        scored_runs_(state.scratch.scored_runs),
        key_counts_(state.scratch.key_counts),
        select_bits_(state.scratch.select_bits),
        fc_(state.scratch.freed) {
    PassCache::State::Plugins& plugins = state.plugins;
    if (plugins.scores.empty() || plugins.placement != options.placement ||
        plugins.gpu_placement != options.gpu_placement) {
      auto& registry = Registry::Global();
      plugins = {};
      if (auto f = registry.Filter("node-resources-fit"); f.ok())
        plugins.filters.push_back(std::move(f).value());
      auto s = registry.Score(options.placement);
      plugins.scores.push_back(s.ok() ? std::move(s).value() : registry.Score("best-fit").value());
      auto g = registry.GpuScore(options.gpu_placement);
      plugins.gpu_score =
          g.ok() ? std::move(g).value() : registry.GpuScore("least-occupied").value();
      plugins.picker = std::make_unique<GpuPicker>(plugins.gpu_score.get());
      plugins.placement = options.placement;
      plugins.gpu_placement = options.gpu_placement;
    }
    score_ = scores_[0].get();
    const size_t n = nodes.size();
    if (!st_.valid || st_.node_count != n || st_.external_count != candidate_sets.size()) {
      st_.sets.clear();
      st_.set_is_own.clear();
      st_.set_of_external.assign(candidate_sets.size(), UINT32_MAX);
      st_.indexes.clear();
      st_.index_kind.clear();
      st_.index_set.clear();
      st_.member_of.assign(n, {});
      st_.gpu_copy.assign(n, -1);
      st_.mark.assign(n, 0);
      st_.own_index.assign(n, 0);
      st_.changed.clear();
      st_.changed_flag.assign(n, 0);
      st_.node_kinds.clear();
      st_.node_kind.assign(n, 0);
      for (uint32_t i = 0; i < n; ++i) st_.SetKind(i, nodes[i]);
      st_.walk.clear();
      st_.walk_nodes.clear();
      st_.walk_unused.clear();
      st_.walk_keys.assign(n, {});
      st_.walk_valid = false;
      st_.releases_stale.clear();
      st_.releases_stale_flag.assign(n, 0);
      st_.walk_dirty.assign(n, 0);
      st_.seen.assign(n, 0);
      st_.changed_in.assign(n, 0);
      st_.kept.clear();
      st_.fit_now.clear();
      st_.resumable = false;
      st_.keep_reservations = false;
      st_.keep_unseen = false;
      st_.recheck_reservations = false;
      st_.node_count = n;
      st_.external_count = candidate_sets.size();
      st_.valid = true;
    }
    // The caller's lists are the same lists as last pass, perhaps moved.
    for (size_t i = 0; i < set_of_external_.size(); ++i) {
      if (set_of_external_[i] != UINT32_MAX) sets_[set_of_external_[i]].nodes = &candidate_sets[i];
    }
    // Every node's flag, read by node number (Freed grows it only as far as the nodes freed).
    if (st_.freed_flag.size() < n) st_.freed_flag.resize(n, 0);
    for (const auto& r : running) has_holds_ = has_holds_ || r.start > now_;
    resume_ = options.policy == Options::Policy::kConservative && st_.resumable &&
              (st_.keep_reservations || st_.recheck_reservations) && running.empty();
    planner_.Begin(nodes, now, res_, running, /*keep_reserved=*/resume_);
    if (has_holds_) base_.Begin(nodes, now, res_, running);
    // Passes that plan nothing leave the release walk's changes to the next that does; past a
    // point, making it afresh costs less.
    if (planner_.reservation_log().size() > 4 * size_t{n}) {
      planner_.reservation_log().clear();
      st_.walk_valid = false;
    }
    if (!resume_ || has_holds_) {
      // Off a conservative chain, what is free now is not tracked from pass to pass.
      st_.ForgetCapacities();
      ++st_.free_now_epoch;
    } else {
      // A kept reservation whose start has come holds its nodes now: their free resources
      // dropped though nothing changed them.
      if (now_ >= st_.kept_min_start) {
        for (const auto& [id, kept] : st_.kept) {
          if (kept.pass != st_.passes || kept.start > now_) continue;
          for (const auto& a : kept.alloc) st_.CapacityChanged(a.first);
        }
      }
      if (st_.capacity_log.size() > 4 * size_t{n}) st_.ForgetCapacities();
    }
    // Index levels kept from the last pass are stale where a node changed since; a hold that
    // begins within the first slot lowers its nodes' free now for this pass only, so those
    // are releveled now and again at the next pass.
    std::vector<uint32_t>& changed = st_.changed_now;
    changed.clear();
    changed.swap(st_.changed);
    for (uint32_t c : changed) st_.changed_flag[c] = 0;
    for (const auto& r : running) {
      if (r.start <= now_) continue;
      for (const auto& [node, res] : r.alloc) {
        if (node < n) {
          changed.push_back(node);
          st_.Changed(node);
        }
      }
    }
    ++st_.passes;
    st_.kept_marked = 0;
    // The reservations of the jobs the caller does not hand in are made again as they stand.
    unseen_ = resume_ && st_.keep_reservations && st_.keep_unseen;
    if (unseen_) {
      for (auto& [id, kept] : st_.kept) st_.MarkKept(kept);
    }
    for (uint32_t c : changed) {
      if (c >= n) continue;
      planner_.Changed(c);
      st_.SetKind(c, nodes_[c]);
      Relevel(c);
      st_.MarkReleasesStale(c);
      st_.changed_in[c] = st_.passes;
    }
    monotone_ = running.empty();
  }

  // A job's own candidate list lives for this pass only: its set and indexes are dropped (the
  // slots stay, emptied, until enough pile up to start afresh).
  ~Pass() {
    for (uint32_t n : gpu_touched_) gpu_copy_[n] = -1;
    size_t dropped = 0;
    for (size_t i = 0; i < indexes_.size(); ++i) {
      if (indexes_[i] == nullptr) {
        ++dropped;
        continue;
      }
      if (!st_.set_is_own[st_.index_set[i]]) continue;
      for (uint32_t local = 0; local < indexes_[i]->size(); ++local) {
        auto& members = member_of_[indexes_[i]->node(local)];
        std::erase_if(members, [i](const auto& m) { return m.first == i; });
      }
      indexes_[i].reset();
      ++dropped;
    }
    if (dropped > 256 || sets_.size() > external_sets_.size() + 4096) st_.valid = false;
  }

  // Pulls the queue from `next`; `stop_when_blocked`: a fifo pass stops at its blocked job.
  std::vector<Decision> Run(const JobSource& next, bool stop_when_blocked, PassStats* stats);
  void DropUnmarkedKept();

 private:
  PassCache::State::Scratch::LookAgain& sk_;  // scratch kept for its capacity
  // The job's placement: its index into scores_ (0: the pass default), loaded on first use. An
  // unknown name gets the default (callers validate names with KnownPlacement).
  uint32_t ScoreIdOf(const JobRequest& job) {
    if (job.placement.empty() || job.placement == opt_.placement) return 0;
    auto it = score_ids_.find(job.placement);
    if (it != score_ids_.end()) return it->second;
    uint32_t id = 0;
    if (auto s = Registry::Global().Score(job.placement); s.ok()) {
      id = static_cast<uint32_t>(scores_.size());
      scores_.push_back(std::move(s).value());
    }
    score_ids_.emplace(job.placement, id);
    return id;
  }
  bool Idle(uint32_t n) const { return planner_.FreeNow(n).cpus >= nodes_[n].total.cpus; }
  // Free over [0, len) counting running jobs, future holds and jobs started in this pass, but
  // not the pass's reservations: whether a job waits for priority rather than resources.
  Resources FreeIgnoringReservations(uint32_t n, int64_t len) const {
    return has_holds_ ? base_.AvailNow(n, len) : planner_.FreeNow(n);
  }
  // Takes resources from now on: from the planner, and from base_ when it is kept.
  void TakeNow(uint32_t n, int64_t b, const Resources& r) {
    ++st_.free_now_epoch;
    planner_.Take(n, 0, b, r);
    if (has_holds_) base_.Take(n, 0, b, r);
  }
  // Plan's earliest(k, r) for a job without -w nodes when no hold is planned and running jobs
  // come as releases. Nodes this pass took nothing from only gain room over time, so the k-th
  // of them to have room for r tasks comes from the nodes with room now and the release times
  // in order; nodes it started jobs on or reserved a window on are worked out step by step,
  // once per group of alike ones (Planner::TakenGroups). A blocked job is planned without
  // visiting the whole cluster. Fills feasible_ as earliest does (taken nodes only where they
  // are feasible at the start found, and only if `want_nodes`). -2: none within the window
  // (use earliest). Only starts up to slot `cap` are looked for (kCapped: none by then); the
  // window's end where cap is past it.
  int64_t EarliestMonotone(const JobRequest& job, uint32_t set_id, uint32_t k, uint32_t r,
                           int64_t len, bool want_nodes, int64_t cap);
  static constexpr int64_t kCapped = -3;
  static constexpr int64_t kNoCap = std::numeric_limits<int64_t>::max();
  // What the last Plan with nodes asked of each node (k nodes of r tasks), and the most nodes
  // that could hold it at any start before the one found (k - 1 where unknown).
  uint32_t plan_k_ = 0, plan_r_ = 0, plan_before_ = 0;
  uint32_t monotone_before_ = 0;  // EarliestMonotone's, for its last start found

  int64_t earliest_before_ = 0;  // Plan's earliest, likewise
  // KeptStart's bound on the nodes that could now hold its job before the kept start.
  uint32_t kept_before_ = 0;
  // NodeInfo::usable, from the byte a node kept by kind (a read of NodeInfo costs a cache miss
  // where hundreds of nodes are asked in turn).
  bool Usable(uint32_t n) const { return st_.node_kind[n] != 0; }
  // Whether usable node n can ever hold r tasks of the job (its GPUs, its size), and what r
  // tasks take there: `need` (compared by HasRoom).
  bool CanEverHold(const JobRequest& job, uint32_t n, uint32_t r, Resources* need) const {
    if (!nodes_[n].usable) return false;
    if (internal::WantsGpus(job) && !internal::GpuStaticFit(job, nodes_[n])) return false;
    const Resources& total = nodes_[n].total;
    if (Cap(job, n, total) < r) return false;
    *need = TaskResources(job, total, r);
    return true;
  }
  // CanEverHold for one job and r over many nodes: nodes alike in totals and sockets hold it
  // alike, so the filters run once per kind of node, not once per node (except for jobs that
  // want GPUs, which depend on each node's GPU list, or have per-node CPU caps).
  class HoldCheck {
   public:
    HoldCheck(const Pass& pass, const JobRequest& job, uint32_t r)
        : pass_(pass),
          job_(job),
          r_(r),
          alike_(!internal::WantsGpus(job) && job.cpu_caps == nullptr) {}
    // Whether the verdict depends only on a node's usable, total and sockets.
    bool alike() const { return alike_; }
    // The same kind of node as the last one answers at once (asked of thousands of nodes).
    [[gnu::always_inline]] bool operator()(uint32_t n, Resources* need) {
      if (alike_ && pass_.st_.node_kind[n] == kind_) {
        *need = need_;
        return ok_;
      }
      return Ask(n, need);
    }

   private:
    [[gnu::noinline]] bool Ask(uint32_t n, Resources* need) {
      if (!alike_) return pass_.CanEverHold(job_, n, r_, need);
      const NodeInfo& node = pass_.nodes_[n];
      if (!node.usable) return false;
      ok_ = pass_.CanEverHold(job_, n, r_, &need_);
      kind_ = pass_.st_.node_kind[n];
      if (kind_ == PassCache::State::kMixedKind) kind_ = kNoKind;
      *need = need_;
      return ok_;
    }
    static constexpr uint16_t kNoKind = 256;  // no node's kind: ask
    const Pass& pass_;
    const JobRequest& job_;
    const uint32_t r_;
    const bool alike_;
    bool ok_ = false;
    uint16_t kind_ = kNoKind;  // the kind last asked (PassCache::State::node_kind)
    Resources need_;
  };
  // Room for `need` in `free` on node n: the whole node when the job is exclusive. Room for r
  // tasks is a fixed resource vector, so steps are compared directly rather than through the
  // filters, once per node and not once per step.
  bool HasRoom(const JobRequest& job, uint32_t n, const Resources& need,
               const Resources& free) const {
    return job.exclusive ? free == nodes_[n].total : need.FitsIn(free);
  }
  // Calls emit(a, b) for each range of starts [a, b] within the window at which node n has room
  // for `need` over [s, s + len): a start is feasible when its run touches no step without it.
  // (NextRange, one range at a time.)
  // Up to `cap` (see NextRange), the window's end by default.
  template <typename Emit>
  void FeasibleStarts(const JobRequest& job, uint32_t n, const Resources& need, int64_t len,
                      Emit&& emit, int64_t cap = kNoCap) const {
    RangeSource src{&PlanSteps(n), n, 0, false, 1, need};
    while (NextRange(job, len, src, cap)) emit(src.a, src.b);
  }
  // Whether the whole GPUs the job would get on node n now sit on one socket (false on nodes
  // without a GPU list, where sockets are unknown, and where the job's GPUs do not fit).
  bool OneSocketNow(const JobRequest& job, uint32_t n, bool respect_plan) {
    if (GpusOf(n).empty() || !GpusFitNow(job, n, respect_plan, &gpu_scratch_)) return false;
    const std::vector<model::Gpu>& gpus = GpusOf(n);
    uint32_t socket = UINT32_MAX;
    for (const auto& a : gpu_scratch_) {
      if (a.shares != 0) continue;
      const auto it = std::find_if(gpus.begin(), gpus.end(),
                                   [&](const model::Gpu& g) { return g.index == a.index; });
      if (it == gpus.end()) continue;
      if (socket != UINT32_MAX && it->socket != socket) return false;
      socket = it->socket;
    }
    return true;
  }

  int64_t DurationSlots(Seconds d) const {
    if (d >= kUnlimited || d / res_ >= kNever) return kNever;
    if (d <= 0) return 1;
    return d / res_ + (d % res_ != 0);
  }
  static int64_t AddSlots(int64_t a, int64_t b) { return b >= kNever - a ? kNever : a + b; }

  uint32_t Cap(const JobRequest& job, uint32_t n, const Resources& avail) const {
    Resources capped = avail;
    capped.cpus = std::min(capped.cpus, CpuCap(job, n));
    NodeView v{n, &nodes_[n], capped};
    uint32_t c = UINT32_MAX;
    for (const auto& f : filters_) c = std::min(c, f->TasksFit(job, v));
    return c;
  }

  uint32_t SetOf(const JobRequest& job);
  // By node: whether the candidate set holds it.
  const std::vector<uint8_t>& MembersOf(uint32_t set_id);
  CandSet& Set(uint32_t id) { return sets_[id]; }
  NodeIndex& IndexFor(uint32_t set_id, IndexKind kind);
  int32_t LevelIn(IndexKind kind, uint32_t n) const {
    if (!nodes_[n].usable) return NodeIndex::kAbsent;
    const Resources& f = planner_.FreeNow(n);
    // In a GPU index a node without free GPUs (or share room) sits at level 0, which no job
    // asks for.
    if (kind == kWholeGpus && f.gpus == 0) return 0;
    if (kind == kSharedGpus && !internal::HasShareRoom(GpusOf(n))) return 0;
    return static_cast<int32_t>(std::min<uint32_t>(f.cpus, NodeIndex::kMaxLevel));
  }
  void Relevel(uint32_t n) {
    st_.CapacityChanged(n);
    for (const auto& [idx, local] : member_of_[n]) {
      indexes_[idx]->Set(local, LevelIn(index_kind_[idx], n));
    }
  }

  // A node's GPUs as the pass sees them: the snapshot, or the pass's copy once a job started
  // there took GPUs.
  const std::vector<model::Gpu>& GpusOf(uint32_t n) const {
    return gpu_copy_[n] < 0 ? nodes_[n].gpus : gpu_copies_[gpu_copy_[n]];
  }
  std::vector<model::Gpu>& MutableGpus(uint32_t n) {
    if (gpu_copy_[n] < 0) {
      gpu_copy_[n] = static_cast<int32_t>(gpu_copies_.size());
      gpu_copies_.push_back(nodes_[n].gpus);
      gpu_touched_.push_back(n);
    }
    return gpu_copies_[gpu_copy_[n]];
  }
  // Whether the job's GPUs can be chosen on node n now (true for jobs without GPUs and for
  // untyped whole GPUs on count-only nodes, which the resource filter counts). A share may take
  // an unshared GPU only while that leaves the whole GPUs the job and the planner's
  // reservations (`respect_plan`) need.
  bool GpusFitNow(const JobRequest& job, uint32_t n, bool respect_plan,
                  std::vector<model::GpuAllocation>* out) {
    if (out != nullptr) out->clear();
    if (!internal::WantsGpus(job)) return true;
    const std::vector<model::Gpu>& gpus = GpusOf(n);
    if (gpus.empty()) return internal::GpuStaticFit(job, nodes_[n]);
    bool fresh_ok = false;
    if (internal::SharesOf(job) > 0) {
      const uint32_t whole =
          respect_plan ? planner_.MinOver(n, 0, kNever).gpus : planner_.FreeNow(n).gpus;
      fresh_ok = whole > job.gpus_per_node;
    }
    return picker_->Pick(job, gpus, nodes_[n].gpu_overprovision_threshold, fresh_ok, out);
  }
  // Chooses the GPUs of a job starting now on `alloc` and records them (GPU state, and the
  // planner's whole-GPU count for GPUs taking their first share); false, changing nothing, when
  // some node cannot give them.
  bool AssignGpus(const JobRequest& job, const Alloc& alloc, bool respect_plan,
                  std::vector<std::vector<model::GpuAllocation>>* out) {
    out->assign(alloc.size(), {});
    if (!internal::WantsGpus(job)) return true;
    for (size_t i = 0; i < alloc.size(); ++i) {
      if (!GpusFitNow(job, alloc[i].first, respect_plan, &(*out)[i])) return false;
    }
    for (size_t i = 0; i < alloc.size(); ++i) {
      const uint32_t n = alloc[i].first;
      if ((*out)[i].empty()) continue;
      const uint32_t fresh = internal::ApplyGpus((*out)[i], &MutableGpus(n));
      // Shares are not planned: a GPU that took its first share leaves the whole-GPU count for
      // the rest of the window, as running sharers' GPUs never return to it.
      if (fresh > 0) TakeNow(n, kNever, Resources{0, 0, fresh});
    }
    return true;
  }

  bool EverFits(const JobRequest& job, const Shape& shape, const CandSet& cs) const;
  // Whether the job can start now, and on which nodes (`out`). `fit_only`: only whether; `out`
  // may then stay incomplete.
  bool TryNow(const JobRequest& job, const Shape& shape, uint32_t set_id, int64_t len,
              bool respect_plan, Alloc* out, bool fit_only = false);
  // Whether the job would fit the free resources now, were it not for reservations (its reason
  // to wait): TryNow's fit-only verdict, kept from pass to pass along a conservative chain
  // while nothing free now changed (State::fit_now). `scratch` may be overwritten.
  bool FitsFree(const JobRequest& job, const Shape& shape, uint32_t set_id, int64_t len_now,
                Alloc* scratch) {
    // Without holds the verdict depends on neither the run's length nor the placement.
    const bool along_chain = resume_ && !has_holds_ && job.required.empty() && score_id_ == 0 &&
                             !internal::WantsGpus(job) && job.cpu_caps == nullptr &&
                             !st_.set_is_own[set_id];
    if (!along_chain) return TryNow(job, shape, set_id, len_now, false, scratch, /*fit_only=*/true);
    const ShapeKey key = KeyOf(job, set_id, 0, 2);
    auto [it, fresh] = st_.fit_now.try_emplace(key);
    if (fresh || it->second.first != st_.free_now_epoch) {
      const bool fits = TryNow(job, shape, set_id, len_now, false, scratch, /*fit_only=*/true);
      it->second = {st_.free_now_epoch, fits};
    }
    return it->second.second;
  }
  // Whether the job surely cannot start now, by a count rather than TryNow's walk: filters only
  // narrow what free CPUs allow, so the tasks (or nodes of r tasks) that the index's levels of
  // free CPUs allow bound what the walk can find. With reservations (`respect_plan`) the count
  // takes each planner group's room over the run instead, which is alike on its nodes. Asked
  // for every job of every cluster whose running jobs come as releases; most jobs a
  // conservative pass looks at wait for some reservation, and the walk that finds so visits
  // every node with free CPUs.
  bool SurelyShort(const JobRequest& job, const Shape& shape, uint32_t set_id, int64_t len,
                   bool respect_plan);
  // Earliest slot within the window at which the job fits for its whole run (-1: none); with
  // `out`, also the nodes it would take there. `cap` (with `out` only): the latest start the
  // answer counts at, where a later one gives way to the reservation the job gave back to look
  // again: the sweep stops there and walks the planner groups' steps no further (they run
  // through every reservation to the window's end, days past most looks' answers), and sweeps
  // on only where nothing comes by then, so the answer is as without it.
  int64_t Plan(const JobRequest& job, const Shape& shape, uint32_t set_id, int64_t len, Alloc* out,
               int64_t cap = kNoCap);
  // Plan's nodes at `found` into chosen_: the required ones, then the best by score (higher
  // first), weight and number among the feasible ones (feasible_ and the sweep's runs), in that
  // order where Distribute gives them unequal shares.
  void ChooseNodes(const JobRequest& job, const Shape& shape, const CandSet& cs, uint32_t k,
                   uint32_t r, int64_t found, int64_t len);
  // MaxCPUsPerNode: the CPUs the job's group may still take on node n (UINT32_MAX: no cap).
  uint32_t CpuCap(const JobRequest& job, uint32_t n) const {
    if (job.cpu_caps == nullptr) return UINT32_MAX;
    auto it = caps_.find(job.cap_group);
    const std::vector<uint32_t>& caps = it != caps_.end() ? it->second : *job.cpu_caps;
    return n < caps.size() ? caps[n] : UINT32_MAX;
  }
  // Every node's capacity (cap) with at least `cpt` free CPUs, summed; kept by node in
  // `per_node` when given (nodes with fewer free CPUs hold no task).
  template <typename CapFn>
  static uint64_t SumCapacity(const NodeIndex& idx, uint32_t cpt, CapFn& cap,
                              std::vector<uint32_t>* per_node) {
    uint64_t total = 0;
    idx.VisitDown(cpt, [&](uint32_t n) {
      const uint32_t c = cap(n);
      if (per_node != nullptr) (*per_node)[n] = c;
      total += c;
      return true;
    });
    return total;
  }
  // SumCapacity carried along a conservative chain (PassCache::State::ChainCapacity): only
  // the nodes logged as changed since are asked again.
  template <typename CapFn>
  uint64_t CapacityNow(const ShapeKey& key, uint32_t set_id, const NodeIndex& idx, uint32_t cpt,
                       CapFn& cap) {
    auto& caps = st_.chain_capacities;
    auto it = std::find_if(caps.begin(), caps.end(), [&](const auto& c) { return c.key == key; });
    if (it == caps.end()) {
      if (caps.size() == PassCache::State::kChainCapacities) caps.erase(caps.begin());
      caps.emplace_back();
      it = caps.end() - 1;
      it->key = key;
      it->per_node.assign(nodes_.size(), 0);
      it->total = SumCapacity(idx, cpt, cap, &it->per_node);
    } else {
      const std::vector<uint8_t>& member = MembersOf(set_id);
      for (size_t i = it->log_pos; i < st_.capacity_log.size(); ++i) {
        const uint32_t n = st_.capacity_log[i];
        if (n >= nodes_.size() || !member[n]) continue;
        const uint32_t c = planner_.FreeNow(n).cpus >= cpt ? cap(n) : 0;
        it->total = it->total - it->per_node[n] + c;
        it->per_node[n] = c;
      }
    }
    it->log_pos = st_.capacity_log.size();
    // The log is kept from the oldest position a capacity still needs.
    size_t oldest = it->log_pos;
    for (const auto& c : caps) oldest = std::min(oldest, c.log_pos);
    if (oldest == st_.capacity_log.size()) {
      st_.capacity_log.clear();
      for (auto& c : caps) c.log_pos = 0;
    }
    return it->total;
  }
  // A started job's CPUs count against its group's caps for the rest of the pass.
  void ChargeCap(const JobRequest& job, const Alloc& alloc) {
    if (job.cpu_caps == nullptr) return;
    auto [it, inserted] = caps_.try_emplace(job.cap_group, *job.cpu_caps);
    for (const auto& [n, r] : alloc) {
      if (n < it->second.size()) it->second[n] -= std::min(it->second[n], r.cpus);
    }
  }
  // Starts (start 0) or reserves the job on `alloc`. Conservative reservations stay in the
  // planner for the passes after (Planner::Reserve); EASY's is made again by each pass.
  void Commit(const Alloc& alloc, int64_t start, int64_t len, model::JobId owner) {
    for (const auto& [n, r] : alloc) {
      if (start == 0) {
        TakeNow(n, AddSlots(start, len), r);
        Relevel(n);
      } else if (opt_.policy == Options::Policy::kConservative) {
        planner_.Reserve(n, grid_ + start * res_, len, r, owner);
      } else {
        planner_.Take(n, start, AddSlots(start, len), r);
      }
    }
    ++version_;
  }
  // A pass going on from the last one's reservations (resume_): whether the job's reservation
  // stands, so that the job needs no look at all. It does unless its start has come, or room
  // freed since (by ends, or by reservations given back earlier in this pass) could let it
  // begin earlier: a freed node under its own reservation, or enough freed nodes that could
  // hold it before its start to make up, with the `before` nodes its plan counted, its nodes.
  bool KeptStands(const JobRequest& job, uint32_t set_id, int64_t len,
                  PassCache::State::Kept& kept) {
    if (kept.limit != job.time_limit || kept.start <= now_) return false;
    if (st_.freed.empty()) return true;
    const Seconds ahead = kept.start - now_;
    const int64_t start = ahead / res_ + (ahead % res_ != 0);
    if (kept.before >= kept.k) return false;
    kept.before += FreedCouldHold(job, set_id, kept, len, start, kept.k - kept.before);
    return kept.before < kept.k;
  }
  // KeptStands' count: how many freed nodes could hold r tasks of the job at a start before
  // `start`, its own nodes counting its own room as free, up to `enough`. The freed nodes are
  // sorted into classes that answer alike (a planner group; untouched nodes with equal
  // NodeInfo), once for every change of the planner, since a given-back reservation frees
  // hundreds of nodes and dozens of kept jobs ask.
  uint32_t FreedCouldHold(const JobRequest& job, uint32_t set_id,
                          const PassCache::State::Kept& kept, int64_t len, int64_t start,
                          uint32_t enough) {
    HoldCheck holds(*this, job, kept.r);
    const CandSet& cs = sets_[set_id];
    Resources need;
    uint32_t count = 0;
    SortFreed();
    const bool own_freed = kept.freed_pass == st_.passes;
    // Classes pay where many nodes were freed (sorting them costs about what asking does).
    if (st_.freed.size() < kFewFreed || !holds.alike() || cs.nodes->size() != nodes_.size() ||
        !monotone_ || has_holds_) {
      return FreedBefore(job, set_id, kept.r, len, start, enough, own_freed ? job.id : 0);
    }
    // Every node is a candidate: its own freed nodes by runs of one group, the classes for the
    // rest.
    if (own_freed) {
      // Its nodes of one planner group holding it alike answer alike (equal steps and kind),
      // and come in a row: about 14 a run on CEA-Curie.
      uint32_t last_group = Planner::kNoGroup;
      Resources last_held;
      bool last_answer = false;
      fc_.own_classes.clear();
      for (const auto& [n, r] : kept.alloc) {
        if (n >= nodes_.size() || !st_.freed_flag[n]) continue;
        if (fc_.own_in_class[fc_.class_of[n]]++ == 0) fc_.own_classes.push_back(fc_.class_of[n]);
        if (count < enough && holds(n, &need)) {
          const uint32_t g = planner_.GroupOf(n);
          if (g == Planner::kNoGroup || g != last_group || !(r == last_held)) {
            last_answer =
                CouldStartBefore(job, n, need, len, start, &r, start, AddSlots(start, len));
            last_group = g;
            last_held = r;
          }
          count += last_answer;
        }
      }
    }
    for (uint32_t c = 0; c < fc_.classes.size() && count < enough; ++c) {
      const uint32_t others = fc_.classes[c].size - fc_.own_in_class[c];
      if (others == 0) continue;
      const uint32_t rep = RepOf(c);
      if (!holds(rep, &need)) continue;
      // An untouched node's room only grows: any start with room before `start` will do.
      const bool could = planner_.Untouched(rep)
                             ? HasRoom(job, rep, need, planner_.FreeAt(rep, start - 1))
                             : CouldStartBefore(job, rep, need, len, start, nullptr, 0, 0);
      if (could) count += others;
    }
    if (own_freed) {
      for (uint32_t c : fc_.own_classes) fc_.own_in_class[c] = 0;
    }
    return count;
  }
  // Brings FreedCouldHold's classes and the owners of reservations on freed nodes up to date.
  void SortFreed() {
    for (; freed_owners_size_ < st_.freed.size(); ++freed_owners_size_) {
      const uint32_t n = st_.freed[freed_owners_size_];
      if (n >= nodes_.size()) continue;
      planner_.ForEachOwnerOn(n, [&](uint64_t owner) {
        auto it = st_.kept.find(owner);
        if (it != st_.kept.end()) it->second.freed_pass = st_.passes;
      });
    }
    if (st_.freed.size() < kFewFreed ||
        (classes_version_ == version_ && classes_size_ == st_.freed.size())) {
      return;
    }
    classes_version_ = version_;
    planner_.TakenGroups();
    if (fc_.of_group.size() < planner_.GroupCount()) {
      fc_.of_group.resize(planner_.GroupCount(), {0, 0});
    }
    if (classes_size_ == 0) {
      // The first sort of the pass: from here on the planner logs the nodes it regroups, and
      // only those and the nodes freed since are sorted again (a pass's looks again each
      // change a few hundred nodes of the thousands freed).
      ++fc_.sort;
      fc_.classes.clear();
      fc_.by_key.clear();
      if (fc_.class_of.size() != nodes_.size()) {
        fc_.class_of.assign(nodes_.size(), 0);
        fc_.classified.assign(nodes_.size(), 0);
      }
      planner_.LogRegroups();
    } else {
      for (uint32_t n : planner_.regroup_log()) {
        if (n >= nodes_.size() || fc_.classified[n] != fc_.sort) continue;
        FreedClass& old = fc_.classes[fc_.class_of[n]];
        --old.size;
        if (old.rep == n) old.rep = kNoRep;
        Classify(n);
      }
    }
    planner_.regroup_log().clear();
    for (; classes_size_ < st_.freed.size(); ++classes_size_) {
      const uint32_t n = st_.freed[classes_size_];
      if (n < nodes_.size()) Classify(n);
    }
    fc_.own_in_class.assign(fc_.classes.size(), 0);
  }
  // Sorts freed node n into its class: taken nodes by planner group, untouched ones by NodeInfo
  // (equal keys are checked; a stranger with the key is alone).
  void Classify(uint32_t n) {
    const bool untouched = planner_.Untouched(n);
    const uint32_t g = untouched ? Planner::kNoGroup : planner_.GroupOf(n);
    bool added = true;
    uint32_t c = 0;
    if (g != Planner::kNoGroup) {
      // A group's class stays its class for the pass: a group emptied and made anew has lost
      // every node, each sorted again as it left.
      auto& [sort, cls] = fc_.of_group[g];
      added = sort != fc_.sort;
      if (added) sort = fc_.sort, cls = static_cast<uint32_t>(fc_.classes.size());
      c = cls;
    } else if (untouched) {
      const uint64_t key = planner_.NodeInfoHash(n);
      auto [it, fresh] = fc_.by_key.try_emplace(key, uint32_t(fc_.classes.size()));
      c = it->second;
      // A class whose nodes all left (no representative) takes this one; a stranger with the
      // key is alone.
      const uint32_t rep = fresh ? kNoRep : RepOf(c);
      added =
          fresh || (rep != kNoRep && !(planner_.Untouched(rep) && planner_.SameNodeInfo(rep, n)));
    }
    if (added) {
      c = static_cast<uint32_t>(fc_.classes.size());
      fc_.classes.push_back({kNoRep, 0, g, untouched});
      if (untouched) {
        if (fc_.members.size() <= c) fc_.members.resize(c + 1);
        fc_.members[c].clear();
        fc_.member_pos.resize(c + 1);
        fc_.member_pos[c] = 0;
      }
    }
    FreedClass& cls = fc_.classes[c];
    ++cls.size;
    if (cls.rep == kNoRep) cls.rep = n;
    if (cls.untouched) fc_.members[c].push_back(n);
    fc_.class_of[n] = c;
    fc_.classified[n] = fc_.sort;
  }
  // A node of class c to ask for its answer (kNoRep: the class is empty): its representative
  // while it stays, then another of its group, or the next of its members still in it.
  uint32_t RepOf(uint32_t c) {
    FreedClass& cls = fc_.classes[c];
    if (cls.rep != kNoRep || cls.size == 0) return cls.rep;
    if (cls.group != Planner::kNoGroup) {
      cls.rep = planner_.TakenGroups()[cls.group].nodes.front();
    } else if (cls.untouched) {
      const std::vector<uint32_t>& members = fc_.members[c];
      for (size_t& i = fc_.member_pos[c]; i < members.size(); ++i) {
        const uint32_t m = members[i];
        if (fc_.classified[m] == fc_.sort && fc_.class_of[m] == c) {
          cls.rep = m;
          break;
        }
      }
    }
    return cls.rep;
  }
  // Below this many freed nodes they are asked one by one. Since the classes are kept through a
  // pass (regroup_log) rather than sorted again at every planner change, they pay from a few
  // dozen nodes (128 before: CEA-Curie, KTH-SP2 and lublin_256 conservative 1-2% fewer
  // instructions at 16).
  static constexpr size_t kFewFreed = 16;
  static constexpr uint32_t kNoRep = UINT32_MAX;
  using FreedClass = PassCache::State::Scratch::FreedClass;
  uint64_t classes_version_ = UINT64_MAX;
  size_t classes_size_ = 0;       // st_.freed's nodes sorted
  size_t freed_owners_size_ = 0;  // st_.freed's nodes whose owners are marked (Kept::freed_pass)
  // Gives the job's kept reservation back to the planner before the job is looked at again
  // (where BeginVirtualBack cannot). Room grows: what the pass memoized as failed or measured
  // as a capacity no longer holds. Its nodes count as freed for the jobs behind once the job's
  // new plan is known (FreeGivenBack).
  void GiveBack(model::JobId id, PassCache::State::Kept& kept) {
    sk_.given_back_alloc = kept.alloc;
    given_back_start_ = kept.start;
    st_.UnmarkKept(kept);
    Unreserve(id, sk_.given_back_alloc, kept.start <= now_);
  }
  // A job looked at again is planned as if it had given its reservation back (its nodes' steps
  // without it, PlanSteps), while the planner keeps it: a look that comes out the same, as
  // most do, then leaves the planner as it was, where giving back and reserving again edited
  // and regrouped every node twice. Where the job's nodes cannot be worked out so (a
  // reservation that holds them now, nodes that ran out of room), or the pass's other paths
  // would need them (holds, required nodes, GPUs, candidate lists, CPU caps), it gives the
  // reservation back for real.
  bool BeginVirtualBack(const JobRequest& job, uint32_t set_id, PassCache::State::Kept& kept) {
    if (!monotone_ || has_holds_ || !job.required.empty() || internal::WantsGpus(job) ||
        job.cpu_caps != nullptr || kept.start <= now_ || kept.limit != job.time_limit ||
        sets_[set_id].nodes->size() != nodes_.size()) {
      return false;
    }
    sk_.own_nodes.clear();
    own_blocks_.clear();
    // Nodes of one planner group that the job holds alike have the same steps without it: one
    // block, worked out once.
    planner_.TakenGroups();
    sk_.own_nodes.resize(kept.alloc.size());  // filled in place (push_back was not inlined)
    ++sk_.block_stamp;
    size_t filled = 0;
    size_t last = 0;  // nodes of one block mostly come in a row
    for (const auto& [n, r] : kept.alloc) {
      if (n >= nodes_.size()) break;
      const uint32_t g = planner_.GroupOf(n);
      const Resources& held = r;  // a structured binding is not captured (clang before 16)
      auto same = [&](size_t b) {
        return g != Planner::kNoGroup && own_blocks_[b].group == g && own_blocks_[b].r == held;
      };
      // The last node's block, else the group's first block, else any (a group's nodes held
      // unalike), else a new one.
      size_t b = own_blocks_.size();
      if (last < own_blocks_.size() && same(last)) {
        b = last;
      } else if (g != Planner::kNoGroup) {
        if (g >= sk_.block_of_group.size()) sk_.block_of_group.resize(g + 1, {0, 0});
        const auto [stamp, first] = sk_.block_of_group[g];
        if (stamp == sk_.block_stamp && same(first)) {
          b = first;
        } else if (stamp == sk_.block_stamp) {
          for (b = 0; b < own_blocks_.size() && !same(b);) ++b;
        }
      }
      last = b;
      if (b == own_blocks_.size()) {
        if (b == st_.own_steps.size()) st_.own_steps.emplace_back();
        if (!planner_.StepsWithout(n, job.id, &st_.own_steps[b])) break;
        own_blocks_.push_back({g, r, n, 0});
        if (g != Planner::kNoGroup && sk_.block_of_group[g].first != sk_.block_stamp) {
          sk_.block_of_group[g] = {sk_.block_stamp, static_cast<uint32_t>(b)};
        }
      }
      ++own_blocks_[b].size;
      sk_.own_nodes[filled++] = n;
      st_.own_index[n] = static_cast<uint32_t>(b + 1);
    }
    sk_.own_nodes.resize(filled);
    if (sk_.own_nodes.size() != kept.alloc.size()) {
      ClearOwn();
      return false;
    }
    // The nodes by block (in node order within one), for Plan to rank a block as one.
    uint32_t offset = 0;
    for (OwnBlock& blk : own_blocks_) {
      blk.first = offset;
      offset += blk.size;
    }
    sk_.block_nodes.resize(filled);
    for (uint32_t n : sk_.own_nodes) {
      OwnBlock& blk = own_blocks_[st_.own_index[n] - 1];
      sk_.block_nodes[blk.first + blk.placed++] = n;
    }
    virtual_owner_ = job.id;
    sk_.given_back_alloc = kept.alloc;
    given_back_start_ = kept.start;
    st_.UnmarkKept(kept);
    return true;
  }
  // Ends a virtual give-back: `keep`, the job's new plan is its reservation as it stands;
  // else the reservation leaves the planner.
  void EndVirtualBack(bool keep) {
    const model::JobId id = virtual_owner_;
    ClearOwn();
    if (!keep) Unreserve(id, sk_.given_back_alloc, /*held_now=*/false);
  }
  // Ends a virtual give-back whose new plan keeps its start on other nodes (a look again moving
  // onto freed nodes): only the nodes it leaves or takes anew change in the planner, where
  // giving the reservation back and making it again edited and regrouped every node twice
  // (nine in ten nodes of such a move stay; the planner ends as it would, reservations on a node
  // being alike whatever order they were made in).
  void MoveAtSameStart(model::JobId id, const Alloc& alloc, int64_t s, int64_t len) {
    ClearOwn();
    sk_.moved_out.clear();
    sk_.moved_in.clear();
    // Both in node order: a merge.
    size_t j = 0;
    for (const auto& a : sk_.given_back_alloc) {
      for (; j < alloc.size() && alloc[j].first < a.first; ++j) sk_.moved_in.push_back(alloc[j]);
      if (j < alloc.size() && alloc[j] == a) {
        ++j;
        continue;
      }
      sk_.moved_out.push_back(a);
    }
    sk_.moved_in.insert(sk_.moved_in.end(), alloc.begin() + static_cast<ptrdiff_t>(j), alloc.end());
    if (!sk_.moved_out.empty()) Unreserve(id, sk_.moved_out, /*held_now=*/false);
    Commit(sk_.moved_in, s, len, id);
  }
  void ClearOwn() {
    for (uint32_t n : sk_.own_nodes) st_.own_index[n] = 0;
    sk_.own_nodes.clear();
    own_blocks_.clear();
    virtual_owner_ = 0;
  }
  model::JobId virtual_owner_ = 0;
  struct OwnBlock {
    uint32_t group;  // the planner group of its nodes
    Resources r;     // what the job holds on each
    uint32_t rep, size;
    uint32_t first = 0, placed = 0;  // its nodes in sk_.block_nodes: from `first`, `placed` so far
  };
  std::vector<OwnBlock> own_blocks_;
  // Node n's steps without the reservation of the job planned as if it had given it back, or
  // null where they are the planner's.
  const std::vector<internal::Step>* OwnSteps(uint32_t n) const {
    if (virtual_owner_ == 0) return nullptr;
    const uint32_t i = st_.own_index[n];
    return i == 0 ? nullptr : &st_.own_steps[i - 1];
  }
  const std::vector<internal::Step>& PlanSteps(uint32_t n) const {
    const auto* own = OwnSteps(n);
    return own != nullptr ? *own : planner_.Steps(n);
  }
  Resources PlanMinOver(uint32_t n, int64_t a, int64_t b) const {
    const auto* own = OwnSteps(n);
    return own == nullptr ? planner_.MinOver(n, a, b) : internal::MinOverSteps(*own, a, b);
  }
  Resources PlanAvailNow(uint32_t n, int64_t len) const {
    return OwnSteps(n) != nullptr ? PlanMinOver(n, 0, len) : planner_.AvailNow(n, len);
  }
  // sk_.own_in_group[g]: how many of the virtual give-back's nodes planner group g holds (after
  // TakenGroups); CountOwnInGroups(-1) sets them back to zero. A block's nodes are of one group
  // (BeginVirtualBack), and nothing changes the planner while the give-back is virtual: counted
  // by block rather than node by node (hundreds for a wide job).
  void CountOwnInGroups(int delta) {
    if (sk_.own_in_group.size() < planner_.GroupCount())
      sk_.own_in_group.resize(planner_.GroupCount(), 0);
    for (const OwnBlock& blk : own_blocks_) {
      if (blk.group == Planner::kNoGroup) continue;
      if (delta > 0) {
        sk_.own_in_group[blk.group] += blk.size;
      } else {
        sk_.own_in_group[blk.group] -= blk.size;
      }
    }
  }
  // Takes the job's reservation on `alloc` out of the planner.
  void Unreserve(model::JobId id, const Alloc& alloc, bool held_now) {
    for (const auto& [n, r] : alloc) {
      planner_.Unreserve(n, id);
      if (held_now) Relevel(n);
    }
    // What ignores reservations (modes 2 and 5, see TryNow) stands unless the reservation held
    // its nodes now.
    auto respects_plan = [held_now](const ShapeKey& key) {
      return held_now || key.mode == 1 || key.mode == 4;
    };
    std::erase_if(failed_, [&](const auto& e) { return respects_plan(e.first); });
    std::erase_if(capacity_, [&](const auto& e) { return respects_plan(e.first); });
    ++version_;  // (what is free now changed with the nodes' Relevel)
  }
  // After the job that gave its reservation back was looked at again: its old nodes whose room
  // grew count as freed for the jobs behind (FreedCouldHold) - all of them, but for a job
  // reserved again from the same start, only those it now takes less of or none. A look that
  // made the same reservation again (most of them) frees nothing, where marking its nodes
  // freed made the jobs behind look again too, to the same end.
  // `same`: the job's new reservation is known to be the one it gave back.
  void FreeGivenBack(model::JobId id, bool started, bool same) {
    if (same) return;
    auto it = st_.kept.find(id);
    const std::vector<std::pair<uint32_t, Resources>>* now = nullptr;
    if (!started && it != st_.kept.end() && it->second.pass == st_.passes &&
        it->second.start == given_back_start_) {
      now = &it->second.alloc;
    }
    if (now != nullptr && *now == sk_.given_back_alloc) return;
    // Both in node order: a merge.
    size_t j = 0;
    for (const auto& [n, r] : sk_.given_back_alloc) {
      while (now != nullptr && j < now->size() && (*now)[j].first < n) ++j;
      if (now != nullptr && j < now->size() && (*now)[j].first == n && r.FitsIn((*now)[j].second)) {
        continue;
      }
      st_.Freed(n);
    }
  }
  UnixTime given_back_start_ = 0;
  // The start slot of the job's reservation from the last pass when the caller vouched for it
  // (PassCache::KeepReservations, or RecheckReservations and no freed node could bring it
  // forward) and its nodes still have the room, with its nodes in `out`; else -1. Kept starts
  // keep their absolute time: the slot rounds up from `now`.
  int64_t KeptStart(const JobRequest& job, uint32_t set_id, int64_t len, const Alloc** out) {
    if (!st_.keep_reservations && !st_.recheck_reservations) return -1;
    auto it = st_.kept.find(job.id);
    if (it == st_.kept.end() || it->second.limit != job.time_limit ||
        it->second.pass + 1 != st_.passes) {
      return -1;
    }
    const Seconds ahead = it->second.start - now_;
    if (ahead <= 0) return -1;
    // The kept start is a boundary of the planner's grid, which every pass shares.
    const int64_t s = ahead / res_ + (ahead % res_ != 0);
    PassCache::State::Kept& kept = it->second;
    auto room_at = [&](int64_t start) {
      // At the start the last pass put it at, a node as it was then that nothing touched since
      // only has more room (its releases come no later): only the others need a look.
      auto has_room = [&](size_t i) {
        const auto& [n, r] = kept.alloc[i];
        if (n >= nodes_.size() || !Usable(n)) return false;
        if (planner_.Untouched(n) && st_.changed_in[n] != st_.passes) return true;
        const Resources room = planner_.MinOver(n, start, AddSlots(start, len));
        return r.FitsIn(room);
      };
      if (monotone_ && st_.changed_now.size() + planner_.TakenNodes().size() < kept.alloc.size()) {
        // Only nodes this pass took from or that changed since the last pass can fail: look
        // at those rather than at every node of a wide reservation (an EASY head's, early in
        // the pass).
        if (kept.by_node.empty()) {
          for (uint32_t i = 0; i < kept.alloc.size(); ++i) {
            kept.by_node.emplace_back(kept.alloc[i].first, i);
          }
          std::sort(kept.by_node.begin(), kept.by_node.end());
        }
        auto fails = [&](uint32_t n) {
          auto it = std::lower_bound(kept.by_node.begin(), kept.by_node.end(),
                                     std::pair<uint32_t, uint32_t>{n, 0});
          return it != kept.by_node.end() && it->first == n && !has_room(it->second);
        };
        for (uint32_t n : st_.changed_now) {
          if (fails(n)) return false;
        }
        for (uint32_t n : planner_.TakenNodes()) {
          if (fails(n)) return false;
        }
        return true;
      }
      // The node that had no room last time first: it is usually the one the job waits for.
      const size_t first = kept.blocker < kept.alloc.size() ? kept.blocker : 0;
      for (size_t j = 0; j < kept.alloc.size(); ++j) {
        const size_t i = (first + j) % kept.alloc.size();
        if (!has_room(i)) {
          kept.blocker = static_cast<uint32_t>(i);
          return false;
        }
      }
      return true;
    };
    const int64_t start = room_at(s) ? s : -1;
    kept_before_ = kept.before;
    if (start > 0 && st_.recheck_reservations) {
      // Room freed since could let the job begin earlier: plan again once enough nodes might.
      if (kept.before >= kept.k) return -1;
      kept_before_ += FreedBefore(job, set_id, kept.r, len, start, kept.k - kept.before);
      if (kept_before_ >= kept.k) return -1;
    }
    if (start > 0) *out = &it->second.alloc;
    return start;
  }
  // How many nodes freed since the last pass could hold r tasks of the job at a start before
  // `start`, counting up to `enough`. (A freed node with room only from `start` on might rank
  // above one the reservation holds; the reservation keeps its nodes, as good then as before.)
  // `owner` (0: none): the job whose reservations are in the planner, whose room on its own
  // nodes counts as free.
  uint32_t FreedBefore(const JobRequest& job, uint32_t set_id, uint32_t r, int64_t len,
                       int64_t start, uint32_t enough, model::JobId owner = 0) {
    const std::vector<uint8_t>& member = MembersOf(set_id);
    HoldCheck holds(*this, job, r);
    Resources need;
    uint32_t count = 0;
    // Nodes of one planner group answer alike (a reservation given back frees hundreds); with
    // few freed nodes, bringing the groups up to date costs more than it saves, unless few
    // nodes wait to be regrouped (at most four per freed node).
    const bool grouped =
        (st_.freed.size() >= kFewFreed || planner_.RegroupsPending() <= 4 * st_.freed.size()) &&
        holds.alike() && monotone_ && !has_holds_;
    if (grouped) planner_.TakenGroups();
    const uint64_t stamp = ++sk_.group_answer_stamp;
    for (uint32_t n : st_.freed) {
      if (count >= enough) break;
      if (n >= nodes_.size() || !member[n] || !holds(n, &need)) continue;
      if (planner_.Untouched(n)) {
        // Its room only grows: any start with room before `start` will do.
        count += HasRoom(job, n, need, planner_.FreeAt(n, start - 1));
        continue;
      }
      const Resources* given = owner != 0 ? planner_.ReservedFor(n, owner) : nullptr;
      const uint32_t g = grouped && given == nullptr ? planner_.GroupOf(n) : Planner::kNoGroup;
      if (g == Planner::kNoGroup) {
        count += CouldStartBefore(job, n, need, len, start, given, start, AddSlots(start, len));
        continue;
      }
      if (g >= sk_.group_answer.size()) sk_.group_answer.resize(g + 1, {0, false});
      if (sk_.group_answer[g].first != stamp) {
        sk_.group_answer[g] = {stamp, CouldStartBefore(job, n, need, len, start, nullptr, 0, 0)};
      }
      count += sk_.group_answer[g].second;
    }
    return count;
  }
  // (FreedBefore's answers by planner group, sk_.group_answer, are valid while stamped with
  // its call's stamp.)
  // Whether some start before `before` is feasible on node n (as FeasibleStarts has it, for a
  // `before` within the window), looking no further than that. With `given`: as if `given`
  // were back over [given_a, given_b) (the job's own reservation on the node: its window
  // begins and ends a step there).
  bool CouldStartBefore(const JobRequest& job, uint32_t n, const Resources& need, int64_t len,
                        int64_t before, const Resources* given, int64_t given_a,
                        int64_t given_b) const {
    return !StartsBefore(job, n, need, len, before, given, given_a, given_b,
                         [](int64_t, int64_t) { return false; });
  }
  // The same, calling emit(a, b) for each range [a, b] of feasible starts before `before`
  // until it returns false; returns whether every range was emitted.
  template <typename Emit>
  bool StartsBefore(const JobRequest& job, uint32_t n, const Resources& need, int64_t len,
                    int64_t before, const Resources* given, int64_t given_a, int64_t given_b,
                    Emit&& emit) const {
    const auto& steps = planner_.Steps(n);
    const Resources& total = nodes_[n].total;
    int64_t from = 0;  // the earliest start not ruled out
    for (size_t i = 0; i < steps.size() && from < before; ++i) {
      Resources free = steps[i].free;
      if (given != nullptr && steps[i].slot >= given_a && steps[i].slot < given_b) {
        free += *given;
        free = {std::min(free.cpus, total.cpus), std::min(free.memory_mb, total.memory_mb),
                std::min(free.gpus, total.gpus)};
      }
      if (HasRoom(job, n, need, free)) continue;
      if (steps[i].slot - len >= from && !emit(from, std::min(steps[i].slot - len, before - 1))) {
        return false;
      }
      from = i + 1 < steps.size() ? steps[i + 1].slot : kNever;
    }
    return from >= before || emit(from, before - 1);
  }
  ShapeKey KeyOf(const JobRequest& job, uint32_t set_id, int64_t len, uint8_t mode) const {
    return {set_id,
            job.tasks,
            job.cpus_per_task,
            job.nodes,
            job.tasks_per_node,
            job.tasks_per_socket,
            job.gpus_per_node,
            internal::SharesOf(job),
            score_id_,
            job.mem_per_node_mb,
            job.mem_per_cpu_mb,
            job.gpu_memory_mb,
            job.gpu_type.empty() ? 0 : std::hash<std::string>{}(job.gpu_type) | 1,
            len,
            job.exclusive,
            mode};
  }
  // Turns chosen (node, cap) into the block distribution of `tasks`.
  // Plans a fewest-nodes request with unequal shares: each node holds as many tasks as its
  // least-free step over the run allows, and the earliest slot where those capacities add up to
  // the job's tasks wins. Slower than the equal-share plan; used when that finds nothing.
  int64_t EarliestUnequal(const JobRequest& job, const Shape& shape, const CandSet& cs, int64_t len,
                          Alloc* out) const {
    const int64_t w = window_slots_;
    struct Piece {
      uint32_t node;
      int64_t from, to;  // starts in [from, to] give this capacity
      uint32_t cap;
    };
    std::vector<Piece> pieces;
    std::vector<int64_t> sum(w + 2, 0);
    std::vector<int64_t> starts;
    std::vector<uint32_t> step_caps;
    std::deque<size_t> window;
    for (uint32_t n : *cs.nodes) {
      if (n >= nodes_.size() || !nodes_[n].usable) continue;
      if (internal::WantsGpus(job) && !internal::GpuStaticFit(job, nodes_[n])) continue;
      const auto& steps = PlanSteps(n);
      // The capacity for a start s changes only where a step enters [s, s + len) (s = its slot
      // - len + 1) or leaves it (s = the next step's slot).
      starts.assign({0});
      for (const auto& st : steps) {
        if (st.slot <= w) starts.push_back(st.slot);
        if (st.slot - len + 1 > 0 && st.slot - len + 1 <= w) starts.push_back(st.slot - len + 1);
      }
      std::sort(starts.begin(), starts.end());
      starts.erase(std::unique(starts.begin(), starts.end()), starts.end());
      // Each step's capacity once, and the least over the steps a run from each start meets
      // as a sliding minimum: both ends of that range of steps only move forward (a node may
      // carry hundreds of reservations).
      step_caps.clear();
      auto step_cap = [&](size_t i) {
        while (step_caps.size() <= i) {
          const internal::Step& st = steps[step_caps.size()];
          step_caps.push_back(job.exclusive
                                  ? (st.free == nodes_[n].total ? Cap(job, n, nodes_[n].total) : 0)
                                  : Cap(job, n, st.free));
        }
        return step_caps[i];
      };
      window.clear();
      size_t first = 0, next = 0;  // steps [first, next) have entered the run's range
      for (size_t j = 0; j < starts.size(); ++j) {
        const int64_t from = starts[j];
        const int64_t to = j + 1 < starts.size() ? starts[j + 1] - 1 : w;
        for (; next < steps.size() && steps[next].slot < from + len; ++next) {
          while (!window.empty() && step_cap(window.back()) >= step_cap(next)) window.pop_back();
          window.push_back(next);
        }
        // Steps ending at or before `from` have left it.
        while (first + 1 < steps.size() && steps[first + 1].slot <= from) ++first;
        while (!window.empty() && window.front() < first) window.pop_front();
        const uint32_t cap = window.empty() ? UINT32_MAX : step_cap(window.front());
        if (cap == 0 || cap == UINT32_MAX) continue;
        sum[from] += cap;
        sum[to + 1] -= cap;
        pieces.push_back({n, from, to, cap});
      }
    }
    int64_t found = -1;
    int64_t running = 0;
    for (int64_t t = 0; t <= w; ++t) {
      running += sum[t];
      if (running >= shape.tasks) {
        found = t;
        break;
      }
    }
    if (found < 0 || out == nullptr) return found;
    std::vector<std::pair<uint32_t, uint32_t>> at;  // capacity, node
    for (const auto& p : pieces) {
      if (p.from <= found && found <= p.to) at.emplace_back(p.cap, p.node);
    }
    std::sort(at.begin(), at.end(), std::greater<>());
    out->clear();
    uint32_t left = shape.tasks;
    for (const auto& [cap, n] : at) {
      if (left == 0) break;
      const uint32_t t = std::min(cap, left);
      left -= t;
      out->emplace_back(n, TaskResources(job, nodes_[n].total, t));
    }
    std::sort(out->begin(), out->end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    return found;
  }

  // Block distribution: the first nodes take per_node_max tasks each; kSpread placements deal
  // the tasks round robin instead (the first tasks % k nodes one more).
  void Distribute(const JobRequest& job, uint32_t tasks, uint32_t per_node_max,
                  const std::vector<uint32_t>& chosen, Alloc* out) const {
    out->clear();
    uint32_t left = tasks;
    const uint32_t k = static_cast<uint32_t>(chosen.size());
    const bool round_robin = score_->walk() == Walk::kSpread && k > 0;
    out->reserve(k);
    if (k > 0 && (round_robin ? tasks % k == 0 : tasks == uint64_t{k} * per_node_max)) {
      // Every node takes as many tasks: the nodes in index order make the allocation in order
      // (sorting node numbers beats sorting the allocation), and alike nodes take alike.
      std::vector<uint32_t>& sorted = sk_.sorted_nodes;
      if (!InNodeOrder(chosen, &sorted)) {  // spread thin (or a node twice): sorted as they are
        sorted.assign(chosen.begin(), chosen.end());
        std::sort(sorted.begin(), sorted.end());
      }
      const uint32_t t = round_robin ? tasks / k : per_node_max;
      // Nodes of one kind (PassCache::State::node_kind) have one total: asked by kind, not by
      // reading each node's NodeInfo.
      uint8_t last_kind = 0;
      Resources r;
      for (uint32_t n : sorted) {
        const uint8_t kind = st_.node_kind[n];
        if (kind == 0 || kind == PassCache::State::kMixedKind || kind != last_kind) {
          r = TaskResources(job, nodes_[n].total, t);
          last_kind = kind;
        }
        out->emplace_back(n, r);
      }
      return;
    }
    for (uint32_t i = 0; i < k; ++i) {
      const uint32_t t = ShareOf(i, k, tasks, left, per_node_max, round_robin);
      left -= t;
      out->emplace_back(chosen[i], TaskResources(job, nodes_[chosen[i]].total, t));
    }
    SortByNode(out);
  }
  // Distribute's share for the i-th of k nodes, `left` of the tasks not dealt yet: round robin,
  // the first tasks % k one more; block, per_node_max while the rest can still have one each.
  static uint32_t ShareOf(uint32_t i, uint32_t k, uint32_t tasks, uint32_t left,
                          uint32_t per_node_max, bool round_robin) {
    return round_robin ? tasks / k + (i < tasks % k ? 1 : 0)
                       : std::min(per_node_max, left - (k - 1 - i));
  }

  // The first of `k` nodes in Distribute's order to take fewer tasks than the first (k: none).
  // Block shares are per_node_max, then one smaller, then one each; spread shares one more for
  // the first tasks % k: the nodes before it take the most, and past a block's smaller share
  // every node takes one, so only that place in a ranking matters, not the rest of its order.
  static uint32_t ShareBoundary(uint32_t tasks, uint32_t per_node_max, uint32_t k, bool spread) {
    uint32_t left = tasks, most = 0;
    for (uint32_t i = 0; i < k; ++i) {
      const uint32_t t = ShareOf(i, k, tasks, left, per_node_max, spread);
      if (i == 0) {
        most = t;
      } else if (t < most) {
        return i;
      }
      left -= t;
    }
    return k;
  }
  // Orders `ranked` (the best first, by key then tie) only as far as Distribute's shares tell
  // its entries apart: the ones before the boundary (ShareBoundary over the whole allocation,
  // `offset` entries of which came before these), the one at it, and the rest.
  using Ranked = PassCache::State::Scratch::Ranked;
  static void OrderForShares(std::vector<Ranked>* ranked, size_t count, uint32_t boundary,
                             size_t offset) {
    if (boundary < offset || boundary - offset >= count) return;
    std::nth_element(ranked->begin(), ranked->begin() + static_cast<ptrdiff_t>(boundary - offset),
                     ranked->begin() + static_cast<ptrdiff_t>(count));
  }
  // `nodes` in node number order into `sorted`, through a bitset by node number: a plan's
  // hundred nodes cost about a word each, where sorting them cost some sixty instructions a
  // node. False where they span too many words for it to pay (`sorted` untouched) or hold a
  // node twice (`sorted` then holds each once).
  bool InNodeOrder(const std::vector<uint32_t>& nodes, std::vector<uint32_t>* sorted) const {
    const size_t k = nodes.size();
    uint32_t lo = UINT32_MAX, hi = 0;
    for (uint32_t n : nodes) {
      lo = std::min(lo, n / 64);
      hi = std::max(hi, n / 64);
    }
    if (k == 0 || hi - lo >= 2 * k + 8) return false;
    std::vector<uint64_t>& bits = sk_.sort_bits;
    if (bits.size() <= hi) bits.resize(hi + 1, 0);
    for (uint32_t n : nodes) bits[n / 64] |= uint64_t{1} << (n % 64);
    sorted->clear();
    for (uint32_t w = lo; w <= hi; ++w) {
      for (uint64_t word = bits[w]; word != 0; word &= word - 1) {
        sorted->push_back(w * 64 + static_cast<uint32_t>(std::countr_zero(word)));
      }
      bits[w] = 0;
    }
    return sorted->size() == k;
  }
  // Sorts an allocation by node number: through InNodeOrder for a wide one, by comparison for
  // a few nodes.
  void SortByNode(Alloc* out) const {
    auto by_node = [](const auto& a, const auto& b) { return a.first < b.first; };
    if (out->size() < kSortByBits) {
      std::sort(out->begin(), out->end(), by_node);
      return;
    }
    std::vector<uint32_t>& nodes = sk_.alloc_nodes;
    std::vector<uint32_t>& entry = sk_.entry_of;
    if (entry.size() < nodes_.size()) entry.resize(nodes_.size());
    nodes.clear();
    for (uint32_t i = 0; i < out->size(); ++i) {
      nodes.push_back((*out)[i].first);
      entry[(*out)[i].first] = i;
    }
    if (!InNodeOrder(nodes, &sk_.sorted_nodes)) {
      std::sort(out->begin(), out->end(), by_node);
      return;
    }
    Alloc& sorted = sk_.sorted_alloc;
    sorted.clear();
    for (uint32_t n : sk_.sorted_nodes) sorted.push_back((*out)[entry[n]]);
    out->swap(sorted);
  }
  // Below this many nodes an allocation is sorted by comparison.
  static constexpr size_t kSortByBits = 32;

  const Options& opt_;
  const UnixTime now_;
  const std::vector<NodeInfo>& nodes_;
  const std::vector<std::vector<uint32_t>>& external_sets_;
  const Seconds res_;
  // Slot s > 0 of this pass begins at grid_ + s x res_ (the planner's grid, see Planner).
  const UnixTime grid_;
  const int64_t window_slots_;
  PassCache::State& st_;
  // The plugins (PassCache::State::Plugins).
  std::vector<std::unique_ptr<FilterPlugin>>& filters_;
  std::vector<std::unique_ptr<ScorePlugin>>& scores_;
  std::unordered_map<std::string, uint32_t>& score_ids_;
  const ScorePlugin* score_ = nullptr;  // the examined job's placement, scores_[score_id_]
  uint32_t score_id_ = 0;
  std::unique_ptr<GpuPicker>& picker_;
  Planner& planner_;
  // Only while some running job is a future hold: the planner without the pass's
  // reservations (running jobs, holds and starts now), for FreeIgnoringReservations.
  bool has_holds_ = false;
  Planner& base_;
  bool monotone_ = false;  // running jobs come only as NodeInfo::releases (see EarliestMonotone)
  // Going on from the last pass's reservations, left in the planner (PassCache::State).
  bool resume_ = false;
  // A resumed pass handed only the jobs added since (PassCache::KeepUnseenReservations): every
  // kept reservation was made again at its start.
  bool unseen_ = false;
  // Brings the release walk (PassCache::State::walk) up to date: made afresh when it is not
  // valid, else the entries of nodes whose releases changed or that gained their first
  // reservation or lost their last are redone, where they changed.
  void ReleaseWalk() {
    std::vector<uint32_t>& flipped = planner_.reservation_log();
    if (st_.walk_valid && flipped.empty() && st_.releases_stale.empty()) return;
    auto& walk = st_.walk;
    std::vector<UnixTime>& keys = st_.walk_new_keys;
    bool in_step = true;  // the walk held every entry an update took out
    // Adds node n at time t; returns its place among the time's nodes.
    auto add = [&](UnixTime t, uint32_t n) -> uint32_t {
      auto it = std::lower_bound(walk.begin(), walk.end(), t,
                                 [](const auto& e, UnixTime t) { return e.time < t; });
      if (it == walk.end() || it->time != t) {
        uint32_t id;
        if (st_.walk_unused.empty()) {
          id = static_cast<uint32_t>(st_.walk_nodes.size());
          st_.walk_nodes.emplace_back();
        } else {
          id = st_.walk_unused.back();
          st_.walk_unused.pop_back();
        }
        it = walk.insert(it, {t, id});
      }
      std::vector<PassCache::State::WalkNode>& nodes = st_.walk_nodes[it->nodes];
      nodes.push_back({internal::FreeAfterReleases(nodes_[n], t), n});
      return static_cast<uint32_t>(nodes.size() - 1);
    };
    // Takes node n out at key's time; the time's last node takes its place (a wide job's nodes
    // share a time: thousands, where a search for n cost more than the rest of the update).
    auto drop = [&](const PassCache::State::WalkKey& key, uint32_t n) {
      auto it = std::lower_bound(walk.begin(), walk.end(), key.time,
                                 [](const auto& e, UnixTime t) { return e.time < t; });
      if (it == walk.end() || it->time != key.time) {
        in_step = false;
        return;
      }
      std::vector<PassCache::State::WalkNode>& nodes = st_.walk_nodes[it->nodes];
      if (key.pos >= nodes.size() || nodes[key.pos].node != n) {
        in_step = false;
        return;
      }
      const uint32_t last = nodes.back().node;
      if (last != n) {
        nodes[key.pos] = nodes.back();
        for (auto& k : st_.walk_keys[last]) {
          if (k.time == key.time) k.pos = key.pos;
        }
      }
      nodes.pop_back();
      if (nodes.empty()) {
        st_.walk_unused.push_back(it->nodes);
        walk.erase(it);
      }
    };
    // Node n's entries as they are now (none while it holds a reservation); where they differ
    // from those in the walk, or its NodeInfo changed (`changed`: what it has free then may
    // differ at the same times), the old ones go and the new ones come.
    auto redo = [&](uint32_t n, bool changed) {
      keys.clear();
      if (!planner_.HasReservation(n)) {
        for (const Release& r : nodes_[n].releases) {
          if (r.end < kUnlimited) keys.push_back(r.end);
        }
        std::sort(keys.begin(), keys.end());
        keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
      }
      std::vector<PassCache::State::WalkKey>& had = st_.walk_keys[n];
      if ((!changed || had.empty()) &&
          std::equal(keys.begin(), keys.end(), had.begin(), had.end(),
                     [](UnixTime t, const auto& k) { return t == k.time; })) {
        return;
      }
      for (const auto& k : had) drop(k, n);
      had.clear();
      for (UnixTime t : keys) had.push_back({t, add(t, n)});
    };
    const bool valid = st_.walk_valid;
    const uint64_t epoch = ++st_.walk_epoch;
    if (!valid) {
      walk.clear();
      st_.walk_nodes.clear();
      st_.walk_unused.clear();
      for (uint32_t n = 0; n < nodes_.size(); ++n) {
        st_.walk_keys[n].clear();
        redo(n, false);
      }
    } else {
      auto once = [&](uint32_t n, bool changed) {
        if (n >= nodes_.size() || st_.walk_dirty[n] == epoch) return;
        st_.walk_dirty[n] = epoch;
        redo(n, changed);
      };
      for (uint32_t n : st_.releases_stale) once(n, true);
      for (uint32_t n : flipped) once(n, false);
    }
    for (uint32_t n : st_.releases_stale) st_.releases_stale_flag[n] = 0;
    st_.releases_stale.clear();
    flipped.clear();
    st_.walk_valid = true;
    if (!in_step) {
      // Keys out of step with the walk (a bug): make it afresh.
      st_.walk_valid = false;
      ReleaseWalk();
    }
  }
  // Bumped on every planner change; memos are valid for one version. Memos of what is free now
  // go by PassCache::State::free_now_epoch instead.
  uint64_t version_ = 0;
  // An EASY pass's one reservation (from slot easy_start_), and what it takes from SurelyShort's
  // count of a run reaching into it, by count kind, valid while free_now_epoch is as stamped.
  Alloc easy_alloc_;
  int64_t easy_start_ = 0;
  struct EasyLoss {
    bool fewest;
    uint64_t need;
    uint64_t version;
    int64_t lost;
  };
  std::vector<EasyLoss> easy_losses_;

  std::vector<CandSet>& sets_;
  std::vector<uint32_t>& set_of_external_;
  std::unordered_map<uint64_t, std::vector<uint32_t>> own_sets_;  // content hash -> set ids
  std::vector<std::unique_ptr<NodeIndex>>& indexes_;
  std::vector<IndexKind>& index_kind_;
  std::vector<std::vector<std::pair<uint32_t, uint32_t>>>& member_of_;  // node -> (index, local)
  std::vector<int32_t>& gpu_copy_;  // node -> its entry in gpu_copies_, -1: the snapshot's
  std::vector<std::vector<model::Gpu>> gpu_copies_;
  std::vector<uint32_t> gpu_touched_;  // nodes with a gpu_copies_ entry

  // MaxCPUsPerNode caps by group, copied from the caller's on a group's first start.
  std::unordered_map<uint32_t, std::vector<uint32_t>> caps_;
  // A pass takes resources (starts, reservations, caps, GPU shares) and gives back only kept
  // reservations (GiveBack, which drops what these say about room with the reservations):
  // otherwise a request that failed stays failed, and a capacity measured earlier bounds the
  // capacity now from above.
  std::unordered_map<ShapeKey, uint64_t, ShapeKeyHash> failed_;  // shape -> version it failed at
  std::unordered_map<ShapeKey, std::pair<uint64_t, int64_t>, ShapeKeyHash> planned_;
  // Fewest-nodes shapes (tasks and length left out): the tasks their nodes could hold, by run
  // length, and the planner version they were measured at.
  struct Capacities {
    struct Point {
      int64_t len;
      uint32_t tasks;
      uint64_t version;
    };
    std::vector<Point> points;
    void Add(int64_t len, uint32_t tasks, uint64_t version) {
      if (points.size() == 16) points.erase(points.begin());
      points.push_back({len, tasks, version});
    }
  };
  std::unordered_map<ShapeKey, Capacities, ShapeKeyHash> capacity_;

  // A node type (CandSet::types) as the filters see it; reused, as a NodeInfo is not cheap.
  mutable NodeInfo type_node_;
  // Scratch reused between jobs (all zero between them).
  std::vector<uint8_t>& mark_;
  using PlanEvent = PassCache::State::PlanEvent;
  std::vector<PlanEvent>& events_;
  std::vector<int32_t>&diff_, &req_diff_;  // by slot, when counting beats sorting events_
  std::vector<uint32_t>& chosen_;
  std::vector<std::pair<uint32_t, uint32_t>>& spread_;  // node, capacity
  std::vector<uint32_t>& spread_count_;
  std::vector<model::GpuAllocation> gpu_scratch_;
  std::vector<std::tuple<uint32_t, int64_t, int64_t>>& feasible_;
  using SweepEvent = PassCache::State::Scratch::SweepEvent;
  using RangeSource = PassCache::State::Scratch::RangeSource;
  std::vector<SweepEvent>& sweep_;
  std::vector<RangeSource>& sources_;
  // Field by field in place: a source built aside and copied in whole was read back (16 bytes
  // at a time) from the narrower stores that wrote it, and stalled on store forwarding at every
  // planner group of every plan.
  void AddSource(const std::vector<internal::Step>* steps, uint32_t rep, uint32_t id, bool own,
                 int32_t count, const Resources& need) {
    RangeSource& src = sources_.emplace_back();
    src.steps = steps;
    src.rep = rep;
    src.id = id;
    src.own = own;
    src.count = count;
    src.need = need;
  }
  // The source's next range of feasible starts (as FeasibleStarts has them, over its steps
  // from its node) into src.a, src.b; false when it has none left within the window. Only
  // ranges that begin by slot `cap` are found, and a range that runs past it may end at it.
  bool NextRange(const JobRequest& job, int64_t len, RangeSource& src, int64_t cap) const {
    const int64_t w = window_slots_;
    cap = std::min(cap, w);
    const Resources& need = src.need;
    const std::vector<internal::Step>& steps = *src.steps;
    while (src.step < steps.size() && src.from <= cap) {
      const size_t i = src.step;
      if (steps[i].slot - len >= cap) {
        // Every step from `from` to here had room, and a run from any start up to the cap ends
        // by this one: the range holds to the cap at least.
        src.a = src.from;
        src.b = cap;
        src.from = kNever;
        src.tail = true;
        return true;
      }
      ++src.step;
      if (HasRoom(job, src.rep, need, steps[i].free)) continue;
      const int64_t a = src.from;
      const int64_t b = std::min(steps[i].slot - len, w);
      src.from = i + 1 < steps.size() ? steps[i + 1].slot : kNever;
      if (steps[i].slot >= len && a <= b) {
        src.a = a;
        src.b = b;
        return true;
      }
    }
    if (src.tail || src.from > cap) return false;
    src.tail = true;
    src.a = src.from;
    src.b = w;
    return true;
  }
  // Each planner group's first node is asked for the group, its steps in memory far from the
  // next group's: fetched ahead for all groups, the cache misses overlap rather than come one
  // group at a time. (Its NodeInfo is not read: HoldCheck asks the node's kind.)
  void PrefetchFirstNodes(std::span<const Planner::TakenGroup> groups) const {
    planner_.ForEachLiveGroup([&](uint32_t g) { planner_.PrefetchSteps(groups[g].first); });
  }
  // Whether the set's nodes in (weight, number) order are in number order: a node index of
  // the whole set holds them as nodes 0, 1, ... (NodeIndex::by_number).
  bool WeightsFollowNumbers(const CandSet& cs) const {
    for (const int32_t which : cs.index) {
      if (which < 0 || indexes_[which] == nullptr) continue;
      const NodeIndex& idx = *indexes_[which];
      if (idx.size() == cs.nodes->size() && idx.by_number()) return true;
    }
    return false;
  }
  // Plan's ranking.
  std::vector<PassCache::State::Scratch::Ranked>&ranked_scratch_, &picked_;
  std::vector<PassCache::State::Scratch::FeasibleRun>& feasible_runs_;
  std::vector<PassCache::State::Scratch::ScoredRun>& scored_runs_;
  std::vector<std::pair<int64_t, uint32_t>>& key_counts_;
  std::vector<uint64_t>& select_bits_;
  PassCache::State::Scratch::FreedClasses& fc_;
};

uint32_t Pass::SetOf(const JobRequest& job) {
  const std::vector<uint32_t>* list = nullptr;
  static const std::vector<uint32_t> kEmpty;
  uint32_t* slot = nullptr;
  if (job.candidate_set != kOwnCandidates) {
    if (job.candidate_set >= external_sets_.size()) {
      list = &kEmpty;
    } else {
      slot = &set_of_external_[job.candidate_set];
      if (*slot != UINT32_MAX) return *slot;
      list = &external_sets_[job.candidate_set];
    }
  } else {
    uint64_t h = 1469598103934665603ull;
    for (uint32_t n : job.candidates) h = (h ^ n) * 1099511628211ull;
    auto& ids = own_sets_[h];
    for (uint32_t id : ids) {
      if (*sets_[id].nodes == job.candidates) return id;
    }
    list = &job.candidates;  // the queue outlives the pass
    ids.push_back(static_cast<uint32_t>(sets_.size()));
  }
  CandSet cs;
  cs.nodes = list;
  cs.min_cpus = UINT32_MAX;
  for (uint32_t n : *list) {
    if (n >= nodes_.size()) continue;
    const Resources& t = nodes_[n].total;
    cs.min_cpus = std::min(cs.min_cpus, t.cpus);
    cs.max_cpus = std::max(cs.max_cpus, t.cpus);
    cs.max_sockets = std::max(cs.max_sockets, nodes_[n].sockets);
    auto it = std::find_if(cs.types.begin(), cs.types.end(),
                           [&](const auto& ty) { return ty.first == t; });
    if (it != cs.types.end()) {
      ++it->second;
    } else if (cs.types.size() < 64) {
      cs.types.emplace_back(t, 1);
    } else {
      // Very mixed sets keep the largest of each component as one optimistic type: EverFits
      // then over-admits, and those jobs simply find no start time.
      Resources& big = cs.types.back().first;
      big = {std::max(big.cpus, t.cpus), std::max(big.memory_mb, t.memory_mb),
             std::max(big.gpus, t.gpus)};
      ++cs.types.back().second;
    }
  }
  if (cs.min_cpus == UINT32_MAX) cs.min_cpus = 0;
  const uint32_t id = static_cast<uint32_t>(sets_.size());
  sets_.push_back(std::move(cs));
  st_.set_is_own.push_back(slot == nullptr);
  if (slot != nullptr) *slot = id;
  return id;
}

NodeIndex& Pass::IndexFor(uint32_t set_id, IndexKind kind) {
  CandSet& cs = sets_[set_id];
  int32_t& which = cs.index[kind];
  if (which < 0) {
    std::vector<uint32_t> order;
    for (uint32_t n : *cs.nodes) {
      if (n >= nodes_.size()) continue;
      if (kind == kWholeGpus && nodes_[n].total.gpus == 0) continue;
      if (kind == kSharedGpus && nodes_[n].gpus.empty()) continue;
      order.push_back(n);
    }
    std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
      return nodes_[a].weight != nodes_[b].weight ? nodes_[a].weight < nodes_[b].weight : a < b;
    });
    order.erase(std::unique(order.begin(), order.end()), order.end());
    which = static_cast<int32_t>(indexes_.size());
    auto idx = std::make_unique<NodeIndex>(order, cs.max_cpus);
    for (uint32_t i = 0; i < order.size(); ++i) {
      member_of_[order[i]].emplace_back(which, i);
      idx->Set(i, LevelIn(kind, order[i]));
    }
    indexes_.push_back(std::move(idx));
    index_kind_.push_back(kind);
    st_.index_set.push_back(set_id);
  }
  return *indexes_[which];
}

bool Pass::EverFits(const JobRequest& job, const Shape& shape, const CandSet& cs) const {
  for (uint32_t n : job.required) {
    if (n >= nodes_.size() || Cap(job, n, nodes_[n].total) < (shape.fewest ? 1 : shape.r)) {
      return false;
    }
    if (internal::WantsGpus(job) && !internal::GpuStaticFit(job, nodes_[n])) return false;
  }
  if (!shape.fewest && job.required.size() > shape.k) return false;
  uint64_t sum = 0, count = 0;
  for (const auto& [total, num] : cs.types) {
    NodeView v{0, &type_node_, total};
    type_node_.total = total;
    type_node_.sockets = cs.max_sockets;
    uint32_t c = UINT32_MAX;
    for (const auto& f : filters_) c = std::min(c, f->TasksFit(job, v));
    sum += uint64_t{c} * num;
    if (c >= shape.r) count += num;
  }
  return shape.fewest ? sum >= shape.tasks : count >= shape.k;
}

bool Pass::SurelyShort(const JobRequest& job, const Shape& shape, uint32_t set_id, int64_t len,
                       bool respect_plan) {
  const CandSet& cs = sets_[set_id];
  // Only where the index's levels are every node's free CPUs now (no holds, running jobs as
  // releases), for jobs whose room depends on nothing else the index leaves out.
  if (!monotone_ || has_holds_ || cs.nodes->size() != nodes_.size() || internal::WantsGpus(job) ||
      job.cpu_caps != nullptr || !job.required.empty()) {
    return false;
  }
  const NodeIndex& idx = IndexFor(set_id, kAllNodes);
  // A shared top level stands for more CPUs than it says.
  if (idx.top() >= NodeIndex::kMaxLevel) return false;
  const uint32_t cpt = std::max<uint32_t>(job.cpus_per_task, 1);
  const uint64_t need = shape.fewest ? cpt : uint64_t{shape.r} * cpt;
  // Free now: a fewest job's tasks over every node, or the nodes holding r tasks.
  auto counted = [&](uint32_t cpus) -> int64_t { return shape.fewest ? cpus / cpt : cpus >= need; };
  const uint32_t with_room = need > idx.top() ? 0 : idx.CountAtLeast(idx.ClampLevel(need));
  const auto wanted = static_cast<int64_t>(shape.fewest ? shape.tasks : shape.k);
  int64_t room = shape.fewest
                     ? static_cast<int64_t>(std::min<uint64_t>(idx.TasksBound(cpt), INT64_MAX / 2))
                     : with_room;
  if (room < wanted) return true;
  // An EASY pass's reservation leaves at most its nodes' CPUs less what it takes to a run that
  // reaches into it (a bound, counted without building the nodes' steps).
  if (respect_plan && opt_.policy == Options::Policy::kEasy && !easy_alloc_.empty() &&
      len > easy_start_) {
    auto it = std::find_if(easy_losses_.begin(), easy_losses_.end(), [&](const EasyLoss& e) {
      return e.fewest == shape.fewest && e.need == need;
    });
    if (it == easy_losses_.end()) {
      it = easy_losses_.insert(easy_losses_.end(), {shape.fewest, need, UINT64_MAX, 0});
    }
    if (it->version != st_.free_now_epoch) {
      it->version = st_.free_now_epoch;
      it->lost = 0;
      for (const auto& [n, r] : easy_alloc_) {
        if (n >= nodes_.size() || !nodes_[n].usable) continue;
        const uint32_t now_cpus = planner_.FreeNow(n).cpus;
        const uint32_t left = nodes_[n].total.cpus - std::min(nodes_[n].total.cpus, r.cpus);
        it->lost += counted(now_cpus) - counted(std::min(now_cpus, left));
      }
    }
    return room - it->lost < wanted;
  }
  // Over the run, what reservations leave: the same on every node of a group. Worth it where
  // the walk would visit many more nodes than there are groups to bring up to date (a node
  // regrouped costs about ten a walk visits): conservative passes keep their groups from pass
  // to pass, while an EASY pass would group its one reservation's nodes for this alone.
  if (respect_plan && opt_.policy == Options::Policy::kConservative &&
      planner_.has_reservations() &&
      with_room > 10 * planner_.RegroupsPending() + planner_.GroupCount()) {
    const auto groups = planner_.TakenGroups();
    CountOwnInGroups(1);
    // Each group only takes room away: once short, the rest cannot make up for it.
    planner_.ForEachLiveGroup([&](uint32_t g) {
      const uint32_t n = groups[g].first;
      if (room < wanted || !Usable(n)) return;
      const auto [free_now, avail] = planner_.NowAndAvail(n, len);
      const int64_t lost = counted(free_now.cpus) - counted(avail.cpus);
      room -= lost * static_cast<int64_t>(groups[g].nodes.size() - sk_.own_in_group[g]);
    });
    CountOwnInGroups(-1);
    // A virtual give-back's nodes, each with its own room.
    for (uint32_t n : sk_.own_nodes) {
      if (room < wanted) break;
      if (Usable(n)) {
        room -= counted(planner_.FreeNow(n).cpus) - counted(PlanAvailNow(n, len).cpus);
      }
    }
  }
  return room < wanted;
}

bool Pass::TryNow(const JobRequest& job, const Shape& shape, uint32_t set_id, int64_t len,
                  bool respect_plan, Alloc* out, bool fit_only) {
  // A virtual give-back's job sees more room than the pass's memos were made with.
  const bool memo = job.required.empty() && !(respect_plan && virtual_owner_ != 0);
  const ShapeKey key = KeyOf(job, set_id, len, respect_plan ? 1 : 2);
  if (memo) {
    auto it = failed_.find(key);
    if (it != failed_.end()) return false;
  }
  if (SurelyShort(job, shape, set_id, len, respect_plan)) {
    if (memo) failed_[key] = version_;
    return false;
  }
  const bool gpus = internal::WantsGpus(job);
  // Walks meet long runs of nodes alike in kind and room (idle ones, say): as for HoldCheck,
  // the filters' verdict for a job without GPUs or CPU caps depends only on those.
  const bool alike = !gpus && job.cpu_caps == nullptr;
  // Nodes of one planner group have equal steps, kind and usability: a walk over idle nodes
  // reserved alike asks one of them (groups as last formed: a node changed since is asked apart).
  // Not under EASY, whose one reservation's thousand takes would be grouped for this alone.
  const bool by_group = alike && respect_plan && planner_.has_reservations() &&
                        opt_.policy == Options::Policy::kConservative;
  if (by_group) planner_.TakenGroups();
  struct {
    bool known = false;
    uint8_t kind = 0;
    Resources total, avail;
    uint32_t sockets = 0, cap = 0;
    uint32_t group = Planner::kNoGroup;
  } last;
  constexpr uint8_t kMixed = PassCache::State::kMixedKind;
  auto cap = [&](uint32_t n) -> uint32_t {
    const uint32_t group =
        by_group && OwnSteps(n) == nullptr ? planner_.GroupOf(n) : Planner::kNoGroup;
    if (group != Planner::kNoGroup && last.known && last.group == group) return last.cap;
    // A node's kind (PassCache::State::node_kind) is 0 where it is not usable and otherwise
    // stands for its total and sockets: asked rather than its NodeInfo, elsewhere in memory.
    const uint8_t kind = st_.node_kind[n];
    if (kind == 0) return 0;
    const Resources avail = respect_plan ? PlanAvailNow(n, len) : FreeIgnoringReservations(n, len);
    if (alike) {
      const NodeInfo& node = nodes_[n];
      const bool same_kind = kind != kMixed ? kind == last.kind
                                            : last.kind == kMixed && last.total == node.total &&
                                                  last.sockets == node.sockets;
      if (!last.known || !(last.avail == avail) || !same_kind) {
        last = {true, kind, node.total, avail, node.sockets, Cap(job, n, avail)};
      }
      last.group = group;
      return last.cap;
    }
    const uint32_t c = Cap(job, n, avail);
    return c > 0 && gpus && !GpusFitNow(job, n, respect_plan, nullptr) ? 0 : c;
  };
  const uint32_t cpt = std::max<uint32_t>(job.cpus_per_task, 1);
  const CandSet& cs = sets_[set_id];
  NodeIndex& idx = IndexFor(set_id, KindOf(job));
  const Walk walk_kind = score_->walk();
  // On nodes of one CPU count (below the index's shared top level) idle nodes are exactly those
  // at the top level, so walks that rank idle nodes apart reduce to plain level walks.
  const bool equal_cpus = cs.min_cpus == cs.max_cpus && cs.max_cpus < NodeIndex::kMaxLevel;
  // Visits nodes with at least `need` free CPUs matching `keep`, from the fewest free CPUs up
  // (or down), until f returns false; returns false when f stopped the walk.
  auto visit = [&](bool up, uint32_t need, auto&& keep, auto&& f) {
    bool go = true;
    auto g = [&](uint32_t n) { return !keep(n) || (go = f(n)); };
    if (up) {
      idx.VisitUp(need, g);
    } else {
      idx.VisitDown(need, g);
    }
    return go;
  };
  auto used = [&](uint32_t n) { return !Idle(n); };
  // Every node with room ranked by the plugin's score of `tasks` tasks there.
  auto ranked_walk = [&](uint32_t need, uint32_t tasks, auto&& f) {
    std::vector<std::pair<int64_t, uint32_t>> ranked;
    idx.VisitByOrder(need, [&](uint32_t n) {
      const uint32_t c = cap(n);
      if (c > 0) {
        NodeView v{n, &nodes_[n], planner_.FreeNow(n)};
        ranked.emplace_back(-score_->Score(job, v, tasks == 0 ? c : std::min(c, tasks)), n);
      }
      return true;
    });
    std::stable_sort(ranked.begin(), ranked.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    for (const auto& [sc, n] : ranked) {
      if (!f(n)) break;
    }
  };
  // Walks nodes with at least `need` free CPUs in the placement's order.
  auto walk = [&](uint32_t need, auto&& f) {
    switch (walk_kind) {
      case Walk::kFewestFreeCpus:
        idx.VisitUp(need, f);
        break;
      case Walk::kMostFreeCpus:
        idx.VisitDown(need, f);
        break;
      case Walk::kLowestWeight:
        idx.VisitByOrder(need, f);
        break;
      case Walk::kScoreAll:
        ranked_walk(need, 0, f);
        break;
      case Walk::kCompact:
        if (equal_cpus) {
          idx.VisitUp(need, f);
        } else if (visit(true, need, used, f)) {
          idx.VisitByOrder(need, [&](uint32_t n) { return !Idle(n) || f(n); });
        }
        break;
      case Walk::kSpread:
        if (equal_cpus) {
          idx.VisitDown(need, f);
        } else {
          ranked_walk(need, 1, f);
        }
        break;
      case Walk::kLocality:
        if (job.gpus_per_node > 1) {
          auto one = [&](uint32_t n) { return OneSocketNow(job, n, respect_plan); };
          auto split = [&](uint32_t n) { return !OneSocketNow(job, n, respect_plan); };
          if (visit(true, need, one, f)) visit(true, need, split, f);
        } else {
          idx.VisitUp(need, f);
        }
        break;
    }
  };
  for (uint32_t n : job.required) mark_[n] = 1;
  bool ok = false;
  chosen_.clear();
  if (shape.fewest && walk_kind == Walk::kSpread) {
    // As many nodes as there are tasks: required nodes, then the walk's, one task each, dealt
    // round robin while tasks are left.
    spread_.clear();
    bool req_ok = true;
    uint64_t req_cap = 0;
    for (uint32_t n : job.required) {
      const uint32_t c = cap(n);
      if (c == 0) req_ok = false;
      req_cap += c;
      spread_.emplace_back(n, c);
    }
    if (req_ok && spread_.size() < shape.tasks &&
        (req_cap >= shape.tasks || idx.TasksBound(cpt) >= shape.tasks - req_cap)) {
      walk(cpt, [&](uint32_t n) {
        if (mark_[n]) return true;
        const uint32_t c = cap(n);
        if (c > 0) spread_.emplace_back(n, c);
        return spread_.size() < shape.tasks;
      });
    }
    spread_count_.assign(spread_.size(), 0);
    uint32_t left = shape.tasks;
    for (bool progress = true; req_ok && left > 0 && progress;) {
      progress = false;
      for (size_t i = 0; i < spread_.size() && left > 0; ++i) {
        if (spread_count_[i] < spread_[i].second) {
          ++spread_count_[i];
          --left;
          progress = true;
        }
      }
    }
    ok = req_ok && left == 0;
    if (ok) {
      out->clear();
      for (size_t i = 0; i < spread_.size(); ++i) {
        const uint32_t n = spread_[i].first;
        if (spread_count_[i] > 0) {
          out->emplace_back(n, TaskResources(job, nodes_[n].total, spread_count_[i]));
        }
      }
      std::sort(out->begin(), out->end(),
                [](const auto& a, const auto& b) { return a.first < b.first; });
    }
  } else if (shape.fewest) {
    out->clear();
    uint32_t left = shape.tasks;
    const uint32_t nreq = static_cast<uint32_t>(job.required.size());
    bool req_ok = true;
    // A fewest-nodes request fails exactly when its nodes' capacities for it add up to fewer
    // tasks than it asks, and those capacities do not depend on the task count: one failed
    // walk tells every job of the shape that asks at least as many tasks, without a walk.
    // Placement does not change what fits. A longer run can only have less room (reservations
    // and holds end its window), so capacities are kept per length: a job at least as long as a
    // measured one fails when it asks more than that length could hold, one at most as long
    // fits when it asks no more.
    ShapeKey capacity_key = key;
    capacity_key.tasks = 0;
    capacity_key.placement = 0;
    capacity_key.len = 0;
    capacity_key.mode = respect_plan ? 4 : 5;
    const int64_t cap_len = respect_plan || has_holds_ ? len : 0;
    // Ignoring reservations without holds, the capacity is the free resources now: it changes
    // when a job starts, not when one is reserved (a conservative pass reserves for many).
    const uint64_t cap_version = !respect_plan && !has_holds_ ? st_.free_now_epoch : version_;
    bool known_fit = false;
    Capacities* known = nullptr;
    if (memo) {
      known = &capacity_[capacity_key];
      for (const auto& p : known->points) {
        if (p.len <= cap_len && shape.tasks > p.tasks) req_ok = false;
        if (p.len >= cap_len && shape.tasks <= p.tasks && fit_only && p.version == cap_version) {
          known_fit = true;
        }
      }
      if (fit_only && !known_fit && req_ok) {
        // Sum every node's capacity once; later jobs of the shape compare against it. Free
        // now without holds changes only where the pass relevels a node (and where a kept
        // reservation began): along a conservative chain the sum is carried from pass to pass.
        const bool carried =
            !respect_plan && resume_ && !has_holds_ && alike && !st_.set_is_own[set_id];
        const uint64_t total = carried ? CapacityNow(capacity_key, set_id, idx, cpt, cap)
                                       : SumCapacity(idx, cpt, cap, nullptr);
        known->Add(cap_len, static_cast<uint32_t>(std::min<uint64_t>(total, UINT32_MAX)),
                   cap_version);
        if (total >= shape.tasks) {
          known_fit = true;
        } else {
          req_ok = false;
        }
      }
    }
    if (known_fit) left = 0;
    for (uint32_t i = 0; i < nreq && req_ok; ++i) {
      const uint32_t n = job.required[i];
      const uint32_t c = cap(n);
      const uint32_t t = std::min(c, left - (nreq - 1 - i));
      if (t == 0) req_ok = false;
      left -= t;
      out->emplace_back(n, TaskResources(job, nodes_[n].total, t));
    }
    if (req_ok && left > 0 && nreq == 0 && idx.CountAtLeast(left * cpt) > 0) {
      // One node holding every task, the best-placed one.
      walk(left * cpt, [&](uint32_t n) {
        if (cap(n) < left) return true;
        out->emplace_back(n, TaskResources(job, nodes_[n].total, left));
        left = 0;
        return false;
      });
    }
    if (req_ok && left > 0 && idx.TasksBound(cpt) >= left) {
      // Several nodes, each taking all the tasks it can: the nodes with the most room first,
      // so that as few as possible are used; compact fills partly used nodes before idle ones.
      auto take = [&](uint32_t n) {
        if (mark_[n]) return true;
        const uint32_t c = std::min(cap(n), left);
        if (c > 0) {
          out->emplace_back(n, TaskResources(job, nodes_[n].total, c));
          left -= c;
        }
        return left > 0;
      };
      if (walk_kind != Walk::kCompact) {
        idx.VisitDown(cpt, take);
      } else if (visit(false, cpt, used, take)) {
        idx.VisitByOrder(cpt, [&](uint32_t n) { return !Idle(n) || take(n); });
      }
      // Unfinished, the walk saw every node with room: what it took is the whole capacity.
      if (known != nullptr && left > 0) known->Add(cap_len, shape.tasks - left, cap_version);
    }
    ok = req_ok && left == 0;
    if (ok && !known_fit) SortByNode(out);
  } else {
    bool req_ok = true;
    for (uint32_t n : job.required) {
      if (cap(n) < shape.r) req_ok = false;
      chosen_.push_back(n);
    }
    uint32_t need = shape.r * cpt;
    // An idle node has all its CPUs free: whole-node jobs look only there.
    if (job.exclusive) need = std::max(need, cs.min_cpus);
    if (req_ok && chosen_.size() < shape.k && idx.CountAtLeast(need) >= shape.k) {
      walk(need, [&](uint32_t n) {
        if (mark_[n] || cap(n) < shape.r) return true;
        chosen_.push_back(n);
        return chosen_.size() < shape.k;
      });
    }
    ok = req_ok && chosen_.size() == shape.k;
    if (ok) Distribute(job, shape.tasks, shape.r, chosen_, out);
  }
  for (uint32_t n : job.required) mark_[n] = 0;
  if (!ok && memo) failed_[key] = version_;
  return ok;
}

const std::vector<uint8_t>& Pass::MembersOf(uint32_t set_id) {
  CandSet& cs = sets_[set_id];
  if (cs.member.size() != nodes_.size()) {
    cs.member.assign(nodes_.size(), 0);
    for (uint32_t n : *cs.nodes) {
      if (n < nodes_.size()) cs.member[n] = 1;
    }
  }
  return cs.member;
}

int64_t Pass::EarliestMonotone(const JobRequest& job, uint32_t set_id, uint32_t k, uint32_t r,
                               int64_t len, bool want_nodes, int64_t cap) {
  CandSet& cs = sets_[set_id];
  const std::vector<uint8_t>& member = MembersOf(set_id);
  const int64_t w = window_slots_;
  const uint64_t stamp = ++st_.seen_stamp;
  feasible_.clear();
  feasible_runs_.clear();
  sweep_.clear();
  sources_.clear();
  HoldCheck holds(*this, job, r);
  auto eligible = [&](uint32_t n, Resources* need) { return member[n] && holds(n, need); };
  auto fits = [&](uint32_t n, const Resources& need, const Resources& free) {
    return HasRoom(job, n, need, free);
  };
  Resources need;
  // Nodes this pass took from (started a job on, or reserved a window on): their steps are not
  // just their releases (and a reservation's room can drop), so their feasible start ranges
  // are worked out step by step, as earliest does, and enter the sweep as +1/-1 events. With
  // every node a candidate and a verdict that depends only on the node's kind, once per group,
  // and only as far as the sweep goes: a group's next range is worked out when its last one
  // ends (a plan usually stops within hours of a window of days, and each group's steps run
  // through its reservations to the window's end).
  const bool grouped = holds.alike() && cs.nodes->size() == nodes_.size();
  constexpr uint32_t kPlain = PassCache::State::Scratch::kPlainEvent;
  if (grouped) {
    const auto& groups = planner_.TakenGroups();
    // A virtual give-back's nodes count apart from their groups, with their own steps.
    CountOwnInGroups(1);
    PrefetchFirstNodes(groups);
    // A start by the cap needs a step with room that begins by then: a group whose free CPUs
    // never reach the job's by then has no range, and is passed by without its steps. Only
    // along a conservative chain, whose groups last from pass to pass: elsewhere a group is
    // asked about once or twice before its pass ends, and working out where its CPUs rise
    // costs what its walk does.
    const UnixTime cap_time = grid_ + std::min(cap, w) * res_;
    planner_.ForEachLiveGroup([&](uint32_t g) {
      const uint32_t first = groups[g].first;
      const auto count = static_cast<int32_t>(groups[g].nodes.size() - sk_.own_in_group[g]);
      if (count == 0 || !holds(first, &need)) return;
      if (resume_ && planner_.RoomFrom(g, need.cpus) > cap_time) return;
      const std::vector<internal::Step>& steps = planner_.Steps(first);
      __builtin_prefetch(steps.data());
      AddSource(&steps, first, g, false, count, need);
    });
    CountOwnInGroups(-1);
    for (uint32_t blk = 0; blk < own_blocks_.size(); ++blk) {
      const uint32_t rep = own_blocks_[blk].rep;
      if (!eligible(rep, &need)) continue;
      AddSource(&st_.own_steps[blk], rep, blk, true, static_cast<int32_t>(own_blocks_[blk].size),
                need);
    }
    for (uint32_t i = 0; i < sources_.size(); ++i) {
      if (NextRange(job, len, sources_[i], cap)) sweep_.push_back({sources_[i].a, 1, i});
    }
  } else {
    for (uint32_t n : planner_.TakenNodes()) {
      st_.seen[n] = stamp;
      if (!eligible(n, &need)) continue;
      FeasibleStarts(
          job, n, need, len,
          [&](int64_t a, int64_t b) {
            sweep_.push_back({a, 1, kPlain});
            sweep_.push_back({b + 1, -1, kPlain});
            feasible_.emplace_back(n, a, b);
          },
          cap);
    }
  }
  // Whether node n was dealt with above (or earlier in the sweep).
  auto seen = [&](uint32_t n) { return st_.seen[n] == stamp || (grouped && planner_.IsTaken(n)); };
  // The taken nodes feasible at `s`, for the nodes to reserve: those of the groups and blocks
  // whose range covers s (a source's range has begun by the events up to s, and not ended), as
  // runs: a block, or a group that holds none of a virtual give-back's nodes; a group that
  // holds some, its other nodes one by one.
  auto found = [&](int64_t s) {
    if (!want_nodes || !grouped) return s;
    const auto& groups = planner_.TakenGroups();
    for (const RangeSource& src : sources_) {
      if (src.a > s || src.b < s) continue;
      if (src.own || static_cast<size_t>(src.count) == groups[src.id].nodes.size()) {
        feasible_runs_.push_back({src.id, src.own});
        continue;
      }
      for (uint32_t n : groups[src.id].nodes) {
        if (OwnSteps(n) == nullptr) feasible_.emplace_back(n, src.a, src.b);
      }
    }
    return s;
  };
  // A heap rather than a sort: the sweep usually stops early, after few of the events.
  const auto later = [](const SweepEvent& a, const SweepEvent& b) { return a.slot > b.slot; };
  std::make_heap(sweep_.begin(), sweep_.end(), later);
  // Every other node only gains room over time: its feasible starts are [t, w] from the first
  // step with room, and a run of any length from there never meets less.
  uint32_t count = 0;
  const uint32_t need_cpus =
      job.exclusive ? cs.min_cpus : r * std::max<uint32_t>(job.cpus_per_task, 1);
  auto free_now = [&](uint32_t n) {
    if (seen(n)) return true;
    if (!eligible(n, &need)) {
      st_.seen[n] = stamp;
    } else if (fits(n, need, planner_.FreeNow(n))) {
      st_.seen[n] = stamp;
      feasible_.emplace_back(n, 0, w);
      ++count;
    }
    return true;
  };
  // Taken nodes were dealt with above: the walk passes them by a word at a time where it can
  // (a conservative pass holds most idle nodes reserved for later).
  const NodeIndex& index = IndexFor(set_id, KindOf(job));
  if (index.by_number()) {
    index.VisitDownSkipping(need_cpus, planner_.TakenBits(), free_now);
  } else {
    index.VisitDown(need_cpus, free_now);
  }
  // The sweep: at each slot where something changes, the taken nodes feasible then plus the
  // other nodes that got room by then.
  // Releases come in time order; those in slots up to s (> 0) are those ending by slot s's
  // start (Planner::EndSlot's rounding up), so the sweep compares times and works out a slot
  // only where it moves on.
  ReleaseWalk();
  const std::vector<PassCache::State::WalkTime>& releases = st_.walk;
  size_t release = 0;
  int64_t active = 0;
  monotone_before_ = 0;
  for (int64_t s = 0;;) {
    while (!sweep_.empty() && sweep_.front().slot == s) {
      std::pop_heap(sweep_.begin(), sweep_.end(), later);
      const SweepEvent e = sweep_.back();
      sweep_.pop_back();
      if (e.source == kPlain) {
        active += e.delta;
        continue;
      }
      RangeSource& src = sources_[e.source];
      if (e.delta > 0) {
        active += src.count;
        sweep_.push_back({src.b + 1, -1, e.source});
      } else {
        active -= src.count;
        if (!NextRange(job, len, src, cap)) {
          src.a = 0, src.b = -1;
          continue;
        }
        sweep_.push_back({src.a, 1, e.source});
      }
      std::push_heap(sweep_.begin(), sweep_.end(), later);
    }
    const UnixTime by = s > 0 ? grid_ + s * res_ : std::numeric_limits<UnixTime>::min();
    for (; release < releases.size() && releases[release].time <= by; ++release) {
      for (const auto& [free, n] : st_.walk_nodes[releases[release].nodes]) {
        if (seen(n)) continue;
        if (!eligible(n, &need)) {
          st_.seen[n] = stamp;
          continue;
        }
        // Room first appears at one of the node's release slots: this one, if the node says so.
        // What it has free after this release may fall short of what it has at slot s, where
        // it has later releases up to then: those come later in this loop.
        if (!fits(n, need, free)) continue;
        st_.seen[n] = stamp;
        feasible_.emplace_back(n, s, w);
        ++count;
      }
    }
    if (count + active >= k) return found(s);
    monotone_before_ = std::max<uint32_t>(monotone_before_, count + active);
    int64_t next = kNever;
    if (!sweep_.empty()) next = std::min(next, sweep_.front().slot);
    if (release < releases.size()) {
      next = std::min(next, planner_.EndSlot(releases[release].time));
    }
    if (next > w) return -2;  // none within the window: earliest says so, and tries further
    if (next > cap) return kCapped;
    s = next;
  }
}

int64_t Pass::Plan(const JobRequest& job, const Shape& shape, uint32_t set_id, int64_t len,
                   Alloc* out, int64_t cap) {
  const bool memo = job.required.empty() && out == nullptr;
  const ShapeKey key = KeyOf(job, set_id, len, 3);
  if (memo) {
    auto it = planned_.find(key);
    if (it != planned_.end() && it->second.first == version_) return it->second.second;
  }
  const CandSet& cs = sets_[set_id];
  // Plans ask the same of every node: k nodes of r tasks. A fewest-nodes request asks for the
  // fewest nodes its largest node type allows, evenly loaded.
  uint32_t k = shape.k, r = shape.r;
  if (shape.fewest) {
    uint32_t cap_max = 0;
    for (const auto& [total, num] : cs.types) {
      type_node_.total = total;
      type_node_.sockets = cs.max_sockets;
      NodeView v{0, &type_node_, total};
      uint32_t c = UINT32_MAX;
      for (const auto& f : filters_) c = std::min(c, f->TasksFit(job, v));
      cap_max = std::max(cap_max, c);
    }
    if (cap_max == 0) return -1;
    k = std::max<uint32_t>((shape.tasks + cap_max - 1) / cap_max,
                           static_cast<uint32_t>(job.required.size()));
    r = (shape.tasks + k - 1) / k;
  }
  const int64_t w = window_slots_;
  const uint32_t nreq = static_cast<uint32_t>(job.required.size());
  // The earliest slot where k nodes can each hold r tasks for the job's length, or -1.
  auto earliest = [&](uint32_t k, uint32_t r) -> int64_t {
    // Feasible start ranges as +1/-1 events: counted by slot when they are many for the window,
    // else sorted (a window of 10,000 slots and a few ranges costs the ranges, not the slots).
    events_.clear();
    feasible_.clear();
    feasible_runs_.clear();
    for (uint32_t n : job.required) mark_[n] = 1;
    HoldCheck holds(*this, job, r);
    for (uint32_t n : *cs.nodes) {
      Resources need;
      if (n >= nodes_.size() || !holds(n, &need)) continue;
      const bool req = mark_[n] != 0;
      FeasibleStarts(job, n, need, len, [&](int64_t a, int64_t b) {
        events_.push_back({a, req, 1});
        events_.push_back({b + 1, req, -1});
        if (out != nullptr) feasible_.emplace_back(n, a, b);
      });
    }
    for (uint32_t n : job.required) mark_[n] = 0;
    if (nreq == 0 && k == 0) return 0;
    int64_t cnt = 0, req_cnt = 0;
    // The most nodes with room at any slot before the one found (see plan_before_).
    auto before = [&](int64_t s) {
      earliest_before_ = std::max<int64_t>(earliest_before_, cnt + req_cnt);
      return s;
    };
    earliest_before_ = 0;
    if (static_cast<size_t>(w) + 2 <= 4 * events_.size()) {
      // Many ranges on a short window: counters by slot beat sorting the events.
      diff_.assign(w + 2, 0);
      req_diff_.assign(w + 2, 0);
      for (const PlanEvent& e : events_) (e.required ? req_diff_ : diff_)[e.slot] += e.delta;
      for (int64_t s = 0; s <= w; ++s) {
        cnt += diff_[s];
        req_cnt += req_diff_[s];
        if (req_cnt == nreq && cnt + nreq >= k) return s;
        before(s);
      }
      return -1;
    }
    std::sort(events_.begin(), events_.end(),
              [](const PlanEvent& a, const PlanEvent& b) { return a.slot < b.slot; });
    for (size_t i = 0; i < events_.size();) {
      const int64_t s = events_[i].slot;
      for (; i < events_.size() && events_[i].slot == s; ++i) {
        (events_[i].required ? req_cnt : cnt) += events_[i].delta;
      }
      if (s <= w && req_cnt == nreq && cnt + nreq >= k) return s;
      before(s);
    }
    return -1;
  };
  int64_t found = -2;
  if (nreq == 0 && monotone_ && !has_holds_) {
    found = EarliestMonotone(job, set_id, k, r, len, out != nullptr, cap);
    if (found == kCapped) found = EarliestMonotone(job, set_id, k, r, len, out != nullptr, kNoCap);
  }
  // EarliestMonotone's "none within the window" is exact: asking every node again (each
  // carrying every kept reservation) would only say so at a higher cost.
  if (found == -2 && nreq == 0 && monotone_ && !has_holds_) {
    found = -1;
  } else if (found == -2) {
    found = earliest(k, r);
    monotone_before_ = static_cast<uint32_t>(earliest_before_);
  }
  // On unequal nodes the fewest nodes of the largest kind may not exist: spread the tasks over
  // one more node at a time (fewer tasks each) until a plan fits or the set runs out.
  const uint32_t set_size = static_cast<uint32_t>(cs.nodes->size());
  while (found < 0 && shape.fewest && k < set_size && r > 1) {
    ++k;
    r = (shape.tasks + k - 1) / k;
    found = earliest(k, r);
  }
  // Unequal shares can do better only where some node holds more than r tasks (a node holds
  // at most its CPUs' worth).
  const uint32_t most_tasks = cs.max_cpus / std::max<uint32_t>(job.cpus_per_task, 1);
  if (found < 0 && shape.fewest && job.required.empty() && most_tasks > r) {
    // Nodes of unequal shares: nothing bounds the earlier starts (a recheck plans again).
    plan_k_ = plan_r_ = plan_before_ = 1;
    found = EarliestUnequal(job, shape, cs, len, out);
    if (memo) planned_[key] = {version_, found};
    return found;
  }
  if (memo) planned_[key] = {version_, found};
  plan_k_ = k;
  plan_r_ = r;
  plan_before_ = std::min(monotone_before_, std::max<uint32_t>(k, 1) - 1);
  if (found < 0 || out == nullptr) return found;
  ChooseNodes(job, shape, cs, k, r, found, len);
  Distribute(job, shape.tasks, r, chosen_, out);
  return found;
}

void Pass::ChooseNodes(const JobRequest& job, const Shape& shape, const CandSet& cs, uint32_t k,
                       uint32_t r, int64_t found, int64_t len) {
  std::vector<Ranked>& ranked = ranked_scratch_;
  ranked.clear();
  chosen_.clear();
  scored_runs_.clear();
  // The nodes of a taken group come in a row and share their room over the run (and, alike in
  // kind, their score where the placement scores by kind); so do a virtual give-back's nodes of
  // one block (their steps without the job's reservation are one list). A run: the group, or
  // the block's index + 1 above 32 bits; kNoRun: a node alone.
  constexpr uint64_t kNoRun = internal::Planner::kNoGroup;
  constexpr uint8_t kMixed = PassCache::State::kMixedKind;
  uint64_t last_run = kNoRun;
  Resources group_room;
  const bool by_kind = score_->ScoresByKind();
  int64_t group_key = 0;
  uint8_t group_kind = 0;
  // Ties go by (weight, node); where weights do not fall as node numbers rise, by number alone,
  // without reading every ranked node's weight.
  const bool ties_by_number = WeightsFollowNumbers(cs);
  auto tie_of = [&](uint32_t n) {
    return ties_by_number ? uint64_t{n} : uint64_t{nodes_[n].weight} << 32 | n;
  };
  auto key_of = [&](uint32_t n, const Resources& room) {
    NodeView v{n, &nodes_[n], room};
    return -score_->Score(job, v, r);
  };
  const bool any_required = !job.required.empty();
  for (const auto& [n, a, b] : feasible_) {
    if (a > found || b < found) continue;
    if (any_required &&
        std::find(job.required.begin(), job.required.end(), n) != job.required.end()) {
      chosen_.push_back(n);
      continue;
    }
    const uint32_t block = virtual_owner_ != 0 ? st_.own_index[n] : 0;  // + 1
    const uint64_t run = block != 0 ? uint64_t{block} << 32 : planner_.GroupOf(n);
    const uint8_t kind = st_.node_kind[n];
    if (run == kNoRun || run != last_run || !by_kind || kind != group_kind || kind == kMixed) {
      if (run == kNoRun || run != last_run) {
        group_room = PlanMinOver(n, found, AddSlots(found, len));
        last_run = run;
      }
      group_key = key_of(n, group_room);
      group_kind = kind;
    }
    ranked.push_back({group_key, tie_of(n)});
  }
  // The sweep's runs: one score for all their nodes where the placement scores by kind, else
  // node by node as above. A run's nodes are of one kind: a planner group's have equal NodeInfo
  // (Planner::SameInputs), and a block is nodes of one group.
  std::span<const Planner::TakenGroup> groups;
  if (!feasible_runs_.empty()) groups = planner_.TakenGroups();
  size_t total = ranked.size();
  for (const auto& run : feasible_runs_) {
    const uint32_t* members;
    uint32_t size;
    if (run.own) {
      const OwnBlock& blk = own_blocks_[run.id];
      members = sk_.block_nodes.data() + blk.first;
      size = blk.size;
    } else {
      members = groups[run.id].nodes.data();
      size = static_cast<uint32_t>(groups[run.id].nodes.size());
    }
    if (size == 0) continue;
    total += size;
    const Resources room = PlanMinOver(members[0], found, AddSlots(found, len));
    const uint8_t kind = st_.node_kind[members[0]];
    if (by_kind && kind != 0 && kind != kMixed) {
      scored_runs_.push_back({key_of(members[0], room), members, size});
      continue;
    }
    for (uint32_t i = 0; i < size; ++i) {
      const uint32_t n = members[i];
      const uint8_t nk = st_.node_kind[n];
      if (i == 0 || !by_kind || nk != group_kind || nk == kMixed) {
        group_key = key_of(n, room);
        group_kind = nk;
      }
      ranked.push_back({group_key, tie_of(n)});
    }
  }
  const size_t want = k - chosen_.size();
  const size_t offset = chosen_.size();
  // Their order tells Distribute which nodes get fewer tasks; when every node gets as many
  // (k x r tasks; spread: a multiple of k), any order gives the same allocation, and otherwise
  // only where the shares change (OrderForShares).
  const bool spread = score_->walk() == Walk::kSpread;
  const bool uniform = spread ? k > 0 && shape.tasks % k == 0 : shape.tasks == uint64_t{k} * r;
  auto order_for_shares = [&](std::vector<Ranked>* best, size_t count) {
    if (uniform) return;
    const auto all = static_cast<uint32_t>(offset + count);
    OrderForShares(best, count, ShareBoundary(shape.tasks, r, all, spread), offset);
  };
  if (scored_runs_.empty()) {
    // The best `want` (entries are distinct, so any exact method picks the same): selected,
    // as a heap over nearly all of them (partial_sort) costs more.
    const size_t count = std::min(want, ranked.size());
    const auto best_end = ranked.begin() + static_cast<ptrdiff_t>(count);
    if (best_end != ranked.end()) std::nth_element(ranked.begin(), best_end, ranked.end());
    order_for_shares(&ranked, count);
    for (auto it = ranked.begin(); it != best_end; ++it) {
      chosen_.push_back(static_cast<uint32_t>(it->tie()));
    }
    return;
  }
  // With runs, the same best `want` by key first: every node below the key where they run out
  // (the boundary) is taken, and the best ties at it make up the rest, where a run of hundreds
  // of alike nodes was hundreds of entries to select among.
  std::vector<Ranked>& picked = picked_;
  picked.clear();
  int64_t boundary = std::numeric_limits<int64_t>::max();
  bool take_all = total <= want;
  if (!take_all) {
    key_counts_.clear();
    for (const Ranked& e : ranked) key_counts_.emplace_back(e.key(), 1);
    for (const auto& run : scored_runs_) key_counts_.emplace_back(run.key, run.size);
    std::sort(key_counts_.begin(), key_counts_.end());
    size_t upto = 0;
    for (const auto& [key, count] : key_counts_) {
      upto += count;
      if (upto >= want) {
        boundary = key;
        break;
      }
    }
  }
  // Below the boundary (everything where all are taken); at it, the ties to choose among.
  size_t below = 0;
  for (const Ranked& e : ranked) {
    if (take_all || e.key() < boundary) picked.push_back(e), ++below;
  }
  for (const auto& run : scored_runs_) {
    if (!take_all && run.key >= boundary) continue;
    for (uint32_t i = 0; i < run.size; ++i) picked.push_back({run.key, tie_of(run.nodes[i])});
    below += run.size;
  }
  if (!take_all) {
    size_t rest = want - below;
    // Calls f(n) for each node at the boundary (a ranked entry's tie holds its node low).
    auto at_boundary = [&](auto&& f) {
      for (const Ranked& e : ranked) {
        if (e.key() == boundary) f(static_cast<uint32_t>(e.tie()));
      }
      for (const auto& run : scored_runs_) {
        if (run.key != boundary) continue;
        for (uint32_t i = 0; i < run.size; ++i) f(run.nodes[i]);
      }
    };
    if (ties_by_number) {
      // The lowest-numbered nodes at the boundary: through a bitset by node number.
      uint32_t lo = UINT32_MAX, hi = 0;
      if (select_bits_.size() * 64 < nodes_.size()) select_bits_.resize(nodes_.size() / 64 + 1, 0);
      at_boundary([&](uint32_t n) {
        select_bits_[n / 64] |= uint64_t{1} << (n % 64);
        lo = std::min(lo, n / 64);
        hi = std::max(hi, n / 64);
      });
      for (uint32_t w = lo; w <= hi && lo != UINT32_MAX; ++w) {
        for (uint64_t word = select_bits_[w]; word != 0 && rest > 0; word &= word - 1, --rest) {
          picked.push_back({boundary, w * uint64_t{64} + std::countr_zero(word)});
        }
        select_bits_[w] = 0;
      }
    } else {
      const size_t at = picked.size();
      at_boundary([&](uint32_t n) { picked.push_back({boundary, tie_of(n)}); });
      const auto best_end = picked.begin() + static_cast<ptrdiff_t>(at + rest);
      std::nth_element(picked.begin() + static_cast<ptrdiff_t>(at), best_end, picked.end());
      picked.erase(best_end, picked.end());
    }
  }
  order_for_shares(&picked, picked.size());
  for (const Ranked& e : picked) chosen_.push_back(static_cast<uint32_t>(e.tie()));
}

std::vector<Decision> Pass::Run(const JobSource& next, bool stop_when_blocked, PassStats* stats) {
  PassStats st;
  std::vector<Decision> out;
  const auto policy = opt_.policy;
  bool fifo_blocked = false;
  bool easy_reserved = false;
  // Planner queries, bounded by bf_max_job_test: the reservations kept unseen count as looked at.
  uint32_t plans =
      unseen_ ? static_cast<uint32_t>(std::min<size_t>(st_.kept.size(), opt_.bf_max_job_test)) : 0;
  Alloc& alloc = st_.alloc;
  out.reserve(st_.examined_last);
  std::vector<std::vector<model::GpuAllocation>> gpus;
  // A rechecking pass: a reservation of the last pass that this one does not make again (the
  // job started, moved or got none) frees its nodes for the jobs behind.
  auto release_old = [&](const PassCache::State::Kept& old) {
    if (!st_.recheck_reservations || old.pass + 1 != st_.passes) return;
    for (const auto& a : old.alloc) st_.Freed(a.first);
  };
  // `entry`: the job's entry in st_.kept as it was when the job was pulled (looked up once;
  // entries stay put until the pass's end).
  auto done = [&](const PassCache::State::Kept* entry) {
    if (st_.recheck_reservations && entry != nullptr) {
      release_old(*entry);  // not made again: still the old one
    }
  };
  while (!(fifo_blocked && stop_when_blocked)) {
    const JobRequest* queued = next();
    if (queued == nullptr) break;
    const JobRequest& job = *queued;
    PassCache::State::Kept* entry_found = nullptr;
    if (resume_ || st_.recheck_reservations) {
      auto it = st_.kept.find(job.id);
      if (it != st_.kept.end()) entry_found = &it->second;
    }
    Decision d;
    d.id = job.id;
    ++st.examined;
    const uint32_t set_id = SetOf(job);
    const Shape shape = ShapeOf(job);
    if (!EverFits(job, shape, sets_[set_id])) {
      d.reason = model::Reason::kResources;
      done(entry_found);
      out.push_back(std::move(d));
      continue;
    }
    if (fifo_blocked) {
      d.reason = model::Reason::kPriority;
      done(entry_found);
      out.push_back(std::move(d));
      continue;
    }
    score_id_ = ScoreIdOf(job);
    score_ = scores_[score_id_].get();
    // Its run in slots: from a slot boundary (a planned start), and from now, which is that much
    // past the boundary before it. Planned windows use the first, so a reservation made at one
    // pass fits the same window at the next.
    // The job's reservation from the last pass, when this one gives it back to look again.
    const PassCache::State::Kept* given_back = nullptr;
    bool made_same = false;  // its new reservation is the one given back
    const int64_t len = DurationSlots(job.time_limit);
    const int64_t len_now = DurationSlots(
        job.time_limit >= kUnlimited - res_ ? job.time_limit : job.time_limit + (now_ - grid_));
    // The job keeps its reservation as the last pass left it: only the reason may have changed.
    auto keep_as_it_stands = [&](const PassCache::State::Kept& kept) {
      if (opt_.pending_reasons) {
        d.reason = FitsFree(job, shape, set_id, len_now, &alloc) ? model::Reason::kPriority
                                                                 : model::Reason::kResources;
      }
      d.expected_start = kept.start;
      d.anchor = true;
      ++st.reserved;
      ++st.kept;
      out.push_back(std::move(d));
    };
    if (unseen_ && entry_found != nullptr) {
      if (entry_found->limit == job.time_limit) {
        // Kept unseen (it starts later than now and nothing was freed), handed in anyway.
        keep_as_it_stands(*entry_found);
        continue;
      }
      // Its limit changed: looked at as the last pass left it.
      st_.UnmarkKept(*entry_found);
      entry_found->pass = st_.passes - 1;
    }
    if (resume_) {
      if (entry_found != nullptr && entry_found->pass + 1 == st_.passes) {
        PassCache::State::Kept& kept = *entry_found;
        if (plans < opt_.bf_max_job_test && KeptStands(job, set_id, len, kept)) {
          st_.MarkKept(kept);
          ++plans;
          keep_as_it_stands(kept);
          continue;
        }
        if (!BeginVirtualBack(job, set_id, kept)) GiveBack(job.id, kept);
        given_back = &kept;
      }
    }
    if (TryNow(job, shape, set_id, len_now, /*respect_plan=*/true, &alloc) &&
        AssignGpus(job, alloc, /*respect_plan=*/true, &gpus)) {
      if (virtual_owner_ != 0) EndVirtualBack(/*keep=*/false);
      Commit(alloc, 0, len_now, job.id);
      ChargeCap(job, alloc);
      d.start = true;
      d.alloc = alloc;
      d.gpus = std::move(gpus);
      ++st.started;
    } else {
      // Would it fit the free resources, were it not for reservations of earlier jobs?
      if (opt_.pending_reasons) {
        const bool fits_free = (planner_.has_reservations() || has_holds_) &&
                               FitsFree(job, shape, set_id, len_now, &alloc);
        d.reason = fits_free ? model::Reason::kPriority : model::Reason::kResources;
      }
      const bool reserve = policy == Options::Policy::kConservative ||
                           (policy == Options::Policy::kEasy && !easy_reserved);
      // Shares are not planned (see RunPass): a shared request waits without a planned start.
      if (plans < opt_.bf_max_job_test && internal::SharesOf(job) == 0) {
        ++plans;
        d.anchor = true;
        const Alloc* kept_alloc = nullptr;
        int64_t s = reserve && !resume_ ? KeptStart(job, set_id, len, &kept_alloc) : -1;
        const bool kept = s >= 0;
        // A later start than the reservation given back gives way to it (below).
        const int64_t cap = given_back != nullptr && reserve && given_back->start > now_
                                ? (given_back->start - grid_) / res_
                                : kNoCap;
        if (!kept) s = Plan(job, shape, set_id, len, reserve ? &alloc : nullptr, cap);
        if (s == 0 && len_now != len) {
          // Room from now for the run's length in slots from the boundary: from now it reaches
          // one slot further, which may be another job's.
          bool room = reserve;
          for (const auto& [n, r] : alloc) room = room && r.FitsIn(PlanMinOver(n, 0, len_now));
          if (!room) s = Plan(job, shape, set_id, len_now, reserve ? &alloc : nullptr, cap);
        }
        if (given_back != nullptr && reserve && given_back->start > now_ &&
            (s < 0 || grid_ + s * res_ > given_back->start)) {
          // The plan's shapes are stricter than a job needs (a fewest-nodes job is planned as
          // equal shares first), so it may come out later than the reservation just given
          // back, whose window nothing has taken since: the job keeps that.
          s = (given_back->start - grid_) / res_;
          alloc = given_back->alloc;
        }
        if (s == 0 && reserve) {
          // The plan found room now that the quick walk did not (it is the exact search). The
          // plan counts GPUs regardless of type, so on a node of mixed types the typed GPUs
          // may still be busy: then the job waits with no planned start.
          if (virtual_owner_ != 0) EndVirtualBack(/*keep=*/false);
          if (AssignGpus(job, alloc, /*respect_plan=*/true, &gpus)) {
            Commit(alloc, 0, len_now, job.id);
            ChargeCap(job, alloc);
            d.start = true;
            d.alloc = alloc;
            d.gpus = std::move(gpus);
            d.reason = model::Reason::kNone;
            ++st.started;
          }
        } else if (s > 0) {
          d.expected_start = grid_ + s * res_;
          if (reserve) {
            // A virtual give-back whose plan is the reservation as it stands keeps it as it is.
            const bool same_start = virtual_owner_ != 0 && grid_ + s * res_ == given_back_start_;
            const bool same = same_start && alloc == sk_.given_back_alloc;
            made_same = same;
            if (same_start && !same) {
              MoveAtSameStart(job.id, alloc, s, len);
            } else {
              if (virtual_owner_ != 0) EndVirtualBack(same);
              if (!same) Commit(kept ? *kept_alloc : alloc, s, len, job.id);
            }
            const UnixTime start = grid_ + s * res_;
            PassCache::State::Kept& entry = st_.kept[job.id];
            if (kept) {
              entry.before = kept_before_;  // its start, on the grid, is as it was
            } else {
              // Planned anew: the old reservation's nodes are free for the jobs behind unless
              // the plan came out the same.
              // (A look again that came out the same is known so without comparing; its nodes,
              // and what is made of them, need no copy.)
              const bool same_nodes = same || entry.alloc == alloc;
              if (!same_nodes || start + res_ < entry.start) release_old(entry);
              if (!same_nodes) {
                entry.alloc = alloc;
                entry.by_node.clear();
              }
              entry.start = start;
              entry.limit = job.time_limit;
              entry.k = plan_k_;
              entry.r = plan_r_;
              entry.before = plan_before_;
              entry.pass = entry.freed_pass = 0;
              entry.blocker = 0;
            }
            st_.MarkKept(entry);
            st_.kept_min_start = std::min(st_.kept_min_start, entry.start);
            ++st.reserved;
            st.kept += kept;
            easy_reserved = true;
            if (policy == Options::Policy::kEasy) {
              easy_alloc_ = kept ? *kept_alloc : alloc;
              easy_start_ = s;
            }
          }
        }
      }
      if (policy == Options::Policy::kFifo) {
        fifo_blocked = true;
        d.anchor = !d.start;
      }
    }
    if (virtual_owner_ != 0) EndVirtualBack(/*keep=*/false);  // no new reservation
    if (given_back != nullptr) FreeGivenBack(job.id, d.start, made_same);
    done(entry_found);
    out.push_back(std::move(d));
  }
  if (st_.kept_marked != st_.kept.size()) DropUnmarkedKept();
  st_.resumable = policy == Options::Policy::kConservative && !has_holds_ && monotone_;
  st_.keep_reservations = false;
  st_.keep_unseen = false;
  st_.recheck_reservations = false;
  st_.ClearFreed();
  st_.examined_last = st.examined;
  if (stats != nullptr) *stats = st;
  return out;
}

// The reservations of the last pass that this one did not make again leave the planner.
void Pass::DropUnmarkedKept() {
  st_.kept_min_start = std::numeric_limits<UnixTime>::max();
  std::erase_if(st_.kept, [&](const auto& e) {
    if (e.second.pass == st_.passes) {
      st_.kept_min_start = std::min(st_.kept_min_start, e.second.start);
      return false;
    }
    // Still in the planner from the last pass, but its job was not in this one's queue.
    if (resume_ && e.second.pass + 1 == st_.passes) {
      const bool held_now = e.second.start <= now_;
      for (const auto& a : e.second.alloc) {
        planner_.Unreserve(a.first, e.first);
        if (held_now && a.first < nodes_.size()) Relevel(a.first);
      }
    }
    return true;
  });
}

// A pass over the pulled queue, sharing the cache's state or, without one, a fresh state.
std::vector<Decision> RunPulled(const Options& options, UnixTime now,
                                const std::vector<NodeInfo>& nodes,
                                const std::vector<RunningJob>& running, const JobSource& next,
                                const std::vector<std::vector<uint32_t>>& candidate_sets,
                                PassStats* stats, PassCache* cache, bool stop_when_blocked) {
  // (A fresh state only without a cache: one holds two planners and the pass's scratch.)
  std::optional<PassCache::State> fresh;
  if (cache == nullptr) fresh.emplace();
  Pass pass(options, now, nodes, running, candidate_sets,
            cache != nullptr ? cache->state() : *fresh);
  return pass.Run(next, stop_when_blocked, stats);
}

}  // namespace

std::vector<Decision> RunPass(const Options& options, UnixTime now,
                              const std::vector<NodeInfo>& nodes,
                              const std::vector<RunningJob>& running,
                              const std::vector<JobRequest>& queue, PassStats* stats) {
  static const std::vector<std::vector<uint32_t>> kNoSets;
  return RunPass(options, now, nodes, running, queue, kNoSets, stats);
}

std::vector<Decision> RunPass(const Options& options, UnixTime now,
                              const std::vector<NodeInfo>& nodes,
                              const std::vector<RunningJob>& running,
                              const std::vector<JobRequest>& queue,
                              const std::vector<std::vector<uint32_t>>& candidate_sets,
                              PassStats* stats) {
  std::vector<const JobRequest*> borrowed;
  borrowed.reserve(queue.size());
  for (const JobRequest& job : queue) borrowed.push_back(&job);
  return RunPass(options, now, nodes, running, borrowed, candidate_sets, stats);
}

std::vector<Decision> RunPass(const Options& options, UnixTime now,
                              const std::vector<NodeInfo>& nodes,
                              const std::vector<RunningJob>& running,
                              const std::vector<const JobRequest*>& queue,
                              const std::vector<std::vector<uint32_t>>& candidate_sets,
                              PassStats* stats, PassCache* cache) {
  size_t i = 0;
  const JobSource next = [&]() { return i < queue.size() ? queue[i++] : nullptr; };
  return RunPulled(options, now, nodes, running, next, candidate_sets, stats, cache,
                   /*stop_when_blocked=*/false);
}

std::vector<Decision> RunPass(const Options& options, UnixTime now,
                              const std::vector<NodeInfo>& nodes,
                              const std::vector<RunningJob>& running, const JobSource& next,
                              const std::vector<std::vector<uint32_t>>& candidate_sets,
                              PassStats* stats, PassCache* cache) {
  return RunPulled(options, now, nodes, running, next, candidate_sets, stats, cache,
                   /*stop_when_blocked=*/true);
}

}  // namespace sluice::core::sched
