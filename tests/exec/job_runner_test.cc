#include "exec/job_runner.h"

#include <gtest/gtest.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <thread>

#include "exec/internal/spool.h"

namespace sluice::exec {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// ctest sets SLUICE_BIN_DIR; run by hand, the stepd sits next to the test binary (bin/).
std::string StepdPath() {
  if (const char* dir = getenv("SLUICE_BIN_DIR")) return std::string(dir) + "/sluice-stepd";
  fs::path self = fs::read_symlink("/proc/self/exe").parent_path();
  for (const fs::path& p : {self / "sluice-stepd", self.parent_path() / "bin" / "sluice-stepd"}) {
    if (fs::exists(p)) return p.string();
  }
  return (self / "sluice-stepd").string();
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class JobRunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/sluice-exec-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    spool_ = root_ + "/spool";
    work_ = root_ + "/work";
    fs::create_directory(work_);
    stepd_ = StepdPath();
    ASSERT_TRUE(fs::exists(stepd_))
        << "sluice-stepd not found at " << stepd_ << "; set SLUICE_BIN_DIR";
    runner_ = std::make_unique<JobRunner>(spool_, stepd_);
  }

  // Kills whatever is still running (job groups first, then supervisors), by pid.
  void TearDown() override {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(spool_ + "/jobs", ec)) {
      const std::string dir = entry.path().string();
      if (fs::exists(dir + "/outcome.json")) continue;
      if (auto job = internal::ReadPidFile(dir + "/job.pid")) killpg(*job, SIGKILL);
      if (auto stepd = internal::ReadPidFile(dir + "/pid")) {
        if (kill(*stepd, SIGKILL) == 0) waitpid(*stepd, nullptr, 0);
      }
    }
    runner_.reset();
    fs::remove_all(root_, ec);
  }

  LaunchSpec Spec(uint32_t id, const std::string& body) {
    LaunchSpec spec;
    spec.job_id = id;
    spec.script = "#!/bin/sh\n" + body + "\n";
    spec.environment = {"PATH=/usr/local/bin:/usr/bin:/bin"};
    spec.work_dir = work_;
    spec.stdout_path = "out-" + std::to_string(id) + ".txt";
    spec.kill_wait_s = 1;
    return spec;
  }

  // Waits (watch-loop style) until the job has an outcome.
  std::optional<JobOutcome> WaitFinished(uint32_t id, std::chrono::seconds timeout) {
    return WaitFinished(*runner_, id, timeout);
  }
  static std::optional<JobOutcome> WaitFinished(JobRunner& runner, uint32_t id,
                                                std::chrono::seconds timeout) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
      for (auto& [fid, outcome] : runner.Finished()) {
        if (fid == id) return outcome;
      }
      if (Clock::now() >= deadline) return std::nullopt;
      runner.WaitForChange(100);
    }
  }

  bool WaitForFile(const std::string& path, std::chrono::seconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (!fs::exists(path)) {
      if (Clock::now() >= deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
  }

  std::string JobDir(uint32_t id) { return spool_ + "/jobs/" + std::to_string(id); }

  std::string root_, spool_, work_, stepd_;
  std::unique_ptr<JobRunner> runner_;
};

TEST_F(JobRunnerTest, RunsScriptWithEnvironmentArgsAndWorkDir) {
  LaunchSpec spec = Spec(1, "echo \"var=$FOO args=$1,$2 n=$#\"\npwd");
  spec.environment.push_back("FOO=bar baz");
  spec.argv = {"a b", "c"};
  const int64_t before = time(nullptr);
  ASSERT_TRUE(runner_->Launch(spec).ok());
  std::optional<JobOutcome> o = WaitFinished(1, std::chrono::seconds(10));
  ASSERT_TRUE(o.has_value());
  EXPECT_EQ(o->exit_code, 0);
  EXPECT_EQ(o->term_signal, 0);
  EXPECT_FALSE(o->timed_out);
  EXPECT_FALSE(o->cancelled);
  EXPECT_EQ(o->error, "");
  EXPECT_GE(o->start_time, before);
  EXPECT_GE(o->end_time, o->start_time);
  EXPECT_EQ(ReadAll(work_ + "/out-1.txt"), "var=bar baz args=a b,c n=2\n" + work_ + "\n");
  EXPECT_TRUE(runner_->Running().empty());
}

TEST_F(JobRunnerTest, ReportsExitCode) {
  ASSERT_TRUE(runner_->Launch(Spec(2, "exit 3")).ok());
  std::optional<JobOutcome> o = WaitFinished(2, std::chrono::seconds(10));
  ASSERT_TRUE(o.has_value());
  EXPECT_EQ(o->exit_code, 3);
  EXPECT_EQ(o->term_signal, 0);
}

TEST_F(JobRunnerTest, ReportsTerminatingSignal) {
  ASSERT_TRUE(runner_->Launch(Spec(3, "kill -USR2 $$\nsleep 5")).ok());
  std::optional<JobOutcome> o = WaitFinished(3, std::chrono::seconds(10));
  ASSERT_TRUE(o.has_value());
  EXPECT_EQ(o->exit_code, 0);
  EXPECT_EQ(o->term_signal, SIGUSR2);
  EXPECT_FALSE(o->cancelled);
}

TEST_F(JobRunnerTest, TimeLimitSendsSigterm) {
  LaunchSpec spec = Spec(4, "sleep 30");
  spec.time_limit_s = 1;
  const auto start = Clock::now();
  ASSERT_TRUE(runner_->Launch(spec).ok());
  std::optional<JobOutcome> o = WaitFinished(4, std::chrono::seconds(5));
  ASSERT_TRUE(o.has_value()) << "job not ended 5 s after a 1 s time limit";
  EXPECT_GE(Clock::now() - start, std::chrono::milliseconds(900));
  EXPECT_TRUE(o->timed_out);
  EXPECT_FALSE(o->cancelled);
  EXPECT_EQ(o->term_signal, SIGTERM);
}

TEST_F(JobRunnerTest, TimeLimitEscalatesToSigkill) {
  // The shell runs its trap between sleeps, so it sees SIGTERM and carries on.
  LaunchSpec spec = Spec(5, "trap 'echo got TERM' TERM\nwhile :; do sleep 0.1; done");
  spec.time_limit_s = 1;
  spec.kill_wait_s = 1;
  ASSERT_TRUE(runner_->Launch(spec).ok());
  std::optional<JobOutcome> o = WaitFinished(5, std::chrono::seconds(8));
  ASSERT_TRUE(o.has_value());
  EXPECT_TRUE(o->timed_out);
  EXPECT_EQ(o->term_signal, SIGKILL);
  EXPECT_NE(ReadAll(work_ + "/out-5.txt").find("got TERM"), std::string::npos);
}

TEST_F(JobRunnerTest, CancelEndsJob) {
  ASSERT_TRUE(runner_->Launch(Spec(6, "touch ready-6\nsleep 30")).ok());
  ASSERT_TRUE(WaitForFile(work_ + "/ready-6", std::chrono::seconds(10)));
  EXPECT_EQ(runner_->Running(), std::vector<uint32_t>{6});
  ASSERT_TRUE(runner_->Cancel(6).ok());
  std::optional<JobOutcome> o = WaitFinished(6, std::chrono::seconds(10));
  ASSERT_TRUE(o.has_value());
  EXPECT_TRUE(o->cancelled);
  EXPECT_FALSE(o->timed_out);
  EXPECT_EQ(o->term_signal, SIGTERM);
  EXPECT_EQ(runner_->Cancel(6).code(), Code::kNotFound);
  EXPECT_EQ(runner_->Cancel(999).code(), Code::kNotFound);
}

TEST_F(JobRunnerTest, CancelRightAfterLaunch) {
  ASSERT_TRUE(runner_->Launch(Spec(7, "sleep 30")).ok());
  ASSERT_TRUE(runner_->Cancel(7).ok());
  std::optional<JobOutcome> o = WaitFinished(7, std::chrono::seconds(10));
  ASSERT_TRUE(o.has_value());
  EXPECT_TRUE(o->cancelled);
}

TEST_F(JobRunnerTest, SignalReachesJob) {
  ASSERT_TRUE(runner_
                  ->Launch(Spec(8,
                                "trap 'echo usr2; exit 5' USR2\ntouch ready-8\n"
                                "while :; do sleep 0.05; done"))
                  .ok());
  ASSERT_TRUE(WaitForFile(work_ + "/ready-8", std::chrono::seconds(10)));
  EXPECT_EQ(runner_->Signal(8, 0).code(), Code::kInvalidArgument);
  EXPECT_EQ(runner_->Signal(999, SIGUSR2).code(), Code::kNotFound);
  ASSERT_TRUE(runner_->Signal(8, SIGUSR2).ok());
  std::optional<JobOutcome> o = WaitFinished(8, std::chrono::seconds(10));
  ASSERT_TRUE(o.has_value());
  EXPECT_EQ(o->exit_code, 5);
  EXPECT_FALSE(o->cancelled);
  // (The shell may also report that the signal killed its `sleep`.)
  EXPECT_NE(ReadAll(work_ + "/out-8.txt").find("usr2\n"), std::string::npos);
}

TEST_F(JobRunnerTest, SeparateAndSharedStderr) {
  LaunchSpec apart = Spec(9, "echo out\necho err >&2");
  apart.stderr_path = work_ + "/err-9.txt";  // absolute works too
  LaunchSpec shared = Spec(10, "echo out\necho err >&2");
  ASSERT_TRUE(runner_->Launch(apart).ok());
  ASSERT_TRUE(runner_->Launch(shared).ok());
  ASSERT_TRUE(WaitFinished(9, std::chrono::seconds(10)).has_value());
  ASSERT_TRUE(WaitFinished(10, std::chrono::seconds(10)).has_value());
  EXPECT_EQ(ReadAll(work_ + "/out-9.txt"), "out\n");
  EXPECT_EQ(ReadAll(work_ + "/err-9.txt"), "err\n");
  EXPECT_EQ(ReadAll(work_ + "/out-10.txt"), "out\nerr\n");
}

TEST_F(JobRunnerTest, OutputIsTruncated) {
  std::ofstream(work_ + "/out-11.txt") << "old content that is longer\n";
  ASSERT_TRUE(runner_->Launch(Spec(11, "echo new")).ok());
  ASSERT_TRUE(WaitFinished(11, std::chrono::seconds(10)).has_value());
  EXPECT_EQ(ReadAll(work_ + "/out-11.txt"), "new\n");
}

struct StartFailure {
  const char* name;
  void (*mutate)(LaunchSpec&);
  const char* error_part;
};

TEST_F(JobRunnerTest, StartFailuresBecomeOutcomes) {
  const StartFailure cases[] = {
      {"bad work dir", [](LaunchSpec& s) { s.work_dir = "/nonexistent/sluice"; }, "work dir"},
      {"bad stdout", [](LaunchSpec& s) { s.stdout_path = "/nonexistent/sluice/out"; },
       "output file"},
      {"bad stderr", [](LaunchSpec& s) { s.stderr_path = "/nonexistent/sluice/err"; },
       "error file"},
      {"no shebang", [](LaunchSpec& s) { s.script = "echo hi\n"; }, "execute"},
  };
  uint32_t id = 20;
  for (const StartFailure& c : cases) {
    LaunchSpec spec = Spec(id, "exit 0");
    c.mutate(spec);
    ASSERT_TRUE(runner_->Launch(spec).ok()) << c.name;
    std::optional<JobOutcome> o = WaitFinished(id, std::chrono::seconds(10));
    ASSERT_TRUE(o.has_value()) << c.name;
    EXPECT_EQ(o->exit_code, 1) << c.name;
    EXPECT_EQ(o->term_signal, 0) << c.name;
    EXPECT_NE(o->error.find(c.error_part), std::string::npos) << c.name << ": " << o->error;
    ++id;
  }
}

TEST_F(JobRunnerTest, LaunchIsIdempotent) {
  ASSERT_TRUE(runner_->Launch(Spec(30, "exit 0")).ok());
  EXPECT_EQ(runner_->Launch(Spec(30, "exit 1")).code(), Code::kAlreadyExists);
  ASSERT_TRUE(WaitFinished(30, std::chrono::seconds(10)).has_value());
  // Still known after it ended: it must not run again.
  EXPECT_EQ(runner_->Launch(Spec(30, "exit 1")).code(), Code::kAlreadyExists);
  EXPECT_EQ(runner_->Launch(Spec(0, "exit 0")).code(), Code::kInvalidArgument);
}

TEST_F(JobRunnerTest, ForgetRemovesSpoolDir) {
  ASSERT_TRUE(runner_->Launch(Spec(31, "exit 0")).ok());
  ASSERT_TRUE(runner_->Launch(Spec(32, "touch ready-32\nsleep 30")).ok());
  ASSERT_TRUE(WaitFinished(31, std::chrono::seconds(10)).has_value());
  ASSERT_TRUE(fs::exists(JobDir(31) + "/outcome.json"));
  runner_->Forget(31);
  EXPECT_FALSE(fs::exists(JobDir(31)));
  for (auto& [id, o] : runner_->Finished()) EXPECT_NE(id, 31u);
  // A running job keeps its dir: its supervisor still needs it.
  ASSERT_TRUE(WaitForFile(work_ + "/ready-32", std::chrono::seconds(10)));
  runner_->Forget(32);
  EXPECT_TRUE(fs::exists(JobDir(32)));
  EXPECT_EQ(runner_->Running(), std::vector<uint32_t>{32});
  ASSERT_TRUE(runner_->Cancel(32).ok());
  ASSERT_TRUE(WaitFinished(32, std::chrono::seconds(10)).has_value());
}

TEST_F(JobRunnerTest, JobsSurviveRunnerRestart) {
  ASSERT_TRUE(runner_->Launch(Spec(40, "exit 4")).ok());
  ASSERT_TRUE(
      runner_->Launch(Spec(41, "touch ready-41\nwhile [ ! -e go-41 ]; do sleep 0.05; done\nexit 7"))
          .ok());
  ASSERT_TRUE(runner_->Launch(Spec(42, "touch ready-42\nsleep 30")).ok());
  ASSERT_TRUE(WaitFinished(40, std::chrono::seconds(10)).has_value());
  ASSERT_TRUE(WaitForFile(work_ + "/ready-41", std::chrono::seconds(10)));
  ASSERT_TRUE(WaitForFile(work_ + "/ready-42", std::chrono::seconds(10)));

  runner_.reset();  // the agent goes away; its jobs do not
  runner_ = std::make_unique<JobRunner>(spool_, stepd_);
  EXPECT_EQ(runner_->Running(), (std::vector<uint32_t>{41, 42}));
  std::vector<std::pair<uint32_t, JobOutcome>> finished = runner_->Finished();
  ASSERT_EQ(finished.size(), 1u);
  EXPECT_EQ(finished[0].first, 40u);
  EXPECT_EQ(finished[0].second.exit_code, 4);
  EXPECT_EQ(runner_->Launch(Spec(41, "exit 0")).code(), Code::kAlreadyExists);

  std::ofstream(work_ + "/go-41").flush();
  std::optional<JobOutcome> o = WaitFinished(41, std::chrono::seconds(10));
  ASSERT_TRUE(o.has_value());
  EXPECT_EQ(o->exit_code, 7);
  EXPECT_EQ(o->error, "");

  // An adopted supervisor (not our child) still obeys Cancel.
  ASSERT_TRUE(runner_->Cancel(42).ok());
  o = WaitFinished(42, std::chrono::seconds(10));
  ASSERT_TRUE(o.has_value());
  EXPECT_TRUE(o->cancelled);
}

TEST_F(JobRunnerTest, DeadSupervisorWithoutOutcomeIsLost) {
  // A job dir as a runner leaves it, whose supervisor pid is dead (as after a reboot).
  pid_t dead = 0;
  char* argv[] = {const_cast<char*>("/bin/true"), nullptr};
  ASSERT_EQ(posix_spawn(&dead, "/bin/true", nullptr, nullptr, argv, environ), 0);
  ASSERT_EQ(waitpid(dead, nullptr, 0), dead);
  runner_.reset();
  const std::string dir = JobDir(50);
  fs::create_directories(dir);
  ASSERT_TRUE(
      internal::WriteFileAtomic(dir + "/spec.json", internal::SpecToJson(Spec(50, "")), 0600).ok());
  ASSERT_TRUE(internal::WriteFileAtomic(dir + "/pid", std::to_string(dead) + "\n", 0644).ok());

  runner_ = std::make_unique<JobRunner>(spool_, stepd_);
  EXPECT_TRUE(runner_->Running().empty());
  std::vector<std::pair<uint32_t, JobOutcome>> finished = runner_->Finished();
  ASSERT_EQ(finished.size(), 1u);
  EXPECT_EQ(finished[0].first, 50u);
  EXPECT_EQ(finished[0].second.term_signal, SIGKILL);
  EXPECT_EQ(finished[0].second.error, "supervisor lost");
  // Written down, so the verdict is stable across further restarts.
  EXPECT_TRUE(fs::exists(dir + "/outcome.json"));
}

TEST_F(JobRunnerTest, KilledSupervisorIsLost) {
  ASSERT_TRUE(runner_->Launch(Spec(51, "touch ready-51\nsleep 30")).ok());
  ASSERT_TRUE(WaitForFile(work_ + "/ready-51", std::chrono::seconds(10)));
  std::optional<pid_t> stepd = internal::ReadPidFile(JobDir(51) + "/pid");
  std::optional<pid_t> job = internal::ReadPidFile(JobDir(51) + "/job.pid");
  ASSERT_TRUE(stepd.has_value());
  ASSERT_TRUE(job.has_value());
  ASSERT_EQ(kill(*stepd, SIGKILL), 0);
  std::optional<JobOutcome> o = WaitFinished(51, std::chrono::seconds(10));
  killpg(*job, SIGKILL);  // the orphaned job, which nothing supervises any more
  ASSERT_TRUE(o.has_value());
  EXPECT_EQ(o->term_signal, SIGKILL);
  EXPECT_NE(o->error.find("supervisor lost"), std::string::npos) << o->error;
}

TEST_F(JobRunnerTest, WaitForChangeWakesOnExit) {
  ASSERT_TRUE(runner_->Launch(Spec(60, "exit 0")).ok());
  const auto start = Clock::now();
  while (runner_->Finished().empty() && Clock::now() - start < std::chrono::seconds(20)) {
    runner_->WaitForChange(30000);
  }
  // Far below the 30 s timeout: the wait ended because the job did.
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(20));
  EXPECT_EQ(runner_->Finished().size(), 1u);
}

