#include "core/cluster/cluster_state.h"

#include <algorithm>
#include <csignal>
#include <string_view>
#include <unordered_set>

#include "core/model/constraint.h"
#include "core/sched/framework.h"

namespace sluice::core::cluster {

using model::Job;
using model::JobPtr;
using model::JobState;
using model::Node;
using model::NodeAllocation;
using model::Partition;
using model::Reason;

namespace {

template <typename T>
bool Contains(const std::vector<T>& v, const T& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}
}  // namespace

bool JobFilter::Matches(const Job& job) const {
  if (!ids.empty() && !Contains(ids, job.id)) return false;
  if (!users.empty() && !Contains(users, job.spec->user)) return false;
  if (!names.empty() && !Contains(names, job.spec->name)) return false;
  if (!states.empty() && !Contains(states, job.state)) return false;
  if (!partitions.empty() && !Contains(partitions, job.partition)) return false;
  return true;
}

model::JobPtr ClusterView::FindJob(JobId id) const { return jobs.Find(id); }

model::NodePtr ClusterView::FindNode(const std::string& name) const {
  for (const auto& n : nodes) {
    if (n->name == name) return n;
  }
  return nullptr;
}

model::PartitionPtr ClusterView::FindPartition(const std::string& name) const {
  for (const auto& p : partitions) {
    if (p->name == name) return p;
  }
  return nullptr;
}

namespace {
// A node with the hardware a NodeName= line or an agent's inventory describes.
template <typename Source>
Node HardwareOf(const Source& src) {
  Node n;
  n.name = src.name;
  n.cpus = src.cpus;
  n.sockets = src.sockets;
  n.cores_per_socket = src.cores_per_socket;
  n.threads_per_core = src.threads_per_core;
  n.memory_mb = src.memory_mb;
  if constexpr (requires { src.features; }) {
    n.features = src.features;
    n.weight = src.weight;
    n.gpus = src.gpus;
    n.gpu_overprovision_threshold = src.gpu_overprovision_threshold;
  }
  return n;
}

// a x b, or UINT32_MAX where that does not fit: a request's counts multiplied past 32 bits
// wrapped to a small one (2^31 GPUs a task on two tasks asked for none, and ran without).
uint32_t SaturatingProduct(uint32_t a, uint32_t b) {
  return static_cast<uint32_t>(std::min<uint64_t>(uint64_t{a} * b, UINT32_MAX));
}

// A node's CPU, socket, core and thread counts within model::kMaxNodeCpus.
template <typename Source>
Status CheckNodeCounts(const Source& n) {
  const std::pair<const char*, uint32_t> counts[] = {{"CPUs", n.cpus},
                                                     {"Sockets", n.sockets},
                                                     {"CoresPerSocket", n.cores_per_socket},
                                                     {"ThreadsPerCore", n.threads_per_core}};
  for (const auto& [what, count] : counts) {
    if (count > model::kMaxNodeCpus) {
      return InvalidArgument("node " + n.name + ": " + what + "=" + std::to_string(count) +
                             " is more than a node may have (" +
                             std::to_string(model::kMaxNodeCpus) + ")");
    }
  }
  return Status::Ok();
}
}  // namespace

void ClusterState::AddNodes(std::vector<Node> nodes) {
  // Each partition's members looked up by name once for the whole batch (a cluster of
  // thousands of nodes starts in O(nodes), not O(nodes^2)).
  std::vector<std::unordered_set<std::string_view>> members(partitions_.size());
  for (size_t i = 0; i < partitions_.size(); ++i) {
    members[i].insert(partitions_[i]->nodes.begin(), partitions_[i]->nodes.end());
  }
  // A node the configuration does not name joins the partitions defined as Nodes=ALL.
  for (size_t i = 0; i < partitions_.size(); ++i) {
    auto& p = partitions_[i];
    if (p->nodes_expr != "ALL") continue;
    std::vector<std::string> joining;
    for (const Node& node : nodes) {
      if (members[i].count(node.name) == 0) joining.push_back(node.name);
    }
    if (joining.empty()) continue;
    auto copy = std::make_shared<Partition>(*p);
    copy->nodes.insert(copy->nodes.end(), joining.begin(), joining.end());
    p = std::move(copy);
    members[i].clear();
    members[i].insert(p->nodes.begin(), p->nodes.end());
  }
  for (Node& node : nodes) {
    node.alloc_cpus = 0;
    node.alloc_memory_mb = 0;
    node.cpu_in_use.Reset(node.cpus);
    for (auto& g : node.gpus) {  // rebuilt from the running jobs' allocations
      g.whole = false;
      g.shares_used = 0;
      g.memory_used_mb = 0;
    }
    node.partitions.clear();
    for (size_t i = 0; i < partitions_.size(); ++i) {
      if (members[i].count(node.name)) node.partitions.push_back(partitions_[i]->name);
    }
    node_number_.emplace(node.name, static_cast<uint32_t>(node_order_.size()));
    node_order_.push_back(node.name);
    releases_by_node_.emplace_back();
    nodes_.push_back(std::make_shared<Node>(std::move(node)));
  }
  InvalidatePassCaches();
}

namespace {
uint32_t TotalCpus(const ClusterConfig& c) {
  uint32_t n = 0;
  for (const auto& node : c.nodes) n += node.cpus;
  return n;
}

uint32_t MaxJobFactor(const ClusterConfig& c) {
  uint32_t m = 1;
  for (const auto& p : c.partitions) m = std::max(m, p.priority_job_factor);
  return m;
}
}  // namespace

Status ClusterState::Validate(const ClusterConfig& config) {
  if (auto options = sched::Options::FromConfig(config.scheduler); !options.ok()) {
    return options.status();
  }
  for (const auto& n : config.nodes) {
    if (Status st = CheckNodeCounts(n); !st.ok()) return st;
  }
  auto tree =
      policy::FairTree::Build(config.accounts, config.users, config.priority.decay_half_life);
  return tree.ok() ? Status::Ok() : tree.status();
}

ClusterState::ClusterState(ClusterConfig config)
    : config_(std::move(config)),
      next_job_id_(std::max<JobId>(config_.first_job_id, 1)),
      priority_(config_.priority, config_.qos, TotalCpus(config_), MaxJobFactor(config_),
                static_cast<uint32_t>(config_.nodes.size())),
      limits_(config_.qos) {
  // Validate() is the place to refuse a bad configuration; here it falls back to defaults.
  if (auto options = sched::Options::FromConfig(config_.scheduler); options.ok()) {
    sched_options_ = *options;
  }
  if (auto tree = policy::FairTree::Build(config_.accounts, config_.users,
                                          config_.priority.decay_half_life);
      tree.ok()) {
    tree_ = std::move(*tree);
  }
  for (const auto& p : config_.partitions) partitions_.push_back(std::make_shared<Partition>(p));
  std::vector<Node> nodes;
  nodes.reserve(config_.nodes.size());
  for (const auto& nc : config_.nodes) nodes.push_back(HardwareOf(nc));
  AddNodes(std::move(nodes));
}

void ClusterState::Restore(std::vector<Job> jobs, std::vector<Node> journaled_nodes,
                           JobId next_job_id, UnixTime now,
                           std::vector<model::Reservation> reservations,
                           const std::vector<UsageRecord>& usage,
                           const std::vector<model::Partition>& journaled_partitions) {
  for (const auto& jp : journaled_partitions) {
    if (jp.updated_by.empty()) continue;
    for (auto& p : partitions_) {
      // slurm.conf edited since the change: the configuration's values stand.
      if (p->name != jp.name || p->up != jp.configured_up ||
          p->accepts_jobs != jp.configured_accepts_jobs || p->max_time != jp.configured_max_time) {
        continue;
      }
      auto copy = std::make_shared<Partition>(*p);
      copy->up = jp.up;
      copy->accepts_jobs = jp.accepts_jobs;
      copy->max_time = jp.max_time;
      copy->updated_by = jp.updated_by;
      copy->configured_up = jp.configured_up;
      copy->configured_accepts_jobs = jp.configured_accepts_jobs;
      copy->configured_max_time = jp.configured_max_time;
      p = std::move(copy);
    }
  }
  for (const auto& u : usage) (void)tree_.AddUsage(u.account, u.user, u.usage, u.at);
  if (!usage.empty()) tree_.Decay(now);
  for (auto& r : reservations) {
    const std::string name = r.name;
    reservations_[name] = std::make_shared<model::Reservation>(std::move(r));
  }
  std::vector<Node> added;
  // What an administrator set on a configured node (scontrol update State=DRAIN or DOWN) comes
  // back from its journaled record; the rest of that record is the configuration's again.
  std::unordered_map<std::string, const Node*> journaled;
  for (auto& n : journaled_nodes) {
    if (node_number_.count(n.name) == 0) {
      added.push_back(n);
    } else {
      journaled[n.name] = &n;
    }
  }
  if (!added.empty()) AddNodes(std::move(added));
  for (auto& node : nodes_) {
    auto copy = std::make_shared<Node>(*node);
    copy->responding = false;
    copy->last_seen = now;
    if (auto it = journaled.find(copy->name);
        it != journaled.end() && !it->second->reason_user.empty()) {
      copy->drain = it->second->drain;
      copy->held_down = it->second->held_down;
      copy->down = copy->down || copy->held_down;
      copy->reason = it->second->reason;
      copy->reason_user = it->second->reason_user;
      copy->reason_time = it->second->reason_time;
    }
    node = copy;
  }
  InvalidatePassCaches();
  for (auto& j : jobs) {
    const JobId id = j.id;
    if (j.state == JobState::kPending) {
      pending_.try_emplace(id);
      rejudge_.push_back(id);  // reasons are not journaled: the first pass gives them all
    }
    if (j.state == JobState::kRunning || j.state == JobState::kCompleting) {
      std::vector<uint32_t> numbers = NumbersOf(j.allocation);
      Allocate(j.allocation, /*release=*/false, numbers);
      TrackRunning(j, std::move(numbers));
    }
    if (model::IsFinished(j.state)) finished_.emplace_back(j.end_time, id);
    if (!model::IsFinished(j.state)) limits_.JobSubmitted(j);
    if (j.state == JobState::kRunning) limits_.JobStarted(j);
    jobs_.Put(std::make_shared<Job>(std::move(j)));
  }
  std::sort(finished_.begin(), finished_.end());
  next_job_id_ = std::max(next_job_id_, next_job_id);
  for (uint32_t i : dirty_nodes_) dirty_node_flag_[i] = 0;
  dirty_nodes_.clear();
  NeedFreshPass();
}

Reply ClusterState::Apply(const Command& command, UnixTime now, std::vector<Effect>* effects) {
  struct Visitor {
    ClusterState& s;
    UnixTime now;
    std::vector<Effect>* effects;
    Reply operator()(const cmd::Submit& c) { return s.Submit(c, now); }
    Reply operator()(const cmd::Cancel& c) { return s.Cancel(c, now, effects); }
    Reply operator()(const cmd::Hold& c) { return s.Hold(c.ids, true, now); }
    Reply operator()(const cmd::Release& c) { return s.Hold(c.ids, false, now); }
    Reply operator()(const cmd::UpdateJob& c) { return s.UpdateJob(c, now, effects); }
    Reply operator()(const cmd::UpdateNode& c) { return s.UpdateNode(c, now, effects); }
    Reply operator()(const cmd::UpdatePartition& c) { return s.UpdatePartition(c); }
    Reply operator()(const cmd::RegisterNode& c) { return s.RegisterNode(c, now, effects); }
    Reply operator()(const cmd::NodeConnected& c) {
      s.SetResponding(c.node, true, now);
      return {};
    }
    Reply operator()(const cmd::NodeDisconnected& c) {
      s.SetResponding(c.node, false, now);
      return {};
    }
    Reply operator()(const cmd::NodeHeartbeat& c) {
      if (const model::NodePtr* n = s.FindNodePtr(c.node); n != nullptr && !(*n)->responding) {
        s.SetResponding(c.node, true, now);
      }
      return {};
    }
    Reply operator()(const cmd::JobEnded& c) {
      s.JobEnded(c.node, c.end, now, effects);
      return {};
    }
    Reply operator()(const cmd::Tick&) {
      s.Tick(now);
      return {};
    }
    Reply operator()(const cmd::CreateReservation& c) { return s.CreateReservation(c, now); }
    Reply operator()(const cmd::UpdateReservation& c) { return s.UpdateReservation(c, now); }
    Reply operator()(const cmd::DeleteReservation& c) { return s.DeleteReservation(c); }
  };
  return std::visit(Visitor{*this, now, effects}, command);
}

const Partition* ClusterState::FindPartition(const std::string& name) const {
  for (const auto& p : partitions_) {
    if (name.empty() ? p->is_default : p->name == name) return p.get();
  }
  return nullptr;
}

sched::NodeInfo ClusterState::NodeInfoOf(uint32_t number, bool idle) const {
  sched::NodeInfo info;
  FillNodeInfo(number, idle, &info);
  return info;
}

void ClusterState::FillNodeInfo(uint32_t number, bool idle, sched::NodeInfo* out,
                                bool refresh) const {
  const Node& n = *nodes_[number];
  sched::NodeInfo& info = *out;
  if (!refresh) info.name = n.name;
  info.total = {n.cpus, n.memory_mb, 0};
  info.free = idle ? info.total : sched::Resources{n.FreeCpus(), n.FreeMemoryMb(), 0};
  info.usable = idle || n.Usable();
  info.weight = n.weight;
  info.sockets = n.sockets;
  if (n.gpus.empty()) {
    info.gpus.clear();  // what SetGpus makes of none (most nodes), without building a vector
  } else {
    std::vector<model::Gpu> gpus = n.gpus;
    if (idle) {
      for (auto& g : gpus) {
        g.whole = false;
        g.shares_used = 0;
        g.memory_used_mb = 0;
        g.utilization = 0;
      }
    }
    sched::SetGpus(&info, std::move(gpus));
  }
  info.gpu_overprovision_threshold = n.gpu_overprovision_threshold;
  info.releases.clear();  // kept capacity: a refresh in place allocates nothing
  if (!idle) {
    for (const auto& [id, release] : releases_by_node_[number]) {
      info.releases.push_back(release);
    }
  }
}

void ClusterState::InvalidatePassCaches() {
  pass_cache_.Reset();
  pass_valid_ = false;
  pass_sets_valid_ = false;
  idle_valid_ = false;
  ForgetRequests(/*partitions_too=*/true);
}

void ClusterState::ForgetRequests(bool partitions_too) {
  for (auto& [id, queued] : pending_) {
    queued.built = false;
    queued.request = {};
    if (partitions_too) queued.resolved = false;
  }
}

const ClusterState::PassInput& ClusterState::IdlePass() {
  if (idle_valid_) return idle_;
  idle_ = PassInput{};
  idle_.nodes.reserve(node_order_.size());
  for (uint32_t i = 0; i < node_order_.size(); ++i) {
    idle_.nodes.push_back(NodeInfoOf(i, /*idle=*/true));
  }
  partition_shape_.clear();
  for (const auto& p : partitions_) {
    std::vector<uint32_t> set;
    set.reserve(p->nodes.size());
    PartitionShape& shape = partition_shape_[p->name];
    for (const auto& name : p->nodes) {
      auto it = node_number_.find(name);
      if (it == node_number_.end()) continue;
      set.push_back(it->second);
      const sched::NodeInfo& n = idle_.nodes[it->second];
      shape.widest_cpus = std::max(shape.widest_cpus, n.total.cpus);
      shape.largest_memory_mb = std::max(shape.largest_memory_mb, n.total.memory_mb);
      if (n.total.cpus > 0) {
        const uint64_t per_cpu = n.total.memory_mb / n.total.cpus;
        shape.smallest_mem_per_cpu = shape.smallest_mem_per_cpu == 0
                                         ? per_cpu
                                         : std::min(shape.smallest_mem_per_cpu, per_cpu);
      }
    }
    idle_.partition_set.emplace(p->name, static_cast<uint32_t>(idle_.candidate_sets.size()));
    idle_.candidate_sets.push_back(std::move(set));
  }
  fit_memo_.clear();
  idle_cache_.Reset();
  idle_valid_ = true;
  return idle_;
}

const ClusterState::PartitionShape& ClusterState::PartitionShapeOf(const Partition& partition) {
  IdlePass();
  return partition_shape_[partition.name];
}

const ClusterState::PassInput& ClusterState::CurrentPass(UnixTime now) {
  if (!pass_valid_) {
    pass_.nodes.clear();
    pass_.nodes.reserve(node_order_.size());
    for (uint32_t i = 0; i < node_order_.size(); ++i) {
      pass_.nodes.push_back(NodeInfoOf(i, /*idle=*/false));
    }
    pass_dirty_.clear();
    pass_dirty_flag_.assign(node_order_.size(), 0);
    pass_valid_ = true;
    pass_sets_valid_ = false;
  }
  for (uint32_t i : pass_dirty_) {
    FillNodeInfo(i, /*idle=*/false, &pass_.nodes[i], /*refresh=*/true);
    pass_dirty_flag_[i] = 0;
    pass_cache_.NodeChanged(i);
  }
  pass_dirty_.clear();
  // Nodes of an active reservation are kept for its members: other jobs' candidate lists leave
  // them out (members get lists of their own in MakeRequest).
  std::vector<std::string> active;
  for (const auto& [name, r] : reservations_) {
    if (r->ActiveAt(now)) active.push_back(name);
  }
  if (!pass_sets_valid_ || active != pass_active_reservations_) {
    std::set<std::string> reserved;
    for (const auto& name : active) {
      const auto& r = reservations_.at(name);
      reserved.insert(r->nodes.begin(), r->nodes.end());
    }
    pass_.candidate_sets.clear();
    pass_.partition_set.clear();
    for (const auto& p : partitions_) {
      std::vector<uint32_t> set;
      set.reserve(p->nodes.size());
      for (const auto& name : p->nodes) {
        if (reserved.count(name) > 0) continue;
        if (auto it = node_number_.find(name); it != node_number_.end()) set.push_back(it->second);
      }
      pass_.partition_set.emplace(p->name, static_cast<uint32_t>(pass_.candidate_sets.size()));
      pass_.candidate_sets.push_back(std::move(set));
    }
    pass_active_reservations_ = std::move(active);
    pass_sets_valid_ = true;
    pass_cache_.Reset();
    // Requests name candidate sets and lists filtered by them.
    ForgetRequests(/*partitions_too=*/false);
  }
  return pass_;
}

std::vector<uint32_t> ClusterState::NumbersOf(const std::vector<NodeAllocation>& alloc) const {
  std::vector<uint32_t> numbers;
  numbers.reserve(alloc.size());
  for (const auto& a : alloc) {
    auto it = node_number_.find(a.node);
    numbers.push_back(it == node_number_.end() ? kNoNode : it->second);
  }
  return numbers;
}

void ClusterState::TrackRunning(const Job& job, std::vector<uint32_t> numbers) {
  if (job.allocation.empty()) return;
  jobs_on_node_[job.allocation.front().node].insert(job.id);
  const UnixTime end = job.time_limit == kUnlimited ? kUnlimited : job.start_time + job.time_limit;
  for (size_t i = 0; i < job.allocation.size(); ++i) {
    const NodeAllocation& a = job.allocation[i];
    if (numbers[i] == kNoNode) continue;
    uint32_t whole_gpus = 0;
    for (const auto& g : a.gpus) whole_gpus += g.shares == 0 ? 1 : 0;
    releases_by_node_[numbers[i]].push_back(
        {job.id, sched::Release{end, sched::Resources{a.cpus, a.memory_mb, whole_gpus}}});
  }
  running_nodes_[job.id] = std::move(numbers);
}

std::vector<uint32_t> ClusterState::UntrackRunning(const Job& job) {
  std::vector<uint32_t> numbers;
  if (auto it = running_nodes_.find(job.id); it != running_nodes_.end()) {
    numbers = std::move(it->second);
    running_nodes_.erase(it);
  } else {
    numbers = NumbersOf(job.allocation);
  }
  if (job.allocation.empty()) return numbers;
  jobs_on_node_[job.allocation.front().node].erase(job.id);
  for (uint32_t n : numbers) {
    if (n == kNoNode) continue;
    std::erase_if(releases_by_node_[n], [&job](const auto& r) { return r.first == job.id; });
  }
  return numbers;
}

Result<sched::JobRequest> ClusterState::MakeRequest(const Job& job, const Partition& partition,
                                                    const PassInput& in) const {
  const model::JobSpec& spec = *job.spec;
  sched::JobRequest req;
  req.id = job.id;
  req.cpus_per_task = std::max<uint32_t>(spec.cpus_per_task, 1);
  req.nodes = std::max<uint32_t>(spec.num_nodes, static_cast<uint32_t>(spec.nodelist.size()));
  req.tasks_per_node = spec.ntasks_per_node;
  req.tasks_per_socket = spec.ntasks_per_socket;
  if (spec.num_tasks > 0) {
    req.tasks = spec.num_tasks;
  } else if (spec.ntasks_per_node > 0) {
    req.tasks = SaturatingProduct(std::max<uint32_t>(req.nodes, 1), spec.ntasks_per_node);
  } else {
    req.tasks = std::max<uint32_t>(req.nodes, 1);
  }
  req.mem_per_node_mb = spec.mem_per_node_mb;
  req.mem_per_cpu_mb = spec.mem_per_node_mb > 0 ? 0 : spec.mem_per_cpu_mb;
  req.exclusive = spec.exclusive;
  req.time_limit = job.time_limit;
  req.placement = !spec.placement.empty() ? spec.placement : partition.placement;
  req.gpu_type = spec.gpu_type;
  req.mps_percent = spec.mps_percent;
  req.shards = spec.shards;
  req.gpu_memory_mb = spec.gpu_memory_mb;
  // Whole GPUs per node: --gpus-per-node, else per task x tasks per node, else the total spread
  // over the nodes.
  const uint32_t nodes_for_gpus = std::max<uint32_t>(req.nodes, 1);
  if (spec.gpus_per_node > 0) {
    req.gpus_per_node = spec.gpus_per_node;
  } else if (spec.gpus_per_task > 0) {
    const uint32_t tasks_per_node =
        spec.ntasks_per_node > 0
            ? spec.ntasks_per_node
            : static_cast<uint32_t>((uint64_t{req.tasks} + nodes_for_gpus - 1) / nodes_for_gpus);
    req.gpus_per_node = SaturatingProduct(spec.gpus_per_task, tasks_per_node);
  } else if (spec.gpus > 0) {
    req.gpus_per_node = (spec.gpus + nodes_for_gpus - 1) / nodes_for_gpus;
  }
  const uint32_t set = in.partition_set.at(partition.name);
  const model::Reservation* reservation = nullptr;
  if (!spec.reservation.empty()) {
    auto it = reservations_.find(spec.reservation);
    if (it == reservations_.end()) {
      return InvalidArgument("Requested reservation is invalid: " + spec.reservation);
    }
    reservation = it->second.get();
  }
  if (spec.exclude.empty() && spec.constraint.empty() && reservation == nullptr) {
    req.candidate_set = set;
  } else {
    SLUICE_ASSIGN_OR_RETURN(model::Constraint constraint, model::ParseConstraint(spec.constraint));
    // A reservation's members run on its nodes only (those of the job's partition).
    const std::vector<std::string>& pool =
        reservation != nullptr ? reservation->nodes : partition.nodes;
    auto candidates_for = [&](const model::Constraint& c) {
      std::vector<uint32_t> out;
      for (const auto& name : pool) {
        auto it = node_number_.find(name);
        if (it == node_number_.end() || !Contains(partition.nodes, name)) continue;
        const Node& n = *nodes_[it->second];
        if (reservation == nullptr &&
            std::find(in.candidate_sets[set].begin(), in.candidate_sets[set].end(), it->second) ==
                in.candidate_sets[set].end()) {
          continue;  // reserved for others
        }
        if (Contains(spec.exclude, n.name) || !c.Matches(n.features)) continue;
        out.push_back(it->second);
      }
      return out;
    };
    if (!constraint.HasMatchingOr()) {
      req.candidates = candidates_for(constraint);
    } else {
      // "[a|b]": every node of the job satisfies the same alternative. Take the alternative
      // whose nodes have the most free CPUs now (on an idle copy: the largest one).
      int64_t best_free = -1;
      for (const auto& alternative : constraint.MatchingOrAlternatives()) {
        std::vector<uint32_t> nodes = candidates_for(alternative);
        int64_t free = 0;
        for (uint32_t i : nodes) free += in.nodes[i].usable ? in.nodes[i].free.cpus : 0;
        if (free > best_free) {
          best_free = free;
          req.candidates = std::move(nodes);
        }
      }
    }
  }
  for (const auto& name : spec.nodelist) {
    auto it = node_number_.find(name);
    const auto& pool =
        req.candidate_set == sched::kOwnCandidates ? req.candidates : in.candidate_sets[set];
    if (it == node_number_.end() || std::find(pool.begin(), pool.end(), it->second) == pool.end()) {
      return InvalidArgument("Requested node configuration is not available: node " + name +
                             " is not in partition " + partition.name +
                             " or does not match the job's --exclude/--constraint");
    }
    req.required.push_back(it->second);
  }
  return req;
}

namespace {
// What decides whether a request on a shared candidate list fits idle nodes.
std::string FitKey(const sched::JobRequest& r) {
  std::string key;
  key.reserve(13 * sizeof(uint64_t) + r.placement.size() + 1 + r.gpu_type.size());
  auto add = [&key](uint64_t v) { key.append(reinterpret_cast<const char*>(&v), sizeof v); };
  add(r.candidate_set);
  add(r.tasks);
  add(r.cpus_per_task);
  add(r.nodes);
  add(r.tasks_per_node);
  add(r.tasks_per_socket);
  add(r.mem_per_node_mb);
  add(r.mem_per_cpu_mb);
  add(r.gpus_per_node);
  add(r.mps_percent);
  add(r.shards);
  add(r.gpu_memory_mb);
  add(r.exclusive);
  key += r.placement;
  key += '/';
  key += r.gpu_type;
  return key;
}
}  // namespace

Result<ClusterState::Admitted> ClusterState::Admit(const model::JobSpec& spec, JobId id,
                                                   UnixTime now, uint32_t user_jobs_submitted,
                                                   bool entering_partition) {
  const Partition* partition = FindPartition(spec.partition);
  if (partition == nullptr) {
    if (spec.partition.empty()) {
      return InvalidArgument("No partition specified or system default partition");
    }
    return InvalidArgument("Invalid partition name specified: " + spec.partition);
  }
  if (entering_partition && !partition->accepts_jobs) {
    return InvalidArgument("Required partition not available (inactive or drain)");
  }
  if (spec.num_nodes > 0 && spec.num_tasks > 0 && spec.num_tasks < spec.num_nodes) {
    return InvalidArgument(
        "Requested node configuration is not available: " + std::to_string(spec.num_nodes) +
        " nodes for only " + std::to_string(spec.num_tasks) + " tasks");
  }
  if (spec.mem_per_node_mb > 0 && spec.mem_per_cpu_mb > 0) {
    return InvalidArgument("--mem and --mem-per-cpu are mutually exclusive");
  }
  Seconds limit = partition->default_time.value_or(partition->max_time);
  if (spec.time_limit) {
    if (*spec.time_limit <= 0) return InvalidArgument("Requested time limit is invalid");
    limit = *spec.time_limit;
  }
  const cluster::QosConfig* qos = limits_.QosOf(spec);
  limit = policy::QosTimeLimit(spec, limit, qos);
  SLUICE_RETURN_IF_ERROR(policy::CheckSubmit(spec, limit, qos, user_jobs_submitted));
  if (limit > partition->max_time) {
    return InvalidArgument(
        "Requested time limit is invalid (missing or exceeds some limit): exceeds MaxTime of "
        "partition " +
        partition->name);
  }
  if (!spec.placement.empty() && !sched::KnownPlacement(spec.placement)) {
    return InvalidArgument("Invalid placement " + spec.placement + ": use " +
                           sched::PlacementNamesForMessage());
  }
  if (!spec.reservation.empty()) {
    auto it = reservations_.find(spec.reservation);
    if (it == reservations_.end()) {
      return InvalidArgument("Requested reservation is invalid: " + spec.reservation);
    }
    if (!it->second->Admits(spec.user, spec.account)) {
      return PermissionDenied("Access denied to requested reservation " + spec.reservation);
    }
  }
  auto stored = std::make_shared<model::JobSpec>(spec);
  // Like Slurm, a job without a memory request records the default it was charged: the
  // partition's or cluster's DefMemPerCPU, else the smallest memory per CPU of its nodes.
  if (stored->mem_per_node_mb == 0 && stored->mem_per_cpu_mb == 0) {
    stored->mem_per_cpu_mb = partition->def_mem_per_cpu_mb > 0 ? partition->def_mem_per_cpu_mb
                                                               : config_.def_mem_per_cpu_mb;
    if (stored->mem_per_cpu_mb == 0) {
      stored->mem_per_cpu_mb = PartitionShapeOf(*partition).smallest_mem_per_cpu;
    }
  }
  Job job;
  job.id = id;
  job.spec = stored;
  job.partition = partition->name;
  job.time_limit = limit;
  // An impossible request is refused now rather than left pending forever: it must fit the
  // partition's nodes when all of them are idle.
  const PassInput& idle = IdlePass();
  const PartitionShape& shape = PartitionShapeOf(*partition);
  auto req = MakeRequest(job, *partition, idle);
  if (!req.ok()) return req.status();
  // Jobs of one shape on a shared candidate list fit alike: the verdict is memoized.
  std::string key;
  if (req->candidate_set != sched::kOwnCandidates && req->required.empty()) {
    key = FitKey(*req);
  }
  auto memo = key.empty() ? fit_memo_.end() : fit_memo_.find(key);
  bool fits = false;
  if (memo != fit_memo_.end()) {
    fits = memo->second;
  } else {
    std::vector<uint32_t> caps;
    if (partition->max_cpus_per_node > 0) {
      caps.assign(idle.nodes.size(), partition->max_cpus_per_node);
      req->cpu_caps = &caps;
    }
    sched::Options fit;
    fit.policy = sched::Options::Policy::kFifo;
    // The idle nodes stay as they are between submissions, so their indexes are kept; only
    // where this trial placed the job must they be looked at again.
    const std::vector<const sched::JobRequest*> trial = {&*req};
    auto verdict =
        sched::RunPass(fit, now, idle.nodes, {}, trial, idle.candidate_sets, nullptr, &idle_cache_);
    fits = !verdict.empty() && verdict.front().start;
    if (fits) {
      for (const auto& [n, res] : verdict.front().alloc) idle_cache_.NodeChanged(n);
    }
    req->cpu_caps = nullptr;
    if (!key.empty()) fit_memo_.emplace(std::move(key), fits);
  }
  if (!fits) {
    return InvalidArgument(
        "Requested node configuration is not available: " + std::to_string(req->tasks) +
        " tasks x " + std::to_string(req->cpus_per_task) + " CPUs" +
        (req->nodes > 0 ? " on " + std::to_string(req->nodes) + " nodes" : "") +
        (spec.exclusive ? " (exclusive)" : "") +
        (spec.constraint.empty() ? "" : " with features " + spec.constraint) +
        " do not fit partition " + partition->name + " (" +
        std::to_string(partition->nodes.size()) + " nodes, at most " +
        std::to_string(shape.widest_cpus) + " CPUs and " + std::to_string(shape.largest_memory_mb) +
        " MB each)");
  }
  Admitted a;
  a.partition = partition;
  a.time_limit = limit;
  a.spec = std::move(stored);
  a.min_nodes = std::max<uint32_t>(req->nodes, 1);
  if (shape.widest_cpus > 0) {
    const uint32_t cpus = req->tasks * req->cpus_per_task;
    a.min_nodes = std::max(a.min_nodes, (cpus + shape.widest_cpus - 1) / shape.widest_cpus);
  }
  return a;
}

Reply ClusterState::Submit(const cmd::Submit& c, UnixTime now) {
  const model::JobSpec& spec = c.spec;
  auto admitted =
      Admit(spec, next_job_id_, now, limits_.SubmittedJobs(spec), /*entering_partition=*/true);
  if (!admitted.ok()) return {admitted.status()};
  auto job = std::make_shared<Job>();
  job->id = next_job_id_;
  job->spec = std::move(admitted->spec);
  job->partition = admitted->partition->name;
  job->time_limit = admitted->time_limit;
  job->min_nodes = admitted->min_nodes;
  ++next_job_id_;
  job->submit_time = now;
  job->held = spec.hold;
  job->priority = spec.hold ? 0 : policy::BasicPriority(job->id);
  if (priority_.multifactor() && !spec.hold) {
    job->factors = priority_.Compute(*job, *admitted->partition, tree_, now);
    job->priority = job->factors.priority;
  }
  job->reason = spec.hold ? Reason::kJobHeldUser : Reason::kNone;
  const JobId id = job->id;
  jobs_.Put(std::move(job));
  limits_.JobSubmitted(*jobs_.Find(id));
  pending_.try_emplace(id);
  rejudge_.push_back(id);
  dirty_jobs_.insert(id);
  needs_schedule_ = true;
  Reply r;
  r.job_ids.push_back(id);
  return r;
}

namespace {
// Who may act on any job, node or partition: `requested_by` empty (the caller is the
// controller's own) or root.
bool IsAdministrator(const std::string& requested_by) {
  return requested_by.empty() || requested_by == "root";
}
// The name an administrator's change is recorded under.
std::string ActingUser(const std::string& requested_by) {
  return requested_by.empty() ? "root" : requested_by;
}
}  // namespace

Reply ClusterState::Cancel(const cmd::Cancel& c, UnixTime now, std::vector<Effect>* effects) {
  Reply r;
  std::vector<JobId> targets;
  if (!c.filter.ids.empty()) {
    for (JobId id : c.filter.ids) {
      JobPtr job = jobs_.Find(id);
      if (!job) {
        r.missing.push_back(id);
        r.errors.push_back("Kill job error on job id " + std::to_string(id) +
                           ": Invalid job id specified");
      } else if (c.filter.Matches(*job)) {
        if (model::IsFinished(job->state)) {
          r.errors.push_back("Kill job error on job id " + std::to_string(id) +
                             ": Job/step already completing or completed");
        } else {
          targets.push_back(id);
        }
      }
    }
  } else {
    jobs_.ForEach([&](const JobPtr& job) {
      if (!model::IsFinished(job->state) && c.filter.Matches(*job)) targets.push_back(job->id);
    });
  }
  for (JobId id : targets) {
    const Job& current = *jobs_.Find(id);
    if (!IsAdministrator(c.requested_by) && c.requested_by != current.spec->user) {
      r.errors.push_back("Kill job error on job id " + std::to_string(id) +
                         ": Access/permission denied");
      continue;
    }
    if (current.state == JobState::kCompleting) continue;
    Job& job = MutableJob(id);
    if (job.state == JobState::kPending) {
      ErasePending(id);
      FinishJob(job, JobState::kCancelled, now);
      // The jobs behind it may start now.
      NeedFreshPass();
    } else if (job.state == JobState::kRunning) {
      job.state = JobState::kCompleting;
      job.final_state = JobState::kCancelled;
      effects->push_back(effect::SignalJob{id, job.allocation.front().node, SIGKILL, true});
    }
    r.job_ids.push_back(id);
  }
  if (!r.missing.empty() && r.job_ids.empty() && targets.empty()) {
    r.status = NotFound("Invalid job id specified");
  }
  return r;
}

Reply ClusterState::Hold(const std::vector<JobId>& ids, bool hold, UnixTime now) {
  Reply r;
  for (JobId id : ids) {
    JobPtr current = jobs_.Find(id);
    if (!current) {
      r.missing.push_back(id);
      r.errors.push_back("Invalid job id specified: " + std::to_string(id));
      continue;
    }
    if (current->state != JobState::kPending) {
      r.errors.push_back("Job " + std::to_string(id) + " is no longer pending execution");
      continue;
    }
    if (current->held == hold) {
      r.job_ids.push_back(id);
      continue;
    }
    Job& job = MutableJob(id);
    job.held = hold;
    job.priority = hold ? 0 : policy::BasicPriority(id);
    if (priority_.multifactor() && !hold) {
      if (const Partition* p = FindPartition(job.partition)) {
        job.factors = priority_.Compute(job, *p, tree_, now);
        job.priority = job.factors.priority;
      }
    }
    job.reason = hold ? Reason::kJobHeldUser : Reason::kNone;
    rejudge_.push_back(id);
    r.job_ids.push_back(id);
    NeedFreshPass();
  }
  if (r.job_ids.empty() && !r.errors.empty()) r.status = InvalidArgument(r.errors.front());
  return r;
}

namespace {
// Minutes as Slurm prints a limit in its messages.
std::string LimitMinutes(Seconds s) { return std::to_string((s + 59) / 60); }
}  // namespace

Reply ClusterState::UpdateJob(const cmd::UpdateJob& c, UnixTime now, std::vector<Effect>* effects) {
  JobPtr current = jobs_.Find(c.id);
  if (!current) return {NotFound("Invalid job id specified")};
  if (c.empty()) return {InvalidArgument("No changes specified")};
  const bool admin = IsAdministrator(c.requested_by);
  if (!admin && c.requested_by != current->spec->user) {
    return {PermissionDenied("Access/permission denied")};
  }
  if (model::IsFinished(current->state)) {
    return {FailedPrecondition("Job has already finished")};
  }
  // The new limit, where one is asked for (an amount is added to the limit the job has now).
  std::optional<Seconds> limit = c.time_limit;
  if (c.time_limit_change) {
    const Seconds base = limit.value_or(current->time_limit);
    if (base == kUnlimited) {
      return {InvalidArgument("TimeLimit cannot be changed by an amount from UNLIMITED")};
    }
    if (*c.time_limit_change < 0 && -*c.time_limit_change > base) {
      return {InvalidArgument("TimeLimit decrement larger than current time limit (" +
                              LimitMinutes(-*c.time_limit_change) + " > " + LimitMinutes(base) +
                              ")")};
    }
    limit = *c.time_limit_change > 0 && base > kUnlimited - *c.time_limit_change
                ? kUnlimited
                : base + *c.time_limit_change;
  }
  if (limit && *limit <= 0) return {InvalidArgument("Invalid TimeLimit value")};
  if (c.num_nodes && *c.num_nodes == 0) {
    return {InvalidArgument("Node count specification invalid")};
  }
  if (c.num_tasks && *c.num_tasks == 0) {
    return {InvalidArgument("Task count specification invalid")};
  }
  if (c.nice && *c.nice < 0 && !admin) return {PermissionDenied("Access/permission denied")};
  // An empty Partition= would read as the default partition; Slurm refuses it.
  if (c.partition && c.partition->empty()) {
    return {InvalidArgument("Invalid partition name specified")};
  }

  if (current->state != JobState::kPending) {
    // Running (or completing): only its name and its limit; a user may only lower the limit.
    cmd::UpdateJob rest = c;
    rest.name.reset();
    rest.time_limit.reset();
    rest.time_limit_change.reset();
    if (!rest.empty()) return {FailedPrecondition("Job is no longer pending execution")};
    if (limit && *limit > current->time_limit && !admin) {
      return {PermissionDenied("Access/permission denied")};
    }
    const bool new_limit = limit && *limit != current->time_limit;
    Job& job = MutableJob(c.id);
    if (c.name) {
      auto spec = std::make_shared<model::JobSpec>(*job.spec);
      spec->name = *c.name;
      job.spec = std::move(spec);
    }
    if (new_limit && job.state == JobState::kRunning) {
      // Its nodes are released at the new end: the scheduler's inputs are worked out again.
      std::vector<uint32_t> numbers = UntrackRunning(job);
      job.time_limit = *limit;
      TrackRunning(job, std::move(numbers));
      limits_.JobStarted(job);  // run-minutes are charged for the new limit
      effects->push_back(effect::SetTimeLimit{job.id, job.allocation.front().node, *limit});
      InvalidatePassCaches();
      NeedFreshPass();
    } else if (new_limit) {
      job.time_limit = *limit;  // completing: recorded, nothing left to enforce
    }
    return {};
  }

  // Pending: the job as it would be with the changes is checked as a submission would be.
  model::JobSpec spec = *current->spec;
  if (c.name) spec.name = *c.name;
  if (limit) spec.time_limit = *limit;
  if (c.partition) spec.partition = *c.partition;
  if (c.num_nodes) spec.num_nodes = *c.num_nodes;
  if (c.num_tasks) spec.num_tasks = *c.num_tasks;
  if (c.nice) spec.nice = *c.nice;
  if (c.account) spec.account = *c.account;
  if (c.qos) spec.qos = *c.qos;
  if (c.nodelist) spec.nodelist = *c.nodelist;
  if (c.exclude) spec.exclude = *c.exclude;
  if (c.constraint) spec.constraint = *c.constraint;
  if (c.reservation) spec.reservation = *c.reservation;
  if (c.mem_per_node_mb) {
    spec.mem_per_node_mb = *c.mem_per_node_mb;
    spec.mem_per_cpu_mb = 0;
  }
  if (c.mem_per_cpu_mb) {
    spec.mem_per_cpu_mb = *c.mem_per_cpu_mb;
    spec.mem_per_node_mb = 0;
  }
  // The job is counted among its user's submitted jobs already where its QOS stays.
  uint32_t submitted = limits_.SubmittedJobs(spec);
  if (submitted > 0 && limits_.QosOf(spec) == limits_.QosOf(*current->spec)) --submitted;
  // Named again, its partition must take new jobs; staying where it is, it need not.
  auto admitted = Admit(spec, c.id, now, submitted, /*entering_partition=*/c.partition.has_value());
  if (!admitted.ok()) return {admitted.status()};

  limits_.JobEnded(*current);  // counted again below, where it now belongs
  Job& job = MutableJob(c.id);
  job.spec = std::move(admitted->spec);
  job.partition = admitted->partition->name;
  job.time_limit = admitted->time_limit;
  job.min_nodes = admitted->min_nodes;
  if (!job.held) {
    job.priority = policy::BasicPriority(job.id);
    if (priority_.multifactor()) {
      job.factors = priority_.Compute(job, *admitted->partition, tree_, now);
      job.priority = job.factors.priority;
    }
  }
  job.reason = job.held ? Reason::kJobHeldUser : Reason::kNone;
  job.expected_start = 0;
  limits_.JobSubmitted(job);
  if (auto it = pending_.find(c.id); it != pending_.end()) {
    it->second.resolved = it->second.built = false;  // its partition and request are new
    it->second.request = {};
  }
  rejudge_.push_back(c.id);
  NeedFreshPass();
  return {};
}

void ClusterState::ReturnToService(Node& node) {
  if (node.held_down) return;  // an administrator's DOWN lasts until RESUME
  node.down = false;
  if (node.reason_user.empty()) {
    node.reason.clear();
    node.reason_time = 0;
  }
}

Reply ClusterState::UpdateNode(const cmd::UpdateNode& c, UnixTime now,
                               std::vector<Effect>* effects) {
  using Action = cmd::UpdateNode::Action;
  if (!IsAdministrator(c.requested_by)) return {PermissionDenied("Invalid user id")};
  if (c.names.empty()) return {InvalidArgument("Invalid node name specified")};
  std::vector<uint32_t> numbers;
  for (const auto& name : c.names) {
    auto it = node_number_.find(name);
    if (it == node_number_.end()) return {NotFound("Invalid node name specified: " + name)};
    numbers.push_back(it->second);
  }
  if ((c.action == Action::kDrain || c.action == Action::kDown) && c.reason.empty()) {
    return {InvalidArgument(
        "You must specify a reason when DOWNING or DRAINING a node. Request denied")};
  }
  if (c.action == Action::kResume) {
    for (uint32_t n : numbers) {
      if (!nodes_[n]->drain && !nodes_[n]->down) {
        return {FailedPrecondition("Invalid node state specified: " + nodes_[n]->name +
                                   " is neither down nor drained")};
      }
    }
  }
  const std::string user = ActingUser(c.requested_by);
  for (uint32_t n : numbers) {
    Node& node = MutableNodeAt(n);
    switch (c.action) {
      case Action::kDrain:
      case Action::kDown:
        node.reason = c.reason;
        node.reason_user = user;
        node.reason_time = now;
        if (c.action == Action::kDrain) {
          node.drain = true;
        } else {
          node.down = node.held_down = true;
        }
        break;
      case Action::kResume:
      case Action::kUndrain:
        node.drain = false;
        if (c.action == Action::kResume) node.held_down = false;
        if (!node.held_down) {
          node.reason_user.clear();
          node.down = !node.responding;  // an agent that is away leaves it down
          node.reason = node.down ? "Not responding" : "";
          node.reason_time = node.down ? now : 0;
        }
        break;
    }
  }
  if (c.action == Action::kDown) {
    // Jobs on a node taken down are killed; they end NODE_FAIL once their node says so.
    std::vector<JobId> hit;
    for (const auto& [id, on] : running_nodes_) {
      for (uint32_t n : numbers) {
        if (std::find(on.begin(), on.end(), n) != on.end()) {
          hit.push_back(id);
          break;
        }
      }
    }
    std::sort(hit.begin(), hit.end());
    for (JobId id : hit) {
      const Job* current = jobs_.Get(id);
      if (current == nullptr || current->state != JobState::kRunning) continue;
      Job& job = MutableJob(id);
      job.state = JobState::kCompleting;
      job.final_state = JobState::kNodeFail;
      effects->push_back(effect::SignalJob{id, job.allocation.front().node, SIGKILL, true});
    }
  }
  NeedFreshPass();
  return {};
}

Reply ClusterState::UpdatePartition(const cmd::UpdatePartition& c) {
  using State = cmd::UpdatePartition::State;
  if (!IsAdministrator(c.requested_by)) return {PermissionDenied("Invalid user id")};
  auto it = std::find_if(partitions_.begin(), partitions_.end(),
                         [&](const model::PartitionPtr& p) { return p->name == c.name; });
  if (it == partitions_.end()) return {NotFound("Invalid partition name specified")};
  if (!c.state && !c.max_time) return {InvalidArgument("No changes specified")};
  if (c.max_time && *c.max_time <= 0) return {InvalidArgument("Invalid MaxTime value")};
  auto copy = std::make_shared<Partition>(**it);
  for (const auto& configured : config_.partitions) {
    if (configured.name != c.name) continue;
    copy->configured_up = configured.up;
    copy->configured_accepts_jobs = configured.accepts_jobs;
    copy->configured_max_time = configured.max_time;
  }
  if (c.state) {
    copy->up = *c.state == State::kUp || *c.state == State::kDrain;
    copy->accepts_jobs = *c.state == State::kUp || *c.state == State::kDown;
  }
  if (c.max_time) copy->max_time = *c.max_time;
  copy->updated_by = ActingUser(c.requested_by);
  *it = std::move(copy);
  dirty_partitions_.insert(c.name);
  // Queued jobs hold their partition's record from the last pass: they look it up again.
  ForgetRequests(/*partitions_too=*/true);
  NeedFreshPass();
  return {};
}

Reply ClusterState::RegisterNode(const cmd::RegisterNode& c, UnixTime now,
                                 std::vector<Effect>* effects) {
  const NodeInventory& inv = c.inventory;
  if (inv.name.empty()) return {InvalidArgument("node registration without a node name")};
  if (node_number_.count(inv.name) == 0) {
    if (inv.cpus == 0 || inv.memory_mb == 0) {
      return {InvalidArgument("node " + inv.name + " reported no CPUs or memory")};
    }
    if (Status st = CheckNodeCounts(inv); !st.ok()) return {st};
    AddNodes({HardwareOf(inv)});
  }
  Node& node = MutableNode(inv.name);
  node.last_seen = now;
  node.boot_time = inv.boot_time;
  node.agent_start_time = inv.agent_start_time;
  node.arch = inv.arch;
  node.os = inv.os;
  node.address = inv.address;
  ReturnToService(node);
  NeedFreshPass();

  // Reconcile what the node runs with what the state says runs there.
  std::set<JobId> reported_running(c.running.begin(), c.running.end());
  std::set<JobId> reported_finished;
  for (const JobEnd& end : c.finished) {
    reported_finished.insert(end.id);
    JobEnded(inv.name, end, now, effects);
  }
  std::vector<JobId> expected(jobs_on_node_[inv.name].begin(), jobs_on_node_[inv.name].end());
  for (JobId id : expected) {
    if (reported_running.count(id) > 0 || reported_finished.count(id) > 0) continue;
    // The launch never reached the node (lost in a controller crash): it never ran, so it may
    // run again without running twice.
    Job& job = MutableJob(id);
    if (job.state == JobState::kCompleting) {
      FinishJob(job, job.final_state, now);
    } else {
      Requeue(job);
    }
  }
  for (JobId id : reported_running) {
    JobPtr job = jobs_.Find(id);
    const bool ours = job &&
                      (job->state == JobState::kRunning || job->state == JobState::kCompleting) &&
                      !job->allocation.empty() && job->allocation.front().node == inv.name;
    if (!ours) {
      effects->push_back(effect::SignalJob{id, inv.name, SIGKILL, true});
    } else if (job->state == JobState::kCompleting) {
      effects->push_back(effect::SignalJob{id, inv.name, SIGKILL, true});
    } else {
      // Its limit as journaled: a change made while the agent was away, or that a restarted
      // controller had not yet sent, is not lost.
      effects->push_back(effect::SetTimeLimit{id, inv.name, job->time_limit});
    }
  }
  Reply r;
  const Node& registered = **FindNodePtr(inv.name);
  r.node_cpus = registered.cpus;
  r.node_memory_mb = registered.memory_mb;
  return r;
}

void ClusterState::SetResponding(const std::string& name, bool responding, UnixTime now) {
  if (node_number_.count(name) == 0) return;
  Node& node = MutableNode(name);
  node.responding = responding;
  node.last_seen = now;
  if (responding) {
    ReturnToService(node);
    NeedFreshPass();
  }
}

void ClusterState::JobEnded(const std::string& node, const JobEnd& end, UnixTime now,
                            std::vector<Effect>* effects) {
  // A raw look: holding a reference would make MutableJob copy the record.
  const Job* current = jobs_.Get(end.id);
  const bool active =
      current &&
      (current->state == JobState::kRunning || current->state == JobState::kCompleting) &&
      !current->allocation.empty() && current->allocation.front().node == node;
  if (active) {
    Job& job = MutableJob(end.id);
    JobState state = JobState::kCompleted;
    if (job.state == JobState::kCompleting) {
      state = job.final_state;
    } else if (end.cancelled) {
      state = JobState::kCancelled;
    } else if (end.timed_out) {
      state = JobState::kTimeout;
    } else if (!end.error.empty() || end.exit_code != 0 || end.term_signal != 0) {
      state = JobState::kFailed;
    }
    job.exit_code = end.exit_code;
    job.term_signal = end.term_signal;
    if (end.start_time > 0 && end.start_time >= job.start_time) job.start_time = end.start_time;
    FinishJob(job, state, end.end_time > 0 ? std::max(end.end_time, job.start_time) : now);
  }
  // Known or not, the node may now forget it; the ack goes out after the journal commit.
  effects->push_back(effect::AckJobEnd{end.id, node});
}

void ClusterState::FinishJob(Job& job, JobState state, UnixTime now) {
  if (job.state == JobState::kRunning || job.state == JobState::kCompleting) {
    // Fair-share usage: the CPUs held over the run. A user without an association has none.
    if (tree_
            .AddRunUsage(job.spec->account, job.spec->user, job.NumCpus(), job.start_time,
                         std::max(now, job.start_time))
            .ok()) {
      const std::string account =
          job.spec->account.empty() ? tree_.DefaultAccount(job.spec->user) : job.spec->account;
      dirty_usage_.emplace(account, job.spec->user);
    }
    Allocate(job.allocation, /*release=*/true, UntrackRunning(job));
    // Nothing but room was freed (Allocate says where): the last plans may stand.
    needs_schedule_ = needs_full_pass_ = true;
  }
  limits_.JobEnded(job);
  job.state = state;
  job.reason = Reason::kNone;
  job.end_time = now;
  finished_.emplace_back(now, job.id);
}

void ClusterState::Requeue(Job& job) {
  limits_.JobRequeued(job);
  Allocate(job.allocation, /*release=*/true, UntrackRunning(job));
  job.allocation.clear();
  job.state = JobState::kPending;
  job.reason = Reason::kNone;
  job.start_time = 0;
  job.restarts++;
  pending_.try_emplace(job.id);
  NeedFreshPass();
}

model::CpuIds ClusterState::PickCpus(const Node& node, uint32_t count,
                                     const std::vector<model::GpuAllocation>& gpus,
                                     uint32_t per_socket_max) {
  if (node.sockets <= 1) {
    // One socket: the lowest free CPU ids, what the socket ordering below comes to.
    const uint32_t want =
        std::min(per_socket_max > 0 ? std::min(count, per_socket_max) : count, node.cpus);
    if (node.alloc_cpus == 0) return model::CpuIds::Run(0, want);  // an idle node: the first
    model::CpuIds ids;
    for (uint32_t id = 0; id < node.cpus && ids.size() < want; ++id) {
      if (!node.cpu_in_use[id]) ids.push_back(id);
    }
    return ids;
  }
  const model::CpuUse& used = node.cpu_in_use;  // ids past its end are free
  const uint32_t sockets = std::max<uint32_t>(node.sockets, 1);
  std::vector<uint32_t> free_on(sockets, 0);
  for (uint32_t id = 0; id < node.cpus; ++id) free_on[node.SocketOf(id)] += used[id] ? 0 : 1;
  // Socket order: the socket of the job's GPUs first (locality), then the fullest socket that
  // still holds every CPU (best fit), then the rest by fewest free CPUs (compact).
  std::vector<uint32_t> order(sockets);
  for (uint32_t s = 0; s < sockets; ++s) order[s] = s;
  int gpu_socket = -1;
  for (const auto& g : gpus) {
    for (const auto& ng : node.gpus) {
      if (ng.index == g.index && ng.socket < sockets) gpu_socket = static_cast<int>(ng.socket);
    }
    if (gpu_socket >= 0) break;
  }
  std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    if ((static_cast<int>(a) == gpu_socket) != (static_cast<int>(b) == gpu_socket)) {
      return static_cast<int>(a) == gpu_socket;
    }
    const bool fits_a = free_on[a] >= count, fits_b = free_on[b] >= count;
    if (fits_a != fits_b) return fits_a;
    return free_on[a] < free_on[b];
  });
  std::vector<uint32_t> ids;
  for (uint32_t s : order) {
    uint32_t taken = 0;
    for (uint32_t id = 0; id < node.cpus && ids.size() < count; ++id) {
      if (per_socket_max > 0 && taken == per_socket_max) break;
      if (!used[id] && node.SocketOf(id) == s) {
        ids.push_back(id);
        ++taken;
      }
    }
  }
  std::sort(ids.begin(), ids.end());
  model::CpuIds picked;
  for (uint32_t id : ids) picked.push_back(id);
  return picked;
}

