#!/bin/bash
# Builds the parser fuzzer with clang (libFuzzer + ASan + UBSan) and runs it over the seed corpus
# for a short time. Usage: tests/fuzz/run.sh OUT_DIR [SECONDS]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=$1
SECONDS_TO_RUN=${2:-20}
mkdir -p "$OUT/corpus"
# Undefined behavior stops the run as a crash would (UBSan only reports it by default, and the
# run passed: a float past int64's range in an SWF field went unnoticed that way).
CXX=(clang++ -std=c++20 -g -O1 -fsanitize=fuzzer-no-link,address,undefined
     -fno-sanitize-recover=all -I"$ROOT/src")
source "$ROOT/tests/lib/clang_objects.sh"
# The parsers with everything they link: common, core, compat and the simulator's trace readers.
list=$(module_objects)
mapfile -t objs <<< "$list"
# The harness with the objects' flags, linking libFuzzer's main (fuzzer-no-link -> fuzzer).
"${CXX[@]/fuzzer-no-link/fuzzer}" "$ROOT/tests/fuzz/parsers_fuzz.cc" "${objs[@]}" \
  -o "$OUT/parsers_fuzz"
cp -n "$ROOT"/tests/fuzz/corpus/* "$OUT/corpus/" 2>/dev/null || true
# A failing input is written under OUT (crash-*, leak-*, oom-*), not the working directory.
"$OUT/parsers_fuzz" -max_total_time="$SECONDS_TO_RUN" -timeout=5 -rss_limit_mb=2048 \
  -artifact_prefix="$OUT/" \
  -print_final_stats=1 "$OUT/corpus" 2>&1 | tail -15
