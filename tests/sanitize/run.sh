#!/bin/bash
# Builds the unit tests of the state machine and the scheduler (tests/core), the Slurm
# compatibility layer (tests/compat) and the simulator (tests/sim) with clang's AddressSanitizer
# and UndefinedBehaviorSanitizer and runs them: a read or write out of bounds, of freed memory
# or of a variable whose scope has closed, and undefined arithmetic, stop the test with the
# sanitizer's report. The release build can run such code unharmed until an optimization reuses
# the memory (a pass that pulled its queue through a lambda holding a reference to a block's
# local did, under link-time optimization). Usage: tests/sanitize/run.sh OUT_DIR
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=$1
CXX=(clang++ -std=c++20 -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined
     -fno-sanitize-recover=all -I"$ROOT/src" -I"$ROOT/tests")
source "$ROOT/tests/lib/clang_objects.sh"
list=$(module_objects)
mapfile -t libs <<< "$list"
# One program a test directory, as CMakeLists.txt has them (suite names repeat across them).
# (tests/sim/memory_test.cc asks glibc's malloc for huge pages, which ASan's allocator replaces.)
status=0
for dir in core compat sim; do
  tests=()
  for src in "$ROOT"/tests/$dir/*_test.cc; do
    [ "$dir/$(basename "$src")" = sim/memory_test.cc ] && continue
    tests+=("$(compile "$src")")
  done
  "${CXX[@]}" "${tests[@]}" "${libs[@]}" -lgmock -lgtest_main -lgtest -pthread \
    -o "$OUT/${dir}_tests"
  echo "== tests/$dir"
  ASAN_OPTIONS=detect_stack_use_after_return=1:strict_init_order=1 \
    UBSAN_OPTIONS=print_stacktrace=1 "$OUT/${dir}_tests" --gtest_brief=1 || status=1
done
exit $status
