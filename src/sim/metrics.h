// What a replay measured: the literature's schedule metrics, and a per-job CSV.
#pragma once

#include <cstdint>
#include <string>

#include "common/status.h"
#include "sim/driver.h"

namespace sluice::sim {

// The bounded slowdown's threshold: runs shorter than this count as this long.
inline constexpr double kBsldThreshold = 10;

struct Metrics {
  uint64_t jobs = 0;      // jobs that ran
  double avg_wait_s = 0;  // wait = start - submit
  double max_wait_s = 0;
  double avg_flow_s = 0;  // flow (response) time = end - submit
  double avg_bsld = 0;    // bounded slowdown: max(1, (wait + run) / max(run, 10 s))
  double max_bsld = 0;
  double utilization = 0;  // processor-seconds used / (machine processors x makespan)
  double makespan_s = 0;   // last end - first submit
  // Measured by the caller (wall-clock time of the replay); 0 when not filled in.
  double sim_seconds = 0;
  double jobs_per_second = 0;  // jobs / sim_seconds
};

// The metrics of `result` over its jobs (all zero when none ran). `sim_seconds` and
// `jobs_per_second` are left 0: the caller owns the clock.
Metrics ComputeMetrics(const SimResult& result);

// One bounded slowdown: max(1, (wait + run) / max(run, kBsldThreshold)).
double BoundedSlowdown(Seconds wait, Seconds run);

// The per-job CSV: a header line "id,submit,start,end,processors,wait", then one line a job in
// `result.jobs` order, times in seconds from the trace's start.
std::string JobsCsv(const SimResult& result);

// Writes JobsCsv(result) to `dir`/jobs.csv, creating `dir` when missing (the writer side of the
// simulator's I/O). Fails with Unavailable naming the path when it cannot.
Status WriteJobsCsv(const SimResult& result, const std::string& dir);

}  // namespace sluice::sim
