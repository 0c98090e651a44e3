#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <iterator>

#include "cli/cli.h"
#include "compat/slurm/sbatch_options.h"
#include "rpc/convert.h"
#include "rpc/endpoint.h"

extern char** environ;

namespace sluice::cli {

namespace fs = std::filesystem;

namespace {

void PrintSbatchHelp() {
  printf(
      "Usage: sbatch [OPTIONS...] [script [args...]]\n"
      "  -n, --ntasks=N            number of tasks\n"
      "  -N, --nodes=N             number of nodes\n"
      "  -c, --cpus-per-task=N     CPUs per task\n"
      "      --mem=SIZE            memory per node (M, G, T suffixes)\n"
      "      --mem-per-cpu=SIZE    memory per allocated CPU\n"
      "  -t, --time=LIMIT          time limit ([D-]HH:MM:SS, minutes, UNLIMITED)\n"
      "  -J, --job-name=NAME       job name\n"
      "  -o, --output=PATTERN      stdout file (%%j %%x %%u %%N %%%%)\n"
      "  -e, --error=PATTERN       stderr file\n"
      "  -p, --partition=NAME      partition\n"
      "  -D, --chdir=DIR           working directory\n"
      "      --wrap=COMMAND        wrap a command in a shell script\n"
      "      --parsable            print only the job id\n"
      "  -H, --hold                submit held\n");
}

}  // namespace

int Sbatch(const Args& args) {
  auto cmdline = compat::slurm::ParseSbatchCommandLine(args);
  if (!cmdline.ok()) return Report("sbatch", cmdline.status());
  if (cmdline->help) {
    PrintSbatchHelp();
    return 0;
  }
  if (cmdline->version) {
    printf("slurm 22.05.8 (sluice)\n");
    return 0;
  }
  std::string script;
  if (cmdline->has_wrap) {
    script.clear();  // ResolveSbatch builds the wrapper script
  } else if (!cmdline->script_path.empty()) {
    auto text = rpc::ReadFile(cmdline->script_path);
    if (!text.ok()) {
      return Report("sbatch", InvalidArgument("Unable to open file " + cmdline->script_path));
    }
    script = *text;
  } else {
    if (isatty(STDIN_FILENO)) {
      fprintf(stderr, "sbatch: Reading batch script from standard input...\n");
    }
    script.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  }
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) env.emplace_back(*e);
  auto req = compat::slurm::ResolveSbatch(args, script, env);
  if (!req.ok()) return Report("sbatch", req.status());

  for (const auto& opt : req->ignored_options) {
    fprintf(stderr, "sbatch: warning: %s is not supported by Sluice yet; ignored\n", opt.c_str());
  }
  core::model::JobSpec& spec = req->spec;
  UserInfo user = CurrentUser();
  spec.user = user.name;
  spec.uid = user.uid;
  spec.gid = user.gid;
  spec.group = user.group;
  std::error_code ec;
  const fs::path cwd = fs::current_path(ec);
  spec.work_dir = spec.work_dir.empty()
                      ? cwd.string()
                      : fs::absolute(spec.work_dir, ec).lexically_normal().string();
  if (!fs::is_directory(spec.work_dir, ec)) {
    return Report("sbatch", InvalidArgument("chdir to " + spec.work_dir +
                                            " failed: No such file or directory"));
  }
  if (!req->script_path.empty()) spec.command = fs::absolute(req->script_path, ec).string();
  spec.environment = std::move(env);
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  spec.submit_host = host;

  auto client = Connect();
  if (!client.ok()) return Report("sbatch", client.status());
  v1::SubmitJobRequest submit;
  rpc::ToProto(spec, submit.mutable_spec());
  v1::SubmitJobResponse resp;
  Status st = client->Call("POST", "/api/v1/jobs", &submit, &resp);
  if (!st.ok()) {
    return Report("sbatch", Status(st.code(), "Batch job submission failed: " + st.message()));
  }
  if (req->parsable) {
    printf("%u\n", resp.job_id());
  } else {
    printf("Submitted batch job %u\n", resp.job_id());
  }
  return 0;
}

}  // namespace sluice::cli
