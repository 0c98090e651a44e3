#include "common/time.h"

#include <ctime>

namespace sluice {

UnixTime WallClockNow() { return static_cast<UnixTime>(::time(nullptr)); }

}  // namespace sluice
