#include "common/memory.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace sluice {
namespace {

// The kernel's transparent huge page mode: "always", "madvise" or "never".
std::string ThpMode() {
  std::ifstream in("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string line;
  std::getline(in, line);
  const auto open = line.find('['), close = line.find(']');
  return open == std::string::npos || close == std::string::npos
             ? "never"
             : line.substr(open + 1, close - open - 1);
}

// The VmFlags of the mapping that holds `p`, from /proc/self/smaps.
std::string VmFlagsOf(const void* p) {
  const auto addr = reinterpret_cast<uintptr_t>(p);
  std::ifstream in("/proc/self/smaps");
  std::string line;
  bool inside = false;
  while (std::getline(in, line)) {
    uintptr_t lo = 0, hi = 0;
    char dash = 0;
    std::istringstream range(line);
    if (range >> std::hex >> lo >> dash >> hi && dash == '-') {
      inside = lo <= addr && addr < hi;
    } else if (inside && line.rfind("VmFlags:", 0) == 0) {
      return line;
    }
  }
  return "";
}

// Where the kernel allows huge pages on advice, the heap a later block comes from is advised
// (VmFlags "hg"); where it allows none, the call says so.
TEST(MemoryTest, TheHeapIsAdvisedHugePagesWhereTheKernelAllows) {
  const std::string mode = ThpMode();
  const bool advised = memory::PreferHugePages(size_t{64} << 20);
  if (mode == "never") {
    EXPECT_FALSE(advised);
    return;
  }
  ASSERT_TRUE(advised) << "transparent_hugepage is " << mode;
  // From the heap now, not a mapping of its own; the advice begins at the first 2 MiB boundary
  // of the heap's growth, so the block's end lies in it.
  const size_t size = size_t{8} << 20;
  char* block = static_cast<char*>(malloc(size));
  ASSERT_NE(block, nullptr);
  const std::string flags = VmFlagsOf(block + size - 1);
  EXPECT_NE(flags.find(" hg"), std::string::npos) << flags;
  free(block);
}

}  // namespace
}  // namespace sluice
