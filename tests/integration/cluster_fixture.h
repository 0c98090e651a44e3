// Starts a real local cluster (sluiced + node agents via `sluice up`) in a temporary directory
// and runs the real commands against it.
#pragma once

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <thread>

namespace sluice::testing {

namespace fs = std::filesystem;

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

inline std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline std::string BinDir() {
  const char* d = getenv("SLUICE_BIN_DIR");
  if (d != nullptr) return d;
  return (fs::read_symlink("/proc/self/exe").parent_path().parent_path() / "bin").string();
}

// Polls `cond` every 20 ms until it holds or `timeout` passes.
inline bool WaitFor(const std::function<bool()>& cond,
                    std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return cond();
}

class LocalCluster {
 public:
  // A cluster of `nodes` x `cpus` with KillWait=1, so time limits and cancels end fast.
  // `node_lines`, when given, replaces the NodeName= line (to set features, weights, ...).
  LocalCluster(int nodes, int cpus, const std::string& extra_conf = "",
               const std::string& node_lines = "") {
    char tmpl[] = "/tmp/sluice-it-XXXXXX";
    root_ = mkdtemp(tmpl);
    state_ = root_ + "/state";
    work_ = root_ + "/work";
    fs::create_directories(work_);
    fs::create_directories(state_);
    fs::permissions(state_, fs::perms::owner_all, fs::perm_options::replace);
    std::ofstream conf(state_ + "/slurm.conf");
    conf << "ClusterName=it\nKillWait=1\nMinJobAge=300\n";
    if (node_lines.empty()) {
      conf << "NodeName=n[1-" << nodes << "] CPUs=" << cpus << " RealMemory=4000\n";
    } else {
      conf << node_lines;
    }
    conf << "PartitionName=debug Nodes=ALL Default=YES MaxTime=60 State=UP\n";
    conf << "PartitionName=short Nodes=n1 MaxTime=1 DefaultTime=1 State=UP\n";
    conf << extra_conf;
    conf.close();
    up_ = Run("sluice up");
  }

  ~LocalCluster() {
    Run("sluice down");
    // Anything left (a test killed a daemon) goes by pid too.
    for (const auto& entry : fs::directory_iterator(state_)) {
      if (entry.path().extension() == ".pid") {
        pid_t pid = atoi(ReadAll(entry.path()).c_str());
        if (pid > 0) kill(pid, SIGKILL);
      }
    }
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  // Runs a shell command line with the cluster's commands on PATH, in the work directory.
  CommandResult Run(const std::string& cmd, const std::string& stdin_text = "") const {
    std::string err_file = root_ + "/stderr." + std::to_string(counter_++);
    std::string in_file = root_ + "/stdin." + std::to_string(counter_);
    {
      std::ofstream in(in_file);
      in << stdin_text;
    }
    std::string full = "cd '" + work_ + "' && export PATH='" + BinDir() +
                       "':$PATH SLUICE_STATE_DIR='" + state_ + "' && (" + cmd + ") <'" + in_file +
                       "' 2>'" + err_file + "'";
    FILE* p = popen(full.c_str(), "r");
    CommandResult r;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
    int status = pclose(p);
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.err = ReadAll(err_file);
    return r;
  }

  // Submits with sbatch --parsable; returns the job id (0 on failure).
  int Submit(const std::string& args, const std::string& script = "") const {
    CommandResult r = Run("sbatch --parsable " + args, script);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return atoi(r.out.c_str());
  }

  // The job's state as squeue prints it (%T), including finished jobs.
  std::string State(int job) const {
    CommandResult r = Run("squeue -h -t all -o %T -j " + std::to_string(job));
    std::string s = r.out;
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
  }

  bool WaitForState(int job, const std::string& state,
                    std::chrono::milliseconds timeout = std::chrono::seconds(30)) const {
    return WaitFor([&] { return State(job) == state; }, timeout);
  }

  pid_t ControllerPid() const { return atoi(ReadAll(state_ + "/sluiced.pid").c_str()); }

  // kill -9 of the controller, and once it is gone, `sluice up` to start it again from its
  // journal (the agents and their jobs are left alone). Returns what `sluice up` said, or a
  // failure (exit code -1) if there was no controller to kill.
  CommandResult KillControllerAndRestart() const {
    const pid_t ctld = ControllerPid();
    if (ctld <= 0 || kill(ctld, SIGKILL) != 0 || !WaitFor([&] { return kill(ctld, 0) != 0; })) {
      return {-1, "", "no controller to kill"};
    }
    return Run("sluice up");
  }

  const std::string& work() const { return work_; }
  const std::string& state() const { return state_; }
  const CommandResult& up() const { return up_; }

 private:
  std::string root_, state_, work_;
  CommandResult up_;
  mutable int counter_ = 0;
};

}  // namespace sluice::testing
