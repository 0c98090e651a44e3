// sluice: one CLI binary. As `sbatch`, `squeue`, `sinfo`, `sprio`, `scancel`, `scontrol` or
// `sacct` (argv[0] symlinks) it is that Slurm command; as `sluice` it also runs the local cluster
// (up, down, status).
#include <cstdio>
#include <cstring>
#include <string>

#include "cli/cli.h"

using namespace sluice;

namespace {

int Dispatch(const std::string& name, const cli::Args& args) {
  if (name == "sbatch") return cli::Sbatch(args);
  if (name == "squeue") return cli::Squeue(args);
  if (name == "sinfo") return cli::Sinfo(args);
  if (name == "sprio") return cli::Sprio(args);
  if (name == "scancel") return cli::Scancel(args);
  if (name == "scontrol") return cli::Scontrol(args);
  if (name == "sacct") return cli::Sacct(args);
  return -1;
}

void Usage() {
  printf(
      "Usage: sluice COMMAND [ARGS]\n"
      "  up [--nodes N] [--cpus C] [--memory MB] [--gpus G] [--state-dir DIR]\n"
      "                                                           start a local cluster\n"
      "  down [--state-dir DIR]                                   stop it (by pid)\n"
      "  status [--state-dir DIR]                                 show what runs\n"
      "  sim --trace FILE [--policy P] [--json] ...               replay a trace\n"
      "  sbatch|squeue|sinfo|sprio|scancel|scontrol|sacct ARGS    Slurm's commands\n"
      "The Slurm commands are also installed under their own names (symlinks to sluice).\n");
}

}  // namespace

int main(int argc, char** argv) {
  std::string name = argv[0];
  if (auto slash = name.rfind('/'); slash != std::string::npos) name = name.substr(slash + 1);
  cli::Args args(argv + 1, argv + argc);
  if (int rc = Dispatch(name, args); rc >= 0) return rc;
  if (args.empty() || args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
    Usage();
    return args.empty() ? 1 : 0;
  }
  const std::string sub = args[0];
  cli::Args rest(args.begin() + 1, args.end());
  if (int rc = Dispatch(sub, rest); rc >= 0) return rc;
  if (sub == "up") return cli::Up(rest);
  if (sub == "down") return cli::Down(rest);
  if (sub == "status") return cli::StatusCommand(rest);
  if (sub == "sim") return cli::Sim(rest);
  fprintf(stderr, "sluice: error: unknown command '%s' (try `sluice --help`)\n", sub.c_str());
  return 1;
}
