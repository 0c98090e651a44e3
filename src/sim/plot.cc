#include "sim/plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <system_error>
#include <utility>

namespace sluice::sim {
namespace {

// A running sum of `deltas` (time, change) averaged over the bins of [t0, t1), times `scale`.
// One sort, then each constant stretch between events is spread over the bins it overlaps:
// O(n log n + bins).
BinnedSeries Bin(std::vector<std::pair<Seconds, double>> deltas, Seconds t0, Seconds t1,
                 size_t bins, double scale) {
  BinnedSeries s;
  if (bins == 0 || t1 <= t0) return s;
  s.t0 = static_cast<double>(t0);
  s.bin_s = static_cast<double>(t1 - t0) / static_cast<double>(bins);
  s.mean.assign(bins, 0);
  std::sort(deltas.begin(), deltas.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  const double lo = s.t0, hi = static_cast<double>(t1);
  auto integrate = [&](double a, double b, double level) {
    a = std::max(a, lo);
    b = std::min(b, hi);
    if (b <= a || level == 0) return;
    // Start one bin early: a boundary computed in floating point may round either way.
    size_t k = static_cast<size_t>((a - lo) / s.bin_s);
    k = k > 0 ? k - 1 : 0;
    for (; k < bins; ++k) {
      const double bin_lo = lo + static_cast<double>(k) * s.bin_s;
      if (bin_lo >= b) break;
      const double overlap = std::min(b, bin_lo + s.bin_s) - std::max(a, bin_lo);
      if (overlap > 0) s.mean[k] += level * overlap;
    }
  };
  double level = 0, since = lo;
  for (size_t i = 0; i < deltas.size();) {
    const Seconds t = deltas[i].first;
    integrate(since, static_cast<double>(t), level);
    for (; i < deltas.size() && deltas[i].first == t; ++i) level += deltas[i].second;
    since = static_cast<double>(t);
  }
  integrate(since, hi, level);
  for (double& m : s.mean) m = m / s.bin_s * scale;
  return s;
}

// The time the charts cover: from the trace's start (0, or an earlier submit) to the last end of
// any run.
std::pair<Seconds, Seconds> Span(const std::vector<PlotRun>& runs) {
  Seconds t0 = 0, t1 = 0;
  for (const PlotRun& run : runs) {
    for (const JobOutcome& j : run.result->jobs) {
      t0 = std::min(t0, j.submit);
      t1 = std::max(t1, j.end);
    }
  }
  return {t0, std::max(t1, t0 + 1)};
}

std::string Fixed(double v, int decimals) {
  char buf[64];
  snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

// A tick label: whole numbers without decimals, others with up to ten significant digits (so
// that 3 x 0.2 reads 0.6).
std::string TickLabel(double v) {
  if (std::abs(v) < 1e-9) return "0";  // not "-0"
  if (std::abs(v - std::round(v)) < 1e-9) return Fixed(std::round(v), 0);
  char buf[64];
  snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

// A step of 1, 2 or 5 times a power of ten giving about `target` steps over `span`.
double NiceStep(double span, int target) {
  if (span <= 0) return 1;
  const double raw = span / target;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double norm = raw / mag;
  return (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
}

struct Axis {
  double lo = 0, hi = 1;
  bool log = false;  // log10 scale; lo and hi positive
  std::string title;
  std::vector<std::pair<double, std::string>> ticks;  // value, label
};

// A linear axis from 0 to `max` rounded up to a tick, ticks every nice step.
Axis ZeroBasedAxis(double max, std::string title) {
  Axis a;
  a.title = std::move(title);
  if (max <= 0) max = 1;
  const double step = NiceStep(max, 5);
  a.hi = std::ceil(max / step - 1e-9) * step;
  for (int i = 0; i * step <= a.hi + step * 1e-9; ++i) {
    a.ticks.emplace_back(i * step, TickLabel(i * step));
  }
  return a;
}

// The time axis: values in seconds, labelled in hours up to three days, else in days.
Axis TimeAxis(Seconds t0, Seconds t1) {
  Axis a;
  a.lo = static_cast<double>(t0);
  a.hi = static_cast<double>(t1);
  const bool hours = a.hi - a.lo <= 3 * 86400.0;
  const double unit = hours ? 3600 : 86400;
  a.title = std::string("time since trace start (") + (hours ? "hours" : "days") + ")";
  const double step = NiceStep((a.hi - a.lo) / unit, 8);
  for (double k = std::ceil(a.lo / unit / step - 1e-9); k * step * unit <= a.hi + 1e-6; ++k) {
    a.ticks.emplace_back(k * step * unit, TickLabel(k * step));
  }
  return a;
}

struct Line {
  std::string name;
  std::vector<std::pair<double, double>> points;  // data coordinates
};

struct Chart {
  std::string title;
  Axis x, y;
  std::vector<Line> lines;
  std::vector<std::pair<double, std::string>> x_marks;  // dashed reference lines, labelled
};

// Okabe and Ito's palette: distinct for the common color-vision deficiencies.
constexpr const char* kColors[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7",
                                   "#E69F00", "#56B4E9", "#000000", "#F0E442"};

constexpr double kWidth = 720, kHeight = 400;
constexpr double kLeft = 70, kRight = 580, kTop = 40, kBottom = 340;  // the plot area

double Position(const Axis& a, double v, double from, double to) {
  double f = a.log ? (std::log10(v) - std::log10(a.lo)) / (std::log10(a.hi) - std::log10(a.lo))
                   : (v - a.lo) / (a.hi - a.lo);
  f = std::clamp(f, 0.0, 1.0);
  return from + f * (to - from);
}
double Px(const Axis& a, double v) { return Position(a, v, kLeft, kRight); }
double Py(const Axis& a, double v) { return Position(a, v, kBottom, kTop); }

std::string RenderSvg(const Chart& c) {
  std::string s;
  s += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + Fixed(kWidth, 0) + "\" height=\"" +
       Fixed(kHeight, 0) + "\" viewBox=\"0 0 " + Fixed(kWidth, 0) + ' ' + Fixed(kHeight, 0) +
       "\" font-family=\"sans-serif\" font-size=\"12\">\n";
  s += "<title>" + XmlEscape(c.title) + "</title>\n";
  s += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  s += "<text x=\"" + Fixed(kWidth / 2, 1) +
       "\" y=\"24\" text-anchor=\"middle\" font-size=\"15\" font-weight=\"bold\">" +
       XmlEscape(c.title) + "</text>\n";

  // Grid and tick labels.
  s += "<g stroke=\"#e6e6e6\">\n";
  for (const auto& [v, label] : c.x.ticks) {
    const std::string x = Fixed(Px(c.x, v), 1);
    s += "<line x1=\"" + x + "\" y1=\"" + Fixed(kTop, 1) + "\" x2=\"" + x + "\" y2=\"" +
         Fixed(kBottom, 1) + "\"/>\n";
  }
  for (const auto& [v, label] : c.y.ticks) {
    const std::string y = Fixed(Py(c.y, v), 1);
    s += "<line x1=\"" + Fixed(kLeft, 1) + "\" y1=\"" + y + "\" x2=\"" + Fixed(kRight, 1) +
         "\" y2=\"" + y + "\"/>\n";
  }
  s += "</g>\n";
  for (const auto& [v, label] : c.x_marks) {
    const std::string x = Fixed(Px(c.x, v), 1);
    s += "<line x1=\"" + x + "\" y1=\"" + Fixed(kTop, 1) + "\" x2=\"" + x + "\" y2=\"" +
         Fixed(kBottom, 1) + "\" stroke=\"#999\" stroke-dasharray=\"4 3\"/>\n";
    // Left of the line and low: the area under a CDF is where its curve never goes.
    s += "<text x=\"" + Fixed(Px(c.x, v) - 3, 1) + "\" y=\"" + Fixed(kBottom - 6, 1) +
         "\" text-anchor=\"end\" font-size=\"10\" fill=\"#666\">" + XmlEscape(label) + "</text>\n";
  }
  s += "<g text-anchor=\"middle\">\n";
  for (const auto& [v, label] : c.x.ticks) {
    s += "<text x=\"" + Fixed(Px(c.x, v), 1) + "\" y=\"" + Fixed(kBottom + 18, 1) + "\">" +
         XmlEscape(label) + "</text>\n";
  }
  s += "</g>\n<g text-anchor=\"end\">\n";
  for (const auto& [v, label] : c.y.ticks) {
    s += "<text x=\"" + Fixed(kLeft - 6, 1) + "\" y=\"" + Fixed(Py(c.y, v) + 4, 1) + "\">" +
         XmlEscape(label) + "</text>\n";
  }
  s += "</g>\n";
  s += "<rect x=\"" + Fixed(kLeft, 1) + "\" y=\"" + Fixed(kTop, 1) + "\" width=\"" +
       Fixed(kRight - kLeft, 1) + "\" height=\"" + Fixed(kBottom - kTop, 1) +
       "\" fill=\"none\" stroke=\"#333\"/>\n";
  s += "<text x=\"" + Fixed((kLeft + kRight) / 2, 1) + "\" y=\"" + Fixed(kHeight - 16, 1) +
       "\" text-anchor=\"middle\">" + XmlEscape(c.x.title) + "</text>\n";
  s += "<text transform=\"translate(18 " + Fixed((kTop + kBottom) / 2, 1) +
       ") rotate(-90)\" text-anchor=\"middle\">" + XmlEscape(c.y.title) + "</text>\n";

  // The series, then the legend to the right of the plot area.
  for (size_t i = 0; i < c.lines.size(); ++i) {
    const char* color = kColors[i % std::size(kColors)];
    s += "<polyline fill=\"none\" stroke=\"";
    s += color;
    s += "\" stroke-width=\"1.5\" stroke-linejoin=\"round\" points=\"";
    std::string last;
    for (const auto& [x, y] : c.lines[i].points) {
      std::string p = Fixed(Px(c.x, x), 1) + ',' + Fixed(Py(c.y, y), 1);
      if (p == last) continue;  // a pixel's repeats add bytes, not ink
      if (!last.empty()) s += ' ';
      s += p;
      last = std::move(p);
    }
    s += "\"/>\n";
  }
  for (size_t i = 0; i < c.lines.size(); ++i) {
    const char* color = kColors[i % std::size(kColors)];
    const double y = kTop + 12 + 20 * static_cast<double>(i);
    s += "<line x1=\"" + Fixed(kRight + 14, 1) + "\" y1=\"" + Fixed(y, 1) + "\" x2=\"" +
         Fixed(kRight + 38, 1) + "\" y2=\"" + Fixed(y, 1) + "\" stroke=\"" + color +
         "\" stroke-width=\"3\"/>\n";
    s += "<text x=\"" + Fixed(kRight + 44, 1) + "\" y=\"" + Fixed(y + 4, 1) + "\">" +
         XmlEscape(c.lines[i].name) + "</text>\n";
  }
  s += "</svg>\n";
  return s;
}

std::string Titled(const char* what, std::string_view trace_name) {
  std::string t = what;
  if (!trace_name.empty()) t += " (" + std::string(trace_name) + ")";
  return t;
}

// A time-series chart of `series(result, t0, t1)` for every run, points at bin centers. The y
// axis runs from 0 to `y_max`, or to the largest value drawn when `y_max` is 0.
template <typename F>
std::string TimeSvg(std::string title, std::string y_title, double y_max,
                    const std::vector<PlotRun>& runs, F series) {
  const auto [t0, t1] = Span(runs);
  Chart c;
  c.title = std::move(title);
  c.x = TimeAxis(t0, t1);
  double max = 0;
  for (const PlotRun& run : runs) {
    const BinnedSeries b = series(*run.result, t0, t1);
    Line line{run.name, {}};
    line.points.reserve(b.mean.size());
    for (size_t i = 0; i < b.mean.size(); ++i) {
      line.points.emplace_back(b.t0 + (static_cast<double>(i) + 0.5) * b.bin_s, b.mean[i]);
      max = std::max(max, b.mean[i]);
    }
    c.lines.push_back(std::move(line));
  }
  c.y = ZeroBasedAxis(y_max > 0 ? y_max : max, std::move(y_title));
  return RenderSvg(c);
}

Status WriteFile(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  out.close();
  if (!out) {
    return Unavailable("cannot write " + path.string() + ": check the directory's permissions");
  }
  return Status::Ok();
}

}  // namespace

BinnedSeries UtilizationOverTime(const SimResult& result, Seconds t0, Seconds t1, size_t bins) {
  std::vector<std::pair<Seconds, double>> deltas;
  deltas.reserve(2 * result.jobs.size());
  for (const JobOutcome& j : result.jobs) {
    deltas.emplace_back(j.start, static_cast<double>(j.procs));
    deltas.emplace_back(j.end, -static_cast<double>(j.procs));
  }
  const double scale = result.machine_procs > 0 ? 1.0 / result.machine_procs : 0.0;
  return Bin(std::move(deltas), t0, t1, bins, scale);
}

BinnedSeries QueueLengthOverTime(const SimResult& result, Seconds t0, Seconds t1, size_t bins) {
  std::vector<std::pair<Seconds, double>> deltas;
  deltas.reserve(2 * result.jobs.size());
  for (const JobOutcome& j : result.jobs) {
    deltas.emplace_back(j.submit, 1.0);
    deltas.emplace_back(j.start, -1.0);
  }
  return Bin(std::move(deltas), t0, t1, bins, 1.0);
}

std::vector<CdfPoint> WaitCdf(const SimResult& result, size_t max_points) {
  std::vector<double> waits;
  waits.reserve(result.jobs.size());
  for (const JobOutcome& j : result.jobs) {
    waits.push_back(std::max(1.0, static_cast<double>(j.wait())));
  }
  std::sort(waits.begin(), waits.end());
  const double n = static_cast<double>(waits.size());
  std::vector<CdfPoint> all;
  for (size_t i = 0; i < waits.size(); ++i) {
    if (i + 1 == waits.size() || waits[i + 1] != waits[i]) {
      all.push_back({waits[i], static_cast<double>(i + 1) / n});
    }
  }
  if (all.size() <= max_points || max_points == 0) return all;
  const double log_step =
      (std::log10(all.back().wait_s) - std::log10(all.front().wait_s)) / max_points;
  const double fraction_step = 1.0 / static_cast<double>(max_points);
  std::vector<CdfPoint> kept = {all.front()};
  for (size_t i = 1; i < all.size(); ++i) {
    const CdfPoint& last = kept.back();
    if (i + 1 == all.size() || std::log10(all[i].wait_s) - std::log10(last.wait_s) >= log_step ||
        all[i].fraction - last.fraction >= fraction_step) {
      kept.push_back(all[i]);
    }
  }
  return kept;
}

std::string UtilizationSvg(std::string_view trace_name, const std::vector<PlotRun>& runs) {
  return TimeSvg(Titled("Utilization over time", trace_name), "busy processors / all processors", 1,
                 runs, [](const SimResult& r, Seconds t0, Seconds t1) {
                   return UtilizationOverTime(r, t0, t1, kPlotTimeBins);
                 });
}

std::string QueueLengthSvg(std::string_view trace_name, const std::vector<PlotRun>& runs) {
  return TimeSvg(Titled("Queue length over time", trace_name),
                 "jobs waiting (submitted, not started)", 0, runs,
                 [](const SimResult& r, Seconds t0, Seconds t1) {
                   return QueueLengthOverTime(r, t0, t1, kPlotTimeBins);
                 });
}

std::string WaitCdfSvg(std::string_view trace_name, const std::vector<PlotRun>& runs) {
  Chart c;
  c.title = Titled("Wait-time distribution", trace_name);
  double max_wait = 1;
  std::vector<std::vector<CdfPoint>> cdfs;
  for (const PlotRun& run : runs) {
    cdfs.push_back(WaitCdf(*run.result));
    if (!cdfs.back().empty()) max_wait = std::max(max_wait, cdfs.back().back().wait_s);
  }
  // Whole decades from 1 s to at least 10 s.
  const int decades = std::max(1, static_cast<int>(std::ceil(std::log10(max_wait) - 1e-9)));
  c.x.log = true;
  c.x.lo = 1;
  c.x.hi = std::pow(10.0, decades);
  c.x.title = "wait (seconds, log scale; waits under 1 s drawn at 1 s)";
  static const char* const kDecadeLabels[] = {"1", "10", "100", "1k", "10k", "100k", "1M", "10M"};
  for (int d = 0; d <= decades; ++d) {
    c.x.ticks.emplace_back(std::pow(10.0, d), d < static_cast<int>(std::size(kDecadeLabels))
                                                  ? kDecadeLabels[d]
                                                  : "1e" + std::to_string(d));
  }
  for (const auto& [s, label] : {std::pair<double, const char*>{60, "1 min"},
                                 {3600, "1 h"},
                                 {86400, "1 day"},
                                 {7 * 86400, "1 week"}}) {
    if (s < c.x.hi) c.x_marks.emplace_back(s, label);
  }
  c.y = ZeroBasedAxis(1, "fraction of jobs waiting at most x");
  // The empirical CDF as steps: flat until the next wait, then up.
  for (size_t r = 0; r < runs.size(); ++r) {
    Line line{runs[r].name, {}};
    const std::vector<CdfPoint>& cdf = cdfs[r];
    if (!cdf.empty()) line.points.emplace_back(cdf.front().wait_s, 0);
    for (size_t i = 0; i < cdf.size(); ++i) {
      if (i > 0) line.points.emplace_back(cdf[i].wait_s, cdf[i - 1].fraction);
      line.points.emplace_back(cdf[i].wait_s, cdf[i].fraction);
    }
    if (!cdf.empty()) line.points.emplace_back(c.x.hi, 1);
    c.lines.push_back(std::move(line));
  }
  return RenderSvg(c);
}

std::string ReportHtml(std::string_view trace_name, const std::vector<PlotRun>& runs) {
  const std::string name = XmlEscape(trace_name);
  std::string h =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<title>sluice sim: " +
      name +
      "</title>\n<style>\n"
      "body { font-family: sans-serif; margin: 1.5em; }\n"
      ".charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); "
      "gap: 1em; }\n"
      ".charts img { width: 100%; height: auto; border: 1px solid #ddd; }\n"
      "table { border-collapse: collapse; margin-top: 1.5em; }\n"
      "th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }\n"
      "th:first-child, td:first-child { text-align: left; }\n"
      "</style>\n</head>\n<body>\n<h1>sluice sim: " +
      name + "</h1>\n";
  if (!runs.empty()) {
    h += "<p>" + std::to_string(runs.front().result->machine_procs) +
         " processors; one series a policy.</p>\n";
  }
  h += "<div class=\"charts\">\n"
       "<img src=\"utilization.svg\" alt=\"Utilization over time\">\n"
       "<img src=\"queue.svg\" alt=\"Queue length over time\">\n"
       "<img src=\"wait_cdf.svg\" alt=\"Wait-time distribution\">\n"
       "</div>\n<table>\n<thead><tr><th>policy</th>";
  for (const char* key : {"jobs", "avg_wait_s", "max_wait_s", "avg_flow_s", "avg_bsld", "max_bsld",
                          "utilization", "makespan_s", "sim_seconds", "jobs_per_second"}) {
    h += "<th>" + std::string(key) + "</th>";
  }
  h += "</tr></thead>\n<tbody>\n";
  for (const PlotRun& run : runs) {
    const Metrics& m = run.metrics;
    h += "<tr><td>" + XmlEscape(run.name) + "</td>";
    for (const std::string& v :
         {std::to_string(m.jobs), Fixed(m.avg_wait_s, 1), Fixed(m.max_wait_s, 0),
          Fixed(m.avg_flow_s, 1), Fixed(m.avg_bsld, 2), Fixed(m.max_bsld, 1),
          Fixed(m.utilization, 4), Fixed(m.makespan_s, 0), Fixed(m.sim_seconds, 3),
          Fixed(m.jobs_per_second, 0)}) {
      h += "<td>" + v + "</td>";
    }
    h += "</tr>\n";
  }
  h += "</tbody>\n</table>\n</body>\n</html>\n";
  return h;
}

std::string XmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    switch (ch) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += ch;
    }
  }
  return out;
}

Status WritePlots(std::string_view trace_name, const std::vector<PlotRun>& runs,
                  const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Unavailable("cannot create " + dir + ": " + ec.message());
  const std::filesystem::path d(dir);
  SLUICE_RETURN_IF_ERROR(WriteFile(d / "utilization.svg", UtilizationSvg(trace_name, runs)));
  SLUICE_RETURN_IF_ERROR(WriteFile(d / "queue.svg", QueueLengthSvg(trace_name, runs)));
  SLUICE_RETURN_IF_ERROR(WriteFile(d / "wait_cdf.svg", WaitCdfSvg(trace_name, runs)));
  return WriteFile(d / "index.html", ReportHtml(trace_name, runs));
}

}  // namespace sluice::sim
