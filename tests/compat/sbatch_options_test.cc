#include "compat/slurm/sbatch_options.h"

#include <gtest/gtest.h>

#include <functional>

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
      {"-h", "--usage", "-V", "--comment=c", "--exclusive=user", "-d", "afterok:1", "x.sh"});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_TRUE(r->help);
  EXPECT_TRUE(r->usage);
  EXPECT_TRUE(r->version);
  EXPECT_EQ(r->ignored_options, (Args{"--comment=c", "--exclusive=user", "-d afterok:1"}));
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

// The placement, accounting and priority options, each on the command line and in #SBATCH.
struct SpecCase {
  Args args;
  std::function<void(const core::model::JobSpec&)> check;
};

std::vector<SpecCase> PlacementCases() {
  using core::model::JobSpec;
  return {
      {{"--ntasks-per-node=3"}, [](const JobSpec& s) { EXPECT_EQ(s.ntasks_per_node, 3u); }},
      {{"--ntasks-per-node", "2"}, [](const JobSpec& s) { EXPECT_EQ(s.ntasks_per_node, 2u); }},
      {{"--exclusive"}, [](const JobSpec& s) { EXPECT_TRUE(s.exclusive); }},
      {{"--exclusive=exclusive"}, [](const JobSpec& s) { EXPECT_TRUE(s.exclusive); }},
      {{"--exclusive", "--exclusive=user"}, [](const JobSpec& s) { EXPECT_FALSE(s.exclusive); }},
      {{"-w", "n[1-3],gpu1"},
       [](const JobSpec& s) {
         EXPECT_EQ(s.nodelist, (Args{"n1", "n2", "n3", "gpu1"}));
       }},
      {{"--nodelist=n5"}, [](const JobSpec& s) { EXPECT_EQ(s.nodelist, Args{"n5"}); }},
      {{"-wn[1-2]"},
       [](const JobSpec& s) {
         EXPECT_EQ(s.nodelist, (Args{"n1", "n2"}));
       }},
      {{"-x", "n[2,4]"},
       [](const JobSpec& s) {
         EXPECT_EQ(s.exclude, (Args{"n2", "n4"}));
       }},
      {{"--exclude=n7"}, [](const JobSpec& s) { EXPECT_EQ(s.exclude, Args{"n7"}); }},
      {{"-C", "intel&gpu"}, [](const JobSpec& s) { EXPECT_EQ(s.constraint, "intel&gpu"); }},
      {{"--constraint=[r1|r2]"}, [](const JobSpec& s) { EXPECT_EQ(s.constraint, "[r1|r2]"); }},
      {{"-C", "a,b"}, [](const JobSpec& s) { EXPECT_EQ(s.constraint, "a&b"); }},
      {{"-A", "physics"}, [](const JobSpec& s) { EXPECT_EQ(s.account, "physics"); }},
      {{"--account=chem"}, [](const JobSpec& s) { EXPECT_EQ(s.account, "chem"); }},
      {{"-q", "high"}, [](const JobSpec& s) { EXPECT_EQ(s.qos, "high"); }},
      {{"--qos=low"}, [](const JobSpec& s) { EXPECT_EQ(s.qos, "low"); }},
      {{"--nice"}, [](const JobSpec& s) { EXPECT_EQ(s.nice, 100); }},
      {{"--nice="}, [](const JobSpec& s) { EXPECT_EQ(s.nice, 100); }},
      {{"--nice=7"}, [](const JobSpec& s) { EXPECT_EQ(s.nice, 7); }},
      {{"--nice=-5"}, [](const JobSpec& s) { EXPECT_EQ(s.nice, -5); }},
      {{"--nice=2147483645"}, [](const JobSpec& s) { EXPECT_EQ(s.nice, 2147483645); }},
  };
}

TEST(ParseSbatchCommandLine, PlacementOptions) {
  for (const SpecCase& c : PlacementCases()) {
    Args argv = c.args;
    argv.push_back("x.sh");
    auto r = ParseSbatchCommandLine(argv);
    ASSERT_TRUE(r.ok()) << argv[0] << ": " << r.status().message();
    SCOPED_TRACE(argv[0]);
    c.check(r->spec);
    EXPECT_EQ(r->script_path, "x.sh");
  }
  // --nice takes its value only after '=': a separate word is the script.
  auto nice = ParseSbatchCommandLine({"--nice", "7"});
  ASSERT_TRUE(nice.ok());
  EXPECT_EQ(nice->spec.nice, 100);
  EXPECT_EQ(nice->script_path, "7");
  // --exclusive=user and friends are reported, not modeled.
  auto user = ParseSbatchCommandLine({"--exclusive=user", "--exclusive=MCS", "x.sh"});
  ASSERT_TRUE(user.ok());
  EXPECT_FALSE(user->spec.exclusive);
  EXPECT_EQ(user->ignored_options, (Args{"--exclusive=user", "--exclusive=MCS"}));
}

