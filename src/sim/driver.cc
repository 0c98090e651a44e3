#include "sim/driver.h"

#include <algorithm>
#include <numeric>
#include <queue>
#include <unordered_map>
#include <utility>
#include <variant>

#include "core/cluster/cluster_state.h"

namespace sluice::sim {
namespace {

namespace cluster = core::cluster;
namespace model = core::model;

// Virtual time 0 is this Unix time: core reads a time of 0 as "not yet", and traces start at 0.
constexpr UnixTime kEpoch = 1'000'000'000;

// Conservative backfill's reservations a pass: the first this many blocked jobs get one; the
// others start only where they delay none of those. Each reservation is a planner query of
// O(nodes x steps + window slots); reserving for every queued job (the textbook definition)
// made a 10,000-job replay run for over ten minutes.
constexpr uint32_t kConservativeJobTest = 100;

// Job ends between the controller's housekeeping ticks (see Simulate).
constexpr uint32_t kTickEnds = 1000;

// The latest submit time and the longest run a replay takes, in seconds (2^40, about 34,800
// years): far past any trace, and far enough below 2^63 that no sum of times overflows.
constexpr Seconds kLongestTime = Seconds{1} << 40;

cluster::ClusterConfig SyntheticCluster(const SimConfig& config, Seconds longest_estimate) {
  cluster::ClusterConfig c;
  c.cluster_name = "sim";
  const uint32_t per_node = config.cores_per_node;
  const uint32_t count = (config.machine_procs + per_node - 1) / per_node;
  model::Partition p;
  p.name = "sim";
  p.nodes_expr = "ALL";
  p.is_default = true;
  p.max_time = kUnlimited;
  c.nodes.reserve(count);
  p.nodes.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    const uint32_t cpus = std::min(per_node, config.machine_procs - i * per_node);
    cluster::NodeConfig n;
    n.name = "n" + std::to_string(i + 1);
    n.cpus = cpus;
    n.cores_per_socket = cpus;
    // Memory never limits: a job without a memory request is charged the node's memory per
    // CPU (ClusterState::Submit), so every CPU comes with its share.
    n.memory_mb = uint64_t{cpus} * 1024;
    p.nodes.push_back(n.name);
    c.nodes.push_back(std::move(n));
  }
  c.partitions.push_back(std::move(p));
  cluster::SchedulerConfig& s = c.scheduler;
  s.bf_resolution = config.bf_resolution;
  s.bf_window =
      config.bf_window > 0 ? config.bf_window : std::max<Seconds>(86400, 4 * longest_estimate);
  // Round the window up to whole slots so the horizon is never shorter than asked.
  if (s.bf_resolution > 0 && s.bf_window % s.bf_resolution != 0) {
    s.bf_window += s.bf_resolution - s.bf_window % s.bf_resolution;
  }
  return c;
}

// An end event: the job (by input index) ends at `time`.
struct End {
  UnixTime time;
  uint32_t index;
  bool operator>(const End& o) const { return time != o.time ? time > o.time : index > o.index; }
};

}  // namespace

