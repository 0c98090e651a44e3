// The training run of the build's profile-guided optimization (CMakeLists.txt, SLUICE_PGO): an
// instrumented copy of the scheduler and the simulator replays synthetic workloads under each
// policy, and the profile it leaves tells the compiler which branches and calls of the real
// build are hot. The workloads are shaped like the traces the simulator is measured on
// (docs/simulator.md): a wide machine of 16-core nodes that CEA-Curie's jobs pack (a third of
// them one processor, the rest spread over powers of two up to thousands of nodes; run times
// from seconds to a day; estimates mostly far above the run), and a small one-CPU-a-node
// machine like KTH-SP2's. Deterministic: one seed, no files, no clock.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "sim/driver.h"

namespace {

using sluice::sim::SimConfig;
using sluice::sim::SimJob;

// `count` jobs for a machine of `procs` processors, arriving so as to keep it about `load` busy.
std::vector<SimJob> Workload(uint64_t seed, uint32_t count, uint32_t procs, uint32_t widest_log2,
                             double load) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::vector<SimJob> jobs;
  jobs.reserve(count);
  double work = 0;
  for (uint32_t i = 0; i < count; ++i) {
    SimJob j;
    j.id = i + 1;
    // A third of the jobs ask one processor; the rest 2^U(1, widest), half of them in whole
    // nodes of 16.
    uint32_t p = 1;
    if (unit(rng) > 1.0 / 3) {
      p = static_cast<uint32_t>(std::exp2(1 + unit(rng) * (widest_log2 - 1)));
      if (procs > 1024 && unit(rng) < 0.5) p = std::max<uint32_t>(16, p / 16 * 16);
    }
    j.procs = std::min(p, procs);
    j.run = static_cast<int64_t>(std::exp2(unit(rng) * 16.4));  // 1 s to about a day
    // Estimates: exact for a sixth, up to ten times the run for a third, far above for the rest.
    const double over = unit(rng);
    const double factor = over < 1.0 / 6 ? 1 : over < 0.5 ? 1 + 9 * unit(rng) : 10 + 90 * unit(rng);
    j.estimate = std::clamp<int64_t>(static_cast<int64_t>(j.run * factor), j.run, 86400);
    j.user = static_cast<int64_t>(rng() % 200);
    work += static_cast<double>(j.procs) * static_cast<double>(j.run);
    jobs.push_back(j);
  }
  // Exponential gaps whose mean spreads the work over the span that keeps the machine at `load`.
  const double mean_gap = work / (load * procs) / count;
  std::exponential_distribution<double> gap(1.0 / mean_gap);
  double t = 0;
  for (SimJob& j : jobs) {
    j.submit = static_cast<int64_t>(t);
    t += gap(rng);
  }
  return jobs;
}

}  // namespace

int main() {
  struct Run {
    const char* policy;
    const std::vector<SimJob>& jobs;  // each workload is replayed under every policy
    uint32_t procs, cores_per_node;
  };
  const std::vector<SimJob> wide = Workload(1, 6000, 93312, 14, 0.9);
  const std::vector<SimJob> small = Workload(2, 4000, 128, 7, 0.9);
  const Run runs[] = {
      {"conservative", wide, 93312, 16}, {"easy", wide, 93312, 16}, {"fifo", wide, 93312, 16},
      {"conservative", small, 128, 1},   {"easy", small, 128, 1},   {"fifo", small, 128, 1},
  };
  for (const Run& run : runs) {
    SimConfig config;
    config.policy = run.policy;
    config.machine_procs = run.procs;
    config.cores_per_node = run.cores_per_node;
    auto result = sluice::sim::Simulate(config, run.jobs);
    if (!result.ok()) {
      std::fprintf(stderr, "pgo training: %s\n", result.status().message().c_str());
      return 1;
    }
    std::printf("pgo training: %s on %u processors, %zu jobs, %llu passes\n", run.policy, run.procs,
                result->jobs.size(), static_cast<unsigned long long>(result->passes));
  }
  return 0;
}
