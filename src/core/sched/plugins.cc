// Built-in plugins and the registry.
#include <algorithm>
#include <map>

#include "core/sched/framework.h"

namespace sluice::core::sched {
namespace {

// Kubernetes' NodeResourcesFit: CPUs per task, memory per node or per CPU, GPUs per node.
class NodeResourcesFit : public FilterPlugin {
 public:
  std::string_view Name() const override { return "node-resources-fit"; }
  uint32_t TasksFit(const JobRequest& job, const NodeView& view) const override {
    const Resources& total = view.node->total;
    const Resources& avail = view.avail;
    if (job.exclusive) {
      // Whole nodes: only an idle node will do, and then all of it counts.
      if (!(avail == total)) return 0;
    }
    const uint32_t cpt = std::max<uint32_t>(job.cpus_per_task, 1);
    uint64_t tasks = avail.cpus / cpt;
    if (job.gpus_per_node > avail.gpus) return 0;
    if (job.mem_per_node_mb > 0) {
      if (avail.memory_mb < job.mem_per_node_mb) return 0;
    } else if (job.mem_per_cpu_mb > 0) {
      tasks = std::min<uint64_t>(tasks, avail.memory_mb / (job.mem_per_cpu_mb * cpt));
    }
    if (job.tasks_per_socket > 0) {
      tasks = std::min<uint64_t>(
          tasks, uint64_t{job.tasks_per_socket} * std::max<uint32_t>(view.node->sockets, 1));
    }
    if (job.tasks_per_node > 0) return tasks >= job.tasks_per_node ? job.tasks_per_node : 0;
    return static_cast<uint32_t>(std::min<uint64_t>(tasks, UINT32_MAX));
  }
};

int64_t CpusLeft(const JobRequest& job, const NodeView& view, uint32_t tasks) {
  const Resources used = TaskResources(job, view.node->total, tasks);
  return static_cast<int64_t>(view.avail.cpus) - static_cast<int64_t>(used.cpus);
}

class BestFit : public ScorePlugin {
 public:
  std::string_view Name() const override { return "best-fit"; }
  Walk walk() const override { return Walk::kFewestFreeCpus; }
  bool ScoresByKind() const override { return true; }
  int64_t Score(const JobRequest& job, const NodeView& view, uint32_t tasks) const override {
    return -CpusLeft(job, view, tasks);
  }
};

// Scores of the policies that rank idle nodes apart: far beyond any CPU count, so the class
// decides before the CPUs do.
constexpr int64_t kClassBonus = int64_t{1} << 40;

bool Idle(const NodeView& view) { return view.avail.cpus >= view.node->total.cpus; }

class Compact : public ScorePlugin {
 public:
  std::string_view Name() const override { return "compact"; }
  Walk walk() const override { return Walk::kCompact; }
  bool ScoresByKind() const override { return true; }
  // Partly used nodes by fewest free CPUs left; idle ones all tie (to Weight, then index).
  int64_t Score(const JobRequest& job, const NodeView& view, uint32_t tasks) const override {
    return Idle(view) ? -kClassBonus : -CpusLeft(job, view, tasks);
  }
};

class Spread : public ScorePlugin {
 public:
  std::string_view Name() const override { return "spread"; }
  Walk walk() const override { return Walk::kSpread; }
  bool ScoresByKind() const override { return true; }
  // Idle nodes first, then the least loaded: most free CPUs left.
  int64_t Score(const JobRequest& job, const NodeView& view, uint32_t tasks) const override {
    return (Idle(view) ? kClassBonus : 0) + CpusLeft(job, view, tasks);
  }
};

// Whether some socket of the node has the job's whole GPUs (of its type), busy or not: what a
// plan, which does not track which GPUs will be free, can know about locality.
bool OneSocketCanHold(const JobRequest& job, const NodeInfo& node) {
  if (job.gpus_per_node <= 1 || node.gpus.empty()) return job.gpus_per_node <= 1;
  std::map<uint32_t, uint32_t> per_socket;
  for (const model::Gpu& g : node.gpus) {
    if (!job.gpu_type.empty() && g.type != job.gpu_type) continue;
    if (++per_socket[g.socket] >= job.gpus_per_node) return true;
  }
  return false;
}

class Locality : public ScorePlugin {
 public:
  std::string_view Name() const override { return "locality"; }
  Walk walk() const override { return Walk::kLocality; }
  int64_t Score(const JobRequest& job, const NodeView& view, uint32_t tasks) const override {
    const int64_t fit = -CpusLeft(job, view, tasks);
    return job.gpus_per_node > 1 && OneSocketCanHold(job, *view.node) ? kClassBonus + fit : fit;
  }
};

class WeightFirst : public ScorePlugin {
 public:
  std::string_view Name() const override { return "weight-first"; }
  Walk walk() const override { return Walk::kLowestWeight; }
  bool ScoresByKind() const override { return true; }
  int64_t Score(const JobRequest&, const NodeView&, uint32_t) const override { return 0; }
};

// Fewest shares in use: spreads shared jobs over a node's GPUs before stacking them.
class GpuLeastOccupied : public GpuScorePlugin {
 public:
  std::string_view Name() const override { return "least-occupied"; }
  int64_t Score(const JobRequest&, const model::Gpu& gpu) const override {
    return -static_cast<int64_t>(gpu.shares_used);
  }
};

// Lowest last reported utilization (in millionths, so equal readings tie to the lower index).
class GpuUtilization : public GpuScorePlugin {
 public:
  std::string_view Name() const override { return "utilization"; }
  int64_t Score(const JobRequest&, const model::Gpu& gpu) const override {
    return -static_cast<int64_t>(std::clamp(gpu.utilization, 0.0, 1.0) * 1e6);
  }
};

// "a, b or c".
std::string JoinNames(const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += i + 1 == names.size() ? " or " : ", ";
    out += names[i];
  }
  return out;
}

template <typename T>
std::unique_ptr<T> Make() {
  return std::make_unique<T>();
}

}  // namespace