Result<SimResult> Simulate(const SimConfig& config, const std::vector<SimJob>& jobs) {
  Seconds longest = 0;
  for (const auto& j : jobs) {
    // Virtual time is Unix time from kEpoch on, and a job's end its start plus its run: past
    // this a sum could overflow (every format's reader takes any 64-bit count of seconds).
    if (j.submit > kLongestTime || j.run > kLongestTime) {
      return InvalidArgument("job " + std::to_string(j.id) + ": " +
                             (j.submit > kLongestTime ? "submit time " + std::to_string(j.submit)
                                                      : "run time " + std::to_string(j.run)) +
                             " s is past what the simulator replays (2^40 s, about 34,800 "
                             "years)");
    }
    // Unlimited estimates never return within any window: they do not widen it (and 4 x
    // kUnlimited would overflow).
    if (j.estimate < kUnlimited) longest = std::max(longest, j.estimate);
  }
  longest = std::min<Seconds>(longest, Seconds{100} * 365 * 86400);
  cluster::ClusterConfig cc;
  if (config.cluster) {
    cc = *config.cluster;
  } else {
    if (config.machine_procs == 0) {
      return InvalidArgument(
          "the machine has no processors: the trace names no MaxProcs, give "
          "a cluster configuration");
    }
    if (config.cores_per_node == 0) return InvalidArgument("cores per node must be positive");
    if (config.bf_resolution <= 0) return InvalidArgument("bf_resolution must be positive");
    cc = SyntheticCluster(config, longest);
  }
  if (cc.nodes.empty()) return InvalidArgument("the cluster configuration defines no nodes");
  cluster::SchedulerConfig& sched = cc.scheduler;
  if (!config.policy.empty()) sched.policy = config.policy;
  // Every batch of events gets a full pass of the configured policy: the quick in-order passes
  // the controller runs between full ones exist to bound wall-clock cost, which virtual time
  // does not have, and they would make the replay measure a mix of policies.
  sched.bf_interval = 0;
  // A replay reports no job's pending reason: passes skip working them out (about a twentieth of
  // a conservative replay's instructions, every waiting job tested against the free resources at
  // every pass).
  sched.pending_reasons = false;
  sched.default_queue_depth = UINT32_MAX;
  if (!config.cluster) {
    if (config.bf_max_job_test > 0) {
      sched.bf_max_job_test = config.bf_max_job_test;
    } else if (sched.policy == "conservative") {
      sched.bf_max_job_test = kConservativeJobTest;
    } else if (sched.policy == "easy") {
      // EASY reserves for the first blocked job only; plans for the others would only give
      // them expected start times, which nobody reads here.
      sched.bf_max_job_test = 1;
    } else {
      // fifo reserves nothing: a plan would only be the blocked head's expected start.
      sched.bf_max_job_test = 0;
    }
  }
  SLUICE_RETURN_IF_ERROR(cluster::ClusterState::Validate(cc));

  SimResult result;
  result.policy = sched.policy;
  result.scheduler = sched;
  result.nodes = static_cast<uint32_t>(cc.nodes.size());
  for (const auto& n : cc.nodes) result.machine_procs += n.cpus;

  cluster::ClusterState state(cc);
  std::vector<cluster::Effect> effects;
  for (const auto& n : cc.nodes) {
    cluster::cmd::RegisterNode r;
    r.inventory.name = n.name;
    r.inventory.cpus = n.cpus;
    r.inventory.sockets = n.sockets;
    r.inventory.cores_per_socket = n.cores_per_socket;
    r.inventory.threads_per_core = n.threads_per_core;
    r.inventory.memory_mb = n.memory_mb;
    r.inventory.boot_time = kEpoch;
    r.inventory.agent_start_time = kEpoch;
    cluster::Reply reply = state.Apply(r, kEpoch, &effects);
    if (!reply.status.ok()) return reply.status;
    state.Apply(cluster::cmd::NodeConnected{n.name}, kEpoch, &effects);
  }
  effects.clear();
  state.DropChanges();

  // Arrival order: by submit time, ties in trace order.
  std::vector<uint32_t> order(jobs.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](uint32_t a, uint32_t b) { return jobs[a].submit < jobs[b].submit; });

  std::vector<JobOutcome> outcome(jobs.size());
  std::vector<cluster::JobId> core_id(jobs.size(), 0);
  std::vector<std::string> batch_host(jobs.size());
  std::vector<uint8_t> ran(jobs.size(), 0);
  std::unordered_map<cluster::JobId, uint32_t> index_of;
  index_of.reserve(jobs.size());
  std::priority_queue<End, std::vector<End>, std::greater<End>> ends;
  uint64_t pending = 0;
  size_t next = 0;
  uint32_t ends_since_tick = 0;

  while (next < order.size() || !ends.empty()) {
    UnixTime now = INT64_MAX;
    if (next < order.size()) now = kEpoch + jobs[order[next]].submit;
    if (!ends.empty()) now = std::min(now, ends.top().time);
    while (!ends.empty() && ends.top().time == now) {
      const uint32_t i = ends.top().index;
      ends.pop();
      cluster::JobEnd end;
      end.id = core_id[i];
      end.timed_out = jobs[i].run >= jobs[i].estimate;
      end.start_time = kEpoch + outcome[i].start;
      end.end_time = now;
      state.Apply(cluster::cmd::JobEnded{batch_host[i], end}, now, &effects);
      ++ends_since_tick;
    }
    while (next < order.size() && kEpoch + jobs[order[next]].submit == now) {
      const uint32_t i = order[next++];
      const SimJob& j = jobs[i];
      // Built in the command itself: a JobSpec is large, and moving it into a Submit and that
      // into a Command cost as much as the copy Submit keeps.
      cluster::Command submit{std::in_place_type<cluster::cmd::Submit>};
      model::JobSpec& spec = std::get<cluster::cmd::Submit>(submit).spec;
      if (j.spec) {
        spec = *j.spec;  // the whole request: GPUs, MPS shares, partition, constraints
      } else {
        spec.name = "job" + std::to_string(j.id);
        spec.num_tasks = j.procs;
        spec.cpus_per_task = 1;
      }
      if (spec.user.empty()) spec.user = j.user >= 0 ? "u" + std::to_string(j.user) : "unknown";
      // 0: no limit was resolved (a job description naming an unknown partition); Submit then
      // refuses the job for its own reason.
      if (j.estimate > 0) spec.time_limit = j.estimate;
      cluster::Reply reply = state.Apply(submit, now, &effects);
      if (!reply.status.ok() || reply.job_ids.empty()) {
        ++result.rejected;
        continue;
      }
      core_id[i] = reply.job_ids.front();
      index_of.emplace(core_id[i], i);
      outcome[i].id = j.id;
      outcome[i].submit = j.submit;
      outcome[i].procs = j.procs;
      ++pending;
    }
    // The controller's housekeeping (it ticks every second): among other things it purges
    // finished jobs older than MinJobAge. Every kTickEnds ends is enough to keep the replay's
    // memory flat (36 MB instead of 189 MB on CEA-Curie-sample) at little cost.
    if (ends_since_tick >= kTickEnds) {
      state.Apply(cluster::cmd::Tick{}, now, &effects);
      ends_since_tick = 0;
    }
    // With nothing pending a pass can start nothing: skip it.
    if (pending > 0) {
      state.Schedule(now, &effects);
      ++result.passes;
    }
    for (const auto& e : effects) {
      const auto* launch = std::get_if<cluster::effect::LaunchJob>(&e);
      if (launch == nullptr) continue;
      const auto it = index_of.find(launch->job->id);
      if (it == index_of.end()) continue;
      const uint32_t i = it->second;
      outcome[i].start = now - kEpoch;
      outcome[i].end = outcome[i].start + std::min(jobs[i].run, jobs[i].estimate);
      batch_host[i] = launch->node;
      ran[i] = 1;
      --pending;
      ends.push({kEpoch + outcome[i].end, i});
    }
    // Effects hold job records: dropping them keeps the state's records unshared, so the next
    // change to them is in place rather than a copy. There is no journal to take the changes.
    effects.clear();
    state.DropChanges();
  }
  result.unfinished = pending;
  result.jobs.reserve(jobs.size());
  for (size_t i = 0; i < jobs.size(); ++i) {
    if (ran[i]) result.jobs.push_back(outcome[i]);
  }
  return result;
}

}  // namespace sluice::sim
