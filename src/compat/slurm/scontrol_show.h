// scontrol show job|node|partition, in Slurm 22.05's field order and spelling.
#pragma once

#include <string>
#include <vector>

#include "common/time.h"
#include "core/model/job.h"
#include "core/model/node.h"
#include "core/model/reservation.h"

namespace sluice::compat::slurm {

// `scontrol show job`: Slurm's fields, those Sluice does not model at Slurm's defaults
// (MCS_label=N/A, Dependency=(null), ...). From the spec: Nice, Account, QOS, ReqNodeList and
// ExcNodeList (compressed host lists), Features (the constraint), NtasksPerN, MinCPUsNode
// (ntasks-per-node * cpus-per-task), OverSubscribe=NO for --exclusive (else OK); empty strings
// print "(null)". Multi-line form: continuation lines indented by three
// spaces, ending with "   Power=\n   \n\n" as Slurm does; one_liner (-o): the same fields joined
// by single spaces, ending with "Power= \n". RunTime and, for running jobs, EndTime
// (start + limit; "Unknown" when unlimited) use `now`. StdOut/StdErr are the expanded patterns
// (%N left as written), made absolute against WorkDir. job.spec must be set.
std::string ShowJob(const core::model::Job& job, bool one_liner, UnixTime now);

// `scontrol show node`: Slurm's fields; values not measured (CPULoad, FreeMem) print as "N/A".
// AvailableFeatures and ActiveFeatures are both the configured features ("a,b"; "(null)" for
// none); Weight is the node's.
// State gets '*' when the node is not responding ("IDLE*"); a down node's reason follows on a
// "Reason=" line. Multi-line output ends with a blank line; one_liner ends with '\n'.
std::string ShowNode(const core::model::Node& node, bool one_liner);

// `scontrol show partition`: MaxNodes and MaxCPUsPerNode ("UNLIMITED" for 0) and
// PriorityJobFactor from the partition; TotalCPUs, TotalNodes and TRES sum the partition's nodes
// found in `nodes` (by name). Multi-line output ends with a blank line; one_liner ends with '\n'.
std::string ShowPartition(const core::model::Partition& partition,
                          const std::vector<core::model::NodePtr>& nodes, bool one_liner);

// `scontrol show reservation`: Slurm 22.05's fields; State is ACTIVE or INACTIVE at `now`.
std::string ShowReservation(const core::model::Reservation& r,
                            const std::vector<core::model::NodePtr>& nodes, UnixTime now,
                            bool one_liner);

}  // namespace sluice::compat::slurm
