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
mkdir -p "$OUT/obj"
CXX=(clang++ -std=c++20 -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined
     -fno-sanitize-recover=all -I"$ROOT/src" -I"$ROOT/tests")
# What the tests link (as CMakeLists.txt's modules, less the programs, *_main.cc), compiled once.
compile() {  # source -> prints its object
  local src=$1 rel obj
  rel=${src#"$ROOT/"}
  obj="$OUT/obj/${rel//\//_}"
  obj="${obj%.cc}.o"
  if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ] ||
     [ -n "$(find "$ROOT/src" "$ROOT/tests" -name '*.h' -newer "$obj" -print -quit)" ]; then
    "${CXX[@]}" -c "$src" -o "$obj"
  fi
  echo "$obj"
}
libs=()
for src in $(find "$ROOT/src/common" "$ROOT/src/core" "$ROOT/src/compat" "$ROOT/src/sim" \
    -name '*.cc' ! -name '*_main.cc' | sort); do
  libs+=("$(compile "$src")")
done
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