namespace {
// Sets `ids` to `used` in `in_use`, skipping ids past its end. Runs of consecutive ids are set
// a word at a time, where setting bit by bit costs some twenty instructions a CPU.
void MarkCpus(const model::CpuIds& ids, bool used, model::CpuUse* in_use) {
  ids.ForEachRun(
      [&](uint32_t first, uint32_t count) { in_use->Set(first, size_t{first} + count, used); });
}
}  // namespace

void ClusterState::Allocate(const std::vector<NodeAllocation>& alloc, bool release,
                            const std::vector<uint32_t>& numbers) {
  for (size_t i = 0; i < alloc.size(); ++i) {
    const NodeAllocation& a = alloc[i];
    if (numbers[i] == kNoNode) continue;
    Node& n = MutableNodeAt(numbers[i]);
    if (release) {
      pass_cache_.NodeFreed(numbers[i]);
      n.alloc_cpus -= std::min(n.alloc_cpus, a.cpus);
      n.alloc_memory_mb -= std::min(n.alloc_memory_mb, a.memory_mb);
    } else {
      n.alloc_cpus += a.cpus;
      n.alloc_memory_mb += a.memory_mb;
    }
    if (n.cpu_in_use.size() != n.cpus) n.cpu_in_use.Resize(n.cpus);
    MarkCpus(a.cpu_ids, !release, &n.cpu_in_use);
    // GPUs: whole ones are held outright; shares add to the GPU's MPS percent and memory.
    for (const auto& g : a.gpus) {
      auto gpu = std::find_if(n.gpus.begin(), n.gpus.end(),
                              [&](const model::Gpu& x) { return x.index == g.index; });
      if (gpu == n.gpus.end()) continue;
      if (g.shares == 0) {
        gpu->whole = !release;
      } else if (release) {
        gpu->shares_used -= std::min(gpu->shares_used, g.shares);
        gpu->memory_used_mb -= std::min(gpu->memory_used_mb, g.memory_mb);
      } else {
        gpu->shares_used += g.shares;
        gpu->memory_used_mb += g.memory_mb;
      }
    }
  }
}

