// JobRunner: how the node agent starts, signals and watches batch jobs. Each job runs under its
// own supervisor process (sluice-stepd, Slurm's slurmstepd) in a new session, so jobs survive a
// restart or crash of the agent; all state lives in files under the spool directory.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"

namespace sluice::exec {

// What to run. The caller has already expanded paths and built the complete environment.
struct LaunchSpec {
  uint32_t job_id = 0;                   // must be non-zero
  std::string script;                    // batch script text (starts with #!)
  std::vector<std::string> argv;         // script arguments (argv[1..])
  std::vector<std::string> environment;  // complete environment, "NAME=value"
  std::string work_dir;                  // cwd of the job
  std::string stdout_path;               // absolute or relative to work_dir; empty: /dev/null
  std::string stderr_path;   // same; empty (or equal to stdout_path): same file as stdout
  int64_t time_limit_s = 0;  // <= 0: no limit
  int64_t kill_wait_s = 30;  // SIGTERM -> SIGKILL grace at time limit or cancel
};

// How a job ended.
struct JobOutcome {
  int exit_code = 0;       // exit status of the batch script (0..255), 0 if killed by a signal
  int term_signal = 0;     // signal that killed it, 0 if none
  bool timed_out = false;  // hit time_limit_s (the supervisor sent SIGTERM/SIGKILL)
  bool cancelled = false;  // Cancel() (or SIGTERM to the supervisor) ended it
  int64_t start_time = 0;  // unix seconds
  int64_t end_time = 0;    // unix seconds
  // Set if the job could not be started (bad work dir, cannot open output, exec failed; then
  // exit_code=1) or its supervisor vanished without a word ("supervisor lost"; then
  // term_signal=SIGKILL).
  std::string error;
};

// Launches jobs under sluice-stepd and tracks them through files in
// `spool_dir/jobs/<job_id>/`. Thread-safe: every method may be called from any thread.
// A new JobRunner on the same spool dir adopts the jobs a previous one left: still running
// (supervisor alive) or finished (outcome written, not yet Forget()-ed).
class JobRunner {
 public:
  // spool_dir: private directory of this node agent (created 0700 if missing).
  // stepd_path: the sluice-stepd binary. Never fails; problems show up in Launch().
  JobRunner(std::string spool_dir, std::string stepd_path);
  // Closes handles only: running jobs and their supervisors keep running.
  ~JobRunner();

  JobRunner(const JobRunner&) = delete;
  JobRunner& operator=(const JobRunner&) = delete;

  // Starts the job under its own supervisor and returns without waiting for it.
  // AlreadyExists if this job id is known here (running or finished and not forgotten): a job
  // never runs twice. InvalidArgument for job_id 0; Internal if the spool or spawn failed (then
  // nothing was started). Failures of the job itself (bad work dir, ...) become its outcome.
  Status Launch(const LaunchSpec& spec);

  // Asks the supervisor to end the job: SIGTERM to its process group, SIGKILL after
  // kill_wait_s; the outcome says cancelled=true. NotFound if unknown or already finished;
  // Unavailable if an adopted job's supervisor has not written its pid yet (retry).
  Status Cancel(uint32_t job_id);

  // Sends `sig` (1..64) to the job's process group through its supervisor (scancel -s).
  // NotFound if unknown or finished; InvalidArgument for a bad signal number.
  Status Signal(uint32_t job_id, int sig);

  // Gives a running job a new time limit, in seconds from its start as the first was (0: none).
  // A limit already past ends the job at once as timed out. NotFound if unknown or finished;
  // InvalidArgument for a negative limit.
  Status SetTimeLimit(uint32_t job_id, int64_t seconds);

  // Jobs started and without an outcome yet, in ascending id order.
  std::vector<uint32_t> Running() const;

  // Jobs with an outcome that have not been Forget()-ed, in ascending id order.
  std::vector<std::pair<uint32_t, JobOutcome>> Finished() const;

  // The controller has recorded the job's end: removes its spool dir and forgets it.
  // No-op for unknown jobs and for jobs still running (their supervisor needs the dir).
  void Forget(uint32_t job_id);

  // Blocks until some job may have finished or timeout_ms passes; wakes within milliseconds
  // of a supervisor exiting (jobs launched meanwhile are watched too). Call Finished() next.
  void WaitForChange(int timeout_ms);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sluice::exec
