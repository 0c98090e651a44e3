// slurm.conf, the subset Sluice models (core/cluster/config.h).
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"
#include "core/cluster/config.h"

namespace sluice::compat::slurm {

// Parses slurm.conf text. Understood: ClusterName, KillWait, MinJobAge, SlurmdTimeout,
// DefMemPerCPU, FirstJobId; NodeName=<hostlist> CPUs Sockets CoresPerSocket ThreadsPerCore
// RealMemory (NodeName=DEFAULT sets defaults for later lines; without CPUs a node has
// Sockets*CoresPerSocket*ThreadsPerCore, and CPUs alone means one core per socket as in Slurm);
// PartitionName=<name> Nodes=<hostlist|ALL> Default=YES|NO MaxTime DefaultTime State DefMemPerCPU
// (PartitionName=DEFAULT likewise). Keys are case-insensitive, '#' starts a comment, a trailing
// '\' continues a line, other keys are ignored. Fails with InvalidArgument naming the line:
// a malformed word, a bad number or time, a node defined twice, a partition naming an undefined
// node.
Result<core::cluster::ClusterConfig> ParseSlurmConf(std::string_view text);

// Reads and parses the file at `path`; the only function here that does I/O. Fails with
// NotFound when the file cannot be read, else as ParseSlurmConf with the path in the message.
Result<core::cluster::ClusterConfig> LoadSlurmConf(const std::string& path);

}  // namespace sluice::compat::slurm
