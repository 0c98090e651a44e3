// The `sluice` command and the Slurm commands it answers to (argv[0]).
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "rpc/rest_client.h"

namespace sluice::cli {

using Args = std::vector<std::string>;  // the arguments after the command name

int Sbatch(const Args& args);
int Squeue(const Args& args);
int Sinfo(const Args& args);
int Sprio(const Args& args);
int Scancel(const Args& args);
int Scontrol(const Args& args);
int Sacct(const Args& args);
int Up(const Args& args);
int Down(const Args& args);
int StatusCommand(const Args& args);
int Sim(const Args& args);  // sluice sim: replays a workload trace (src/sim)

// The one table from error codes to exit codes (Slurm's commands exit 1 on any error).
int ExitCode(Code code);

// Prints "<prog>: error: <message>" and returns the exit code for `st`.
int Report(const char* prog, const Status& st);

// A REST client for the cluster the environment points at.
Result<rpc::RestClient> Connect();

// The current user's name, uid, gid and group name.
struct UserInfo {
  std::string name;
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::string group;
};
UserInfo CurrentUser();

// The non-empty items of a comma-separated list.
std::vector<std::string> CommaList(const std::string& s);

// Appends the job ids in `words` (each a comma-separated list) to `ids`. Fails with
// InvalidArgument "Invalid job id X" on anything but a positive 32-bit number.
Status ParseJobIds(const std::vector<std::string>& words, std::vector<uint32_t>* ids);

// Runs getopt_long over `args` (Slurm's own option syntax). `prog` names the command in errors.
struct Option {
  const char* long_name;
  char short_name;  // 0: long only
  bool has_value;
};
struct ParsedArgs {
  std::vector<std::pair<std::string, std::string>> options;  // long name, value
  std::vector<std::string> positional;
  bool Has(const std::string& name) const;
  std::string Value(const std::string& name) const;  // the last given value
};
Result<ParsedArgs> ParseOptions(const char* prog, const Args& args,
                                const std::vector<Option>& options);

}  // namespace sluice::cli
