#include "exec/job_runner.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <limits>
#include <map>
#include <mutex>
#include <optional>

#include "common/log.h"
#include "common/time.h"
#include "exec/internal/spool.h"

extern char** environ;

namespace sluice::exec {
namespace {

using internal::ReadFile;
using internal::ReadOutcome;
using internal::ReadPidFile;
using internal::WriteFileAtomic;
using internal::WriteOutcome;

constexpr char kComponent[] = "exec";
// How often supervisors without a pidfd (pid unknown yet, or pidfd_open unsupported) are
// checked by looking at /proc and the spool.
constexpr int kSlowCheckMs = 200;
// A job dir with a spec but no pid file yet: the supervisor may still be starting.
constexpr int64_t kStartGraceS = 10;

// Direct syscalls: glibc 2.36's <sys/pidfd.h> lacks extern "C", so its wrappers do not link
// from C++.
int PidfdOpen(pid_t pid) { return static_cast<int>(syscall(SYS_pidfd_open, pid, 0)); }
int PidfdSendSignal(int pidfd, int sig, siginfo_t* info) {
  return static_cast<int>(syscall(SYS_pidfd_send_signal, pidfd, sig, info, 0));
}

std::string Errno(const std::string& what) { return what + ": " + std::strerror(errno); }

int64_t MonotonicMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1000 + ts.tv_nsec / 1000000;
}

enum class ProcState { kOurs, kZombie, kGone };

// Is `pid` the live supervisor of `job_dir`? The pid file alone cannot tell after a reboot
// or pid reuse, so the supervisor's command line (sluice-stepd <job_dir>) is the proof.
ProcState Inspect(pid_t pid, const std::string& job_dir) {
  const std::string proc = "/proc/" + std::to_string(pid);
  Result<std::string> cmdline = ReadFile(proc + "/cmdline");
  if (!cmdline.ok()) return ProcState::kGone;
  if (!cmdline->empty()) {
    size_t a0 = cmdline->find('\0');
    if (a0 == std::string::npos) return ProcState::kGone;
    size_t a1 = cmdline->find('\0', a0 + 1);
    std::string arg1 = cmdline->substr(a0 + 1, a1 == std::string::npos ? a1 : a1 - a0 - 1);
    return arg1 == job_dir ? ProcState::kOurs : ProcState::kGone;
  }
  // Zombies have an empty cmdline; the state letter follows the last ')' in stat.
  Result<std::string> stat = ReadFile(proc + "/stat");
  if (!stat.ok()) return ProcState::kGone;
  size_t paren = stat->rfind(')');
  if (paren != std::string::npos && paren + 2 < stat->size() && (*stat)[paren + 2] == 'Z') {
    return ProcState::kZombie;
  }
  return ProcState::kGone;
}

Status MakeDir(const std::string& path) {
  if (mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) {
    return Internal(Errno("cannot create " + path));
  }
  return Status::Ok();
}

Status WriteNewFile(const std::string& path, const std::string& content, mode_t mode) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return Internal(Errno("cannot create " + path));
  size_t off = 0;
  while (off < content.size()) {
    ssize_t n = write(fd, content.data() + off, content.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      Status st = Internal(Errno("cannot write " + path));
      close(fd);
      return st;
    }
    off += static_cast<size_t>(n);
  }
  if (close(fd) != 0) return Internal(Errno("cannot write " + path));
  return Status::Ok();
}

}  // namespace

class JobRunner::Impl {
 public:
  Impl(std::string spool_dir, std::string stepd_path);
  ~Impl();

  Status Launch(const LaunchSpec& spec);
  Status SendToSupervisor(uint32_t job_id, int sig, int value);
  std::vector<uint32_t> Running();
  std::vector<std::pair<uint32_t, JobOutcome>> Finished();
  void Forget(uint32_t job_id);
  void WaitForChange(int timeout_ms);

 private:
  struct Job {
    std::string dir;
    pid_t pid = 0;       // supervisor; 0 while unknown (adopted before it wrote its pid file)
    int pidfd = -1;      // -1: none (pid unknown, or pidfd_open unsupported)
    bool child = false;  // spawned by this runner, so ours to reap
    std::optional<JobOutcome> outcome;
  };

