// sluiced: the controller daemon.
//   sluiced --state-dir DIR [--config FILE] [--listen HOST] [--rest-port N] [--grpc-port N]
//           [--log-file FILE]
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "common/log.h"
#include "common/signals.h"
#include "compat/slurm/slurm_conf.h"
#include "ctld/controller.h"
#include "ctld/grpc_server.h"
#include "ctld/rest_server.h"
#include "rpc/endpoint.h"

using namespace sluice;

namespace {

int Fail(const std::string& msg) {
  fprintf(stderr, "sluiced: error: %s\n", msg.c_str());
  return 1;
}

int PortOf(const std::string& hostport) {
  auto pos = hostport.rfind(':');
  return pos == std::string::npos ? 0 : atoi(hostport.c_str() + pos + 1);
}

}  // namespace

int main(int argc, char** argv) {
  std::string state_dir, config_path, listen = "127.0.0.1", log_file;
  int rest_port = -1, grpc_port = -1;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](const char* name) -> std::string {
      if (i + 1 >= argc) {
        fprintf(stderr, "sluiced: error: %s needs a value\n", name);
        exit(1);
      }
      return argv[++i];
    };
    if (a == "--state-dir")
      state_dir = value("--state-dir");
    else if (a == "--config")
      config_path = value("--config");
    else if (a == "--listen")
      listen = value("--listen");
    else if (a == "--rest-port")
      rest_port = atoi(value("--rest-port").c_str());
    else if (a == "--grpc-port")
      grpc_port = atoi(value("--grpc-port").c_str());
    else if (a == "--log-file")
      log_file = value("--log-file");
    else
      return Fail("unknown option '" + a + "'");
  }
  if (state_dir.empty()) state_dir = rpc::DefaultStateDir();
  if (config_path.empty()) config_path = state_dir + "/slurm.conf";
  if (!log_file.empty()) log::SetOutput(log_file);

  if (Status st = rpc::EnsurePrivateDir(state_dir); !st.ok()) return Fail(st.message());
  auto config = compat::slurm::LoadSlurmConf(config_path);
  if (!config.ok()) return Fail(config.status().message());
  if (Status st = core::cluster::ClusterState::Validate(*config); !st.ok()) {
    return Fail(config_path + ": " + st.message());
  }
  auto token = rpc::EnsureToken(state_dir);
  if (!token.ok()) return Fail(token.status().message());
  // A restart listens where the agents and the CLI already look.
  if (auto previous = rpc::ReadEndpoint(state_dir); previous.ok()) {
    if (rest_port < 0) rest_port = PortOf(previous->rest);
    if (grpc_port < 0) grpc_port = PortOf(previous->grpc);
  }
  rest_port = std::max(rest_port, 0);
  grpc_port = std::max(grpc_port, 0);

  auto journal = store::Journal::Open(state_dir + "/journal.db");
  if (!journal.ok()) return Fail(journal.status().message());
  auto accounting = store::AccountingStore::Open(state_dir + "/accounting.db");
  if (!accounting.ok()) return Fail(accounting.status().message());
  auto controller =
      ctld::Controller::Create(std::move(*config), std::move(*journal), std::move(*accounting));
  if (!controller.ok()) return Fail(controller.status().message());

  // Every thread started from here on inherits the blocked signals; main waits for them.
  const sigset_t stop_signals = BlockStopSignals();

  (*controller)->Start();
  ctld::Api api(controller->get());
  ctld::GrpcServer grpc_server(&api, *token);
  int grpc_bound = 0;
  if (Status st = grpc_server.Start(listen + ":" + std::to_string(grpc_port), &grpc_bound);
      !st.ok()) {
    return Fail(st.message());
  }
  ctld::RestServer rest_server(&api, *token);
  int rest_bound = 0;
  if (Status st = rest_server.Start(listen, rest_port, &rest_bound); !st.ok()) {
    return Fail(st.message());
  }
  rpc::Endpoint endpoint{listen + ":" + std::to_string(rest_bound),
                         listen + ":" + std::to_string(grpc_bound), *token};
  if (Status st = rpc::WriteEndpoint(state_dir, endpoint); !st.ok()) return Fail(st.message());
  // The pid file comes last: whoever waits for it may use the cluster at once.
  if (Status st = rpc::WriteFileAtomic(state_dir + "/" + rpc::kControllerPidFile,
                                       std::to_string(getpid()) + "\n");
      !st.ok()) {
    return Fail(st.message());
  }
  SLOG_INFO("ctld").Msg("sluiced ready").Kv("rest", endpoint.rest).Kv("grpc", endpoint.grpc);

  int sig = 0;
  sigwait(&stop_signals, &sig);
  SLOG_INFO("ctld").Msg("stopping").Kv("signal", strsignal(sig));
  rest_server.Shutdown();
  grpc_server.Shutdown();
  (*controller)->Stop();
  unlink((state_dir + "/" + rpc::kControllerPidFile).c_str());
  return 0;
}
