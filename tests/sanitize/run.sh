#!/bin/bash
# Builds the state machine's and the scheduler's unit tests (tests/core) and the simulator
# driver's (tests/sim/driver_test.cc) with clang's AddressSanitizer and UndefinedBehaviorSanitizer
# and runs them: a read or write out of bounds, of freed memory or of a variable whose scope has
# closed, and undefined arithmetic, stop the test with the sanitizer's report. The release build
# can run such code unharmed until an optimization reuses the memory (a pass that pulled its
# queue through a lambda holding a reference to a block's local did, under link-time
# optimization). Usage: tests/sanitize/run.sh OUT_DIR
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=$1
mkdir -p "$OUT/obj"
CXX=(clang++ -std=c++20 -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined
     -fno-sanitize-recover=all -I"$ROOT/src" -I"$ROOT/tests")
# What the tests link (as CMakeLists.txt's modules, less the programs, *_main.cc), then the tests.
sources=$(find "$ROOT/src/common" "$ROOT/src/core" "$ROOT/src/compat" "$ROOT/src/sim" \
  -name '*.cc' ! -name '*_main.cc' | sort)
sources+=" $(ls "$ROOT"/tests/core/*_test.cc) $ROOT/tests/sim/driver_test.cc"
objs=()
for src in $sources; do
  rel=${src#"$ROOT/"}
  obj="$OUT/obj/${rel//\//_}"
  obj="${obj%.cc}.o"
  if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ] || [ -n "$(find "$ROOT/src" "$ROOT/tests" -name '*.h' -newer "$obj" -print -quit)" ]; then
    "${CXX[@]}" -c "$src" -o "$obj"
  fi
  objs+=("$obj")
done
"${CXX[@]}" "${objs[@]}" -lgmock -lgtest_main -lgtest -pthread -o "$OUT/sanitized_tests"
ASAN_OPTIONS=detect_stack_use_after_return=1:strict_init_order=1 \
  UBSAN_OPTIONS=print_stacktrace=1 "$OUT/sanitized_tests" --gtest_brief=1
