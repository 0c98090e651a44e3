// Time as the core sees it: whole seconds since the Unix epoch, always passed in explicitly.
#pragma once

#include <cstdint>
#include <limits>

namespace sluice {

using UnixTime = int64_t;  // seconds since the epoch; 0 means "not yet" / unknown
using Seconds = int64_t;   // a duration in seconds

// A time limit that never expires (Slurm's UNLIMITED / INFINITE).
inline constexpr Seconds kUnlimited = std::numeric_limits<int64_t>::max();

// Reads the wall clock. Only drivers (daemons, CLI) call this; core never does.
UnixTime WallClockNow();

}  // namespace sluice
