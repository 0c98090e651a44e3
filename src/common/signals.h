// Daemon signal handling: stop signals are blocked everywhere and waited for in one place.
#pragma once

#include <signal.h>

namespace sluice {

// Blocks SIGTERM, SIGINT and SIGHUP in the calling thread (and every thread it starts later) and
// ignores SIGPIPE. Returns the set for sigwait(). Call before starting any thread.
sigset_t BlockStopSignals();

}  // namespace sluice