Resources TaskResources(const JobRequest& job, const Resources& total, uint32_t tasks) {
  if (job.exclusive) return total;
  Resources r;
  r.cpus = tasks * std::max<uint32_t>(job.cpus_per_task, 1);
  r.memory_mb =
      job.mem_per_node_mb > 0 ? job.mem_per_node_mb : uint64_t{r.cpus} * job.mem_per_cpu_mb;
  r.gpus = job.gpus_per_node;
  return r;
}

Registry& Registry::Global() {
  static Registry* registry = [] {
    auto* r = new Registry();
    (void)r->RegisterFilter("node-resources-fit", Make<NodeResourcesFit>);
    (void)r->RegisterScore("best-fit", Make<BestFit>);
    (void)r->RegisterScore("compact", Make<Compact>);
    (void)r->RegisterScore("spread", Make<Spread>);
    (void)r->RegisterScore("locality", Make<Locality>);
    (void)r->RegisterScore("weight-first", Make<WeightFirst>);
    (void)r->RegisterGpuScore("least-occupied", Make<GpuLeastOccupied>);
    (void)r->RegisterGpuScore("utilization", Make<GpuUtilization>);
    return r;
  }();
  return *registry;
}

Status Registry::RegisterFilter(std::string name, FilterFactory factory) {
  if (filters_.count(name) > 0) return {Code::kAlreadyExists, "filter plugin " + name + " exists"};
  filters_.emplace(std::move(name), std::move(factory));
  return Status::Ok();
}

Status Registry::RegisterScore(std::string name, ScoreFactory factory) {
  if (scores_.count(name) > 0) return {Code::kAlreadyExists, "score plugin " + name + " exists"};
  scores_.emplace(std::move(name), std::move(factory));
  return Status::Ok();
}

Status Registry::RegisterGpuScore(std::string name, GpuScoreFactory factory) {
  if (gpu_scores_.count(name) > 0) {
    return {Code::kAlreadyExists, "GPU score plugin " + name + " exists"};
  }
  gpu_scores_.emplace(std::move(name), std::move(factory));
  return Status::Ok();
}

Result<std::unique_ptr<FilterPlugin>> Registry::Filter(std::string_view name) const {
  auto it = filters_.find(name);
  if (it == filters_.end()) return NotFound("no filter plugin named " + std::string(name));
  return it->second();
}

Result<std::unique_ptr<ScorePlugin>> Registry::Score(std::string_view name) const {
  auto it = scores_.find(name);
  if (it == scores_.end()) {
    return NotFound("no placement (score plugin) named " + std::string(name) + "; use " +
                    JoinNames(ScoreNames()));
  }
  return it->second();
}

Result<std::unique_ptr<GpuScorePlugin>> Registry::GpuScore(std::string_view name) const {
  auto it = gpu_scores_.find(name);
  if (it == gpu_scores_.end()) {
    return NotFound("no GPU placement named " + std::string(name) + "; use " +
                    JoinNames(GpuScoreNames()));
  }
  return it->second();
}

std::vector<std::string> Registry::GpuScoreNames() const {
  std::vector<std::string> names;
  for (const auto& [name, f] : gpu_scores_) names.push_back(name);
  return names;
}

std::vector<std::string> Registry::ScoreNames() const {
  std::vector<std::string> names;
  for (const auto& [name, f] : scores_) names.push_back(name);
  return names;
}

bool KnownPlacement(std::string_view name) { return Registry::Global().Score(name).ok(); }

bool KnownGpuPlacement(std::string_view name) { return Registry::Global().GpuScore(name).ok(); }

std::string PlacementNamesForMessage() { return JoinNames(Registry::Global().ScoreNames()); }

std::string GpuPlacementNamesForMessage() { return JoinNames(Registry::Global().GpuScoreNames()); }

}  // namespace sluice::core::sched
