// sbatch's --placement (Sluice's): the job's node placement policy, from the command line,
// #SBATCH and SBATCH_PLACEMENT.
#include <gtest/gtest.h>

#include "compat/slurm/sbatch_options.h"

namespace sluice::compat::slurm {
namespace {

TEST(SbatchPlacement, EveryBuiltInName) {
  for (const char* name : {"best-fit", "compact", "spread", "locality"}) {
    auto r = ParseSbatchCommandLine({std::string("--placement=") + name, "job.sh"});
    ASSERT_TRUE(r.ok()) << name << ": " << r.status().message();
    EXPECT_EQ(r->spec.placement, name);
    EXPECT_TRUE(r->ignored_options.empty());
  }
  auto separate = ParseSbatchCommandLine({"--placement", "spread", "job.sh"});
  ASSERT_TRUE(separate.ok());
  EXPECT_EQ(separate->spec.placement, "spread");
  auto none = ParseSbatchCommandLine({"job.sh"});
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->spec.placement, "");
}

TEST(SbatchPlacement, UnknownNameListsTheValidOnes) {
  auto r = ParseSbatchCommandLine({"--placement=tight", "job.sh"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "Invalid --placement specification \"tight\": use best-fit, compact, locality, spread "
            "or weight-first");
  auto missing = ParseSbatchCommandLine({"job.sh", "--placement"});  // after the script: argv
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing->spec.placement, "");
}

TEST(SbatchPlacement, ScriptEnvironmentAndCommandLine) {
  const std::string script =
      "#!/bin/sh\n"
      "#SBATCH --placement=compact\n"
      "run\n";
  auto only_script = ResolveSbatch({"job.sh"}, script, {});
  ASSERT_TRUE(only_script.ok()) << only_script.status().message();
  EXPECT_EQ(only_script->spec.placement, "compact");
  auto env = ResolveSbatch({"job.sh"}, script, {"SBATCH_PLACEMENT=spread"});
  ASSERT_TRUE(env.ok()) << env.status().message();
  EXPECT_EQ(env->spec.placement, "spread");
  auto cli = ResolveSbatch({"--placement=locality", "job.sh"}, script, {"SBATCH_PLACEMENT=spread"});
  ASSERT_TRUE(cli.ok()) << cli.status().message();
  EXPECT_EQ(cli->spec.placement, "locality");

  auto bad = ResolveSbatch({"job.sh"}, "#!/bin/sh\n#\n#SBATCH --placement=wide\nrun\n", {});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            "#SBATCH on line 3: Invalid --placement specification \"wide\": use best-fit, "
            "compact, locality, spread or weight-first");
  auto bad_env = ResolveSbatch({"job.sh"}, "#!/bin/sh\nrun\n", {"SBATCH_PLACEMENT=x"});
  ASSERT_FALSE(bad_env.ok());
  EXPECT_EQ(bad_env.status().message(),
            "SBATCH_PLACEMENT: Invalid --placement specification \"x\": use best-fit, compact, "
            "locality, spread or weight-first");
}

}  // namespace
}  // namespace sluice::compat::slurm

namespace sluice::compat::slurm {
namespace {

TEST(SbatchNtasksPerSocketTest, ParsedFromCommandLineAndDirectives) {
  auto r = ResolveSbatch({"--ntasks-per-socket=2", "--wrap", "true"}, "", {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->spec.ntasks_per_socket, 2u);
  auto d = ResolveSbatch({}, "#!/bin/sh\n#SBATCH --ntasks-per-socket=1\ntrue\n", {});
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->spec.ntasks_per_socket, 1u);
  EXPECT_FALSE(ResolveSbatch({"--ntasks-per-socket=0", "--wrap", "true"}, "", {}).ok());
}

}  // namespace
}  // namespace sluice::compat::slurm
