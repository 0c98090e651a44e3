// sbatch's output/error file name patterns ("slurm-%j.out").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace sluice::compat::slurm {

// What a file name pattern may refer to.
struct FilenameContext {
  uint32_t job_id = 0;
  std::string job_name;
  std::string user;
  std::string node;  // empty: %N is left as written (scontrol shows it so before the job runs)
};

// Expands %j and %J (job id), %A (job id: no arrays here), %x (job name), %u (user), %N (node)
// and %% ("%"). A number between '%' and the letter zero-pads numeric values ("%5j" -> "00042")
// and is ignored for the others. Unknown specifiers are left as written. As in Slurm, a pattern
// containing a backslash is not expanded at all; its backslashes are removed.
std::string ExpandFilenamePattern(std::string_view pattern, const FilenameContext& ctx);

// sbatch's default for both standard output and error: "slurm-%j.out".
std::string DefaultStdoutPattern();

}  // namespace sluice::compat::slurm
