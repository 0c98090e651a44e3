// sprio's output, as Slurm 22.05's sprio prints it: default formats built from the non-zero
// weights, format strings ("%.15i %9r %.10Y ..."), weighted and normalized factors, -w.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "core/cluster/config.h"
#include "core/policy/priority.h"

namespace sluice::compat::slurm {

// One line of sprio: a pending, non-held job (sprio lists no others) in one partition.
struct SprioRow {
  uint32_t job_id = 0;
  std::string partition;
  std::string user;
  core::policy::PriorityFactors factors;  // normalized factors, nice and the job's priority
};

// The format sprio uses when none is given, built as sprio.c builds it from the weights:
//   default: "%.15i %9r" [+ " %.8u" if `users_given` (-u)] + " %.10Y %.10S" + " %.10A" (age),
//            " %.10F" (fairshare), " %.10J" (job size), " %.10P" (partition), " %.10Q" (qos),
//            each only where its weight is non-zero;
//   -n:      "%.15i %9r" [+ " %.8u"] + " %10y" + " %10a", " %10f", " %10j", " %10p", " %10q"
//            likewise;
//   -l:      "%.15i %9r %.8u %.10Y %.10S %.10A %.10B %.10F %.10J %.10P %.10Q %.11N %.20T";
//   -l -n:   "%.15i %9r %.8u %10y %10a %10b %10f %10j %10p %10q %20t".
std::string SprioDefaultFormat(const core::cluster::PriorityConfig& weights, bool long_format,
                               bool normalized, bool users_given);

// Renders `rows` in the order given (sprio sorts by job id ascending by default) with a sprio
// format string, one line each ending in '\n', after a header line if `header`. A field is
// "%[.][width]type" followed by literal text up to the next '%' (text before the first '%' is
// printed first); '.' right-justifies, otherwise the value is left-justified; a width pads and
// truncates (keeping the start); no width prints the value whole. Types:
//   i job id, r partition, u user, N nice,
//   Y priority (integer), y priority / 4294967295 ("%16.14f"),
//   S site (always 0: Sluice has no site factor),
//   A F J P Q weighted age, fairshare, job size, partition, QOS: weight * factor printed
//     "%.0f" (rounded; the PRIORITY column is the truncated sum, as in Slurm),
//   a f j p q the normalized factors ("%.7f"; 0 where the weight is 0, as in Slurm),
//   B b association factor (always 0), T t TRES factors (always empty).
// Fails with InvalidArgument "Invalid job format specification: X" for an unknown type.
Result<std::string> FormatSprio(const std::vector<SprioRow>& rows, std::string_view format,
                                const core::cluster::PriorityConfig& weights, bool header);

// sprio -w: the header (if `header`) and one "Weights" line showing each factor's configured
// weight in its column (SITE shows 1; PRIORITY, partition, user and nice are blank; the
// weighted TRES column shows "(null)", what Slurm prints with no PriorityWeightTRES).
Result<std::string> FormatSprioWeights(std::string_view format,
                                       const core::cluster::PriorityConfig& weights, bool header);

// sprio without -o: the default (or -l) format for `weights`, no -u, weighted values.
std::string FormatSprio(const std::vector<SprioRow>& rows,
                        const core::cluster::PriorityConfig& weights, bool long_format,
                        bool header);

}  // namespace sluice::compat::slurm
