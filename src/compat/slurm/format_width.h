// The widest column a Slurm-style format string ("%20i", sacct's "JobID%20") may ask for.
#pragma once

namespace sluice::compat::slurm {

// A wider one is taken as this wide. Slurm's commands read widths with atoi or strtol, whose
// overflow is undefined, and a width of billions asks for that much padding on every row.
inline constexpr int kMaxFieldWidth = 4096;

}  // namespace sluice::compat::slurm
