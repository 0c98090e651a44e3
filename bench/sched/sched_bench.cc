// Scheduler pass benchmark: a 10,000-node cluster about 80% busy, queues of 1,000 to 100,000
// pending jobs of mixed shapes (whole-GPU and MPS jobs among them; a quarter of the nodes have
// four GPUs, some held whole, some shared); one full pass per policy and queue length, one JSON
// line each.
//
// Shapes are drawn from round numbers (1-16 cores, 1-64 nodes, 10 minutes to a day), as users
// ask for them; the fixed seed makes runs comparable.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <random>
#include <vector>

#include "core/sched/scheduler.h"

namespace sched = sluice::core::sched;

namespace {

constexpr uint32_t kNodes = 10000;
constexpr uint32_t kCpus = 64;
constexpr uint64_t kMem = 256 * 1024;
constexpr sluice::UnixTime kNow = 1'700'000'000;

struct Cluster {
  std::vector<sched::NodeInfo> nodes;
  std::vector<sched::RunningJob> running;
  std::vector<std::vector<uint32_t>> sets;  // 0: all nodes, 1: GPU nodes
};

template <typename T>
T Pick(std::mt19937_64& rng, std::initializer_list<T> v) {
  return v.begin()[rng() % v.size()];
}

Cluster MakeCluster(std::mt19937_64& rng) {
  std::mt19937_64 gpu_rng(1);  // GPU use of running jobs, apart from the shapes' generator
  Cluster c;
  c.sets.resize(2);
  for (uint32_t i = 0; i < kNodes; ++i) {
    sched::NodeInfo n;
    n.name = "n" + std::to_string(i);
    n.total = {kCpus, kMem, 0};
    n.free = n.total;
    if (i % 4 == 0) {  // four GPUs on two sockets
      std::vector<sluice::core::model::Gpu> gpus(4);
      for (uint32_t g = 0; g < 4; ++g) {
        gpus[g].index = g;
        gpus[g].type = "h100";
        gpus[g].memory_mb = 80 * 1024;
        gpus[g].socket = g / 2;
      }
      sched::SetGpus(&n, std::move(gpus));
    }
    c.nodes.push_back(n);
    c.sets[0].push_back(i);
    if (n.total.gpus > 0) c.sets[1].push_back(i);
  }
  sluice::core::model::JobId id = 1;
  auto remaining = [&] { return static_cast<sluice::Seconds>(60 + rng() % 86400); };
  // A tenth of the nodes run whole-node multi-node jobs; the rest hold small jobs to ~80%.
  uint32_t i = 0;
  while (i < kNodes / 10) {
    uint32_t span = Pick(rng, {1u, 2u, 4u, 8u, 16u});
    sched::RunningJob r{id++, kNow + remaining(), {}};
    for (uint32_t k = 0; k < span && i < kNodes / 10; ++k, ++i) {
      r.alloc.emplace_back(i, c.nodes[i].total);
      c.nodes[i].free = {};
      for (auto& g : c.nodes[i].gpus) g.whole = true;
    }
    c.running.push_back(std::move(r));
  }
  for (auto& n : c.nodes) {
    if (!n.gpus.empty()) sched::SetGpus(&n, n.gpus);
  }
  for (; i < kNodes; ++i) {
    auto& n = c.nodes[i];
    const uint32_t target = static_cast<uint32_t>(kCpus * (0.6 + 0.35 * (rng() % 1000) / 1000.0));
    while (kCpus - n.free.cpus < target) {
      uint32_t cpus = std::min(Pick(rng, {1u, 2u, 4u, 8u, 16u}), n.free.cpus);
      sched::Resources r{cpus, uint64_t{cpus} * 4000, 0};
      // A third of the jobs on GPU nodes hold a whole GPU, about a sixth an MPS share of one.
      if (n.free.gpus > 0 && rng() % 3 == 0) {
        r.gpus = 1;
        for (auto& g : n.gpus) {
          if (!g.whole && g.shares_used == 0) {
            g.whole = true;
            break;
          }
        }
      } else if (!n.gpus.empty() && gpu_rng() % 4 == 0) {
        for (auto& g : n.gpus) {
          if (!g.whole && g.shares_used + 25 <= g.share_capacity) {
            g.shares_used += 25;
            g.memory_used_mb += 10 * 1024;
            break;
          }
        }
      }
      n.free -= r;
      c.running.push_back({id++, kNow + remaining(), {{i, r}}});
    }
  }
  return c;
}

std::vector<sched::JobRequest> MakeQueue(std::mt19937_64& rng, uint32_t count) {
  std::mt19937_64 gpu_rng(count);
  std::vector<sched::JobRequest> q;
  q.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    sched::JobRequest j;
    j.id = 1'000'000 + i;
    j.candidate_set = 0;
    j.time_limit = Pick<sluice::Seconds>(rng, {600, 1800, 3600, 7200, 14400, 43200, 86400});
    j.mem_per_cpu_mb = 4000;
    const uint32_t kind = rng() % 100;
    if (kind < 60) {  // small, one node
      j.tasks = Pick(rng, {1u, 1u, 2u, 4u, 8u, 16u});
      j.cpus_per_task = Pick(rng, {1u, 1u, 2u});
    } else if (kind < 80) {  // a few full nodes of tasks
      j.nodes = Pick(rng, {1u, 2u, 4u, 8u});
      j.tasks_per_node = Pick(rng, {32u, 64u});
    } else if (kind < 88) {  // large exclusive
      j.nodes = Pick(rng, {16u, 32u, 64u});
      j.tasks_per_node = kCpus;
      j.exclusive = true;
    } else if (kind < 96) {  // GPU
      j.candidate_set = 1;
      j.tasks = Pick(rng, {1u, 2u, 4u});
      j.cpus_per_task = 4;
      j.gpus_per_node = Pick(rng, {1u, 1u, 2u, 4u});
      if (kind >= 93) {  // an MPS share of one GPU instead (own generator: same other jobs)
        j.tasks = 1;
        j.gpus_per_node = 0;
        j.mps_percent = Pick(gpu_rng, {10u, 25u, 25u, 50u});
        j.gpu_memory_mb = Pick<uint64_t>(gpu_rng, {0, 8192, 20480});
      }
    } else {  // many tasks, as few nodes as fit
      j.tasks = Pick(rng, {96u, 128u, 256u});
    }
    q.push_back(std::move(j));
  }
  return q;
}

}  // namespace