Status ClusterState::CheckReservation(const model::Reservation& r,
                                      const std::string& except) const {
  if (r.end <= r.start) return InvalidArgument("Reservation end time must follow its start");
  if (r.users.empty() && r.accounts.empty()) {
    return InvalidArgument("Reservation request lacks users or accounts");
  }
  if (r.nodes.empty()) return InvalidArgument("Reservation request lacks nodes");
  if (!r.partition.empty() && FindPartition(r.partition) == nullptr) {
    return InvalidArgument("Invalid partition name specified: " + r.partition);
  }
  for (const auto& n : r.nodes) {
    if (node_number_.count(n) == 0) return InvalidArgument("Invalid node name specified: " + n);
  }
  for (const auto& [name, other] : reservations_) {
    if (name == except || other->end <= r.start || r.end <= other->start) continue;
    for (const auto& n : r.nodes) {
      if (Contains(other->nodes, n)) {
        return InvalidArgument("Requested nodes are busy: " + n + " is in reservation " + name);
      }
    }
  }
  return Status::Ok();
}

Reply ClusterState::CreateReservation(const cmd::CreateReservation& c, UnixTime now) {
  model::Reservation r = c.reservation;
  if (r.name.empty()) return {InvalidArgument("Reservation request lacks a name")};
  if (reservations_.count(r.name) > 0) {
    return {Status(Code::kAlreadyExists, "Duplicate reservation name: " + r.name)};
  }
  if (r.start == 0) r.start = now;
  if (r.nodes.empty() && c.node_count > 0) {
    // Chosen now: usable nodes of the partition (or any) not reserved over the same window.
    const Partition* part = r.partition.empty() ? nullptr : FindPartition(r.partition);
    for (const auto& name : part != nullptr ? part->nodes : node_order_) {
      if (r.nodes.size() == c.node_count) break;
      const model::NodePtr* node = FindNodePtr(name);
      if (node == nullptr || !(*node)->Usable()) continue;
      model::Reservation probe = r;
      probe.nodes = {name};
      if (CheckReservation(probe, "").ok()) r.nodes.push_back(name);
    }
    if (r.nodes.size() < c.node_count) {
      return {InvalidArgument("Requested nodes are busy: only " + std::to_string(r.nodes.size()) +
                              " of " + std::to_string(c.node_count) + " nodes are free")};
    }
  }
  if (Status st = CheckReservation(r, ""); !st.ok()) return {st};
  const std::string name = r.name;
  reservations_[name] = std::make_shared<model::Reservation>(std::move(r));
  dirty_reservations_.insert(name);
  pass_sets_valid_ = false;
  deleted_reservations_.erase(name);
  NeedFreshPass();
  return {};
}

