// sinfo's default views, byte for byte as Slurm 22.05 prints them.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/model/node.h"

namespace sluice::compat::slurm {

// A node's state as sinfo shows it: "idle", "mix", "alloc", "down", "unk", or for a drained node
// "drng" while jobs run on it and "drain" after, with '*' appended when the node is not
// responding ("idle*", "down*"), as Slurm does.
std::string SinfoNodeState(const core::model::Node& node);

// sinfo -R ("%20E %9u %19H %N"): the down and drained nodes, one line per reason (with who gave
// it and when), node names compressed, in node name order. Ends each line with '\n'.
std::string FormatSinfoReasons(const std::vector<core::model::NodePtr>& nodes, bool header);

// sinfo's default view ("%#P %.5a %.10l %.6D %.6t %N"): one line per partition (in the given
// order) and node state, states in Slurm's order (mix, alloc, idle, down, unk), node names
// compressed; the default partition marked '*'; a partition without nodes shows 0 and "n/a".
// The partition column is as wide as the longest name (with its '*'), at least 9. Nodes are
// looked up by name in `nodes`; names not found there are skipped. Ends each line with '\n'.
std::string FormatSinfo(const std::vector<core::model::PartitionPtr>& partitions,
                        const std::vector<core::model::NodePtr>& nodes, bool header);

// sinfo -N ("%#N %.6D %#P %6t"): one line per node and partition it belongs to, nodes in name
// order (numeric-aware), partitions in the given order; the partition column right-justified.
std::string FormatSinfoNodes(const std::vector<core::model::PartitionPtr>& partitions,
                             const std::vector<core::model::NodePtr>& nodes, bool header);

}  // namespace sluice::compat::slurm
