// What a node has: CPUs and memory from hwloc, the rest from the kernel.
#pragma once

#include <cstdint>
#include <string>

#include "core/cluster/commands.h"

namespace sluice::noded {

// Detects this host's inventory under `name`; `cpus`/`memory_mb` (when non-zero) override what
// hwloc finds, so several agents can emulate different nodes on one host.
core::cluster::NodeInventory DetectInventory(const std::string& name, uint32_t cpus,
                                             uint64_t memory_mb);

}  // namespace sluice::noded
