// sluice sim: replays a workload trace through the scheduler in virtual time (src/sim).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cli/cli.h"
#include "common/memory.h"
#include "common/strings.h"
#include "compat/slurm/slurm_conf.h"
#include "core/model/node.h"
#include "sim/driver.h"
#include "sim/metrics.h"
#include "sim/plot.h"
#include "sim/swf.h"
#include "sim/trace.h"

namespace sluice::cli {
namespace {

constexpr const char* kProg = "sluice sim";

void SimUsage() {
  printf(
      "Usage: sluice sim --trace FILE [--policy P | --compare P1,P2,..] [--config slurm.conf]\n"
      "                  [--cores-per-node K] [--format swf|jobs|sacct] [--out DIR] [--json]\n"
      "Replays a workload trace through Sluice's scheduler in virtual time.\n"
      "  --trace FILE        an SWF trace, JSON lines of sbatch options and run times, or\n"
      "                      sacct -P output (Sluice's accounting export); the last two need\n"
      "                      --config\n"
      "  --format F          the trace's format: swf, jobs or sacct (default: told from FILE)\n"
      "  --policy P          queue policy: fifo, easy or conservative (default: easy, or the\n"
      "                      configuration's)\n"
      "  --compare P1,P2,..  run each listed policy on the trace and compare them (no --policy)\n"
      "  --config FILE       a slurm.conf to simulate instead of the trace's machine\n"
      "  --cores-per-node K  synthetic cluster: K CPUs a node (default 1, a node a processor)\n"
      "  --out DIR           write DIR/jobs.csv (one line a job), DIR/metrics.json, charts\n"
      "                      (utilization.svg, queue.svg, wait_cdf.svg) and DIR/index.html;\n"
      "                      with --compare, each policy's jobs.csv and metrics.json go in\n"
      "                      DIR/<policy>/ and the charts draw every policy\n"
      "  --json              print the metrics as one JSON object (with --compare, one object\n"
      "                      keyed by policy)\n");
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

bool KnownPolicy(const std::string& p) { return p == "fifo" || p == "easy" || p == "conservative"; }

// --compare's list: known policies, each once.
Result<std::vector<std::string>> ParseCompare(const std::string& list) {
  std::vector<std::string> policies;
  size_t from = 0;
  while (true) {
    const size_t comma = list.find(',', from);
    std::string p = list.substr(from, comma == std::string::npos ? comma : comma - from);
    if (!KnownPolicy(p)) {
      return InvalidArgument("--compare wants policies from fifo, easy and conservative, " +
                             ("not '" + p + "'"));
    }
    if (std::find(policies.begin(), policies.end(), p) != policies.end()) {
      return InvalidArgument("--compare lists '" + p + "' twice");
    }
    policies.push_back(std::move(p));
    if (comma == std::string::npos) return policies;
    from = comma + 1;
  }
}

// One policy's replay and what it measured.
struct PolicyRun {
  sim::SimResult result;
  sim::Metrics metrics;
};

// DIR/jobs.csv and DIR/metrics.json of one run.
Status WriteRunFiles(const PolicyRun& run, const std::string& dir) {
  SLUICE_RETURN_IF_ERROR(sim::WriteJobsCsv(run.result, dir));
  const std::string path = dir + "/metrics.json";
  std::ofstream out(path, std::ios::trunc);
  out << MetricsJson(run.metrics).dump(2) << '\n';
  out.close();
  if (!out) return Unavailable("cannot write " + path);
  return Status::Ok();
}

std::string Fixed(double v, int decimals) {
  char buf[64];
  snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

// One run's metrics as printed: name, value.
std::vector<std::pair<const char*, std::string>> MetricRows(const sim::Metrics& m) {
  return {
      {"jobs", std::to_string(m.jobs)},         {"avg_wait_s", Fixed(m.avg_wait_s, 1)},
      {"max_wait_s", Fixed(m.max_wait_s, 0)},   {"avg_flow_s", Fixed(m.avg_flow_s, 1)},
      {"avg_bsld", Fixed(m.avg_bsld, 2)},       {"max_bsld", Fixed(m.max_bsld, 1)},
      {"utilization", Fixed(m.utilization, 4)}, {"makespan_s", Fixed(m.makespan_s, 0)},
      {"sim_seconds", Fixed(m.sim_seconds, 3)}, {"jobs_per_second", Fixed(m.jobs_per_second, 0)},
  };
}

// The metrics as text, one line a metric; `by_policy`: a header line of policy names and one
// column a run.
void PrintMetrics(const std::vector<PolicyRun>& runs, bool by_policy) {
  std::vector<std::vector<std::pair<const char*, std::string>>> columns;
  for (const PolicyRun& run : runs) columns.push_back(MetricRows(run.metrics));
  if (by_policy) {
    printf("%-16s", "policy");
    for (const PolicyRun& run : runs) printf(" %14s", run.result.policy.c_str());
    printf("\n");
  }
  for (size_t row = 0; row < columns.front().size(); ++row) {
    printf("%-16s", columns.front()[row].first);
    for (const auto& column : columns) {
      if (by_policy) {
        printf(" %14s", column[row].second.c_str());
      } else {
        printf(" %s", column[row].second.c_str());
      }
    }
    printf("\n");
  }
}

}  // namespace

int Sim(const Args& args) {
  // A replay touches tens of MB of tables in no particular order: on 2 MiB pages it takes a few
  // percent less time (fewer page faults and TLB misses). Where the kernel refuses, nothing else
  // changes.
  memory::PreferHugePages(size_t{256} << 20);
  for (const auto& a : args) {
    if (a == "-h" || a == "--help") {
      SimUsage();
      return 0;
    }
  }
  auto parsed = ParseOptions(kProg, args,
                             {{"trace", 0, true},
                              {"policy", 0, true},
                              {"compare", 0, true},
                              {"config", 0, true},
                              {"cores-per-node", 0, true},
                              {"format", 0, true},
                              {"out", 0, true},
                              {"json", 0, false}});
  if (!parsed.ok()) return Fail(parsed.status());
  if (!parsed->positional.empty()) {
    return Fail(InvalidArgument("unexpected argument '" + parsed->positional.front() + "'"));
  }
  if (!parsed->Has("trace") || parsed->Value("trace").empty()) {
    return Fail(InvalidArgument("missing --trace FILE (an SWF trace, job descriptions or sacct)"));
  }
  sim::SimConfig config;
  config.policy = parsed->Value("policy");
  if (parsed->Has("policy") && !KnownPolicy(config.policy)) {
    return Fail(
        InvalidArgument("--policy wants fifo, easy or conservative, not '" + config.policy + "'"));
  }
  // The policies to replay: --compare's list, else --policy's one (empty: the default).
  const bool compare = parsed->Has("compare");
  std::vector<std::string> policies = {config.policy};
  if (compare) {
    if (parsed->Has("policy")) {
      return Fail(InvalidArgument("--compare names the policies to run; leave out --policy"));
    }
    auto list = ParseCompare(parsed->Value("compare"));
    if (!list.ok()) return Fail(list.status());
    policies = std::move(*list);
  }
  if (parsed->Has("cores-per-node")) {
    uint64_t k = 0;
    if (!str::ParseUint(parsed->Value("cores-per-node"), &k) || k == 0 ||
        k > core::model::kMaxNodeCpus) {
      return Fail(InvalidArgument("--cores-per-node wants a positive number of CPUs, at most " +
                                  std::to_string(core::model::kMaxNodeCpus)));
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
  std::optional<sim::TraceFormat> format;
  if (parsed->Has("format")) {
    format = sim::ParseTraceFormat(parsed->Value("format"));
    if (!format) {
      return Fail(InvalidArgument("--format wants swf, jobs or sacct, not '" +
                                  parsed->Value("format") + "'"));
    }
  }
  auto trace =
      sim::LoadTrace(parsed->Value("trace"), format, config.cluster ? &*config.cluster : nullptr);
  if (!trace.ok()) return Fail(trace.status());
  config.machine_procs = trace->machine_procs;

  // Every policy replays the same trace on the same configuration.
  std::vector<PolicyRun> runs;
  for (const std::string& policy : policies) {
    config.policy = policy;
    const auto t0 = std::chrono::steady_clock::now();
    auto result = sim::Simulate(config, trace->jobs);
    const auto t1 = std::chrono::steady_clock::now();
    if (!result.ok()) return Fail(result.status());
    PolicyRun& run = runs.emplace_back(PolicyRun{std::move(*result), {}});
    sim::Metrics& m = run.metrics;
    m = sim::ComputeMetrics(run.result);
    m.sim_seconds = std::chrono::duration<double>(t1 - t0).count();
    m.jobs_per_second = m.sim_seconds > 0 ? static_cast<double>(m.jobs) / m.sim_seconds : 0;
  }

  if (parsed->Has("out")) {
    const std::string dir = parsed->Value("out");
    std::vector<sim::PlotRun> plots;
    for (const PolicyRun& run : runs) {
      // A comparison keeps each policy's files apart; the charts draw them all.
      const std::string run_dir = compare ? dir + "/" + run.result.policy : dir;
      if (Status st = WriteRunFiles(run, run_dir); !st.ok()) return Fail(st);
      plots.push_back({run.result.policy, &run.result, run.metrics});
    }
    const std::string trace_name =
        std::filesystem::path(parsed->Value("trace")).filename().string();
    if (Status st = sim::WritePlots(trace_name, plots, dir); !st.ok()) return Fail(st);
  }
  // What the cleaning and the cluster left out goes to stderr with --json, so stdout stays one
  // JSON object.
  FILE* notes = parsed->Has("json") ? stderr : stdout;
  fprintf(notes, "%s\n", trace->notes.c_str());
  for (const PolicyRun& run : runs) {
    const sim::SimResult& r = run.result;
    fprintf(notes,
            "cluster: %u processors on %u nodes, policy %s; %llu jobs rejected (never fit), "
            "%llu never started, %llu scheduling passes\n",
            r.machine_procs, r.nodes, r.policy.c_str(), static_cast<unsigned long long>(r.rejected),
            static_cast<unsigned long long>(r.unfinished),
            static_cast<unsigned long long>(r.passes));
  }
  if (parsed->Has("json")) {
    nlohmann::json json = MetricsJson(runs.front().metrics);
    if (compare) {
      json = nlohmann::json::object();
      for (const PolicyRun& run : runs) json[run.result.policy] = MetricsJson(run.metrics);
    }
    printf("%s\n", json.dump().c_str());
    return 0;
  }
  PrintMetrics(runs, compare);
  return 0;
}

}  // namespace sluice::cli
