// sbatch's command line, #SBATCH directives and SBATCH_* variables, resolved into a JobSpec.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "core/model/job.h"

namespace sluice::compat::slurm {

// What sbatch was asked to do: the job, plus flags that only concern the command itself.
struct SbatchRequest {
  core::model::JobSpec spec;
  bool parsable = false;  // --parsable: print only the job id
  std::string wrap;       // --wrap command
  bool has_wrap = false;
  std::string script_path;  // the positional script; empty: read the script from stdin
  bool help = false;        // -h/--help
  bool usage = false;       // --usage
  bool version = false;     // -V/--version
  // Slurm options accepted for compatibility but not modeled, as written ("--account=x",
  // "-q normal"), so the CLI can warn about them.
  std::vector<std::string> ignored_options;
};

// The #SBATCH options of one script line, with its 1-based line number.
struct SbatchDirective {
  int line = 0;
  std::vector<std::string> args;
};

// Parses sbatch's arguments (argv without argv[0]) the way sbatch's getopt_long does: "-n4",
// "-n 4", "--ntasks=4", "--ntasks 4", bundled short flags ("-Hn4"), unique prefixes of long
// options, "--" to end options. Options: -n/--ntasks -N/--nodes -c/--cpus-per-task --mem
// --mem-per-cpu -t/--time -J/--job-name -o/--output -e/--error -p/--partition -D/--chdir --wrap
// --parsable -H/--hold -h/--help --usage -V/--version --ntasks-per-node --exclusive
// -w/--nodelist -x/--exclude (host lists, expanded; a file name is not supported yet)
// -C/--constraint (checked with ParseConstraint, stored with ',' spelled '&') -A/--account
// -q/--qos --nice[=N] (100 without a value) -G/--gpus, --gpus-per-node, --gpus-per-task (each
// "[type:]N") --gres=LIST (gpu[:type][:N], N default 1; mps:P, P percent of one GPU, 1-100;
// shard:N; or none: a later --gres replaces an earlier one) --gpu-mem=SIZE (Sluice's: the GPU
// memory an MPS or shard job needs, M/G suffixes) --reservation --placement=NAME (Sluice's: the
// job's node placement policy, best-fit, compact, spread, locality or another registered
// scheduler Score plugin; an unknown name fails with "Invalid --placement specification
// \"x\": use best-fit, compact, ..."); whole GPUs and mps/shard in one
// job fail ("--gres=mps or --gres=shard cannot be combined with whole GPUs ..."), unknown gres
// names with "Invalid generic resource (gres) specification", bad counts with "Invalid --gpus
// specification" and the like. Slurm's other sbatch options are accepted into
// ignored_options, as is --exclusive=user|mcs|oversubscribe (which clears exclusive). The first
// non-option argument is the script path, the rest its argv. The job name defaults to "wrap"
// (--wrap), the script's base name, or "sbatch" (stdin). Fails with InvalidArgument in Slurm's
// wording: "unrecognized option '--foo'", "Invalid numeric value \"x\" for --ntasks.",
// "Invalid --time specification", "Invalid --exclusive specification", "Invalid --nice value,
// out of range (+/- 2147483645)", "Invalid node name specified \"n[1-\": ...", "Invalid feature
// specification \"a||b\": ...", ...
Result<SbatchRequest> ParseSbatchCommandLine(const std::vector<std::string>& argv);

// A node count as -N and scontrol's NumNodes= take it, "count" or "min-max": the minimum (Sluice
// allocates that), 0 included, or nullopt when the text is not a count up to 2^32-1 or the max
// is below the min. Surrounding blanks are ignored.
std::optional<uint32_t> ParseNodeRange(std::string_view text);

// --nice[=N] (and scontrol's Nice=): no value, or an empty one, is 100, as in Slurm; N may be
// negative, within +/- 2147483645. Fails with sbatch's words ("Invalid numeric value \"x\" for
// --nice.", "Invalid --nice value, out of range (+/- 2147483645)").
Result<int32_t> ParseNice(const std::optional<std::string>& value);

// Extracts the #SBATCH options of a script as sbatch does: only lines before the first command
// count (blank lines and other comments do not end the scan; a leading "#!" line is skipped); an
// unquoted '#' starts a comment; '...', "..." and backslash quote as in the shell. Returns the
// options of all lines in order. Fails on an unterminated quote, naming "#SBATCH" and the line.
Result<std::vector<std::string>> ExtractSbatchDirectives(std::string_view script);

// As ExtractSbatchDirectives, keeping each line's options apart with its line number.
Result<std::vector<SbatchDirective>> ExtractSbatchDirectiveLines(std::string_view script);

// The script sbatch --wrap submits: "#!/bin/sh\n# This script was created by sbatch --wrap.\n\n"
// followed by the command and a newline.
std::string WrapScript(std::string_view command);

// Resolves a submission: the script's #SBATCH directives first, then SBATCH_* variables of
// `environment` ("NAME=value": SBATCH_JOB_NAME, SBATCH_PARTITION, SBATCH_TIMELIMIT,
// SBATCH_OUTPUT, SBATCH_ERROR, SBATCH_MEM_PER_NODE, SBATCH_MEM_PER_CPU, SBATCH_ACCOUNT,
// SBATCH_QOS, SBATCH_CONSTRAINT, SBATCH_EXCLUSIVE (empty: --exclusive), SBATCH_GPUS,
// SBATCH_GPUS_PER_NODE, SBATCH_GPUS_PER_TASK, SBATCH_GRES, SBATCH_RESERVATION,
// SBATCH_PLACEMENT), then the command
// line, each overriding the one before. `script` is the script text (ignored with --wrap, whose
// generated script is used instead; not needed with --help/--usage/--version). Fills
// spec.script, command, argv and name; leaves user, uid, environment and work_dir (unless -D) to
// the caller. Fails with one line in Slurm's wording, prefixed with "#SBATCH on line N: " or
// "SBATCH_X: " when the bad option came from there: "Batch script is empty!", "This does not
// look like a batch script.  The first line must start with #! followed by the path to an
// interpreter.", DOS line breaks, "Invalid directive found in batch script: foo", and the
// option errors of ParseSbatchCommandLine.
Result<SbatchRequest> ResolveSbatch(const std::vector<std::string>& argv, std::string_view script,
                                    const std::vector<std::string>& environment);

}  // namespace sluice::compat::slurm
