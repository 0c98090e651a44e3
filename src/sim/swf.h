// The Standard Workload Format (SWF) of the Parallel Workloads Archive: a reader that cleans the
// trace the way the scheduling literature does before a replay.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "common/time.h"
#include "core/model/job.h"

namespace sluice::sim {

// One job to replay, cleaned: every field is known and positive.
struct SimJob {
  uint64_t id = 0;       // SWF field 1
  Seconds submit = 0;    // field 2, seconds from the trace's start
  Seconds run = 0;       // field 4, capped at `estimate`
  Seconds estimate = 0;  // field 9 (requested time), or `run` when unknown
  uint32_t procs = 0;    // field 8 (requested processors), or field 5 (allocated) when unknown
  int64_t user = -1;     // field 12; -1 when unknown
  // The whole request (tasks, GPUs, MPS shares, partition, constraints, placement) for job
  // descriptions and sacct histories (sim/workload.h, sim/sacct.h); null for SWF, whose jobs
  // ask `procs` tasks of one CPU. `procs` is then the CPUs it asks, for the metrics. Shared:
  // immutable, and copies of a trace (one a policy compared) need not copy every spec.
  std::shared_ptr<const core::model::JobSpec> spec;
};

// A cleaned trace and what the cleaning did.
struct SwfTrace {
  std::vector<SimJob> jobs;      // in file order
  uint32_t max_procs = 0;        // header "; MaxProcs: N"; 0 when absent
  uint32_t max_nodes = 0;        // header "; MaxNodes: N"; 0 when absent
  uint64_t records = 0;          // job lines read
  uint64_t dropped = 0;          // processors or run time unknown (-1) or not positive
  uint64_t exact_estimates = 0;  // requested time unknown: the run time became the estimate
  uint64_t capped = 0;           // run time above the requested time, cut to it
};

// Parses SWF text: 18 whitespace-separated numeric fields a line (integers; a fractional value
// is truncated), lines starting with ';' are comments or header fields, blank lines are skipped.
// Cleaning: a job without a known positive processor count (field 8, else field 5) or run time
// is dropped; a job without a requested time gets its run time as estimate (counted in
// exact_estimates); a run longer than its requested time is capped at it. Fails with
// InvalidArgument naming the line on a line without 18 fields or with a non-numeric field.
Result<SwfTrace> ParseSwf(std::string_view text);

// Reads and parses the file at `path`. Fails with NotFound when it cannot be read, else as
// ParseSwf with the path in the message.
Result<SwfTrace> LoadSwf(const std::string& path);

// The machine's processors per the header: MaxProcs, else MaxNodes, else the widest job.
uint32_t MachineProcs(const SwfTrace& trace);

}  // namespace sluice::sim
