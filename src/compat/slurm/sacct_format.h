// sacct: accounting records of jobs in Slurm's terms, the field table (names and widths as Slurm's
// sacct has them), --format lists, the fixed-width and parsable layouts, and -S/-E times.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "common/time.h"
#include "core/model/accounting.h"
#include "core/model/job.h"

namespace sluice::compat::slurm {

// What accounting keeps of `job`. The account is `default_account` (the user's) when the job
// named none, the QOS "normal"; a COMPLETING job is RUNNING. Requested TRES: billing (= CPUs),
// cpu, gres/gpu (whole GPUs over the job), gres/mps and gres/shard (over the job), mem, node, in
// that (sacct's) order; allocated TRES the same of what it got, only once it started.
core::model::AccountingRecord AccountingRecordOf(const core::model::Job& job,
                                                 std::string_view default_account = "");

// One column of sacct's output.
struct SacctColumn {
  size_t field = 0;  // index in the field table
  int width = 0;     // sacct's default or %WIDTH; negative: left-justified
};

// sacct's default columns, "jobid,jobname,partition,account,alloccpus,state,exitcode".
std::string_view SacctDefaultFormat();
// -b/--brief's, "jobid,state,exitcode".
std::string_view SacctBriefFormat();
// -l/--long's list (most of its fields are step statistics Sluice does not record).
std::string_view SacctLongFormat();

// Parses a --format list as sacct does: comma-separated names, any case, each standing for the
// first field of sacct's (alphabetical) table it is a prefix of ("jobid" is JobID, "node"
// NodeList, "n" NCPUS), optionally followed by %WIDTH (%-WIDTH: left-justified); "ALL" is every
// field. Fails with InvalidArgument `Invalid field requested: "X"`.
Result<std::vector<SacctColumn>> ParseSacctFormat(std::string_view list);

// --helpformat: every field name, four a line in columns of 19, as sacct prints them.
std::string SacctHelpFormat();

enum class SacctLayout {
  kFixed,      // padded columns (right-justified unless the width is negative), a dashed line
  kParsable,   // -p: fields and header names each followed by the delimiter
  kParsable2,  // -P: the same without the delimiter after the last
};

struct SacctOptions {
  SacctLayout layout = SacctLayout::kFixed;
  bool header = true;
  std::string delimiter = "|";
  UnixTime now = 0;     // the Elapsed of a running job counts to it
  std::string cluster;  // the Cluster field
};

// Renders `records` (already selected and ordered) as sacct does, one line each. Fixed-width
// columns are followed by a space; a longer text value is cut to the width with a '+' in its last
// place (numbers and durations are never cut). Times: YYYY-MM-DDTHH:MM:SS in local time, Unknown
// when not yet; a job that ended without starting shows its end as Start. Durations: Elapsed,
// CPUTime, Timelimit as [D-]HH:MM:SS. Fields Sluice does not record (step statistics such as
// MaxRSS, energy, WCKey, ...) print empty, as sacct prints them on allocation lines (-X).
std::string FormatSacct(const std::vector<core::model::AccountingRecord>& records,
                        const std::vector<SacctColumn>& columns, const SacctOptions& options);

// Parses sacct's -S/-E times (local time): "now[{+|-}N[seconds|minutes|hours|days|weeks]]",
// "today"/"midnight" (00:00 today), "noon", "elevenses" (11:00), "fika" (15:00), "teatime"
// (16:00), "tomorrow", "HH:MM[:SS][AM|PM]" (today), "YYYY-MM-DD[THH:MM[:SS]]" (also with '-'
// before the time), "MMDD[YY]", "MM/DD[/YY]" and "MM.DD[.YY]", each with an optional
// "-HH:MM[:SS]" (no year: this year). Fails with InvalidArgument `Invalid time specification: "X"`.
Result<UnixTime> ParseSacctTime(std::string_view text, UnixTime now);

}  // namespace sluice::compat::slurm
