// Pictures of replays: utilization and queue length over time and the wait-time distribution, as
// small hand-written SVG charts (one series a policy, on shared axes) and an HTML page that shows
// them beside a metrics table. Pure functions that return text, and one writer (like WriteJobsCsv).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "common/time.h"
#include "sim/driver.h"
#include "sim/metrics.h"

namespace sluice::sim {

// Points a time series is sampled into, and most points a wait CDF keeps: enough for a chart a
// few hundred pixels wide, and small files for a 30,000-job trace.
inline constexpr size_t kPlotTimeBins = 600;
inline constexpr size_t kPlotCdfPoints = 600;

// A step function of time averaged over equal bins: mean[i] is the time-weighted mean over
// [t0 + i * bin_s, t0 + (i + 1) * bin_s).
struct BinnedSeries {
  double t0 = 0;
  double bin_s = 0;
  std::vector<double> mean;
};

// Busy processors / result.machine_procs over [t0, t1) in `bins` bins (a job is busy over
// [start, end)). Empty `mean` when bins is 0 or t1 <= t0; all zero when machine_procs is 0.
BinnedSeries UtilizationOverTime(const SimResult& result, Seconds t0, Seconds t1, size_t bins);

// Jobs submitted but not started (a job queues over [submit, start)) over [t0, t1) in `bins`
// bins. Jobs that never ran (rejected, unfinished) are not in `result.jobs`, so not counted.
// Empty `mean` when bins is 0 or t1 <= t0.
BinnedSeries QueueLengthOverTime(const SimResult& result, Seconds t0, Seconds t1, size_t bins);

// One point of an empirical CDF: the fraction of jobs whose wait is at most `wait_s`.
struct CdfPoint {
  double wait_s = 0;
  double fraction = 0;
};

// The CDF of the jobs' waits, with waits under 1 s counted as 1 s (so that a log axis can show
// them): one point a distinct wait, in increasing order, the last at fraction 1. When there are
// more than `max_points` distinct waits, points are thinned so that consecutive kept points are
// at least 1/max_points of the log range or of the fraction apart (at most about 2 x max_points
// kept; the last point is always kept). Empty when no job ran.
std::vector<CdfPoint> WaitCdf(const SimResult& result, size_t max_points = kPlotCdfPoints);

// One replay to draw: its legend name (the policy), its result and its metrics.
struct PlotRun {
  std::string name;
  const SimResult* result = nullptr;  // borrowed: outlives the calls below
  Metrics metrics;
};

// The charts: one SVG document each, one <polyline> a run (in `runs` order, distinct colors),
// with axes, tick labels, axis titles, a title and a legend. The time axes run from the trace's
// start (0, or an earlier submit) to the last end over all runs, in hours (up to three days) or
// days. `trace_name` goes into the title (escaped).
std::string UtilizationSvg(std::string_view trace_name, const std::vector<PlotRun>& runs);
std::string QueueLengthSvg(std::string_view trace_name, const std::vector<PlotRun>& runs);
std::string WaitCdfSvg(std::string_view trace_name, const std::vector<PlotRun>& runs);

// The page: the three charts above by file name (utilization.svg, queue.svg, wait_cdf.svg, in
// the same directory) side by side, and a table of each run's metrics. `trace_name` is shown
// as given (escaped).
std::string ReportHtml(std::string_view trace_name, const std::vector<PlotRun>& runs);

// `text` with &, <, >, " and ' replaced by entities: safe in XML/HTML text and attributes.
std::string XmlEscape(std::string_view text);

// Writes utilization.svg, queue.svg, wait_cdf.svg and index.html into `dir`, creating it when
// missing. Fails with Unavailable naming the path when it cannot.
Status WritePlots(std::string_view trace_name, const std::vector<PlotRun>& runs,
                  const std::string& dir);

}  // namespace sluice::sim