TEST(ResolveSbatch, PlacementOptionsInDirectives) {
  for (const SpecCase& c : PlacementCases()) {
    std::string script = "#!/bin/sh\n#SBATCH";
    for (const auto& a : c.args) script += " '" + a + "'";
    script += "\ntrue\n";
    auto r = ResolveSbatch({"x.sh"}, script, {});
    ASSERT_TRUE(r.ok()) << script << ": " << r.status().message();
    SCOPED_TRACE(script);
    c.check(r->spec);
  }
}

TEST(ResolveSbatch, PlacementPrecedence) {
  const std::string script =
      "#!/bin/sh\n"
      "#SBATCH -A script_acct -q script_qos -C script -w n1 -x n2 --nice=1 --ntasks-per-node=1\n"
      "true\n";
  // The environment overrides the script, the command line both.
  auto env_only = ResolveSbatch({"x.sh"}, script,
                                {"SBATCH_ACCOUNT=env_acct", "SBATCH_QOS=env_qos",
                                 "SBATCH_CONSTRAINT=env|other", "SBATCH_EXCLUSIVE="});
  ASSERT_TRUE(env_only.ok()) << env_only.status().message();
  EXPECT_EQ(env_only->spec.account, "env_acct");
  EXPECT_EQ(env_only->spec.qos, "env_qos");
  EXPECT_EQ(env_only->spec.constraint, "env|other");
  EXPECT_TRUE(env_only->spec.exclusive);
  EXPECT_EQ(env_only->spec.nodelist, Args{"n1"});
  EXPECT_EQ(env_only->spec.nice, 1);

  auto cli = ResolveSbatch({"-A", "cli_acct", "--qos=cli_qos", "-C", "cli", "-w", "n3", "-x", "n4",
                            "--nice", "--ntasks-per-node=4", "x.sh"},
                           script, {"SBATCH_ACCOUNT=env_acct", "SBATCH_QOS=env_qos"});
  ASSERT_TRUE(cli.ok()) << cli.status().message();
  const auto& s = cli->spec;
  EXPECT_EQ(s.account, "cli_acct");
  EXPECT_EQ(s.qos, "cli_qos");
  EXPECT_EQ(s.constraint, "cli");
  EXPECT_EQ(s.nodelist, Args{"n3"});
  EXPECT_EQ(s.exclude, Args{"n4"});
  EXPECT_EQ(s.nice, 100);
  EXPECT_EQ(s.ntasks_per_node, 4u);
  EXPECT_FALSE(s.exclusive);
  EXPECT_TRUE(cli->ignored_options.empty());
}

TEST(ResolveSbatch, PlacementErrors) {
  const ErrorCase cases[] = {
      {{"--ntasks-per-node=x"}, "Invalid numeric value \"x\" for --ntasks-per-node."},
      {{"--ntasks-per-node=0"}, "Invalid numeric value \"0\" for --ntasks-per-node."},
      {{"--exclusive=foo"}, "Invalid --exclusive specification"},
      {{"--nice=x"}, "Invalid numeric value \"x\" for --nice."},
      {{"--nice=2147483646"}, "Invalid --nice value, out of range (+/- 2147483645)"},
      {{"--nice=-99999999999"}, "Invalid --nice value, out of range (+/- 2147483645)"},
      {{"-w", "n[1-"},
       "Invalid node name specified \"n[1-\": invalid host list \"n[1-\": "
       "unterminated '['"},
      {{"-x", "n[3-1]"}, ""},
      {{"-w", "./hosts"}, "Reading --nodelist from a file is not supported yet: ./hosts"},
      {{"-C", "a||b"},
       "Invalid feature specification \"a||b\": a feature name is missing "
       "before '|'"},
      {{"-C", "a*2"},
       "Invalid feature specification \"a*2\": node counts (*N) are not "
       "supported yet"},
  };
  for (const auto& c : cases) {
    Args argv = c.argv;
    argv.push_back("x.sh");
    auto r = ResolveSbatch(argv, "#!/bin/sh\ntrue\n", {});
    ASSERT_FALSE(r.ok()) << c.argv[0];
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
    if (!c.message.empty()) {
      EXPECT_EQ(r.status().message(), c.message);
    }
  }
  auto directive = ResolveSbatch({"x.sh"}, "#!/bin/sh\n#SBATCH -C '[a&b]'\ntrue\n", {});
  ASSERT_FALSE(directive.ok());
  EXPECT_EQ(directive.status().message(),
            "#SBATCH on line 2: Invalid feature specification \"[a&b]\": '&' inside [...] needs "
            "node counts (*N), which are not supported yet");
  auto env = ResolveSbatch({"x.sh"}, "#!/bin/sh\ntrue\n", {"SBATCH_EXCLUSIVE=1"});
  ASSERT_FALSE(env.ok());
  EXPECT_EQ(env.status().message(), "SBATCH_EXCLUSIVE: Invalid --exclusive specification");
}

}  // namespace
}  // namespace sluice::compat::slurm
