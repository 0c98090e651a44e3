// The body of sluice-stepd, the per-job supervisor (Slurm's slurmstepd).
#pragma once

#include <string>

namespace sluice::exec::internal {

// Supervises the job described by `job_dir`/spec.json: writes `pid`, forks and execs the
// script in its own process group, enforces the time limit, obeys cancel/forward signals
// (see spool.h), reaps the job and writes outcome.json. Returns the process exit status:
// 0 once an outcome is written (even for a failed job), 1 if none could be.
int RunStepd(const std::string& job_dir);

}  // namespace sluice::exec::internal
