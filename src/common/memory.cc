#include "common/memory.h"

#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <limits>

namespace sluice::memory {

bool PreferHugePages(size_t reserve) {
  constexpr uintptr_t kHuge = uintptr_t{2} << 20;
  // Large blocks from the heap rather than their own mappings, which the advice would not
  // cover; the heap grows `reserve` at a time and is not given back, so it stays one advised
  // region.
  reserve = std::min<size_t>(reserve, std::numeric_limits<int>::max() / 2);  // mallopt's ints
  mallopt(M_MMAP_THRESHOLD, static_cast<int>(reserve));
  mallopt(M_TOP_PAD, static_cast<int>(reserve));
  mallopt(M_TRIM_THRESHOLD, static_cast<int>(2 * reserve));
  // A block of half the reserve grows the heap by it and the pad; freed, it stays mapped.
  void* first = malloc(reserve / 2);
  if (first == nullptr) return false;
  const auto at = reinterpret_cast<uintptr_t>(first);
  const auto end = reinterpret_cast<uintptr_t>(sbrk(0));
  free(first);
  // Only a block from the top of the heap (not where another allocator, a sanitizer's, put it).
  if (at >= end || end - at > 2 * reserve) return false;
  const uintptr_t from = (at + kHuge - 1) & ~(kHuge - 1);
  const uintptr_t to = end & ~(kHuge - 1);
  if (to <= from) return false;
  return madvise(reinterpret_cast<void*>(from), to - from, MADV_HUGEPAGE) == 0;
}

}  // namespace sluice::memory
