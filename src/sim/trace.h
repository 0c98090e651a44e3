// The simulator's inputs in one place: which format a trace file is in, and reading it into jobs
// to replay with a one-line note of what the reading and cleaning did.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "core/cluster/config.h"
#include "sim/swf.h"

namespace sluice::sim {

enum class TraceFormat {
  kSwf,    // Standard Workload Format (sim/swf.h)
  kJobs,   // JSON lines of sbatch options and run times (sim/workload.h)
  kSacct,  // sacct -P / -p output, Sluice's accounting export (sim/sacct.h)
};

// "swf", "jobs", "sacct".
std::string_view TraceFormatName(TraceFormat format);

// The format a --format value names (the names above); nullopt for anything else.
std::optional<TraceFormat> ParseTraceFormat(std::string_view name);

// Tells a trace's format from its file name and text: the extension .swf is SWF and .jsonl or
// .json job descriptions; otherwise the first non-blank line decides: a header naming "JobID|"
// (any case) is sacct, '{' (after skipping '#' comment lines) job descriptions, ';' or a line
// of 18 numbers SWF. Fails with InvalidArgument naming the path when none matches.
Result<TraceFormat> DetectTraceFormat(std::string_view path, std::string_view text);

// A trace read and cleaned, in any format.
struct LoadedTrace {
  TraceFormat format = TraceFormat::kSwf;
  std::vector<SimJob> jobs;
  uint32_t machine_procs = 0;  // SWF: MachineProcs (a synthetic cluster's size); else 0
  std::string notes;           // one line, "trace: ...": what reading and cleaning did
};

// Reads the file at `path` in `format` (nullopt: DetectTraceFormat). Job descriptions and sacct
// histories ask for partitions, GPUs and MPS shares, so they need `cluster` (the --config
// cluster; their default time limits are resolved against it, see ResolveTimeLimits); SWF
// takes nullptr. Fails with NotFound when the file cannot be read, InvalidArgument when the
// format cannot be told, a job description or sacct trace comes without a cluster, or as the
// format's parser (with the path in the message).
Result<LoadedTrace> LoadTrace(const std::string& path, std::optional<TraceFormat> format,
                              const core::cluster::ClusterConfig* cluster);

}  // namespace sluice::sim
