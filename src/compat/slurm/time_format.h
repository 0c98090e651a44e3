// Slurm's time, duration and memory notations, both ways.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "common/time.h"

namespace sluice::compat::slurm {

// Parses a time limit as sbatch -t takes it: "minutes", "minutes:seconds",
// "hours:minutes:seconds", "days-hours", "days-hours:minutes", "days-hours:minutes:seconds", or
// "UNLIMITED"/"INFINITE" (any case) and "-1". A limit of zero means no limit, as in Slurm; both
// give kUnlimited. Seconds are kept exactly (Slurm itself rounds up to whole minutes). Fails with
// InvalidArgument `Invalid time limit specification: "abc"`.
Result<Seconds> ParseTimeLimit(std::string_view text);

// An elapsed time as squeue's TIME column shows it: "0:00", "1:05", "1:00:00", "1-02:03:04".
// Negative values print as "0:00".
std::string FormatElapsed(Seconds seconds);

// squeue's TIME_LIMIT: "UNLIMITED" for kUnlimited, else as FormatElapsed.
std::string FormatTimeLimit(Seconds seconds);

// sinfo's TIMELIMIT: "infinite" for kUnlimited, else as FormatElapsed.
std::string FormatSinfoTimeLimit(Seconds seconds);

// scontrol's durations: "00:00:04", "1-00:00:00"; "UNLIMITED" for kUnlimited.
std::string FormatScontrolDuration(Seconds seconds);

// A time stamp in local time as Slurm prints it: "2026-11-22T00:35:12"; 0 gives "Unknown".
std::string FormatIsoTime(UnixTime t);

// Parses a memory size in megabytes: "100" (MB), "100M", "4G", "1T", "512K" (rounded up to a
// whole MB); suffixes in either case, an optional trailing "B" ("4GB"). Fails with
// InvalidArgument on anything else.
Result<uint64_t> ParseMemoryMb(std::string_view text);

// Parses scontrol's StartTime/EndTime forms: "now", "now+N[seconds|minutes|hours|days|weeks]"
// (seconds by default), "YYYY-MM-DD[THH:MM[:SS]]" in local time; `now` anchors "now".
Result<UnixTime> ParseTimestamp(std::string_view text, UnixTime now);

// The Unix time of a calendar time in local time (TZ; the C library resolves DST); nullopt for a
// month or day out of range or a time mktime cannot represent.
std::optional<UnixTime> LocalCalendarTime(int year, int month, int day, int hour, int minute,
                                          int second);

// A megabyte amount as squeue's MIN_MEMORY and scontrol's TRES show it: "100M", "1500M", and the
// next unit while it divides evenly by 1024 ("2G" for 2048, "1T"); 0 gives "0".
std::string FormatMemoryMb(uint64_t mb);

}  // namespace sluice::compat::slurm
