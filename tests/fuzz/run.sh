#!/bin/bash
# Builds the parser fuzzer with clang (libFuzzer + ASan + UBSan) and runs it over the seed corpus
# for a short time. Usage: tests/fuzz/run.sh OUT_DIR [SECONDS]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=$1
SECONDS_TO_RUN=${2:-20}
mkdir -p "$OUT/obj" "$OUT/corpus"
CXX="clang++ -std=c++20 -g -O1 -fsanitize=fuzzer-no-link,address,undefined -I$ROOT/src"
objs=()
# The parsers with everything they link: common, core, compat and the simulator's trace readers
# (not the programs among them, *_main.cc, as in CMakeLists.txt).
for src in $(find "$ROOT/src/common" "$ROOT/src/core" "$ROOT/src/compat" "$ROOT/src/sim" \
    -name '*.cc' ! -name '*_main.cc' | sort); do
  rel=${src#"$ROOT/src/"}
  obj="$OUT/obj/${rel//\//_}"
  obj="${obj%.cc}.o"
  if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ]; then $CXX -c "$src" -o "$obj"; fi
  objs+=("$obj")
done
clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -I"$ROOT/src" \
  "$ROOT/tests/fuzz/parsers_fuzz.cc" "${objs[@]}" -o "$OUT/parsers_fuzz"
cp -n "$ROOT"/tests/fuzz/corpus/* "$OUT/corpus/" 2>/dev/null || true
"$OUT/parsers_fuzz" -max_total_time="$SECONDS_TO_RUN" -timeout=5 -rss_limit_mb=2048 \
  -print_final_stats=1 "$OUT/corpus" 2>&1 | tail -15