  std::string JobDir(uint32_t id) const { return jobs_dir_ + "/" + std::to_string(id); }
  void Adopt(uint32_t id);
  bool Attach(Job& job, pid_t pid);
  void Finalize(Job& job);
  int Refresh();
  void CloseLater(int fd);

  std::string jobs_dir_;
  const std::string stepd_path_;
  int wake_fd_ = -1;  // eventfd: a launch happened, waiters must watch one more pidfd

  std::mutex mu_;
  std::map<uint32_t, Job> jobs_;
  // pidfds of finished jobs are closed only when no WaitForChange is inside poll(), so a
  // descriptor number it watches is never reused under it.
  int pollers_ = 0;
  std::vector<int> deferred_close_;
  int64_t last_slow_check_ms_ = 0;
};

JobRunner::Impl::Impl(std::string spool_dir, std::string stepd_path)
    : stepd_path_(std::move(stepd_path)) {
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  std::error_code ec;
  std::filesystem::path spool(spool_dir);
  if (spool.has_parent_path()) std::filesystem::create_directories(spool.parent_path(), ec);
  Status st = MakeDir(spool_dir);
  char resolved[PATH_MAX];
  // Supervisors are identified by their argv (the job dir), so it must be canonical.
  jobs_dir_ = (realpath(spool_dir.c_str(), resolved) ? std::string(resolved) : spool_dir) + "/jobs";
  if (st.ok()) st = MakeDir(jobs_dir_);
  if (!st.ok()) {
    SLOG_ERROR(kComponent).Msg("spool dir unusable").Kv("error", st.message());
    return;
  }
  std::lock_guard<std::mutex> lock(mu_);
  for (std::filesystem::directory_iterator it(jobs_dir_, ec), last; !ec && it != last;
       it.increment(ec)) {
    const std::string name = it->path().filename().string();
    char* end = nullptr;
    unsigned long id = std::strtoul(name.c_str(), &end, 10);
    if (name.empty() || *end != '\0' || id == 0 || id > UINT32_MAX) continue;
    if (std::to_string(id) != name) continue;  // "007" is not the dir of job 7
    Adopt(static_cast<uint32_t>(id));
  }
  if (!jobs_.empty()) {
    SLOG_INFO(kComponent).Msg("adopted jobs from spool").Kv("jobs", jobs_.size());
  }
}

JobRunner::Impl::~Impl() {
  for (auto& [id, job] : jobs_) {
    if (job.pidfd >= 0) close(job.pidfd);
  }
  for (int fd : deferred_close_) close(fd);
  if (wake_fd_ >= 0) close(wake_fd_);
}

// Rebuilds a job's state from its spool dir (the agent restarted).
void JobRunner::Impl::Adopt(uint32_t id) {
  Job& job = jobs_[id];
  job.dir = JobDir(id);
  if (Result<JobOutcome> o = ReadOutcome(job.dir); o.ok()) {
    job.outcome = std::move(*o);
    return;
  }
  struct stat st;
  if (stat((job.dir + "/" + internal::kSpecFile).c_str(), &st) != 0) {
    // Launch writes the spec before spawning, so this job never started.
    JobOutcome o;
    o.exit_code = 1;
    o.start_time = o.end_time = WallClockNow();
    o.error = "job launch was interrupted by an agent restart; it never started";
    (void)WriteOutcome(job.dir, o);
    job.outcome = std::move(o);
    return;
  }
  if (std::optional<pid_t> pid = ReadPidFile(job.dir + "/" + internal::kPidFile)) {
    if (!Attach(job, *pid)) Finalize(job);
    return;
  }
  if (WallClockNow() - st.st_mtime > kStartGraceS) Finalize(job);
  // Otherwise pid stays 0 and Refresh() looks for the pid file.
}

// Starts watching an adopted supervisor. False if it is not (or no longer) running.
bool JobRunner::Impl::Attach(Job& job, pid_t pid) {
  job.pid = pid;
  int fd = PidfdOpen(pid);
  if (fd < 0 && errno != ENOSYS) return false;
  // Checked after pidfd_open so the pidfd cannot refer to a process that reused the pid.
  ProcState state = Inspect(pid, job.dir);
  if (state == ProcState::kGone) {
    if (fd >= 0) close(fd);
    return false;
  }
  job.pidfd = fd;
  return state == ProcState::kOurs;
}