Reply ClusterState::UpdateReservation(const cmd::UpdateReservation& c, UnixTime now) {
  auto it = reservations_.find(c.name);
  if (it == reservations_.end()) {
    return {NotFound("Reservation " + c.name + " not found")};
  }
  model::Reservation r = *it->second;
  if (c.start) r.start = *c.start == 0 ? now : *c.start;
  if (c.end) r.end = *c.end;
  if (c.nodes) r.nodes = *c.nodes;
  if (c.users) r.users = *c.users;
  if (c.accounts) r.accounts = *c.accounts;
  if (Status st = CheckReservation(r, c.name); !st.ok()) return {st};
  it->second = std::make_shared<model::Reservation>(std::move(r));
  dirty_reservations_.insert(c.name);
  pass_sets_valid_ = false;
  NeedFreshPass();
  return {};
}

Reply ClusterState::DeleteReservation(const cmd::DeleteReservation& c) {
  if (reservations_.count(c.name) == 0) {
    return {NotFound("Reservation " + c.name + " not found")};
  }
  bool in_use = false;
  jobs_.ForEach([&](const JobPtr& j) {
    in_use = in_use || (!model::IsFinished(j->state) && j->spec->reservation == c.name);
  });
  if (in_use) {
    return {FailedPrecondition("Reservation is in use: jobs pending or running in " + c.name)};
  }
  reservations_.erase(c.name);
  dirty_reservations_.erase(c.name);
  pass_sets_valid_ = false;
  deleted_reservations_.insert(c.name);
  NeedFreshPass();
  return {};
}

