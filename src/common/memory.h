// Process-wide memory settings.
#pragma once

#include <cstddef>

namespace sluice::memory {

// Asks for the heap to be backed by transparent huge pages (2 MiB) where the kernel allows it
// (transparent_hugepage "always" or "madvise"): the heap grows in steps of `reserve` bytes that
// stay mapped, and the first step is advised MADV_HUGEPAGE. For a process whose working set is
// tens of MB touched in no particular order (the simulator's node tables, planner steps and job
// records), 4 KiB pages cost a page fault each and many TLB misses. Returns false where the
// advice was refused (the heap then stays on small pages; nothing else changes).
bool PreferHugePages(size_t reserve);

}  // namespace sluice::memory