// The supervisor is gone: reap it if it is ours and load the outcome it left, or record it
// as lost.
void JobRunner::Impl::Finalize(Job& job) {
  std::string how;
  if (job.pidfd >= 0) {
    siginfo_t si{};
    // Reaps exactly this process if it is a child of ours (also one spawned by an earlier
    // runner in this process); ECHILD otherwise.
    if (waitid(P_PIDFD, job.pidfd, &si, WEXITED | WNOHANG) == 0 && si.si_pid != 0 &&
        si.si_code != CLD_EXITED) {
      how = " (killed by signal " + std::to_string(si.si_status) + ")";
    }
    CloseLater(job.pidfd);
    job.pidfd = -1;
  } else if (job.child && job.pid > 0) {
    int status;
    if (waitpid(job.pid, &status, WNOHANG) == job.pid && WIFSIGNALED(status)) {
      how = " (killed by signal " + std::to_string(WTERMSIG(status)) + ")";
    }
  }
  if (Result<JobOutcome> o = ReadOutcome(job.dir); o.ok()) {
    job.outcome = std::move(*o);
    return;
  }
  JobOutcome o;
  o.term_signal = SIGKILL;
  o.start_time = o.end_time = WallClockNow();
  o.error = "supervisor lost" + how;
  if (Status st = WriteOutcome(job.dir, o); !st.ok()) {
    SLOG_WARN(kComponent).Msg("cannot write outcome").Kv("error", st.message());
  }
  SLOG_WARN(kComponent).Msg("job supervisor lost").Kv("dir", job.dir);
  job.outcome = std::move(o);
}

void JobRunner::Impl::CloseLater(int fd) {
  if (pollers_ > 0) {
    deferred_close_.push_back(fd);
  } else {
    close(fd);
  }
}

// Non-blocking scan of running jobs; returns how many just finished. Holds mu_.
int JobRunner::Impl::Refresh() {
  std::vector<pollfd> fds;
  std::vector<Job*> polled;
  std::vector<Job*> slow;
  for (auto& [id, job] : jobs_) {
    if (job.outcome) continue;
    if (job.pidfd >= 0) {
      fds.push_back({job.pidfd, POLLIN, 0});
      polled.push_back(&job);
    } else {
      slow.push_back(&job);
    }
  }
  int finished = 0;
  if (!fds.empty() && poll(fds.data(), fds.size(), 0) > 0) {
    for (size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].revents != 0) {
        Finalize(*polled[i]);
        ++finished;
      }
    }
  }
  const int64_t now_ms = MonotonicMs();
  const bool slow_due = now_ms - last_slow_check_ms_ >= kSlowCheckMs;
  if (slow_due) last_slow_check_ms_ = now_ms;
  for (Job* job : slow) {
    if (job->child && job->pid > 0) {
      // Without a pidfd, a child can still be checked cheaply; Finalize reaps it.
      siginfo_t si{};
      if (waitid(P_PID, job->pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid != 0) {
        Finalize(*job);
        ++finished;
      }
      continue;
    }
    if (!slow_due) continue;
    if (job->pid == 0) {
      if (std::optional<pid_t> pid = ReadPidFile(job->dir + "/" + internal::kPidFile)) {
        if (Attach(*job, *pid)) continue;
      } else {
        struct stat st;
        if (stat((job->dir + "/" + internal::kSpecFile).c_str(), &st) == 0 &&
            WallClockNow() - st.st_mtime <= kStartGraceS) {
          continue;
        }
      }
    } else if (Inspect(job->pid, job->dir) == ProcState::kOurs) {
      continue;
    }
    Finalize(*job);
    ++finished;
  }
  return finished;
}

