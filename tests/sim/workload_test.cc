#include "sim/workload.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "compat/slurm/slurm_conf.h"
#include "sim/driver.h"
#include "sim/trace.h"

namespace sluice::sim {
namespace {

TEST(JobDescriptionsTest, ParsesJobsWithTheirWholeRequest) {
  const char* text =
      "# a GPU workload\n"
      "\n"
      "{\"id\": 7, \"submit\": 120, \"run\": 3000, \"user\": \"alice\", "
      "\"sbatch\": \"-n 4 --gpus-per-node=1 -t 1:00:00 -p gpu\"}\n"
      "  # indented comment\n"
      "{\"run\": 50, \"sbatch\": [\"--gres=mps:25\", \"-J\", \"infer one\", \"-t\", \"10\"], "
      "\"user\": 3}\r\n"
      "{\"submit\": 10, \"run\": 900, \"sbatch\": \"-N 2 --ntasks-per-node=8 -c 2 -t 5:00 "
      "--constraint='a&b' --placement=spread --account=phys --wrap='srun x'\"}\n"
      "{\"submit\": 20, \"run\": 30}\n";
  auto w = ParseJobDescriptions(text);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  EXPECT_EQ(w->records, 4u);
  EXPECT_EQ(w->capped, 1u);          // the 900 s run with -t 5:00
  EXPECT_EQ(w->default_limits, 1u);  // the last job names no -t
  EXPECT_EQ(w->ignored_options, 0u);
  ASSERT_EQ(w->jobs.size(), 4u);

  const SimJob& a = w->jobs[0];
  EXPECT_EQ(a.id, 7u);
  EXPECT_EQ(a.submit, 120);
  EXPECT_EQ(a.run, 3000);
  EXPECT_EQ(a.estimate, 3600);
  EXPECT_EQ(a.procs, 4u);
  ASSERT_NE(a.spec, nullptr);
  EXPECT_EQ(a.spec->user, "alice");
  EXPECT_EQ(a.spec->partition, "gpu");
  EXPECT_EQ(a.spec->num_tasks, 4u);
  EXPECT_EQ(a.spec->gpus_per_node, 1u);
  EXPECT_EQ(a.spec->name, "job7");  // no -J

  const SimJob& b = w->jobs[1];
  EXPECT_EQ(b.id, 2u);  // no id: its position
  EXPECT_EQ(b.submit, 0);
  EXPECT_EQ(b.estimate, 600);  // -t 10 is minutes
  EXPECT_EQ(b.procs, 1u);
  EXPECT_EQ(b.spec->mps_percent, 25u);
  EXPECT_EQ(b.spec->name, "infer one");
  EXPECT_EQ(b.spec->user, "u3");

  const SimJob& c = w->jobs[2];
  EXPECT_EQ(c.procs, 32u);  // 2 nodes x 8 tasks x 2 CPUs
  EXPECT_EQ(c.estimate, 300);
  EXPECT_EQ(c.run, 300);  // capped at -t
  EXPECT_EQ(c.spec->constraint, "a&b");
  EXPECT_EQ(c.spec->placement, "spread");
  EXPECT_EQ(c.spec->account, "phys");
  EXPECT_EQ(c.spec->num_nodes, 2u);
  EXPECT_EQ(c.spec->user, "");  // the driver names it

  const SimJob& d = w->jobs[3];
  EXPECT_EQ(d.id, 4u);
  EXPECT_EQ(d.estimate, 0);  // ResolveTimeLimits gives the partition's
  EXPECT_FALSE(d.spec->time_limit.has_value());
  EXPECT_EQ(d.procs, 1u);
}

TEST(JobDescriptionsTest, CountsOptionsSluiceDoesNotModel) {
  auto w = ParseJobDescriptions("{\"run\": 5, \"sbatch\": \"--mail-type=END -n 2\"}\n");
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  EXPECT_EQ(w->ignored_options, 1u);
  EXPECT_EQ(w->jobs[0].procs, 2u);
}

struct BadLine {
  const char* text;
  const char* message;  // the whole one-line message
};

class BadJobLineTest : public ::testing::TestWithParam<BadLine> {};

TEST_P(BadJobLineTest, FailsWithOneLineNamingTheLine) {
  const std::string text = std::string("# header\n{\"run\": 1}\n") + GetParam().text + "\n";
  auto w = ParseJobDescriptions(text);
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(w.status().message(), GetParam().message);
  EXPECT_EQ(w.status().message().find('\n'), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(
    Errors, BadJobLineTest,
    ::testing::Values(
        BadLine{"{\"run\": 1,}",
                "line 3: bad JSON at column 11: syntax error while parsing object key - "
                "unexpected '}'; expected string literal"},
        BadLine{"[1, 2]",
                "line 3: expected one JSON object a line, e.g. {\"submit\": 0, \"run\": 60, "
                "\"sbatch\": \"-n 4\"}"},
        BadLine{"{\"submit\": 5}", "line 3: missing \"run\": the job's run time in seconds"},
        BadLine{"{\"run\": 0}", "line 3: \"run\" must be whole seconds, > 0, not 0"},
        BadLine{"{\"run\": 1.5}", "line 3: \"run\" must be whole seconds, > 0, not 1.5"},
        BadLine{"{\"run\": 1, \"submit\": -1}",
                "line 3: \"submit\" must be whole seconds from the start, >= 0, not -1"},
        BadLine{"{\"run\": 1, \"id\": \"x\"}",
                "line 3: \"id\" must be a positive whole number, not \"x\""},
        BadLine{"{\"run\": 1, \"runtime\": 5}",
                "line 3: unknown key \"runtime\" (known: id, submit, run, user, sbatch)"},
        BadLine{"{\"run\": 1, \"user\": true}",
                "line 3: \"user\" must be a name or a user number, not true"},
        BadLine{"{\"run\": 1, \"sbatch\": 4}",
                "line 3: \"sbatch\" must be a string of options or an array of arguments, not 4"},
        BadLine{"{\"run\": 1, \"sbatch\": [\"-n\", 4]}",
                "line 3: \"sbatch\" as an array must hold strings, not 4"},
        BadLine{"{\"run\": 1, \"sbatch\": \"--foo\"}",
                "line 3: sbatch: unrecognized option '--foo'"},
        BadLine{"{\"run\": 1, \"sbatch\": \"-J 'x\"}", "line 3: unterminated ' quote"},
        BadLine{"{\"run\": 1, \"sbatch\": \"-n x\"}",
                "line 3: sbatch: Invalid numeric value \"x\" for --ntasks."},
        BadLine{"{\"run\": 1, \"sbatch\": \"-H\"}",
                "line 3: sbatch: --hold: a held job would never start in a replay"}));

TEST(SplitShellWordsTest, QuotesAsTheShellDoes) {
  struct Case {
    const char* text;
    std::vector<std::string> words;
  };
  const Case cases[] = {
      {"", {}},
      {"  -n 4\t-p  gpu ", {"-n", "4", "-p", "gpu"}},
      {"-J 'a b' --wrap=\"echo \\\"hi\\\" \\$x\"", {"-J", "a b", "--wrap=echo \"hi\" $x"}},
      {"a\\ b 'c'\"d\" ''", {"a b", "cd", ""}},
      {"\"a\\nb\"", {"a\\nb"}},  // inside "...", a backslash escapes only \" \\ \$ \`
  };
  for (const Case& c : cases) {
    auto words = SplitShellWords(c.text);
    ASSERT_TRUE(words.ok()) << c.text;
    EXPECT_EQ(*words, c.words) << c.text;
  }
  EXPECT_FALSE(SplitShellWords("\"abc").ok());
  EXPECT_FALSE(SplitShellWords("'abc").ok());
}

TEST(RequestedCpusTest, TasksTimesCpusPerTask) {
  core::model::JobSpec s;
  EXPECT_EQ(RequestedCpus(s), 1u);  // one task
  s.num_nodes = 3;
  EXPECT_EQ(RequestedCpus(s), 3u);  // one task a node
  s.ntasks_per_node = 4;
  EXPECT_EQ(RequestedCpus(s), 12u);
  s.cpus_per_task = 2;
  EXPECT_EQ(RequestedCpus(s), 24u);
  s.num_tasks = 5;
  EXPECT_EQ(RequestedCpus(s), 10u);
}

TEST(ResolveTimeLimitsTest, AppliesThePartitionDefaultAsSlurmctldDoes) {
  auto cc = compat::slurm::ParseSlurmConf(
      "NodeName=n1 CPUs=4 RealMemory=4000\n"
      "PartitionName=short Nodes=n1 Default=YES DefaultTime=10 MaxTime=1:00:00\n"
      "PartitionName=long Nodes=n1 MaxTime=2:00:00\n"
      "PartitionName=free Nodes=n1 MaxTime=UNLIMITED\n"
      "QOS=normal\n"
      "QOS=quick MaxWall=00:05:00\n");
  ASSERT_TRUE(cc.ok()) << cc.status().ToString();
  auto w = ParseJobDescriptions(
      "{\"run\": 1000}\n"                                    // short's DefaultTime, 600: capped
      "{\"run\": 1000, \"sbatch\": \"-p long\"}\n"           // no DefaultTime: MaxTime
      "{\"run\": 1000, \"sbatch\": \"-p free\"}\n"           // UNLIMITED
      "{\"run\": 1000, \"sbatch\": \"-p long -q quick\"}\n"  // the QOS's MaxWall
      "{\"run\": 1000, \"sbatch\": \"-p nosuch\"}\n"         // refused at submission later
      "{\"run\": 1000, \"sbatch\": \"-p long -t 20\"}\n");   // asked: kept
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  EXPECT_EQ(ResolveTimeLimits(*cc, &w->jobs), 2u);
  const std::vector<Seconds> estimates = {600, 7200, kUnlimited, 300, 0, 1200};
  const std::vector<Seconds> runs = {600, 1000, 1000, 300, 1000, 1000};
  for (size_t i = 0; i < estimates.size(); ++i) {
    EXPECT_EQ(w->jobs[i].estimate, estimates[i]) << i;
    EXPECT_EQ(w->jobs[i].run, runs[i]) << i;
  }
}

TEST(TraceFormatTest, DetectsTheFormatFromNameAndText) {
  struct Case {
    const char* path;
    const char* text;
    TraceFormat format;
  };
  const Case cases[] = {
      {"a.swf", "{", TraceFormat::kSwf},
      {"a.SWF", "", TraceFormat::kSwf},
      {"a.jsonl", "", TraceFormat::kJobs},
      {"a.json", "", TraceFormat::kJobs},
      {"trace", "; Version: 2.2\n", TraceFormat::kSwf},
      {"trace", "\n1 0 5 100 4 -1 -1 4 200 -1 1 7 1 -1 -1 -1 -1 -1\n", TraceFormat::kSwf},
      {"w.txt", "# comment\n\n  {\"run\": 1}\n", TraceFormat::kJobs},
      {"h.txt", "JobID|Submit|Start|End|NCPUS\n", TraceFormat::kSacct},
      {"h.txt", "User|jobid|Submit|Start|End|NCPUS|\n", TraceFormat::kSacct},
  };
  for (const Case& c : cases) {
    auto f = DetectTraceFormat(c.path, c.text);
    ASSERT_TRUE(f.ok()) << c.path << ": " << f.status().ToString();
    EXPECT_EQ(*f, c.format) << c.path << ": " << c.text;
  }
  auto unknown = DetectTraceFormat("x.txt", "hello world\n");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().message(),
            "cannot tell the format of x.txt: give --format swf, jobs (JSON lines) or sacct "
            "(sacct -P output)");
  EXPECT_EQ(ParseTraceFormat("sacct"), TraceFormat::kSacct);
  EXPECT_EQ(ParseTraceFormat("jobs"), TraceFormat::kJobs);
  EXPECT_EQ(ParseTraceFormat("swf"), TraceFormat::kSwf);
  EXPECT_FALSE(ParseTraceFormat("csv").has_value());
}

// One node of 8 CPUs and two GPUs, one-second planning so hand-worked times are exact.
core::cluster::ClusterConfig TwoGpuNode() {
  auto cc = compat::slurm::ParseSlurmConf(
      "NodeName=g1 CPUs=8 RealMemory=16000 Gres=gpu:2\n"
      "PartitionName=gpu Nodes=g1 Default=YES MaxTime=1:00:00\n"
      "SchedulerParameters=bf_resolution=1\n");
  EXPECT_TRUE(cc.ok()) << cc.status().ToString();
  return *cc;
}

std::map<uint64_t, Seconds> Starts(const char* workload, const std::string& policy,
                                   uint64_t* rejected = nullptr) {
  auto w = ParseJobDescriptions(workload);
  EXPECT_TRUE(w.ok()) << w.status().ToString();
  SimConfig config;
  config.policy = policy;
  config.cluster = TwoGpuNode();
  ResolveTimeLimits(*config.cluster, &w->jobs);
  auto result = Simulate(config, w->jobs);
  EXPECT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->unfinished, 0u);
  if (rejected != nullptr) *rejected = result->rejected;
  std::map<uint64_t, Seconds> starts;
  for (const JobOutcome& j : result->jobs) starts[j.id] = j.start;
  return starts;
}

// Whole GPUs are exclusive: the third one-GPU job waits for the first to end, though CPUs are
// free. The CPU-only job behind it waits too under fifo; backfill starts it at once.
TEST(GpuReplayTest, WholeGpusAreNotShared) {
  const char* jobs =
      "{\"id\": 1, \"run\": 100, \"sbatch\": \"--gpus=1 -t 3:20\"}\n"
      "{\"id\": 2, \"run\": 150, \"sbatch\": \"--gpus=1 -t 3:20\"}\n"
      "{\"id\": 3, \"run\": 100, \"sbatch\": \"--gpus=1 -t 3:20\"}\n"
      "{\"id\": 4, \"run\": 10, \"sbatch\": \"-n 2 -t 1\"}\n";  // CPUs only: runs at once
  for (const char* policy : {"fifo", "easy", "conservative"}) {
    const Seconds fourth = std::string(policy) == "fifo" ? 100 : 0;
    const std::map<uint64_t, Seconds> expected = {{1, 0}, {2, 0}, {3, 100}, {4, fourth}};
    EXPECT_EQ(Starts(jobs, policy), expected) << policy;
  }
}

// MPS shares: four jobs of half a GPU fill both GPUs at once (two on each, the least occupied
// GPU first); a fifth waits for a share to end, and a whole-GPU job for a GPU with no share.
TEST(GpuReplayTest, MpsJobsShareGpus) {
  const char* jobs =
      "{\"id\": 1, \"run\": 100, \"sbatch\": \"--gres=mps:50 -t 3:20\"}\n"
      "{\"id\": 2, \"run\": 100, \"sbatch\": \"--gres=mps:50 -t 3:20\"}\n"
      "{\"id\": 3, \"run\": 300, \"sbatch\": \"--gres=mps:50 -t 6:40\"}\n"
      "{\"id\": 4, \"run\": 300, \"sbatch\": \"--gres=mps:50 -t 6:40\"}\n"
      "{\"id\": 5, \"submit\": 10, \"run\": 50, \"sbatch\": \"--gres=mps:50 -t 1:40\"}\n";
  const std::map<uint64_t, Seconds> expected = {{1, 0}, {2, 0}, {3, 0}, {4, 0}, {5, 100}};
  EXPECT_EQ(Starts(jobs, "easy"), expected);
}

// Jobs 1 and 2 take a half share each; least-occupied spreads them over both GPUs, so the
// whole-GPU job 3 waits until job 1 ends at 100 and frees GPU 0.
TEST(GpuReplayTest, AWholeGpuWaitsForAGpuWithoutShares) {
  const char* jobs =
      "{\"id\": 1, \"run\": 100, \"sbatch\": \"--gres=mps:50 -t 3:20\"}\n"
      "{\"id\": 2, \"run\": 300, \"sbatch\": \"--gres=mps:50 -t 6:40\"}\n"
      "{\"id\": 3, \"run\": 50, \"sbatch\": \"--gpus=1 -t 1:40\"}\n";
  const std::map<uint64_t, Seconds> expected = {{1, 0}, {2, 0}, {3, 100}};
  EXPECT_EQ(Starts(jobs, "fifo"), expected);
}

// A partition the cluster lacks, and more GPUs than a node has, are refused at submission.
TEST(GpuReplayTest, RefusesWhatTheClusterCannotRun) {
  uint64_t rejected = 0;
  const auto starts = Starts(
      "{\"id\": 1, \"run\": 10, \"sbatch\": \"-p cpu\"}\n"
      "{\"id\": 2, \"run\": 10, \"sbatch\": \"--gpus-per-node=3\"}\n"
      "{\"id\": 3, \"run\": 10}\n",
      "easy", &rejected);
  EXPECT_EQ(rejected, 2u);
  const std::map<uint64_t, Seconds> expected = {{3, 0}};
  EXPECT_EQ(starts, expected);
}

}  // namespace
}  // namespace sluice::sim
