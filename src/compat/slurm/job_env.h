// The environment a batch job runs with: the submit environment plus SLURM_* and SLUICE_*.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/model/job.h"

namespace sluice::compat::slurm {

// Returns job.spec->environment ("NAME=value") with Slurm's job variables set for the batch step
// on `node_name`, replacing any of the same name: SLURM_JOB_ID, SLURM_JOBID, SLURM_JOB_NAME,
// SLURM_JOB_NODELIST, SLURM_NODELIST (compressed host list), SLURM_NNODES, SLURM_JOB_NUM_NODES,
// SLURM_NTASKS, SLURM_NPROCS, SLURM_CPUS_PER_TASK, SLURM_CPUS_ON_NODE (CPUs allocated on
// node_name), SLURM_JOB_CPUS_PER_NODE and SLURM_TASKS_PER_NODE ("2(x3),1"), SLURM_SUBMIT_DIR
// (spec work_dir), SLURM_SUBMIT_HOST, SLURM_JOB_PARTITION, SLURMD_NODENAME, SLURM_NODEID,
// SLURM_PROCID, SLURM_LOCALID, SLURM_JOB_USER, SLURM_JOB_UID, SLURM_JOB_GID,
// SLURM_MEM_PER_NODE / SLURM_MEM_PER_CPU (when requested), and the SLUICE_ equivalents
// SLUICE_JOB_ID, SLUICE_JOB_NAME, SLUICE_JOB_NODELIST, SLUICE_NNODES, SLUICE_NTASKS,
// SLUICE_CPUS_ON_NODE, SLUICE_SUBMIT_DIR, SLUICE_JOB_PARTITION, SLUICE_NODENAME. The submit
// environment's other entries keep their order; the job's variables follow. job.spec must be set.
std::vector<std::string> BuildJobEnvironment(const core::model::Job& job,
                                             std::string_view node_name);

// Slurm's compressed per-node count list: {2,2,2,1} -> "2(x3),1".
std::string FormatCountsPerNode(const std::vector<uint32_t>& counts);

}  // namespace sluice::compat::slurm