void ClusterState::Tick(UnixTime now) {
  if (priority_.multifactor()) tree_.Decay(now);
  while (!finished_.empty() && finished_.front().first + config_.min_job_age <= now) {
    const JobId id = finished_.front().second;
    finished_.pop_front();
    JobPtr job = jobs_.Find(id);
    if (job && model::IsFinished(job->state)) {
      jobs_.Erase(id);
      dirty_jobs_.erase(id);
      purged_.insert(id);
    }
  }
  for (uint32_t i = 0; i < node_order_.size(); ++i) {
    const Node& n = *nodes_[i];
    if (n.responding || n.down || n.last_seen + config_.node_timeout > now) continue;
    const std::string& name = node_order_[i];
    Node& node = MutableNodeAt(i);
    node.down = true;
    if (node.reason_user.empty()) {  // an administrator's reason (a drain) stays
      node.reason = "Not responding";
      node.reason_time = now;
    }
    std::vector<JobId> lost(jobs_on_node_[name].begin(), jobs_on_node_[name].end());
    for (JobId id : lost) FinishJob(MutableJob(id), JobState::kNodeFail, now);
  }
}

bool ClusterState::NamesNodes(const Job& job) {
  return !job.spec->nodelist.empty() || !job.spec->reservation.empty();
}

