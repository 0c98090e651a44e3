// sluice up / down / status: a local cluster of one controller and N agents on this host, run as
// the invoking user, with its state in a private directory.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>

#include "cli/cli.h"
#include "common/strings.h"
#include "compat/slurm/slurm_conf.h"
#include "rpc/endpoint.h"
#include "sluice/v1/jobs.pb.h"
#include "sluice/v1/nodes.pb.h"

namespace sluice::cli {

namespace fs = std::filesystem;

namespace {

std::string BinDir() { return fs::read_symlink("/proc/self/exe").parent_path().string(); }

// The pid in `pid_file` if that process is alive and is one of ours.
pid_t LivePid(const std::string& pid_file) {
  auto text = rpc::ReadFile(pid_file);
  if (!text.ok()) return 0;
  uint64_t pid = 0;
  if (!str::ParseUint(str::Trim(*text), &pid) || pid == 0) return 0;
  if (kill(static_cast<pid_t>(pid), 0) != 0) return 0;
  auto cmdline = rpc::ReadFile("/proc/" + std::to_string(pid) + "/cmdline");
  if (!cmdline.ok() || cmdline->find("sluice") == std::string::npos) return 0;  // pid reused
  return static_cast<pid_t>(pid);
}

bool WaitFor(const std::function<bool()>& cond, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return cond();
}

// Starts `argv` detached (own session, output to `log`) and returns its pid.
Result<pid_t> Spawn(const std::vector<std::string>& argv, const std::string& log) {
  pid_t pid = fork();
  if (pid < 0) return Internal("fork failed");
  if (pid == 0) {
    setsid();
    int devnull = open("/dev/null", O_RDONLY);
    int out = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    dup2(devnull, 0);
    if (out >= 0) {
      dup2(out, 1);
      dup2(out, 2);
    }
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  return pid;
}

std::string Tail(const std::string& path) {
  auto text = rpc::ReadFile(path);
  if (!text.ok()) return "";
  auto lines = str::Split(*text, '\n');
  std::string out;
  for (size_t i = lines.size() > 6 ? lines.size() - 6 : 0; i < lines.size(); ++i) {
    if (!lines[i].empty()) out += "  " + lines[i] + "\n";
  }
  return out;
}

// Starts a daemon and waits until it has written its pid file.
Status StartDaemon(const std::vector<std::string>& argv, const std::string& pid_file,
                   const std::string& log, const std::string& what) {
  auto pid = Spawn(argv, log);
  if (!pid.ok()) return pid.status();
  bool exited = false;
  bool ready = WaitFor(
      [&] {
        int status = 0;
        if (waitpid(*pid, &status, WNOHANG) == *pid) exited = true;
        return exited || LivePid(pid_file) == *pid;
      },
      std::chrono::seconds(15));
  if (exited || !ready) {
    if (!exited) kill(*pid, SIGKILL);
    return Unavailable(what + " did not start; its log (" + log + ") ends with:\n" + Tail(log));
  }
  return Status::Ok();
}

uint64_t HostMemoryMb() {
  return static_cast<uint64_t>(sysconf(_SC_PHYS_PAGES)) *
             static_cast<uint64_t>(sysconf(_SC_PAGESIZE)) >>
         20;
}

std::string StateDirFrom(const ParsedArgs& parsed) {
  if (parsed.Has("state-dir")) {
    return fs::absolute(parsed.Value("state-dir")).lexically_normal().string();
  }
  return rpc::DefaultStateDir();
}

}  // namespace

int Up(const Args& args) {
  auto parsed = ParseOptions("sluice up", args,
                             {{"nodes", 'N', true},
                              {"cpus", 'c', true},
                              {"memory", 'm', true},
                              {"gpus", 'g', true},
                              {"state-dir", 0, true}});
  if (!parsed.ok()) return Report("sluice up", parsed.status());
  uint64_t nodes = 4, cpus = std::max<long>(sysconf(_SC_NPROCESSORS_ONLN), 1), memory = 0;
  if (parsed->Has("nodes") && (!str::ParseUint(parsed->Value("nodes"), &nodes) || nodes == 0)) {
    return Report("sluice up", InvalidArgument("--nodes wants a positive number"));
  }
  if (parsed->Has("cpus") && (!str::ParseUint(parsed->Value("cpus"), &cpus) || cpus == 0)) {
    return Report("sluice up", InvalidArgument("--cpus wants a positive number"));
  }
  if (parsed->Has("memory") && (!str::ParseUint(parsed->Value("memory"), &memory) || memory == 0)) {
    return Report("sluice up", InvalidArgument("--memory wants a positive number of MB"));
  }
  uint64_t gpus = 0;
  if (parsed->Has("gpus") && !str::ParseUint(parsed->Value("gpus"), &gpus)) {
    return Report("sluice up", InvalidArgument("--gpus wants a number of GPUs per node"));
  }
  if (memory == 0) memory = std::max<uint64_t>(HostMemoryMb() / nodes, 1);
  const std::string dir = StateDirFrom(*parsed);
  if (Status st = rpc::EnsurePrivateDir(dir); !st.ok()) return Report("sluice up", st);

  // The cluster's configuration is a slurm.conf; one written before `up` is used as it is.
  const std::string conf_path = dir + "/slurm.conf";
  if (!fs::exists(conf_path)) {
    const std::string names = nodes == 1 ? "n1" : "n[1-" + std::to_string(nodes) + "]";
    const std::string conf =
        "# Written by `sluice up`; edit it and run `sluice down; sluice up` to change the "
        "cluster.\nClusterName=sluice\nKillWait=30\nMinJobAge=300\nSlurmdTimeout=300\n"
        "NodeName=" +
        names + " CPUs=" + std::to_string(cpus) + " RealMemory=" + std::to_string(memory) +
        (gpus > 0 ? " Gres=gpu:" + std::to_string(gpus) + " GpuMemory=16G" : std::string()) +
        "\nPartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP\n";
    if (Status st = rpc::WriteFileAtomic(conf_path, conf, 0600); !st.ok()) {
      return Report("sluice up", st);
    }
  }
  auto config = compat::slurm::LoadSlurmConf(conf_path);
  if (!config.ok()) return Report("sluice up", config.status());

  const std::string bin = BinDir();
  const std::string ctld_pid = dir + "/" + rpc::kControllerPidFile;
  if (LivePid(ctld_pid) == 0) {
    if (Status st =
            StartDaemon({bin + "/sluiced", "--state-dir", dir, "--log-file", dir + "/sluiced.log"},
                        ctld_pid, dir + "/sluiced.log", "sluiced");
        !st.ok()) {
      return Report("sluice up", st);
    }
  }
  for (const auto& node : config->nodes) {
    const std::string pid_file = dir + "/noded-" + node.name + ".pid";
    if (LivePid(pid_file) != 0) continue;  // a running agent keeps its jobs; leave it alone
    const std::string log = dir + "/noded-" + node.name + ".log";
    if (Status st = StartDaemon({bin + "/sluice-noded", "--state-dir", dir, "--name", node.name,
                                 "--cpus", std::to_string(node.cpus), "--memory",
                                 std::to_string(node.memory_mb), "--log-file", log},
                                pid_file, log, "sluice-noded " + node.name);
        !st.ok()) {
      return Report("sluice up", st);
    }
  }
  // Ready when every configured node's agent is connected.
  auto endpoint = rpc::ReadEndpoint(dir);
  if (!endpoint.ok()) return Report("sluice up", endpoint.status());
  rpc::RestClient client(*endpoint);
  size_t responding = 0;
  WaitFor(
      [&] {
        v1::ListNodesResponse resp;
        if (!client.Call("GET", "/api/v1/nodes", nullptr, &resp).ok()) return false;
        responding = 0;
        for (const auto& n : resp.nodes()) responding += n.responding() ? 1 : 0;
        return responding >= config->nodes.size();
      },
      std::chrono::seconds(15));
  if (responding < config->nodes.size()) {
    return Report("sluice up", Unavailable("only " + std::to_string(responding) + " of " +
                                           std::to_string(config->nodes.size()) +
                                           " node agents connected; see " + dir + "/noded-*.log"));
  }
  const auto& n0 = config->nodes.front();
  printf("Sluice cluster up: %zu nodes (%u CPUs, %lu MB each), controller at http://%s\n",
         config->nodes.size(), n0.cpus, static_cast<unsigned long>(n0.memory_mb),
         endpoint->rest.c_str());
  printf("State, logs and journal in %s\n", dir.c_str());
  printf("Put sbatch, squeue, sinfo, scancel and scontrol in reach with:\n");
  printf("  export PATH=%s:$PATH SLUICE_STATE_DIR=%s\n", bin.c_str(), dir.c_str());
  printf("Stop it with: sluice down\n");
  return 0;
}

int Down(const Args& args) {
  auto parsed = ParseOptions("sluice down", args, {{"state-dir", 0, true}});
  if (!parsed.ok()) return Report("sluice down", parsed.status());
  const std::string dir = StateDirFrom(*parsed);
  if (!fs::exists(dir)) return Report("sluice down", NotFound("no cluster state in " + dir));
  // Cancel what still runs, so no job outlives the cluster, then stop the daemons by pid.
  if (auto endpoint = rpc::ReadEndpoint(dir); endpoint.ok() && LivePid(dir + "/sluiced.pid")) {
    rpc::RestClient client(*endpoint);
    v1::CancelJobsRequest req;
    req.mutable_filter()->add_states(v1::JOB_STATE_PENDING);
    req.mutable_filter()->add_states(v1::JOB_STATE_RUNNING);
    v1::CancelJobsResponse resp;
    (void)client.Call("POST", "/api/v1/jobs:cancel", &req, &resp);
    WaitFor(
        [&] {
          v1::ListJobsResponse jobs;
          return client.Call("GET", "/api/v1/jobs", nullptr, &jobs).ok() && jobs.jobs_size() == 0;
        },
        std::chrono::seconds(10));
  }
  std::vector<std::pair<std::string, pid_t>> daemons;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string file = entry.path().filename().string();
    if (file.size() > 4 && file.substr(file.size() - 4) == ".pid") {
      if (pid_t pid = LivePid(entry.path().string())) daemons.emplace_back(file, pid);
    }
  }
  // Agents first, so none sees the controller vanish and tries to reconnect.
  std::stable_sort(daemons.begin(), daemons.end(), [](const auto& a, const auto& b) {
    return a.first != "sluiced.pid" && b.first == "sluiced.pid";
  });
  for (const auto& [file, pid] : daemons) kill(pid, SIGTERM);
  for (const auto& [file, pid] : daemons) {
    if (!WaitFor([pid = pid] { return kill(pid, 0) != 0; }, std::chrono::seconds(10))) {
      kill(pid, SIGKILL);
    }
  }
  printf("Stopped %zu daemons in %s\n", daemons.size(), dir.c_str());
  return 0;
}

int StatusCommand(const Args& args) {
  auto parsed = ParseOptions("sluice status", args, {{"state-dir", 0, true}});
  if (!parsed.ok()) return Report("sluice status", parsed.status());
  const std::string dir = StateDirFrom(*parsed);
  pid_t ctld = LivePid(dir + "/" + rpc::kControllerPidFile);
  printf("state directory: %s\n", dir.c_str());
  if (ctld == 0) {
    printf("controller: not running\n");
    return 1;
  }
  auto endpoint = rpc::ReadEndpoint(dir);
  if (!endpoint.ok()) return Report("sluice status", endpoint.status());
  printf("controller: running (pid %d), REST http://%s, gRPC %s\n", ctld, endpoint->rest.c_str(),
         endpoint->grpc.c_str());
  rpc::RestClient client(*endpoint);
  v1::ListNodesResponse nodes;
  if (Status st = client.Call("GET", "/api/v1/nodes", nullptr, &nodes); !st.ok()) {
    return Report("sluice status", st);
  }
  for (const auto& n : nodes.nodes()) {
    pid_t agent = LivePid(dir + "/noded-" + n.name() + ".pid");
    printf("node %s: %s, %u/%u CPUs allocated, agent %s\n", n.name().c_str(),
           n.responding() ? "responding" : "not responding", n.alloc_cpus(), n.cpus(),
           agent != 0 ? ("pid " + std::to_string(agent)).c_str() : "not running here");
  }
  v1::ListJobsResponse jobs;
  if (Status st = client.Call("GET", "/api/v1/jobs", nullptr, &jobs); !st.ok()) {
    return Report("sluice status", st);
  }
  int pending = 0, running = 0;
  for (const auto& j : jobs.jobs()) {
    pending += j.state() == v1::JOB_STATE_PENDING;
    running += j.state() == v1::JOB_STATE_RUNNING || j.state() == v1::JOB_STATE_COMPLETING;
  }
  printf("jobs: %d pending, %d running\n", pending, running);
  return 0;
}

}  // namespace sluice::cli
