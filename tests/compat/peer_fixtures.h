// The jobs, nodes and partition of the reference Slurm 22.05 run (/tmp/slurm_ref.txt), rebuilt
// as Sluice model values, so formatter tests can compare against what Slurm printed.
#pragma once

#include <cstdlib>
#include <ctime>
#include <memory>
#include <string>

#include "core/model/job.h"
#include "core/model/node.h"

namespace sluice::compat::slurm::testing_peer {

constexpr UnixTime kSubmit = 1795307712;  // 2026-11-22T00:35:12 UTC
constexpr UnixTime kStart = 1795307715;   // 2026-11-22T00:35:15
constexpr UnixTime kNow = 1795307719;     // 2026-11-22T00:35:19

// Slurm printed local time on a UTC host.
inline void UseUtc() {
  setenv("TZ", "UTC", 1);
  tzset();
}

inline std::shared_ptr<core::model::JobSpec> WrapSpec(const std::string& name) {
  auto spec = std::make_shared<core::model::JobSpec>();
  spec->name = name;
  spec->user = "root";
  spec->group = "root";
  spec->mem_per_cpu_mb = 100;  // the peer's DefMemPerCPU=100
  spec->work_dir = "/tmp";
  spec->submit_host = "localhost";
  return spec;
}

// Job 1: running on n1 with 2 tasks, no time limit.
inline core::model::JobPtr Job1() {
  auto spec = WrapSpec("wrap");
  spec->num_tasks = 2;
  auto job = std::make_shared<core::model::Job>();
  job->id = 1;
  job->spec = spec;
  job->state = core::model::JobState::kRunning;
  job->priority = 4294901759u;
  job->partition = "debug";
  job->time_limit = kUnlimited;
  job->submit_time = kSubmit;
  job->start_time = kStart;
  job->allocation = {{"n1", 2, 200}};
  return job;
}

// Job 2: running on n1, -t 10, a long name.
inline core::model::JobPtr Job2() {
  auto spec = WrapSpec("longname_job_xyz");
  auto job = std::make_shared<core::model::Job>();
  job->id = 2;
  job->spec = spec;
  job->state = core::model::JobState::kRunning;
  job->priority = 4294901758u;
  job->partition = "debug";
  job->time_limit = 600;
  job->submit_time = kSubmit;
  job->start_time = kStart;
  job->allocation = {{"n1", 1, 100}};
  return job;
}

// Job 3: pending, held (-H).
inline core::model::JobPtr Job3() {
  auto spec = WrapSpec("wrap");
  spec->hold = true;
  auto job = std::make_shared<core::model::Job>();
  job->id = 3;
  job->spec = spec;
  job->state = core::model::JobState::kPending;
  job->reason = core::model::Reason::kJobHeldUser;
  job->held = true;
  job->priority = 0;
  job->partition = "debug";
  job->time_limit = kUnlimited;
  job->submit_time = kSubmit;
  return job;
}

inline core::model::NodePtr PeerNode(const std::string& name, uint32_t alloc_cpus) {
  auto n = std::make_shared<core::model::Node>();
  n->name = name;
  n->cpus = 4;
  n->sockets = 4;
  n->memory_mb = 4000;
  n->alloc_cpus = alloc_cpus;
  n->alloc_memory_mb = alloc_cpus * 100;
  n->responding = true;
  n->last_seen = kStart;
  n->boot_time = kSubmit;
  n->partitions = {"debug"};
  return n;
}

inline core::model::PartitionPtr DebugPartition() {
  auto p = std::make_shared<core::model::Partition>();
  p->name = "debug";
  p->nodes = {"n1", "n2", "n3"};
  p->nodes_expr = "n[1-3]";
  p->is_default = true;
  return p;
}

}  // namespace sluice::compat::slurm::testing_peer
