// sluice sim: replays a workload trace through the scheduler in virtual time (src/sim).
#include <chrono>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/cli.h"
#include "common/strings.h"
#include "compat/slurm/slurm_conf.h"
#include "sim/driver.h"
#include "sim/metrics.h"
#include "sim/swf.h"

namespace sluice::cli {
namespace {

constexpr const char* kProg = "sluice sim";

void SimUsage() {
  printf(
      "Usage: sluice sim --trace FILE [--policy fifo|easy|conservative] [--config slurm.conf]\n"
      "                  [--cores-per-node K] [--out DIR] [--json]\n"
      "Replays a Standard Workload Format trace through Sluice's scheduler in virtual time.\n"
      "  --trace FILE        the SWF trace\n"
      "  --policy P          queue policy (default: easy, or the configuration's)\n"
      "  --config FILE       a slurm.conf to simulate instead of the trace's machine\n"
      "  --cores-per-node K  synthetic cluster: K CPUs a node (default 1, a node a processor)\n"
      "  --out DIR           write DIR/jobs.csv (one line a job) and DIR/metrics.json\n"
      "  --json              print the metrics as one JSON object\n");
}

// Fails with the first line of the parser's message only: errors here are one line.
int Fail(const Status& st) {
  std::string m = st.message();
  if (auto nl = m.find('\n'); nl != std::string::npos) m = m.substr(0, nl);
  return Report(kProg, Status(st.code(), m + " (try `sluice sim --help`)"));
}

nlohmann::json MetricsJson(const sim::Metrics& m) {
  return {{"jobs", m.jobs},
          {"avg_wait_s", m.avg_wait_s},
          {"max_wait_s", m.max_wait_s},
          {"avg_flow_s", m.avg_flow_s},
          {"avg_bsld", m.avg_bsld},
          {"max_bsld", m.max_bsld},
          {"utilization", m.utilization},
          {"makespan_s", m.makespan_s},
          {"sim_seconds", m.sim_seconds},
          {"jobs_per_second", m.jobs_per_second}};
}

}  // namespace

int Sim(const Args& args) {
  for (const auto& a : args) {
    if (a == "-h" || a == "--help") {
      SimUsage();
      return 0;
    }
  }
  auto parsed = ParseOptions(kProg, args,
                             {{"trace", 0, true},
                              {"policy", 0, true},
                              {"config", 0, true},
                              {"cores-per-node", 0, true},
                              {"out", 0, true},
                              {"json", 0, false}});
  if (!parsed.ok()) return Fail(parsed.status());
  if (!parsed->positional.empty()) {
    return Fail(InvalidArgument("unexpected argument '" + parsed->positional.front() + "'"));
  }
  if (!parsed->Has("trace") || parsed->Value("trace").empty()) {
    return Fail(InvalidArgument("missing --trace FILE (a Standard Workload Format trace)"));
  }
  sim::SimConfig config;
  config.policy = parsed->Value("policy");
  if (parsed->Has("policy") && config.policy != "fifo" && config.policy != "easy" &&
      config.policy != "conservative") {
    return Fail(
        InvalidArgument("--policy wants fifo, easy or conservative, not '" + config.policy + "'"));
  }
  if (parsed->Has("cores-per-node")) {
    uint64_t k = 0;
    if (!str::ParseUint(parsed->Value("cores-per-node"), &k) || k == 0 || k > 1u << 20) {
      return Fail(InvalidArgument("--cores-per-node wants a positive number of CPUs"));
    }
    if (parsed->Has("config")) {
      return Fail(
          InvalidArgument("--cores-per-node shapes the synthetic cluster; the nodes of "
                          "--config are used as configured"));
    }
    config.cores_per_node = static_cast<uint32_t>(k);
  }
  if (parsed->Has("config")) {
    auto cc = compat::slurm::LoadSlurmConf(parsed->Value("config"));
    if (!cc.ok()) return Fail(cc.status());
    config.cluster = std::move(*cc);
  }
  auto trace = sim::LoadSwf(parsed->Value("trace"));
  if (!trace.ok()) return Fail(trace.status());
  config.machine_procs = sim::MachineProcs(*trace);

  const auto t0 = std::chrono::steady_clock::now();
  auto result = sim::Simulate(config, trace->jobs);
  const auto t1 = std::chrono::steady_clock::now();
  if (!result.ok()) return Fail(result.status());
  sim::Metrics m = sim::ComputeMetrics(*result);
  m.sim_seconds = std::chrono::duration<double>(t1 - t0).count();
  m.jobs_per_second = m.sim_seconds > 0 ? static_cast<double>(m.jobs) / m.sim_seconds : 0;

  const nlohmann::json json = MetricsJson(m);
  if (parsed->Has("out")) {
    const std::string dir = parsed->Value("out");
    if (Status st = sim::WriteJobsCsv(*result, dir); !st.ok()) return Fail(st);
    std::ofstream out(dir + "/metrics.json", std::ios::trunc);
    out << json.dump(2) << '\n';
    out.close();
    if (!out) return Fail(Unavailable("cannot write " + dir + "/metrics.json"));
  }
  // What the cleaning and the cluster left out goes to stderr with --json, so stdout stays one
  // JSON object.
  FILE* notes = parsed->Has("json") ? stderr : stdout;
  fprintf(notes,
          "trace: %llu records, %llu dropped (unknown or non-positive processors or run time), "
          "%llu exact estimates (no requested time), %llu runs capped at the requested time\n",
          static_cast<unsigned long long>(trace->records),
          static_cast<unsigned long long>(trace->dropped),
          static_cast<unsigned long long>(trace->exact_estimates),
          static_cast<unsigned long long>(trace->capped));
  fprintf(notes,
          "cluster: %u processors on %u nodes, policy %s; %llu jobs rejected (never fit), "
          "%llu never started, %llu scheduling passes\n",
          result->machine_procs, result->nodes, result->policy.c_str(),
          static_cast<unsigned long long>(result->rejected),
          static_cast<unsigned long long>(result->unfinished),
          static_cast<unsigned long long>(result->passes));
  if (parsed->Has("json")) {
    printf("%s\n", json.dump().c_str());
    return 0;
  }
  printf("%-16s %llu\n", "jobs", static_cast<unsigned long long>(m.jobs));
  printf("%-16s %.1f\n", "avg_wait_s", m.avg_wait_s);
  printf("%-16s %.0f\n", "max_wait_s", m.max_wait_s);
  printf("%-16s %.1f\n", "avg_flow_s", m.avg_flow_s);
  printf("%-16s %.2f\n", "avg_bsld", m.avg_bsld);
  printf("%-16s %.1f\n", "max_bsld", m.max_bsld);
  printf("%-16s %.4f\n", "utilization", m.utilization);
  printf("%-16s %.0f\n", "makespan_s", m.makespan_s);
  printf("%-16s %.3f\n", "sim_seconds", m.sim_seconds);
  printf("%-16s %.0f\n", "jobs_per_second", m.jobs_per_second);
  return 0;
}

}  // namespace sluice::cli
