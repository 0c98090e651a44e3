// squeue's output: format strings ("%.18i %.9P ..."), headers, and default order.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "common/time.h"
#include "core/model/job.h"

namespace sluice::compat::slurm {

// squeue's default format: "%.18i %.9P %.8j %.8u %.2t %.10M %.6D %R".
std::string_view SqueueDefaultFormat();

// squeue -l's format: "%.18i %.9P %.8j %.8u %.8T %.10M %.9l %.6D %R". Slurm prints the current
// date (e.g. "Sun Nov 22 00:35:19 2026") on a line before the header; the caller does that.
std::string_view SqueueLongFormat();

// squeue --start's format: "%.18i %.9P %.8j %.8u %.2t %.19S %.6D %20Y %R" (Slurm 22.05 also
// sorts by start time and shows only pending jobs; the caller does that).
std::string_view SqueueStartFormat();

// Renders `jobs` (already filtered and sorted) with a squeue format string, one line each ending
// in '\n', after a header line if `header`. Each field is "%[.][width]type" followed by literal
// text up to the next '%'; '.' right-justifies, a width pads and truncates (keeping the start),
// no width prints the value whole; "%%" is a '%'. Types: i A P j u U g G t T M D R r l L C m N S
// V e Z o Q p a k q c B F K y h E d f b v w z O x Y, with Slurm's header names. From the spec:
// %a account, %q QOS, %f the constraint ("(null)" when empty), %y nice, %x the excluded nodes,
// %h "NO" for --exclusive (else "OK"); %Y (SCHEDNODES) is "(null)". %S is a pending job's
// expected start when it has one, else the start time or "N/A". Times use `now` (TIME of a
// running job is now - start). An empty format means the default. Fails with
// InvalidArgument "Invalid job format specification: X" for an unknown type.
Result<std::string> FormatSqueue(const std::vector<core::model::JobPtr>& jobs,
                                 std::string_view format, bool header, UnixTime now);

// Sorts as squeue does by default ("P,t,-p"): partition name ascending, then state (pending,
// running, suspended, completed, cancelled, failed, timeout, node_fail; a completing job by the
// state it ends in), then priority descending, then job id descending (what Slurm 22.05 shows
// for equal priorities).
void SortForSqueue(std::vector<core::model::JobPtr>* jobs);

}  // namespace sluice::compat::slurm
