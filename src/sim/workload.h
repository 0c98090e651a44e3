// Slurm-style job descriptions for the simulator: one JSON object a line, each a job's sbatch
// options, submit time and run time, so GPU, MPS and partition workloads replay with their whole
// request (the SWF reader knows processors only).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "core/cluster/config.h"
#include "core/model/job.h"
#include "sim/swf.h"

namespace sluice::sim {

// A workload of job descriptions and what reading it did.
struct JobWorkload {
  std::vector<SimJob> jobs;      // in file order, each with its spec
  uint64_t records = 0;          // job lines read
  uint64_t default_limits = 0;   // no -t: the partition's default applies (ResolveTimeLimits)
  uint64_t capped = 0;           // run above -t, cut to it (the job ends as a timeout)
  uint64_t ignored_options = 0;  // jobs with sbatch options Sluice accepts but does not model
};

// Parses JSON lines, one job an object:
//   {"id": 7, "submit": 120, "run": 3000, "user": "alice", "sbatch": "-n 4 --gpus=1 -t 1:00:00"}
// "run" (seconds, > 0) is required; "submit" (seconds from the workload's start, >= 0) defaults
// to 0, "id" (> 0) to the job's 1-based position, "user" (a name, or a number n for "u<n>") to
// none; "sbatch" is sbatch's options, a string split as the shell would or an array of
// arguments, parsed by sbatch's own parser into the job's spec (default: none, one task of one
// CPU). The estimate is -t; without it the estimate is 0 until ResolveTimeLimits gives the
// partition's default, as slurmctld would. A run longer than -t is capped at it. Blank lines and
// lines starting with '#' are skipped. Fails with InvalidArgument "line N: ..." (one line) on bad
// JSON, a line that is not an object, an unknown key, a missing or non-positive run, a bad
// value, an sbatch option sbatch refuses (in sbatch's words) and --hold (a held job never
// starts).
Result<JobWorkload> ParseJobDescriptions(std::string_view text);

// Reads and parses the file at `path`. Fails with NotFound when it cannot be read, else as
// ParseJobDescriptions with the path in the message.
Result<JobWorkload> LoadJobDescriptions(const std::string& path);

// The CPUs `spec` asks: tasks (-n, else --ntasks-per-node x -N, else one a node) x
// --cpus-per-task. Whole nodes (--exclusive) count only what was asked.
uint32_t RequestedCpus(const core::model::JobSpec& spec);

// Gives each job with a spec and estimate 0 (no time limit asked) the limit slurmctld would:
// its partition's DefaultTime, else MaxTime (possibly UNLIMITED, kUnlimited), shortened to its
// QOS's MaxWall (-q, else "normal", when configured), and caps its run at it. A job naming no
// known partition keeps estimate 0: the replay refuses it at submission, as sbatch would. Returns
// how many runs were capped.
uint64_t ResolveTimeLimits(const core::cluster::ClusterConfig& cluster, std::vector<SimJob>* jobs);

// Splits an option string as the shell does: blanks separate words; '...' quotes literally,
// "..." quotes with \", \\, \$ and \` escaped, a backslash outside quotes escapes the next
// character. Fails with InvalidArgument on an unterminated quote.
Result<std::vector<std::string>> SplitShellWords(std::string_view text);

}  // namespace sluice::sim
