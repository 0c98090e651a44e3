// sbatch's GPU options (--gpus, --gpus-per-node, --gpus-per-task, --gres, --gpu-mem) and
// --reservation, from the command line, #SBATCH and SBATCH_* variables.
#include <gtest/gtest.h>

#include "compat/slurm/sbatch_options.h"

namespace sluice::compat::slurm {
namespace {

using Args = std::vector<std::string>;

struct GpuCase {
  Args argv;
  uint32_t gpus, per_node, per_task;
  std::string type;
  uint32_t mps, shards;
  uint64_t gpu_mem;
};

TEST(SbatchGpuOptions, Forms) {
  const GpuCase cases[] = {
      {{"--gpus=2"}, 2, 0, 0, "", 0, 0, 0},
      {{"-G", "a100:4"}, 4, 0, 0, "a100", 0, 0, 0},
      {{"--gpus-per-node=h100:2"}, 0, 2, 0, "h100", 0, 0, 0},
      {{"--gpus-per-task", "1"}, 0, 0, 1, "", 0, 0, 0},
      {{"--gres=gpu"}, 0, 1, 0, "", 0, 0, 0},
      {{"--gres=gpu:3"}, 0, 3, 0, "", 0, 0, 0},
      {{"--gres=gpu:v100"}, 0, 1, 0, "v100", 0, 0, 0},
      {{"--gres=gpu:v100:2"}, 0, 2, 0, "v100", 0, 0, 0},
      {{"--gres=mps:25", "--gpu-mem=8G"}, 0, 0, 0, "", 25, 0, 8192},
      {{"--gres=shard:3", "--gpu-mem=512"}, 0, 0, 0, "", 0, 3, 512},
      // A later --gres replaces an earlier one, whole GPUs included.
      {{"--gres=gpu:2", "--gres=mps:50"}, 0, 0, 0, "", 50, 0, 0},
      {{"--gres=mps:50", "--gres=none"}, 0, 0, 0, "", 0, 0, 0},
  };
  for (const auto& c : cases) {
    Args argv = c.argv;
    argv.push_back("job.sh");
    auto r = ParseSbatchCommandLine(argv);
    ASSERT_TRUE(r.ok()) << c.argv[0] << ": " << r.status().message();
    const auto& s = r->spec;
    EXPECT_EQ(s.gpus, c.gpus) << c.argv[0];
    EXPECT_EQ(s.gpus_per_node, c.per_node) << c.argv[0];
    EXPECT_EQ(s.gpus_per_task, c.per_task) << c.argv[0];
    EXPECT_EQ(s.gpu_type, c.type) << c.argv[0];
    EXPECT_EQ(s.mps_percent, c.mps) << c.argv[0];
    EXPECT_EQ(s.shards, c.shards) << c.argv[0];
    EXPECT_EQ(s.gpu_memory_mb, c.gpu_mem) << c.argv[0];
    EXPECT_TRUE(r->ignored_options.empty()) << c.argv[0];
  }
}

TEST(SbatchGpuOptions, Reservation) {
  auto r = ParseSbatchCommandLine({"--reservation=maint", "job.sh"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->spec.reservation, "maint");
  EXPECT_TRUE(r->ignored_options.empty());
}

TEST(SbatchGpuOptions, Errors) {
  const std::pair<Args, std::string> cases[] = {
      {{"--gres=fpga:1"}, "Invalid generic resource (gres) specification"},
      {{"--gres=gpu:a:b:c"}, "Invalid generic resource (gres) specification"},
      {{"--gres=gpu:a100:x"}, "Invalid generic resource (gres) specification"},
      {{"--gres=mps"}, "Invalid generic resource (gres) specification"},
      {{"--gres=mps:0"}, "Invalid generic resource (gres) specification"},
      {{"--gres=shard:x"}, "Invalid generic resource (gres) specification"},
      {{"--gres=mps:150"}, "Invalid --gres=mps:150: mps is a percentage of one GPU, 1 to 100"},
      {{"--gpus=0"}, "Invalid --gpus specification"},
      {{"--gpus=a100:"}, "Invalid --gpus specification"},
      {{"--gpus=:2"}, "Invalid --gpus specification"},
      {{"--gpus-per-node=x"}, "Invalid --gpus-per-node specification"},
      {{"--gpus-per-task=a:b:1"}, "Invalid --gpus-per-task specification"},
      {{"--gpu-mem=lots"}, "Invalid --gpu-mem specification"},
      {{"--gres=gpu:1,mps:25"},
       "--gres=mps or --gres=shard cannot be combined with whole GPUs (--gpus, --gpus-per-node, "
       "--gpus-per-task, --gres=gpu) in one job"},
      {{"--gpus=1", "--gres=shard:2"},
       "--gres=mps or --gres=shard cannot be combined with whole GPUs (--gpus, --gpus-per-node, "
       "--gpus-per-task, --gres=gpu) in one job"},
  };
  for (const auto& [argv, message] : cases) {
    auto r = ParseSbatchCommandLine(argv);
    ASSERT_FALSE(r.ok()) << argv[0];
    EXPECT_EQ(r.status().message(), message) << argv[0];
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  }
}

TEST(SbatchGpuOptions, DirectivesEnvironmentAndCommandLineLayer) {
  const std::string script =
      "#!/bin/sh\n"
      "#SBATCH --gres=gpu:v100:2\n"
      "#SBATCH --gpu-mem=4G --reservation=r1\n"
      "run\n";
  auto only_script = ResolveSbatch({"job.sh"}, script, {});
  ASSERT_TRUE(only_script.ok()) << only_script.status().message();
  EXPECT_EQ(only_script->spec.gpus_per_node, 2u);
  EXPECT_EQ(only_script->spec.gpu_type, "v100");
  EXPECT_EQ(only_script->spec.gpu_memory_mb, 4096u);
  EXPECT_EQ(only_script->spec.reservation, "r1");

  // SBATCH_GRES replaces the script's --gres; the command line's --gpus then adds to it.
  auto env = ResolveSbatch({"job.sh"}, script, {"SBATCH_GRES=mps:30", "SBATCH_RESERVATION=r2"});
  ASSERT_TRUE(env.ok()) << env.status().message();
  EXPECT_EQ(env->spec.gpus_per_node, 0u);
  EXPECT_EQ(env->spec.gpu_type, "");  // the replaced --gres's type goes with it
  EXPECT_EQ(env->spec.mps_percent, 30u);
  EXPECT_EQ(env->spec.reservation, "r2");

  auto cli = ResolveSbatch({"--gpus-per-task=a100:1", "job.sh"}, script, {"SBATCH_GPUS=3"});
  ASSERT_TRUE(cli.ok()) << cli.status().message();
  EXPECT_EQ(cli->spec.gpus, 3u);
  EXPECT_EQ(cli->spec.gpus_per_task, 1u);
  EXPECT_EQ(cli->spec.gpu_type, "a100");

  auto mixed = ResolveSbatch({"--gres=shard:1", "job.sh"}, script, {"SBATCH_GPUS_PER_NODE=1"});
  ASSERT_FALSE(mixed.ok());
  EXPECT_NE(mixed.status().message().find("cannot be combined with whole GPUs"), std::string::npos);

  auto bad = ResolveSbatch({"job.sh"}, "#!/bin/sh\n#SBATCH --gres=tpu:1\nrun\n", {});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            "#SBATCH on line 2: Invalid generic resource (gres) specification");
  auto bad_env = ResolveSbatch({"job.sh"}, "#!/bin/sh\nrun\n", {"SBATCH_GPUS=x"});
  ASSERT_FALSE(bad_env.ok());
  EXPECT_EQ(bad_env.status().message(), "SBATCH_GPUS: Invalid --gpus specification");
}

}  // namespace
}  // namespace sluice::compat::slurm
