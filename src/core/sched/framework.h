// Plugin interfaces of the scheduler, after Kubernetes' scheduling framework: one small interface
// per extension point and a registry from name to factory. Plugins are pure functions of what
// they are handed; the pass owns the per-cycle state (planner, node indexes, memos).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "core/sched/scheduler.h"

namespace sluice::core::sched {

// What a plugin sees of one node for one job: valid for the duration of the call.
struct NodeView {
  uint32_t index = 0;              // the node's index in the pass's node list
  const NodeInfo* node = nullptr;  // name, total, weight
  Resources avail;  // free over the whole interval the job would run in (now or planned)
};

// Filter: how many of the job's tasks the node can host given `view.avail` (0: does not fit).
// A Filter may only narrow what resource fit allows: the pass prunes nodes by free CPUs before
// asking, so a filter that admitted more tasks than the CPUs allow would never be asked.
class FilterPlugin {
 public:
  virtual ~FilterPlugin() = default;
  virtual std::string_view Name() const = 0;
  virtual uint32_t TasksFit(const JobRequest& job, const NodeView& view) const = 0;
};

// Score: ranks the nodes that passed the filters for a job; higher first, ties to lower Weight,
// then lower index. Placement is decided per node (the model allocates no sockets or cores
// yet): "idle" below means a node with all its CPUs free, "load" its CPUs in use.
class ScorePlugin {
 public:
  // How the pass walks candidate nodes when starting a job now, and how it spreads a job that
  // names no node count (JobRequest::nodes == 0 and tasks_per_node == 0: "fewest" jobs) when no
  // single node holds it. The index-backed walks visit only nodes with room, in an order equal
  // to the scores', so a pass need not score every node of a 10,000-node partition for each of
  // 100,000 jobs. Unless said otherwise a fewest job takes one node holding all its tasks in
  // walk order, else fills nodes with the most free CPUs first (as few nodes as possible).
  enum class Walk {
    kFewestFreeCpus,  // fewest free CPUs first (best fit)
    kMostFreeCpus,    // most free CPUs first
    kLowestWeight,    // Weight, then index
    kScoreAll,        // scores every node with room
    // Partly used nodes by fewest free CPUs, then idle nodes by Weight and index. A fewest job
    // that no single node holds fills partly used nodes first (most free CPUs first, each with
    // as many tasks as fit), then idle nodes by Weight and index.
    kCompact,
    // Idle nodes first, then by most free CPUs (exact by index on nodes of equal CPU counts,
    // else by Score). A fewest job takes as many nodes as it has tasks (or as have room), one
    // task per node in walk order, then round robin again over those with room left; a job on
    // exactly k nodes gets its tasks round robin (the first tasks % k nodes one more).
    kSpread,
    // Jobs with whole GPUs: nodes where the GPUs the job would get now sit on one socket
    // first, each group by fewest free CPUs; other jobs: kFewestFreeCpus.
    kLocality,
  };

  virtual ~ScorePlugin() = default;
  virtual std::string_view Name() const = 0;
  virtual Walk walk() const = 0;
  // The score of placing `tasks` of the job on the node; used where a pass ranks nodes outright
  // (planned placements, kScoreAll, kSpread on unequal nodes). Planned placements keep the
  // node count of the default plan (fewest nodes) and rank its nodes by this score.
  virtual int64_t Score(const JobRequest& job, const NodeView& view, uint32_t tasks) const = 0;
  // True when Score reads of the node only view.avail and the node's total and sockets: nodes
  // alike in those score alike, so a plan ranking hundreds of nodes of one planner group (equal
  // room over the run) scores one of them. False (the default) asks every node.
  virtual bool ScoresByKind() const { return false; }
};

// GpuScore: ranks the GPUs of one node that can take (part of) a job; higher first, ties to the
// lower GPU index. `gpu` is the GPU as the pass sees it now (jobs started earlier in the pass
// included). The pass applies locality on top: a job's GPUs on one node go to as few sockets as
// possible, and a share follows the socket of the job's whole GPUs there. (Socket locality to
// the job's cores comes with the core placement model; the node model places no cores yet.)
class GpuScorePlugin {
 public:
  virtual ~GpuScorePlugin() = default;
  virtual std::string_view Name() const = 0;
  virtual int64_t Score(const JobRequest& job, const model::Gpu& gpu) const = 0;
};

// Name -> factory. Built-ins: filter "node-resources-fit"; scores (placements):
//   "best-fit" (the default; Slurm cons_tres packing: fewest free CPUs left after placing),
//   "compact" (fill partly used nodes before opening idle ones; Walk::kCompact),
//   "spread" (as many nodes as possible, idle and least-loaded first; Walk::kSpread),
//   "locality" (GPU jobs on nodes whose GPUs for the job share one socket, then best-fit;
//     planned placements prefer nodes with enough GPUs of the type on one socket; the CPUs'
//     socket is not checked until the model places cores),
//   "weight-first" (Weight, then index);
// GPU scores "least-occupied" (fewest shares in use) and "utilization" (lowest reported
// utilization).
class Registry {
 public:
  using FilterFactory = std::function<std::unique_ptr<FilterPlugin>()>;
  using ScoreFactory = std::function<std::unique_ptr<ScorePlugin>()>;
  using GpuScoreFactory = std::function<std::unique_ptr<GpuScorePlugin>()>;

  // The process-wide registry, holding the built-ins. Register at startup, before passes run:
  // it is not synchronized.
  static Registry& Global();

  // AlreadyExists when the name is taken.
  Status RegisterFilter(std::string name, FilterFactory factory);
  Status RegisterScore(std::string name, ScoreFactory factory);
  Status RegisterGpuScore(std::string name, GpuScoreFactory factory);
  // A new plugin instance; NotFound for an unknown name.
  Result<std::unique_ptr<FilterPlugin>> Filter(std::string_view name) const;
  Result<std::unique_ptr<ScorePlugin>> Score(std::string_view name) const;
  Result<std::unique_ptr<GpuScorePlugin>> GpuScore(std::string_view name) const;
  std::vector<std::string> ScoreNames() const;
  std::vector<std::string> GpuScoreNames() const;

 private:
  std::map<std::string, FilterFactory, std::less<>> filters_;
  std::map<std::string, ScoreFactory, std::less<>> scores_;
  std::map<std::string, GpuScoreFactory, std::less<>> gpu_scores_;
};

// Whether `name` is a placement (score plugin) or GPU placement of Registry::Global().
bool KnownPlacement(std::string_view name);
bool KnownGpuPlacement(std::string_view name);
// "best-fit, compact, locality, spread or weight-first": the registered names for messages.
std::string PlacementNamesForMessage();
std::string GpuPlacementNamesForMessage();

// The resources `tasks` tasks of the job take on a node with `total` (all of it when exclusive).
Resources TaskResources(const JobRequest& job, const Resources& total, uint32_t tasks);

}  // namespace sluice::core::sched