Reason ClusterState::StaticReason(const Job& job, const Partition* partition, UnixTime now) const {
  if (job.held) return Reason::kJobHeldUser;
  if (partition == nullptr || !partition->up) return Reason::kPartitionDown;
  if (job.time_limit > partition->max_time) return Reason::kPartitionTimeLimit;
  if (partition->max_nodes > 0 && job.min_nodes > partition->max_nodes) {
    return Reason::kPartitionNodeLimit;
  }
  for (const auto& name : job.spec->nodelist) {
    const model::NodePtr* node = FindNodePtr(name);
    if (node == nullptr || !(*node)->Usable()) return Reason::kReqNodeNotAvail;
  }
  if (!job.spec->reservation.empty()) {
    auto it = reservations_.find(job.spec->reservation);
    if (it == reservations_.end() || !it->second->ActiveAt(now)) return Reason::kReservation;
  }
  return Reason::kNone;
}

void ClusterState::SetPendingInfo(JobId id, Reason reason, UnixTime expected_start,
                                  const Job* current) {
  const Job* job = current != nullptr ? current : jobs_.Get(id);
  if (job->reason == reason && job->expected_start == expected_start) return;
  // Derived from the rest of the state and recomputed by the first pass after a restart, so it
  // changes the published view but is not worth a journal write.
  Job& j = MutableJob(id, /*journal=*/false);
  j.reason = reason;
  j.expected_start = expected_start;
}

