#include "sim/metrics.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <system_error>

namespace sluice::sim {

double BoundedSlowdown(Seconds wait, Seconds run) {
  const double r = static_cast<double>(run);
  return std::max(1.0, (static_cast<double>(wait) + r) / std::max(r, kBsldThreshold));
}

Metrics ComputeMetrics(const SimResult& result) {
  Metrics m;
  if (result.jobs.empty()) return m;
  double wait_sum = 0, flow_sum = 0, bsld_sum = 0, proc_seconds = 0;
  Seconds first_submit = result.jobs.front().submit, last_end = result.jobs.front().end;
  for (const JobOutcome& j : result.jobs) {
    const double wait = static_cast<double>(j.wait());
    wait_sum += wait;
    m.max_wait_s = std::max(m.max_wait_s, wait);
    flow_sum += static_cast<double>(j.end - j.submit);
    const double bsld = BoundedSlowdown(j.wait(), j.run());
    bsld_sum += bsld;
    m.max_bsld = std::max(m.max_bsld, bsld);
    proc_seconds += static_cast<double>(j.procs) * static_cast<double>(j.run());
    first_submit = std::min(first_submit, j.submit);
    last_end = std::max(last_end, j.end);
  }
  const double n = static_cast<double>(result.jobs.size());
  m.jobs = result.jobs.size();
  m.avg_wait_s = wait_sum / n;
  m.avg_flow_s = flow_sum / n;
  m.avg_bsld = bsld_sum / n;
  m.makespan_s = static_cast<double>(last_end - first_submit);
  if (m.makespan_s > 0 && result.machine_procs > 0) {
    m.utilization = proc_seconds / (static_cast<double>(result.machine_procs) * m.makespan_s);
  }
  return m;
}

std::string JobsCsv(const SimResult& result) {
  std::string out = "id,submit,start,end,processors,wait\n";
  out.reserve(out.size() + result.jobs.size() * 40);
  for (const JobOutcome& j : result.jobs) {
    out += std::to_string(j.id) + ',' + std::to_string(j.submit) + ',' + std::to_string(j.start) +
           ',' + std::to_string(j.end) + ',' + std::to_string(j.procs) + ',' +
           std::to_string(j.wait()) + '\n';
  }
  return out;
}

Status WriteJobsCsv(const SimResult& result, const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Unavailable("cannot create " + dir + ": " + ec.message());
  const std::string path = (std::filesystem::path(dir) / "jobs.csv").string();
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  const std::string csv = JobsCsv(result);
  out.write(csv.data(), static_cast<std::streamsize>(csv.size()));
  out.close();
  if (!out) return Unavailable("cannot write " + path + ": check the directory's permissions");
  return Status::Ok();
}

}  // namespace sluice::sim