TEST_F(JobRunnerTest, ManyJobsLaunchedFromAnotherThread) {
  constexpr uint32_t kJobs = 40;
  std::thread launcher([&] {
    for (uint32_t id = 100; id < 100 + kJobs; ++id) {
      LaunchSpec spec = Spec(id, "exit $1");
      spec.argv = {std::to_string(id % 7)};
      EXPECT_TRUE(runner_->Launch(spec).ok()) << id;
    }
  });
  std::map<uint32_t, JobOutcome> done;
  const auto deadline = Clock::now() + std::chrono::seconds(60);
  while (done.size() < kJobs && Clock::now() < deadline) {
    runner_->WaitForChange(200);
    for (auto& [id, o] : runner_->Finished()) {
      done[id] = o;
      runner_->Forget(id);
    }
  }
  launcher.join();
  ASSERT_EQ(done.size(), kJobs);
  for (auto& [id, o] : done) EXPECT_EQ(o.exit_code, static_cast<int>(id % 7)) << id;
  EXPECT_TRUE(fs::is_empty(spool_ + "/jobs"));
  // No zombie supervisors left behind.
  EXPECT_LE(waitpid(-1, nullptr, WNOHANG), 0);
}

TEST_F(JobRunnerTest, SpoolDirIsPrivate) {
  struct stat st;
  ASSERT_EQ(stat(spool_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  ASSERT_TRUE(runner_->Launch(Spec(70, "exit 0")).ok());
  ASSERT_EQ(stat((JobDir(70) + "/script").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  ASSERT_TRUE(WaitFinished(70, std::chrono::seconds(10)).has_value());
}

}  // namespace
}  // namespace sluice::exec