void ClusterState::RecalculatePriorities(UnixTime now) {
  last_priority_calc_ = now;
  for (const auto& [id, queued] : pending_) {
    const JobPtr job = jobs_.Find(id);
    const Partition* partition = FindPartition(job->partition);
    if (partition == nullptr) continue;
    const model::PriorityFactors f = priority_.Compute(*job, *partition, tree_, now);
    if (f.priority == job->priority && f.age == job->factors.age &&
        f.fairshare == job->factors.fairshare) {
      continue;
    }
    Job& j = MutableJob(id, /*journal=*/false);
    j.priority = f.priority;
    j.factors = f;
  }
}

void ClusterState::Schedule(UnixTime now, std::vector<Effect>* effects) {
  needs_schedule_ = false;
  ++pass_serial_;
  // Since the last full pass, were jobs only submitted? Then nothing was freed, no order or
  // limit changed, and (time only moving planned starts later) no job that waited then can
  // start now: only the jobs that pass anchored its verdicts on and the new jobs need a look.
  // (Up to rounding: plans are in bf_resolution slots from now, so a later pass may see two
  // releases in one slot where this one saw them in two, and place a reservation differently.)
  const bool only_submissions = !needs_full_pass_ && anchors_valid_;
  // Or were jobs only submitted and ended? Then the last plans stand where nothing freed since
  // could improve them (sched::PassCache::RecheckReservations).
  const bool only_ends = !needs_fresh_plans_ && anchors_valid_;
  needs_full_pass_ = needs_fresh_plans_ = false;
  std::vector<JobId> rejudge;
  rejudge.swap(rejudge_);
  if (priority_.multifactor() &&
      (last_priority_calc_ == 0 || now - last_priority_calc_ >= config_.priority.calc_period)) {
    RecalculatePriorities(now);
  }
  const PassInput& in = CurrentPass(now);
  // Reservations that have not begun hold their nodes over their window, so other jobs run
  // there now only if they end before it (active ones are out of other jobs' candidate lists).
  // Running jobs are in the nodes' releases; the holds are the pass's only running list.
  std::vector<sched::RunningJob> holds;
  for (const auto& [name, r] : reservations_) {
    if (r->start <= now || r->end <= now) continue;
    sched::RunningJob hold;
    hold.start = r->start;
    hold.end = r->end;
    for (const auto& node : r->nodes) {
      auto it = node_number_.find(node);
      if (it != node_number_.end()) hold.alloc.emplace_back(it->second, in.nodes[it->second].total);
    }
    holds.push_back(std::move(hold));
  }
  // MaxCPUsPerNode: what each capped partition's jobs may still take per node.
  std::unordered_map<std::string, std::vector<uint32_t>> cpu_caps;
  for (const auto& p : partitions_) {
    if (p->max_cpus_per_node == 0) continue;
    std::vector<uint32_t> caps(in.nodes.size(), p->max_cpus_per_node);
    for (const auto& [node, ids] : jobs_on_node_) {
      for (JobId id : ids) {
        const JobPtr job = jobs_.Find(id);
        if (job->partition != p->name) continue;
        for (const auto& a : job->allocation) {
          if (auto it = node_number_.find(a.node); it != node_number_.end()) {
            caps[it->second] -= std::min(caps[it->second], a.cpus);
          }
        }
      }
    }
    cpu_caps.emplace(p->name, std::move(caps));
  }
  // A pending job as the pass sees it: null when it waits for a reason of its own (held,
  // partition limits, a request that cannot be built), which it is given here.
  auto admit = [&](JobId id, QueuedRequest& entry, const Job& job) -> sched::JobRequest* {
    entry.seen_pass = pass_serial_;
    if (!entry.resolved) {
      entry.resolved = true;
      entry.partition = FindPartition(job.partition);
      entry.names_nodes = NamesNodes(job);
    }
    const Partition* partition = entry.partition;
    // The common case without touching the spec: nothing but the job and its partition.
    const bool plain = !entry.names_nodes && !job.held && partition != nullptr && partition->up &&
                       job.time_limit <= partition->max_time &&
                       (partition->max_nodes == 0 || job.min_nodes <= partition->max_nodes);
    const Reason reason = plain ? Reason::kNone : StaticReason(job, partition, now);
    if (reason != Reason::kNone) {
      SetPendingInfo(id, reason, 0, &job);
      return nullptr;
    }
    if (!entry.built) {
      auto req = MakeRequest(job, *entry.partition, in);
      entry.built = true;
      entry.ok = req.ok();
      if (req.ok()) entry.request = std::move(*req);
    }
    if (!entry.ok) {
      SetPendingInfo(id, Reason::kResources, 0, &job);
      return nullptr;
    }
    sched::JobRequest& req = entry.request;
    req.cpu_caps = nullptr;
    if (auto it = cpu_caps.empty() ? cpu_caps.end() : cpu_caps.find(entry.partition->name);
        it != cpu_caps.end()) {
      req.cpu_caps = &it->second;
      req.cap_group = in.partition_set.at(entry.partition->name);
    }
    return &req;
  };
  // The full pass (the configured policy) runs every bf_interval, or whenever the queue is
  // short; in between, a quick fifo pass over the first default_queue_depth jobs starts what
  // fits without replanning, so a storm of submissions costs little per batch.
  const bool full = pending_.size() <= config_.scheduler.default_queue_depth ||
                    last_full_pass_ == 0 || now - last_full_pass_ >= config_.scheduler.bf_interval;
  sched::Options options = sched_options_;
  uint64_t depth = UINT64_MAX;
  if (full) {
    last_full_pass_ = now;
  } else {
    options.policy = sched::Options::Policy::kFifo;
    depth = config_.scheduler.default_queue_depth;
  }
  // The queue in priority order, pulled by the pass. Under priority/basic it is the pending
  // set's id order and no QOS limit weighs the queue as a whole, so jobs are admitted as the
  // pass reaches them: a fifo pass blocked at its head costs nothing for the jobs behind.
  std::vector<const Job*> pulled;              // parallel to the pass's decisions
  std::vector<QueuedRequest*> pulled_entries;  // their queue entries, likewise
  // The job's request for the pass as it reaches the job (null: it waits for its own reason).
  auto pull = [&](JobId id, QueuedRequest& entry) -> const sched::JobRequest* {
    const Job& job = *jobs_.Get(id);
    const sched::JobRequest* req = admit(id, entry, job);
    if (req != nullptr) {
      pulled.push_back(&job);
      pulled_entries.push_back(&entry);
    }
    return req;
  };
  std::function<const sched::JobRequest*()> next_job;
  // The pass was handed every job of its list (so every anchor it was to judge, it judged).
  bool exhausted = false;
  const bool id_order = !priority_.multifactor() && !limits_.AnyLimited();
  std::vector<JobId> looked_at;  // the incremental pass's jobs: anchors, then new jobs
  // Where each way of pulling the queue has got to. They live as long as next_job, which the
  // pass calls after the blocks that set it up have closed.
  std::map<JobId, QueuedRequest>::iterator cursor = pending_.begin();
  size_t looked_at_next = 0;  // into looked_at
  size_t order_next = 0;      // into order (below)
  // Whether the last pass's plans can stand at all (then only_submissions or only_ends say how
  // far): the anchors must all still wait, since without one the jobs behind it need the full
  // pass.
  const bool plans_may_stand = id_order && full && reservations_.empty() && anchors_gone_ == 0;
  const bool incremental = plans_may_stand && only_submissions;
  // Under conservative the anchors' reservations, left in the planner, stand as they are (none
  // begins by now, and each anchor holds one): only the new jobs need a look, and the queue's
  // length costs nothing.
  const bool only_new = incremental && holds.empty() &&
                        options.policy == sched::Options::Policy::kConservative &&
                        (!options.pending_reasons || anchor_reasons_current_) &&
                        pass_cache_.ReservationsStandUnseen(now, anchors_.size());
  if (incremental) {
    if (!only_new) looked_at = anchors_;
    looked_at.insert(looked_at.end(), rejudge.begin(), rejudge.end());
    std::sort(looked_at.begin(), looked_at.end());
    looked_at.erase(std::unique(looked_at.begin(), looked_at.end()), looked_at.end());
    next_job = [&]() -> const sched::JobRequest* {
      while (looked_at_next < looked_at.size() && pulled.size() < depth) {
        const JobId id = looked_at[looked_at_next++];
        auto it = pending_.find(id);
        if (it == pending_.end()) continue;
        if (const sched::JobRequest* req = pull(id, it->second)) return req;
      }
      exhausted = looked_at_next == looked_at.size();
      return nullptr;
    };
  } else if (id_order) {
    next_job = [&]() -> const sched::JobRequest* {
      while (cursor != pending_.end() && pulled.size() < depth) {
        auto& [id, entry] = *cursor++;
        if (const sched::JobRequest* req = pull(id, entry)) return req;
      }
      exhausted = cursor == pending_.end();
      return nullptr;
    };
  }
  // Otherwise the whole queue is sorted (and weighed against QOS limits) first.
  struct Queued {
    uint32_t priority;
    JobId id;
    QueuedRequest* entry;
    const Job* job;  // the record as of now; only this pass's starts replace records
    const sched::JobRequest* request;
  };
  std::vector<Queued> order;
  if (!next_job) {
    order.reserve(pending_.size());
    for (auto& [id, queued] : pending_) {
      const Job& job = *jobs_.Get(id);
      if (const sched::JobRequest* req = admit(id, queued, job)) {
        order.push_back({job.priority, id, &queued, &job, req});
      }
    }
    const auto by_priority = [](const Queued& a, const Queued& b) {
      return a.priority != b.priority ? a.priority > b.priority : a.id < b.id;
    };
    if (!std::is_sorted(order.begin(), order.end(), by_priority)) {
      std::sort(order.begin(), order.end(), by_priority);
    }
    // QOS limits: a job over its user's budget (counting the jobs ahead of it) sits this pass
    // out, so it neither starts nor holds a reservation.
    if (limits_.AnyLimited()) {
      std::vector<const Job*> ordered;
      ordered.reserve(order.size());
      for (const Queued& q : order) ordered.push_back(q.job);
      const std::vector<Reason> verdicts = limits_.Admit(ordered, now);
      size_t kept = 0;
      for (size_t i = 0; i < order.size(); ++i) {
        if (verdicts[i] != Reason::kNone) {
          SetPendingInfo(order[i].id, verdicts[i], 0, order[i].job);
        } else {
          order[kept++] = order[i];
        }
      }
      order.resize(kept);
    }
    next_job = [&]() -> const sched::JobRequest* {
      if (order_next == order.size() || pulled.size() >= depth) {
        exhausted = order_next == order.size();
        return nullptr;
      }
      pulled.push_back(order[order_next].job);
      pulled_entries.push_back(order[order_next].entry);
      return order[order_next++].request;
    };
  }
  // Nothing was freed since the last pass: its reservations stand (see only_submissions).
  if (incremental) pass_cache_.KeepReservations();
  if (only_new) pass_cache_.KeepUnseenReservations();
  const bool recheck = plans_may_stand && only_ends && !incremental;
  if (recheck) pass_cache_.RecheckReservations();
  const std::vector<sched::Decision> decisions = sched::RunPass(
      options, now, in.nodes, holds, next_job, in.candidate_sets, nullptr, &pass_cache_);
  // A fifo pass that stopped at a blocked job left the jobs behind it alone: those whose last
  // verdict may be stale (new, held or released jobs, jobs naming nodes or a reservation, the
  // last pass's anchors) get theirs now, kPriority unless they wait for a reason of their own.
  if (full) {
    auto behind = [&](JobId id) {
      auto it = pending_.find(id);
      if (it == pending_.end() || it->second.seen_pass == pass_serial_) return;
      const Job& job = *jobs_.Get(id);
      const Reason reason = StaticReason(job, FindPartition(job.partition), now);
      SetPendingInfo(id, reason == Reason::kNone ? Reason::kPriority : reason, 0, &job);
    };
    for (JobId id : rejudge) behind(id);
    // (Anchors the pass was not handed keep their verdicts.) A pass handed its whole list
    // judged every anchor still pending.
    if (!only_new && !exhausted) {
      for (JobId id : anchors_) behind(id);
    }
    // Whether nodes or reservations let a job naming them run can change with neither in the
    // queue's view: such jobs are judged again at every pass.
    for (JobId id : rejudge) {
      if (pending_.count(id) > 0 && NamesNodes(*jobs_.Get(id))) rejudge_.push_back(id);
    }
    if (!only_new) {
      anchors_.clear();
      ++anchors_epoch_;
      anchors_gone_ = 0;
    }
    const size_t kept_anchors = anchors_.size();
    for (size_t i = 0; i < decisions.size(); ++i) {
      const sched::Decision& d = decisions[i];
      if (d.start || !d.anchor) continue;
      anchors_.push_back(d.id);
      pulled_entries[i]->anchor_epoch = anchors_epoch_;
    }
    if (only_new) {
      // The kept anchors and the new ones, each in id order (pulled so): merged, without the
      // jobs handed in again (those naming nodes).
      const auto mid = anchors_.begin() + static_cast<ptrdiff_t>(kept_anchors);
      if (!std::is_sorted(anchors_.begin(), mid)) std::sort(anchors_.begin(), mid);
      if (!std::is_sorted(mid, anchors_.end())) std::sort(mid, anchors_.end());
      std::inplace_merge(anchors_.begin(), mid, anchors_.end());
      anchors_.erase(std::unique(anchors_.begin(), anchors_.end()), anchors_.end());
    }
  }
  anchors_valid_ = full;
  anchor_reasons_current_ = full && std::none_of(decisions.begin(), decisions.end(),
                                                 [](const sched::Decision& d) { return d.start; });
  // A quick pass judged only the head of the queue: the next full pass still owes the new jobs
  // a first verdict.
  if (!full) rejudge_.insert(rejudge_.begin(), rejudge.begin(), rejudge.end());
  for (size_t i = 0; i < decisions.size(); ++i) {
    const sched::Decision& d = decisions[i];
    if (!d.start) {
      // A quick pass does not plan: it leaves the full pass's reasons and planned starts alone.
      // Decisions come in pull order, one a job, so pulled[i] is this job's record.
      if (full) SetPendingInfo(d.id, d.reason, d.expected_start, pulled[i]);
      continue;
    }
    Job& j = MutableJob(d.id);
    j.state = JobState::kRunning;
    j.reason = Reason::kNone;
    j.expected_start = 0;
    j.start_time = now;
    j.end_time = 0;
    j.allocation.clear();
    j.allocation.reserve(d.alloc.size());
    std::vector<uint32_t> numbers(d.alloc.size());  // the decision's node indexes are node numbers
    const uint32_t per_socket_max =
        j.spec->ntasks_per_socket * std::max<uint32_t>(j.spec->cpus_per_task, 1);
    for (size_t i = 0; i < d.alloc.size(); ++i) {
      const auto& [index, res] = d.alloc[i];
      numbers[i] = index;
      NodeAllocation& a = j.allocation.emplace_back();
      a.node = in.nodes[index].name;
      a.cpus = res.cpus;
      a.memory_mb = res.memory_mb;
      if (i < d.gpus.size()) a.gpus = d.gpus[i];
      a.cpu_ids = PickCpus(*nodes_[index], a.cpus, a.gpus, per_socket_max);
    }
    Allocate(j.allocation, /*release=*/false, numbers);
    limits_.JobStarted(j);
    TrackRunning(j, std::move(numbers));
    ErasePending(d.id);
    // The record is final for this batch: launches carry it as it is journaled.
    effects->push_back(effect::LaunchJob{jobs_.Find(d.id), j.allocation.front().node});
  }
}