int main() {
  std::mt19937_64 rng(20240611);
  const Cluster cluster = MakeCluster(rng);
  std::vector<std::vector<sched::JobRequest>> queues;
  for (uint32_t n : {1000u, 10000u, 100000u}) queues.push_back(MakeQueue(rng, n));
  const std::pair<const char*, sched::Options::Policy> policies[] = {
      {"fifo", sched::Options::Policy::kFifo},
      {"easy", sched::Options::Policy::kEasy},
      {"conservative", sched::Options::Policy::kConservative}};
  for (const auto& [name, policy] : policies) {
    for (const auto& queue : queues) {
      sched::Options opt;
      opt.policy = policy;
      if (policy == sched::Options::Policy::kConservative) opt.bf_max_job_test = 1000;
      sched::PassStats stats;
      const auto t0 = std::chrono::steady_clock::now();
      auto decisions =
          sched::RunPass(opt, kNow, cluster.nodes, cluster.running, queue, cluster.sets, &stats);
      const auto t1 = std::chrono::steady_clock::now();
      rusage ru{};
      getrusage(RUSAGE_SELF, &ru);
      std::printf(
          "{\"policy\":\"%s\",\"nodes\":%u,\"jobs\":%zu,\"pass_seconds\":%.4f,\"peak_rss_mb\":%ld,"
          "\"started\":%u,\"reserved\":%u,\"running\":%zu}\n",
          name, kNodes, queue.size(), std::chrono::duration<double>(t1 - t0).count(),
          ru.ru_maxrss / 1024, stats.started, stats.reserved, cluster.running.size());
      std::fflush(stdout);
    }
  }
  return 0;
}
