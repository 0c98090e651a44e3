#include "exec/internal/stepd.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "common/log.h"
#include "common/time.h"
#include "exec/internal/spool.h"

namespace sluice::exec::internal {
namespace {

constexpr char kComponent[] = "stepd";

int64_t MonotonicMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1000 + ts.tv_nsec / 1000000;
}

// Seconds to milliseconds, saturating: time limits may be "unlimited" (INT64_MAX).
int64_t SecondsToMs(int64_t s) {
  constexpr int64_t kMax = int64_t{1} << 50;
  return std::min(s, kMax / 1000) * 1000;
}

// Runs in the forked child: reports `what` + errno through the error pipe and exits. Only
// async-signal-safe calls would be needed in a threaded parent; the stepd has one thread.
[[noreturn]] void ChildFail(int err_fd, const std::string& what) {
  std::string msg = what + ": " + std::strerror(errno);
  ssize_t ignored = write(err_fd, msg.data(), msg.size());
  (void)ignored;
  _exit(1);
}

int OpenOutput(const std::string& path) {
  return open(path.empty() ? "/dev/null" : path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
}

// The job side of the fork: own process group, cwd, stdio, default signals, exec.
[[noreturn]] void ExecJob(const LaunchSpec& spec, const std::string& script, char** argv,
                          char** envp, int err_fd) {
  setpgid(0, 0);
  if (chdir(spec.work_dir.c_str()) != 0) {
    ChildFail(err_fd, "cannot change to work dir " + spec.work_dir);
  }
  int in = open("/dev/null", O_RDONLY);
  if (in < 0) ChildFail(err_fd, "cannot open /dev/null");
  int out = OpenOutput(spec.stdout_path);
  if (out < 0) ChildFail(err_fd, "cannot open output file " + spec.stdout_path);
  int err = out;
  if (!spec.stderr_path.empty() && spec.stderr_path != spec.stdout_path) {
    err = OpenOutput(spec.stderr_path);
    if (err < 0) ChildFail(err_fd, "cannot open error file " + spec.stderr_path);
  }
  if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0) ChildFail(err_fd, "dup2");
  if (in > 2) close(in);
  if (out > 2) close(out);
  if (err > 2 && err != out) close(err);
  // The job must not inherit the supervisor's blocked signals (nor ignored ones: exec keeps
  // SIG_IGN), or `kill -TERM` would not end it.
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig != SIGKILL && sig != SIGSTOP) signal(sig, SIG_DFL);
  }
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  execve(script.c_str(), argv, envp);
  ChildFail(err_fd, "cannot execute batch script");
}

std::vector<char*> CStrings(std::vector<std::string>& v) {
  std::vector<char*> out;
  out.reserve(v.size() + 1);
  for (auto& s : v) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// Finishes the job without running it (it could not start, or was cancelled first).
int WriteEarlyOutcome(const std::string& job_dir, JobOutcome o) {
  o.start_time = o.start_time ? o.start_time : WallClockNow();
  o.end_time = WallClockNow();
  Status st = WriteOutcome(job_dir, o);
  if (!st.ok()) {
    SLOG_ERROR(kComponent).Msg("cannot write outcome").Kv("error", st.message());
    return 1;
  }
  return 0;
}

bool IsCancelSignal(int sig) { return sig == kCancelSignal || sig == SIGTERM || sig == SIGINT; }

}  // namespace