Status JobRunner::Impl::Launch(const LaunchSpec& spec) {
  if (spec.job_id == 0) return InvalidArgument("job id 0 is not a valid job id");
  std::lock_guard<std::mutex> lock(mu_);
  if (jobs_.count(spec.job_id)) {
    return Status(Code::kAlreadyExists,
                  "job " + std::to_string(spec.job_id) + " was already launched on this node");
  }
  const std::string dir = JobDir(spec.job_id);
  if (mkdir(dir.c_str(), 0700) != 0) {
    if (errno == EEXIST) {
      return Status(Code::kAlreadyExists,
                    "job " + std::to_string(spec.job_id) + " already has a spool dir " + dir);
    }
    return Internal(Errno("cannot create job spool dir " + dir));
  }
  auto fail = [&](Status st) {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
    SLOG_ERROR(kComponent).Msg("launch failed").Kv("job", spec.job_id).Kv("error", st.message());
    return st;
  };
  if (Status st = WriteNewFile(dir + "/" + internal::kScriptFile, spec.script, 0700); !st.ok()) {
    return fail(st);
  }
  // The spec comes last: its presence means "about to spawn" to a restarted runner.
  if (Status st =
          WriteFileAtomic(dir + "/" + internal::kSpecFile, internal::SpecToJson(spec), 0600);
      !st.ok()) {
    return fail(st);
  }

  // Spawn (not fork: the agent is multi-threaded) in a new session, so the supervisor
  // outlives the agent and no terminal signal reaches it.
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  const std::string log_path = dir + "/" + internal::kStepdLogFile;
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                   0600);
#if __GLIBC_PREREQ(2, 34)
  // Descriptors the agent leaked without O_CLOEXEC (sockets) must not live on in jobs.
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
#endif
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  // Blocked from the first instruction: a Cancel right after Launch is queued, not fatal.
  sigset_t mask = internal::SupervisorSignals();
  posix_spawnattr_setsigmask(&attr, &mask);
  sigset_t all;
  sigfillset(&all);
  posix_spawnattr_setsigdefault(&attr, &all);  // undo the agent's SIG_IGNs (SIGPIPE)
  std::string arg0 = stepd_path_, arg1 = dir;
  char* argv[] = {arg0.data(), arg1.data(), nullptr};
  pid_t pid = 0;
  int rc = posix_spawn(&pid, stepd_path_.c_str(), &actions, &attr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    return fail(Internal("cannot start job supervisor " + stepd_path_ + ": " + strerror(rc)));
  }

  Job& job = jobs_[spec.job_id];
  job.dir = dir;
  job.pid = pid;
  job.child = true;
  job.pidfd = PidfdOpen(pid);  // an unreaped child: no pid-reuse race here
  uint64_t one = 1;
  ssize_t ignored = write(wake_fd_, &one, sizeof one);
  (void)ignored;
  SLOG_DEBUG(kComponent).Msg("launched").Kv("job", spec.job_id).Kv("stepd_pid", pid);
  return Status::Ok();
}

Status JobRunner::Impl::SendToSupervisor(uint32_t job_id, int sig, int value) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = jobs_.find(job_id);
  const std::string name = "job " + std::to_string(job_id);
  if (it == jobs_.end()) return NotFound(name + " is not known on this node");
  Job& job = it->second;
  if (job.pidfd >= 0) {
    // An exited supervisor can still be signalled until reaped; say "finished" instead.
    pollfd pfd{job.pidfd, POLLIN, 0};
    if (poll(&pfd, 1, 0) > 0) Finalize(job);
  }
  if (job.outcome) return NotFound(name + " has already finished");
  if (job.pid == 0) {
    std::optional<pid_t> pid = ReadPidFile(job.dir + "/" + internal::kPidFile);
    if (!pid) return Unavailable("the supervisor of " + name + " is still starting; retry");
    if (!Attach(job, *pid)) {
      Finalize(job);
      return NotFound(name + " has already finished");
    }
  }
  siginfo_t info{};
  info.si_signo = sig;
  info.si_code = SI_QUEUE;
  info.si_pid = getpid();
  info.si_uid = getuid();
  info.si_value.sival_int = value;
  int rc;
  if (job.pidfd >= 0) {
    rc = PidfdSendSignal(job.pidfd, sig, &info);
  } else if (job.child || Inspect(job.pid, job.dir) == ProcState::kOurs) {
    union sigval v;
    v.sival_int = value;
    rc = sigqueue(job.pid, sig, v);
  } else {
    rc = -1;
    errno = ESRCH;
  }
  if (rc != 0) {
    if (errno == ESRCH) {
      Finalize(job);
      return NotFound(name + " has already finished");
    }
    return Internal(Errno("cannot signal the supervisor of " + name));
  }
  return Status::Ok();
}

