// The simulator's driver: replays a trace through core::cluster::ClusterState (the controller's
// own state machine) in virtual time. Pure: no clock, no files; time is the trace's.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "common/time.h"
#include "core/cluster/config.h"
#include "sim/swf.h"

namespace sluice::sim {

// What to simulate.
struct SimConfig {
  // fifo, easy or conservative; empty: the cluster configuration's policy.
  std::string policy;
  // The cluster (from slurm.conf): its nodes, partitions and scheduler knobs are used as given,
  // except `policy` above and bf_interval (0: a full pass of the policy at every event time).
  // nullopt: a synthetic cluster of `machine_procs` processors, see below.
  std::optional<core::cluster::ClusterConfig> cluster;
  // Synthetic cluster: ceil(machine_procs / cores_per_node) nodes of `cores_per_node` CPUs (the
  // last one holds the remainder), memory that never limits, one partition of all nodes without
  // a time limit. One CPU a node is the literature's machine model.
  uint32_t machine_procs = 0;
  uint32_t cores_per_node = 1;
  // Synthetic cluster's backfill planner: time granularity (seconds) and horizon. 0 horizon: four
  // times the longest estimate in the trace (at least a day), so that EASY's reservation always
  // fits in it.
  Seconds bf_resolution = 60;
  Seconds bf_window = 0;
  // Synthetic cluster: jobs given a planned start (so a reservation) per pass. 0: 1 for fifo
  // and easy (only the first blocked job's plan matters), 100 for conservative (the first 100
  // blocked jobs hold reservations; see driver.cc).
  uint32_t bf_max_job_test = 0;
};

// What became of one job. Times are seconds from the trace's start.
struct JobOutcome {
  uint64_t id = 0;  // the trace's job id
  Seconds submit = 0;
  Seconds start = 0;
  Seconds end = 0;
  uint32_t procs = 0;
  Seconds wait() const { return start - submit; }
  Seconds run() const { return end - start; }
};

struct SimResult {
  std::vector<JobOutcome> jobs;  // every job that ran, in the trace's order
  uint64_t rejected = 0;         // refused at submission: they can never fit the cluster
  uint64_t unfinished = 0;       // still pending when no event was left (should stay 0)
  uint32_t machine_procs = 0;    // CPUs of the simulated cluster
  uint32_t nodes = 0;
  uint64_t passes = 0;                       // ClusterState::Schedule calls
  std::string policy;                        // the policy that ran
  core::cluster::SchedulerConfig scheduler;  // the scheduler knobs that ran
};

// Replays `jobs` (any order; equal submit times keep their order): all nodes register and
// connect at time 0, each job is submitted at its submit time (its spec when it has one, else
// num_tasks = procs of one CPU each; time limit = estimate; user, when the spec names none,
// "u<user>") and ends `run` seconds after it starts (a run that reaches its estimate ends as a
// timeout). A job with a spec and estimate 0 keeps the spec's limit; give it one first
// (ResolveTimeLimits, sim/workload.h), or its run ends at its start. Events at one time form one
// batch: ends, then arrivals, then one Schedule(). Fails with InvalidArgument on a bad
// configuration (unknown policy, no nodes, a synthetic cluster of 0 processors or 0 cores a node).
Result<SimResult> Simulate(const SimConfig& config, const std::vector<SimJob>& jobs);

}  // namespace sluice::sim