int RunStepd(const std::string& job_dir_arg) {
  // Block first: a cancel may already be on its way (the runner also spawns us blocked).
  const sigset_t sigs = SupervisorSignals();
  sigprocmask(SIG_BLOCK, &sigs, nullptr);

  char resolved[PATH_MAX];
  if (realpath(job_dir_arg.c_str(), resolved) == nullptr) {
    SLOG_ERROR(kComponent).Msg("no job dir").Kv("dir", job_dir_arg).Kv("error", strerror(errno));
    return 1;
  }
  const std::string job_dir = resolved;
  if (Status st = WriteFileAtomic(job_dir + "/" + kPidFile, std::to_string(getpid()) + "\n", 0644);
      !st.ok()) {
    SLOG_ERROR(kComponent).Msg("cannot write pid file").Kv("error", st.message());
  }

  JobOutcome outcome;
  Result<std::string> text = ReadFile(job_dir + "/" + kSpecFile);
  Result<LaunchSpec> parsed = text.ok() ? SpecFromJson(*text) : Result<LaunchSpec>(text.status());
  if (!parsed.ok()) {
    outcome.exit_code = 1;
    outcome.error = "cannot read job spec: " + parsed.status().message();
    return WriteEarlyOutcome(job_dir, outcome);
  }
  LaunchSpec& spec = *parsed;
  // Paths are absolute from here on; do not pin whatever cwd the agent had.
  if (chdir("/") != 0) {
    SLOG_WARN(kComponent).Msg("chdir / failed");
  }

  // Cancelled before it started: do not start it at all.
  sigset_t pending;
  sigpending(&pending);
  for (int sig : {kCancelSignal, SIGTERM, SIGINT}) {
    if (sigismember(&pending, sig)) {
      outcome.cancelled = true;
      return WriteEarlyOutcome(job_dir, outcome);
    }
  }

  const std::string script = job_dir + "/" + kScriptFile;
  std::vector<std::string> argv_s{script};
  argv_s.insert(argv_s.end(), spec.argv.begin(), spec.argv.end());
  std::vector<char*> argv = CStrings(argv_s);
  std::vector<char*> envp = CStrings(spec.environment);

  // The child reports why it could not exec through this pipe; EOF means exec happened.
  int err_pipe[2];
  if (pipe2(err_pipe, O_CLOEXEC) != 0) {
    outcome.exit_code = 1;
    outcome.error = std::string("supervisor cannot create pipe: ") + strerror(errno);
    return WriteEarlyOutcome(job_dir, outcome);
  }
  outcome.start_time = WallClockNow();
  const int64_t start_ms = MonotonicMs();
  pid_t pid = fork();
  if (pid < 0) {
    outcome.exit_code = 1;
    outcome.error = std::string("supervisor cannot fork: ") + strerror(errno);
    return WriteEarlyOutcome(job_dir, outcome);
  }
  if (pid == 0) {
    close(err_pipe[0]);
    ExecJob(spec, script, argv.data(), envp.data(), err_pipe[1]);
  }
  close(err_pipe[1]);
  // Also from this side, so a killpg right after fork cannot miss the group.
  setpgid(pid, pid);
  std::string exec_error;
  char buf[512];
  for (;;) {
    ssize_t n = read(err_pipe[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    exec_error.append(buf, static_cast<size_t>(n));
  }
  close(err_pipe[0]);
  if (!exec_error.empty()) {
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    outcome.exit_code = 1;
    outcome.error = exec_error;
    return WriteEarlyOutcome(job_dir, outcome);
  }
  if (Status st = WriteFileAtomic(job_dir + "/" + kJobPidFile, std::to_string(pid) + "\n", 0644);
      !st.ok()) {
    SLOG_WARN(kComponent).Msg("cannot write job pid file").Kv("error", st.message());
  }

  int64_t limit_at = spec.time_limit_s > 0 ? start_ms + SecondsToMs(spec.time_limit_s) : -1;
  int64_t kill_at = -1;  // when SIGKILL follows SIGTERM; -1: not escalating
  bool escalated = false, killed = false;
  auto escalate = [&](int64_t now) {
    escalated = true;
    killpg(pid, SIGTERM);
    killpg(pid, SIGCONT);  // a stopped job must wake up to see SIGTERM
    kill_at = now + SecondsToMs(std::max<int64_t>(spec.kill_wait_s, 0));
  };

  for (;;) {
    int64_t now = MonotonicMs();
    if (!escalated && limit_at >= 0 && now >= limit_at) {
      outcome.timed_out = true;
      escalate(now);
    }
    if (escalated && !killed && now >= kill_at) {
      killpg(pid, SIGKILL);
      killed = true;
    }
    // Has the job ended? Look without reaping, so the group id stays ours for the killpg.
    siginfo_t si{};
    if (waitid(P_PID, pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == pid) break;

    int64_t next = -1;
    if (!escalated && limit_at >= 0) next = limit_at;
    if (escalated && !killed) next = kill_at;
    timespec ts{};
    if (next >= 0) {
      int64_t wait_ms = std::max<int64_t>(next - now, 0);
      ts.tv_sec = wait_ms / 1000;
      ts.tv_nsec = (wait_ms % 1000) * 1000000;
    }
    siginfo_t info{};
    int sig = sigtimedwait(&sigs, &info, next >= 0 ? &ts : nullptr);
    if (sig < 0) continue;  // EAGAIN (a deadline) or EINTR: re-evaluate above
    if (IsCancelSignal(sig)) {
      // The first reason to end the job wins; a later cancel does not restart the grace.
      if (!escalated) {
        outcome.cancelled = true;
        escalate(MonotonicMs());
      }
    } else if (sig == ForwardSignal()) {
      int fwd = info.si_value.sival_int;
      if (fwd > 0 && fwd < NSIG) killpg(pid, fwd);
    } else if (sig == TimeLimitSignal()) {
      // A new limit (scontrol update); once the job is ending, it ends anyway.
      const int seconds = info.si_value.sival_int;
      if (!escalated) limit_at = seconds > 0 ? start_ms + SecondsToMs(seconds) : -1;
    }
    // SIGCHLD is handled by the waitid above; SIGHUP and SIGPIPE are ignored.
  }

  // Leftovers of the job (background processes) die with it, as under Slurm.
  killpg(pid, SIGKILL);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) {
    outcome.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    outcome.term_signal = WTERMSIG(status);
  }
  outcome.end_time = WallClockNow();
  if (Status st = WriteOutcome(job_dir, outcome); !st.ok()) {
    SLOG_ERROR(kComponent).Msg("cannot write outcome").Kv("error", st.message());
    return 1;
  }
  return 0;
}

}  // namespace sluice::exec::internal