std::vector<uint32_t> JobRunner::Impl::Running() {
  std::lock_guard<std::mutex> lock(mu_);
  Refresh();
  std::vector<uint32_t> out;
  for (const auto& [id, job] : jobs_) {
    if (!job.outcome) out.push_back(id);
  }
  return out;
}

std::vector<std::pair<uint32_t, JobOutcome>> JobRunner::Impl::Finished() {
  std::lock_guard<std::mutex> lock(mu_);
  Refresh();
  std::vector<std::pair<uint32_t, JobOutcome>> out;
  for (const auto& [id, job] : jobs_) {
    if (job.outcome) out.emplace_back(id, *job.outcome);
  }
  return out;
}

void JobRunner::Impl::Forget(uint32_t job_id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = jobs_.find(job_id);
  if (it == jobs_.end()) return;
  if (!it->second.outcome) {
    SLOG_WARN(kComponent).Msg("not forgetting a running job").Kv("job", job_id);
    return;
  }
  std::error_code ec;
  std::filesystem::remove_all(it->second.dir, ec);
  if (ec) {
    SLOG_WARN(kComponent)
        .Msg("cannot remove job dir")
        .Kv("dir", it->second.dir)
        .Kv("error", ec.message());
  }
  if (it->second.pidfd >= 0) CloseLater(it->second.pidfd);
  jobs_.erase(it);
}

void JobRunner::Impl::WaitForChange(int timeout_ms) {
  const int64_t deadline = MonotonicMs() + std::max(timeout_ms, 0);
  for (;;) {
    std::vector<pollfd> fds;
    bool slow = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (Refresh() > 0) return;
      fds.push_back({wake_fd_, POLLIN, 0});
      for (const auto& [id, job] : jobs_) {
        if (job.outcome) continue;
        if (job.pidfd >= 0) {
          fds.push_back({job.pidfd, POLLIN, 0});
        } else {
          slow = true;
        }
      }
      ++pollers_;
    }
    const int64_t left = deadline - MonotonicMs();
    int wait_ms = static_cast<int>(std::clamp<int64_t>(left, 0, INT_MAX));
    if (slow) wait_ms = std::min(wait_ms, kSlowCheckMs);
    poll(fds.data(), fds.size(), wait_ms);
    uint64_t count;
    ssize_t ignored = read(wake_fd_, &count, sizeof count);  // drain; non-blocking
    (void)ignored;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (--pollers_ == 0) {
        for (int fd : deferred_close_) close(fd);
        deferred_close_.clear();
      }
      if (Refresh() > 0) return;
    }
    if (MonotonicMs() >= deadline) return;
  }
}

JobRunner::JobRunner(std::string spool_dir, std::string stepd_path)
    : impl_(std::make_unique<Impl>(std::move(spool_dir), std::move(stepd_path))) {}
JobRunner::~JobRunner() = default;

Status JobRunner::Launch(const LaunchSpec& spec) { return impl_->Launch(spec); }
Status JobRunner::Cancel(uint32_t job_id) {
  return impl_->SendToSupervisor(job_id, internal::kCancelSignal, 0);
}
Status JobRunner::Signal(uint32_t job_id, int sig) {
  if (sig < 1 || sig >= NSIG) {
    return InvalidArgument("signal " + std::to_string(sig) + " is not a valid signal number");
  }
  return impl_->SendToSupervisor(job_id, internal::ForwardSignal(), sig);
}
Status JobRunner::SetTimeLimit(uint32_t job_id, int64_t seconds) {
  if (seconds < 0) {
    return InvalidArgument("time limit " + std::to_string(seconds) + " s is negative");
  }
  // The signal carries an int: a limit past 68 years is no limit.
  const int value = seconds > std::numeric_limits<int>::max() ? 0 : static_cast<int>(seconds);
  return impl_->SendToSupervisor(job_id, internal::TimeLimitSignal(), value);
}
std::vector<uint32_t> JobRunner::Running() const { return impl_->Running(); }
std::vector<std::pair<uint32_t, JobOutcome>> JobRunner::Finished() const {
  return impl_->Finished();
}
void JobRunner::Forget(uint32_t job_id) { impl_->Forget(job_id); }
void JobRunner::WaitForChange(int timeout_ms) { impl_->WaitForChange(timeout_ms); }

}  // namespace sluice::exec
