// sluice-noded: the node agent.
//   sluice-noded --name NAME [--state-dir DIR] [--cpus N] [--memory MB] [--controller HOST:PORT]
//                [--spool DIR] [--log-file FILE]
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>

#include "common/log.h"
#include "common/signals.h"
#include "noded/agent.h"
#include "noded/inventory.h"
#include "rpc/endpoint.h"

using namespace sluice;

namespace {
int Fail(const std::string& msg) {
  fprintf(stderr, "sluice-noded: error: %s\n", msg.c_str());
  return 1;
}
}  // namespace

int main(int argc, char** argv) {
  std::string name, state_dir, controller, spool, log_file;
  uint32_t cpus = 0;
  uint64_t memory_mb = 0;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        fprintf(stderr, "sluice-noded: error: %s needs a value\n", a.c_str());
        exit(1);
      }
      return argv[++i];
    };
    if (a == "--name")
      name = value();
    else if (a == "--state-dir")
      state_dir = value();
    else if (a == "--controller")
      controller = value();
    else if (a == "--spool")
      spool = value();
    else if (a == "--log-file")
      log_file = value();
    else if (a == "--cpus")
      cpus = static_cast<uint32_t>(std::stoul(value()));
    else if (a == "--memory")
      memory_mb = std::stoull(value());
    else
      return Fail("unknown option '" + a + "'");
  }
  if (!log_file.empty()) log::SetOutput(log_file);
  if (state_dir.empty()) state_dir = rpc::DefaultStateDir();
  if (name.empty()) {
    char host[256] = {};
    gethostname(host, sizeof host - 1);
    name = host;
    if (auto dot = name.find('.'); dot != std::string::npos) name.resize(dot);
  }
  auto endpoint = rpc::ReadEndpoint(state_dir);
  if (!endpoint.ok()) return Fail(endpoint.status().message());
  if (controller.empty()) controller = endpoint->grpc;
  if (spool.empty()) spool = state_dir + "/nodes/" + name;
  if (Status st = rpc::EnsurePrivateDir(spool); !st.ok()) return Fail(st.message());

  const sigset_t stop_signals = BlockStopSignals();

  noded::AgentOptions options;
  options.controller = controller;
  options.token = endpoint->token;
  options.spool_dir = spool;
  options.stepd_path =
      (std::filesystem::read_symlink("/proc/self/exe").parent_path() / "sluice-stepd").string();
  options.inventory = noded::DetectInventory(name, cpus, memory_mb);
  noded::Agent agent(options);

  const std::string pid_file = state_dir + "/noded-" + name + ".pid";
  if (Status st = rpc::WriteFileAtomic(pid_file, std::to_string(getpid()) + "\n"); !st.ok()) {
    return Fail(st.message());
  }
  SLOG_INFO("noded")
      .Msg("started")
      .Kv("node", name)
      .Kv("cpus", options.inventory.cpus)
      .Kv("memory_mb", options.inventory.memory_mb);
  std::thread waiter([&] {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    SLOG_INFO("noded").Msg("stopping; jobs keep running").Kv("node", name);
    agent.Stop();
  });
  agent.Run();
  waiter.join();
  unlink(pid_file.c_str());
  return 0;
}
