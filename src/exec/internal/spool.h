// The contract between JobRunner and sluice-stepd: file names in a job's spool dir, their
// JSON encoding, and the signals the runner sends to a supervisor.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <optional>
#include <string>

#include "common/status.h"
#include "exec/job_runner.h"

namespace sluice::exec::internal {

// Files in spool_dir/jobs/<id>/.
inline constexpr char kScriptFile[] = "script";         // the batch script, 0700 (runner)
inline constexpr char kSpecFile[] = "spec.json";        // LaunchSpec minus script (runner)
inline constexpr char kPidFile[] = "pid";               // supervisor pid (stepd)
inline constexpr char kJobPidFile[] = "job.pid";        // job pid = its process group (stepd)
inline constexpr char kOutcomeFile[] = "outcome.json";  // JobOutcome, written last (stepd)
inline constexpr char kStepdLogFile[] = "stepd.log";    // the supervisor's stderr

// Signals to the supervisor. SIGUSR1 (and SIGTERM, SIGINT): cancel the job.
inline constexpr int kCancelSignal = SIGUSR1;
// Real-time (queued, so none is lost) signal whose si_value.sival_int is a signal number to
// forward to the job's process group.
inline int ForwardSignal() { return SIGRTMIN + 1; }
// Real-time signal whose si_value.sival_int is the job's new time limit in seconds from its
// start (0: none).
inline int TimeLimitSignal() { return SIGRTMIN + 2; }
// The signals a supervisor keeps blocked and consumes with sigtimedwait. The runner spawns it
// with them already blocked so a cancel sent right after spawn is queued, not fatal.
sigset_t SupervisorSignals();

// Encodes the spec (without the script text, which lives in kScriptFile) and back. Strings
// that are not valid UTF-8 (environment values may hold any bytes) are stored hex-encoded.
std::string SpecToJson(const LaunchSpec& spec);
Result<LaunchSpec> SpecFromJson(const std::string& text);
std::string OutcomeToJson(const JobOutcome& outcome);
Result<JobOutcome> OutcomeFromJson(const std::string& text);

// Whole-file helpers. WriteFileAtomic writes `path`.tmp then renames it over `path`, so
// readers see the old file, no file, or the whole new one.
Result<std::string> ReadFile(const std::string& path);
Status WriteFileAtomic(const std::string& path, const std::string& content, mode_t mode);

// Reads outcome.json of a job dir; NotFound if absent.
Result<JobOutcome> ReadOutcome(const std::string& job_dir);
Status WriteOutcome(const std::string& job_dir, const JobOutcome& outcome);
// Reads a pid file ("<pid>\n"); nullopt if absent or malformed.
std::optional<pid_t> ReadPidFile(const std::string& path);

}  // namespace sluice::exec::internal
