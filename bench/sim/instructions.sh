#!/usr/bin/env bash
# Counts the instructions one replay executes, under valgrind's callgrind: unlike wall-clock
# time on a shared machine (which moves by up to 50% between runs), the count is the same on
# every run, so two builds compare on it exactly. About 50x slower than the replay itself: cut
# a long trace to its first JOBS jobs.
#
# Usage: bench/sim/instructions.sh TRACE POLICY [JOBS] [SLUICE_BINARY]
#   TRACE          a file name under TRACES (default ../shared/data/traces beside the
#                  repository) or a path; CEA-Curie traces get --cores-per-node 16
#   POLICY         fifo, easy or conservative
#   JOBS           keep only the trace's first JOBS jobs (default: all)
#   SLUICE_BINARY  default: build/bin/sluice under the repository root
# Prints: trace, policy, jobs, instructions, avg_bsld.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
[ $# -ge 2 ] || { sed -n '2,13p' "$0" >&2; exit 2; }
trace="$1" policy="$2" jobs="${3:-0}" sluice="${4:-$root/build/bin/sluice}"
traces="${TRACES:-$here/../../../shared/data/traces}"
[ -f "$trace" ] || trace="$traces/$trace"
[ -f "$trace" ] || { echo "instructions.sh: no trace $1" >&2; exit 1; }
command -v valgrind >/dev/null || { echo "instructions.sh: valgrind is needed (apt-get install valgrind)" >&2; exit 1; }
[ -x "$sluice" ] || { echo "instructions.sh: no sluice binary at $sluice (build first)" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
if [ "$jobs" -gt 0 ]; then
  # SWF: the header's comment lines and the first JOBS job lines.
  awk -v n="$jobs" '/^;/ { print; next } c < n { print; ++c }' "$trace" > "$work/trace.swf"
  input="$work/trace.swf"
else
  input="$trace"
fi
extra=()
case "$(basename "$trace")" in CEA-Curie*) extra=(--cores-per-node 16) ;; esac
valgrind --tool=callgrind --callgrind-out-file="$work/out" "$sluice" sim --trace "$input" \
  --policy "$policy" --json "${extra[@]}" > "$work/metrics.json" 2> "$work/log"
total="$(sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$work/log")"
python3 -c '
import json, sys
m = json.load(open(sys.argv[1]))
print("%-20s %-13s %7d %16s %10.2f" % (sys.argv[2], sys.argv[3], m["jobs"], sys.argv[4],
      m["avg_bsld"]))' "$work/metrics.json" "$(basename "$trace")" "$policy" "$total"
