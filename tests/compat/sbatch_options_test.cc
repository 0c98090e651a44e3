#include "compat/slurm/sbatch_options.h"

#include <gtest/gtest.h>

namespace sluice::compat::slurm {
namespace {

using Args = std::vector<std::string>;

TEST(ParseSbatchCommandLine, OptionForms) {
  const Args forms[] = {
      {"-n4", "s.sh"},
      {"-n", "4", "s.sh"},
      {"--ntasks=4", "s.sh"},
      {"--ntasks", "4", "s.sh"},
      {"--ntasks=4", "--parsa", "s.sh"},  // a unique prefix
  };
  for (const Args& form : forms) {
    auto r = ParseSbatchCommandLine(form);
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_EQ(r->spec.num_tasks, 4u);
    EXPECT_EQ(r->script_path, "s.sh");
  }
}

TEST(ParseSbatchCommandLine, AllOptions) {
  auto r = ParseSbatchCommandLine({"-N",        "2",      "-c",   "3",  "--mem=4G", "-t",
                                   "1-2:03:04", "-J",     "name", "-o", "out-%j",   "-e",
                                   "err-%j",    "-p",     "gpu",  "-D", "/work",    "--parsable",
                                   "-H",        "job.sh", "a",    "-n", "b"});
  ASSERT_TRUE(r.ok()) << r.status().message();
  const auto& s = r->spec;
  EXPECT_EQ(s.num_nodes, 2u);
  EXPECT_EQ(s.cpus_per_task, 3u);
  EXPECT_EQ(s.mem_per_node_mb, 4096u);
  EXPECT_EQ(s.mem_per_cpu_mb, 0u);
  EXPECT_EQ(s.time_limit, 86400 + 2 * 3600 + 3 * 60 + 4);
  EXPECT_EQ(s.name, "name");
  EXPECT_EQ(s.stdout_path, "out-%j");
  EXPECT_EQ(s.stderr_path, "err-%j");
  EXPECT_EQ(s.partition, "gpu");
  EXPECT_EQ(s.work_dir, "/work");
  EXPECT_TRUE(r->parsable);
  EXPECT_TRUE(s.hold);
  EXPECT_EQ(r->script_path, "job.sh");
  EXPECT_EQ(s.command, "job.sh");
  EXPECT_EQ(s.argv, (Args{"a", "-n", "b"}));  // options after the script belong to it
  EXPECT_EQ(s.num_tasks, 0u);
}

TEST(ParseSbatchCommandLine, BundledShortFlagsAndDoubleDash) {
  auto r = ParseSbatchCommandLine({"-Hn2", "--", "-weird.sh"});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_TRUE(r->spec.hold);
  EXPECT_EQ(r->spec.num_tasks, 2u);
  EXPECT_EQ(r->script_path, "-weird.sh");
}

TEST(ParseSbatchCommandLine, DefaultNames) {
  auto wrap = ParseSbatchCommandLine({"--wrap", "echo hi"});
  ASSERT_TRUE(wrap.ok());
  EXPECT_EQ(wrap->spec.name, "wrap");
  EXPECT_TRUE(wrap->has_wrap);
  EXPECT_EQ(wrap->wrap, "echo hi");
  EXPECT_EQ(wrap->spec.script,
            "#!/bin/sh\n# This script was created by sbatch --wrap.\n\necho hi\n");
  EXPECT_EQ(wrap->spec.command, "");

  auto script = ParseSbatchCommandLine({"/home/a/run.sh"});
  ASSERT_TRUE(script.ok());
  EXPECT_EQ(script->spec.name, "run.sh");

  auto stdin_script = ParseSbatchCommandLine({"-n", "1"});
  ASSERT_TRUE(stdin_script.ok());
  EXPECT_EQ(stdin_script->spec.name, "sbatch");
  EXPECT_EQ(stdin_script->script_path, "");
}

TEST(ParseSbatchCommandLine, InfoFlagsAndIgnoredOptions) {
  auto r = ParseSbatchCommandLine(
      {"-h", "--usage", "-V", "-A", "acct", "--qos=normal", "--exclusive", "x.sh"});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_TRUE(r->help);
  EXPECT_TRUE(r->usage);
  EXPECT_TRUE(r->version);
  EXPECT_EQ(r->ignored_options, (Args{"-A acct", "--qos=normal", "--exclusive"}));
  EXPECT_EQ(r->script_path, "x.sh");
}

struct ErrorCase {
  Args argv;
  std::string message;
};

// Messages as sbatch 22.05 prints them (after "sbatch: error: " or "sbatch: ").
TEST(ParseSbatchCommandLine, Errors) {
  const ErrorCase cases[] = {
      {{"--foo"}, "unrecognized option '--foo'"},
      {{"-Z"}, "invalid option -- 'Z'"},
      {{"-n", "x"}, "Invalid numeric value \"x\" for --ntasks."},
      {{"-n", "0"}, "Invalid numeric value \"0\" for --ntasks."},
      {{"-n4x"}, "Invalid numeric value \"4x\" for --ntasks."},
      {{"--ntasks="}, "Invalid numeric value \"\" for --ntasks."},
      {{"-c", "x"}, "Invalid numeric value \"x\" for --cpus-per-task."},
      {{"-c", "0"}, "Invalid numeric value \"0\" for --cpus-per-task."},
      {{"-N", "x"}, "\"x\" is not a valid node count"},
      {{"-N", "0"}, "\"0\" is not a valid node count"},
      {{"-t", "abc"}, "Invalid --time specification"},
      {{"--mem", "x"}, "Invalid --mem specification"},
      {{"--mem-per-cpu", "x"}, "Invalid --mem-per-cpu specification"},
      {{"--mem=1G", "--mem-per-cpu=1G"},
       "--mem, --mem-per-cpu, and --mem-per-gpu are mutually exclusive."},
      {{"--wrap", "true", "extra"}, "Script arguments not permitted with --wrap option"},
      {{"-n"}, "option requires an argument -- 'n'"},
      {{"--ntasks"}, "option '--ntasks' requires an argument"},
      {{"--parsable=x"}, "option '--parsable' doesn't allow an argument"},
      {{"--ntas=2"},
       "option '--ntas=2' is ambiguous; possibilities: '--ntasks' '--ntasks-per-node' "
       "'--ntasks-per-core' '--ntasks-per-socket' '--ntasks-per-gpu'"},
  };
  for (const auto& c : cases) {
    auto r = ParseSbatchCommandLine(c.argv);
    ASSERT_FALSE(r.ok()) << c.argv[0];
    EXPECT_EQ(r.status().message(), c.message);
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  }
}

TEST(ParseSbatchCommandLine, NodeRangeTakesMinimum) {
  auto r = ParseSbatchCommandLine({"-N", "2-4", "x.sh"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->spec.num_nodes, 2u);
}

TEST(ExtractSbatchDirectives, Rules) {
  const std::string script =
      "#!/bin/bash\n"
      "#SBATCH -n 4   # four tasks\n"
      "\n"
      "# a plain comment\n"
      "#SBATCH --job-name=\"my job\" -o 'out #1.txt'\n"
      "#SBATCH -e a\\ b\n"
      "#SBATCHX --ignored\n"
      "   # indented comment\n"
      "#SBATCH\n"
      "echo start\n"
      "#SBATCH -p late\n";
  auto r = ExtractSbatchDirectives(script);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(*r, (Args{"-n", "4", "--job-name=my job", "-o", "out #1.txt", "-e", "a b"}));

  auto lines = ExtractSbatchDirectiveLines(script);
  ASSERT_TRUE(lines.ok());
  ASSERT_EQ(lines->size(), 3u);
  EXPECT_EQ((*lines)[0].line, 2);
  EXPECT_EQ((*lines)[1].line, 5);
  EXPECT_EQ((*lines)[2].line, 6);
}

TEST(ExtractSbatchDirectives, UnterminatedQuoteNamesLine) {
  auto r = ExtractSbatchDirectives("#!/bin/sh\n#SBATCH -J \"abc\ntrue\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "#SBATCH on line 2: unmatched \" in: \"abc");
}

TEST(ResolveSbatch, LayersOverrideInOrder) {
  const std::string script =
      "#!/bin/sh\n"
      "#SBATCH -J from_script -p script_part -t 10 -n 2 --mem=1G\n"
      "#SBATCH -o script.out\n"
      "srun hostname\n";
  const Args env = {"HOME=/root", "SBATCH_PARTITION=env_part", "SBATCH_TIMELIMIT=20",
                    "SBATCH_MEM_PER_CPU=512", "SBATCH_UNKNOWN=1"};
  auto r = ResolveSbatch({"-t", "30", "job.sh", "arg1"}, script, env);
  ASSERT_TRUE(r.ok()) << r.status().message();
  const auto& s = r->spec;
  EXPECT_EQ(s.name, "from_script");
  EXPECT_EQ(s.partition, "env_part");
  EXPECT_EQ(s.time_limit, 30 * 60);
  EXPECT_EQ(s.num_tasks, 2u);
  EXPECT_EQ(s.mem_per_node_mb, 0u);  // replaced by the environment's --mem-per-cpu
  EXPECT_EQ(s.mem_per_cpu_mb, 512u);
  EXPECT_EQ(s.stdout_path, "script.out");
  EXPECT_EQ(s.script, script);
  EXPECT_EQ(s.command, "job.sh");
  EXPECT_EQ(s.argv, Args{"arg1"});
  EXPECT_TRUE(s.user.empty());
  EXPECT_TRUE(s.environment.empty());
  EXPECT_TRUE(s.work_dir.empty());
}

TEST(ResolveSbatch, DefaultsAndEnvName) {
  auto r = ResolveSbatch({"/x/y/run.sh"}, "#!/bin/sh\ntrue\n", {"SBATCH_JOB_NAME=envname"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->spec.name, "envname");
  auto d = ResolveSbatch({"/x/y/run.sh"}, "#!/bin/sh\ntrue\n", {});
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->spec.name, "run.sh");
  auto s = ResolveSbatch({}, "#!/bin/sh\ntrue\n", {});
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->spec.name, "sbatch");
}

TEST(ResolveSbatch, WrapIgnoresGivenScript) {
  auto r = ResolveSbatch({"--wrap=sleep 1"}, "not a script", {});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->spec.script, "#!/bin/sh\n# This script was created by sbatch --wrap.\n\nsleep 1\n");
  EXPECT_EQ(r->spec.name, "wrap");
}

TEST(ResolveSbatch, Errors) {
  const std::string ok = "#!/bin/sh\ntrue\n";
  const std::pair<std::string, std::string> scripts[] = {
      {"echo hi\n",
       "This does not look like a batch script.  The first line must start with #! followed by "
       "the path to an interpreter."},
      {"", "Batch script is empty!"},
      {"#!/bin/sh\r\ntrue\r\n",
       "Batch script contains DOS line breaks (\\r\\n) instead of expected UNIX line breaks "
       "(\\n)."},
      {"#!/bin/sh\n#SBATCH --foo\ntrue\n", "#SBATCH on line 2: unrecognized option '--foo'"},
      {"#!/bin/sh\n\n#SBATCH -n x\ntrue\n",
       "#SBATCH on line 3: Invalid numeric value \"x\" for --ntasks."},
      {"#!/bin/sh\n#SBATCH -J \"abc\ntrue\n", "#SBATCH on line 2: unmatched \" in: \"abc"},
      {"#!/bin/sh\n#SBATCH foo -J x\ntrue\n",
       "#SBATCH on line 2: Invalid directive found in batch script: foo"},
  };
  for (const auto& [script, message] : scripts) {
    auto r = ResolveSbatch({"x.sh"}, script, {});
    ASSERT_FALSE(r.ok()) << script;
    EXPECT_EQ(r.status().message(), message);
  }
  auto env = ResolveSbatch({"x.sh"}, ok, {"SBATCH_TIMELIMIT=abc"});
  ASSERT_FALSE(env.ok());
  EXPECT_EQ(env.status().message(), "SBATCH_TIMELIMIT: Invalid --time specification");
  auto cli = ResolveSbatch({"--bogus", "x.sh"}, ok, {});
  ASSERT_FALSE(cli.ok());
  EXPECT_EQ(cli.status().message(), "unrecognized option '--bogus'");
}

TEST(ResolveSbatch, HelpNeedsNoScript) {
  auto r = ResolveSbatch({"--help"}, "", {});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_TRUE(r->help);
}

}  // namespace
}  // namespace sluice::compat::slurm
