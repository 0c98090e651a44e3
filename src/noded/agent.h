// The node agent: registers with the controller, holds one gRPC stream open, launches jobs
// through JobRunner and reports how they end. Jobs outlive the agent and the controller.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "core/cluster/commands.h"
#include "exec/job_runner.h"

namespace sluice::noded {

struct AgentOptions {
  std::string controller;  // host:port of the controller's gRPC API
  std::string token;
  std::string spool_dir;
  std::string stepd_path;
  core::cluster::NodeInventory inventory;
  int heartbeat_s = 30;
};

class Agent {
 public:
  explicit Agent(AgentOptions options);
  ~Agent();

  // Connects, and reconnects whenever the controller goes away, until Stop().
  void Run();
  void Stop();

 private:
  struct Session;
  void RunSession();

  AgentOptions options_;
  exec::JobRunner runner_;
  std::atomic<bool> stopping_{false};
  std::mutex session_mu_;
  Session* session_ = nullptr;  // the live connection, for Stop()
};

}  // namespace sluice::noded
