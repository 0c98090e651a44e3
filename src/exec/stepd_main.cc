// sluice-stepd <job_dir>: the per-job supervisor that JobRunner spawns. Kept tiny (no gRPC,
// no protobuf) because it starts once per job.
#include <cstdio>

#include "exec/internal/stepd.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: sluice-stepd JOB_DIR (started by sluice-noded)\n");
    return 2;
  }
  return sluice::exec::internal::RunStepd(argv[1]);
}