Changes ClusterState::TakeChanges() {
  Changes c;
  for (JobId id : dirty_jobs_) {
    if (JobPtr job = jobs_.Find(id)) c.jobs.push_back(std::move(job));
  }
  c.purged_jobs.assign(purged_.begin(), purged_.end());
  for (const auto& name : dirty_reservations_) {
    if (auto it = reservations_.find(name); it != reservations_.end()) {
      c.reservations.push_back(it->second);
    }
  }
  c.deleted_reservations.assign(deleted_reservations_.begin(), deleted_reservations_.end());
  for (const auto& p : partitions_) {
    if (dirty_partitions_.count(p->name) > 0) c.partitions.push_back(p);
  }
  for (const auto& [account, user] : dirty_usage_) {
    c.usage.push_back({account, user, tree_.Usage(account, user), tree_.usage_time()});
  }
  // In node order. A wide job's start or end changes thousands of nodes: then reading the flags
  // in order costs less than sorting the list.
  c.nodes.reserve(dirty_nodes_.size());
  if (dirty_nodes_.size() * 16 >= dirty_node_flag_.size()) {
    for (uint32_t i = 0; i < dirty_node_flag_.size(); ++i) {
      if (dirty_node_flag_[i]) c.nodes.push_back(nodes_[i]);
    }
  } else {
    std::sort(dirty_nodes_.begin(), dirty_nodes_.end());
    for (uint32_t i : dirty_nodes_) c.nodes.push_back(nodes_[i]);
  }
  DropChanges();
  return c;
}

void ClusterState::DropChanges() {
  dirty_jobs_.clear();
  purged_.clear();
  dirty_reservations_.clear();
  deleted_reservations_.clear();
  dirty_partitions_.clear();
  dirty_usage_.clear();
  for (uint32_t i : dirty_nodes_) dirty_node_flag_[i] = 0;
  dirty_nodes_.clear();
}

std::shared_ptr<const ClusterView> ClusterState::MakeView(UnixTime now) const {
  auto view = std::make_shared<ClusterView>();
  view->now = now;
  view->jobs = jobs_;
  view->nodes = nodes_;  // in node_order_'s order
  view->partitions = partitions_;
  for (const auto& [name, r] : reservations_) view->reservations.push_back(r);
  return view;
}

Job& ClusterState::MutableJob(JobId id, bool journal) {
  if (journal) dirty_jobs_.insert(id);
  if (jobs_.Exclusive(id)) return const_cast<Job&>(*jobs_.Find(id));
  auto copy = std::make_shared<Job>(*jobs_.Find(id));
  Job& ref = *copy;
  jobs_.Put(std::move(copy));
  return ref;
}

Node& ClusterState::MutableNode(const std::string& name) {
  return MutableNodeAt(node_number_.at(name));
}

// Flattened: every node of a job that starts or ends comes here (1.5 million times over a
// CEA-Curie replay), and the lists' push_back was a call each, a third of the cost.
[[gnu::flatten]] Node& ClusterState::MutableNodeAt(uint32_t i) {
  model::NodePtr& slot = nodes_[i];
  if (dirty_node_flag_.size() <= i) dirty_node_flag_.resize(nodes_.size(), 0);
  if (!dirty_node_flag_[i]) {
    dirty_node_flag_[i] = 1;
    dirty_nodes_.push_back(i);
  }
  if (pass_valid_) {
    // The next pass refreshes this node's view.
    if (!pass_dirty_flag_[i]) {
      pass_dirty_flag_[i] = 1;
      pass_dirty_.push_back(i);
    }
  }
  if (slot.use_count() == 1) return const_cast<Node&>(*slot);
  auto copy = std::make_shared<Node>(*slot);
  Node& ref = *copy;
  slot = std::move(copy);
  return ref;
}

}  // namespace sluice::core::cluster
