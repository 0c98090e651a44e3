// Accounting histories for the simulator: `sacct --parsable2` (-P) or `--parsable` (-p) output,
// which Slurm sites' sacct and Sluice's accounting export both produce, read as a trace so a
// site can replay its own history under another policy or configuration.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "common/time.h"
#include "sim/swf.h"

namespace sluice::sim {

// A cleaned history and what the cleaning did.
struct SacctTrace {
  std::vector<SimJob> jobs;       // in file order, each with its spec
  uint64_t records = 0;           // job lines read (steps not counted)
  uint64_t steps = 0;             // step lines (JobID with '.'), skipped
  uint64_t never_started = 0;     // pending, or cancelled or failed before starting: dropped
  uint64_t unfinished = 0;        // started but no end yet (running, suspended): dropped
  uint64_t dropped = 0;           // no CPUs or no run time: dropped
  uint64_t exact_estimates = 0;   // no Timelimit column: the run time became the estimate
  uint64_t partition_limits = 0;  // Timelimit Partition_Limit: the partition's applies
  uint64_t capped = 0;            // run above the time limit, cut to it
  UnixTime origin = 0;            // the earliest kept submit: time 0 of the replay
};

// Parses sacct's parsable output: a header line naming the columns ('|'-separated, any order,
// any case; a trailing '|' as -p prints it is allowed), then one line a job or step. Columns
// used: JobID (or JobIDRaw), Submit, Start, End and/or Elapsed, NCPUS (else AllocCPUS, else
// ReqCPUS) required; Timelimit, User, Partition, Account, QOS, NNodes, ReqTRES (else AllocTRES:
// gres/gpu=N, gres/mps=N, gres/shard=N), State optional. Times are sacct's
// YYYY-MM-DDTHH:MM:SS in local time (TZ), made seconds from the earliest kept submit. Cleaning:
// steps (JobID with '.') are skipped; a job never started (State PENDING, Start Unknown or None,
// or CANCELLED/BOOT_FAIL with no elapsed time or no CPUs) or not yet ended (End Unknown, State
// RUNNING, SUSPENDED or REQUEUED) is dropped and counted; so is one without CPUs or run time.
// Run time: Elapsed, else End - Start. Estimate: Timelimit ([days-]hh:mm:ss, UNLIMITED), 0 for
// Partition_Limit (resolved later by ResolveTimeLimits, sim/workload.h), the run time without the
// column; a longer run is capped at it. Each job asks NCPUS tasks of one CPU (on NNodes nodes
// when given). Fails with InvalidArgument naming the line: no header (sacct's --noheader), a
// required column missing, a line with another field count than the header, a bad time stamp,
// duration or number.
Result<SacctTrace> ParseSacct(std::string_view text);

// Reads and parses the file at `path`. Fails with NotFound when it cannot be read, else as
// ParseSacct with the path in the message.
Result<SacctTrace> LoadSacct(const std::string& path);

}  // namespace sluice::sim
