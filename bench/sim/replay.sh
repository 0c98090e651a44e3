#!/usr/bin/env bash
# Replays KTH-SP2 and CEA-Curie-sample under each queue policy with `sluice sim --json` and
# prints one line per run: trace, policy, jobs, simulation seconds, jobs/s, average bounded
# slowdown. The issue's goal is each replay under 1 s.
#
# Usage: bench/sim/replay.sh [SLUICE_BINARY] [POLICIES...]
#   SLUICE_BINARY  default: build/bin/sluice under the repository root
#   POLICIES       default: fifo easy conservative
# Environment: TRACES (default: ../shared/data/traces beside the repository),
#              CURIE_CORES_PER_NODE (default 16: Curie's thin nodes),
#              REPEAT (default 1): replay each REPEAT times and report the fastest, with the
#              median beside it (a shared machine moves single runs by up to 50%).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
sluice="${1:-$root/build/bin/sluice}"
shift || true
policies=("$@")
[ ${#policies[@]} -gt 0 ] || policies=(fifo easy conservative)
traces="${TRACES:-$here/../../../shared/data/traces}"
cpn="${CURIE_CORES_PER_NODE:-16}"
repeat="${REPEAT:-1}"

command -v python3 >/dev/null || { echo "replay.sh: python3 is needed to read the JSON" >&2; exit 1; }
[ -x "$sluice" ] || { echo "replay.sh: no sluice binary at $sluice (build first)" >&2; exit 1; }

printf '%-20s %-13s %7s %10s %10s %10s %10s\n' trace policy jobs sim_s jobs/s avg_bsld median_s
run() {  # trace-file policy [extra args]
  local trace="$1" policy="$2"
  shift 2
  local runs=()
  for ((i = 0; i < repeat; ++i)); do
    runs+=("$("$sluice" sim --trace "$traces/$trace" --policy "$policy" --json "$@" 2>/dev/null)")
  done
  python3 -c '
import json, sys
runs = [json.loads(r) for r in sys.argv[3:]]
m = min(runs, key=lambda m: m["sim_seconds"])
times = sorted(r["sim_seconds"] for r in runs)
mid = len(times) // 2
median = times[mid] if len(times) % 2 else (times[mid - 1] + times[mid]) / 2
print("%-20s %-13s %7d %10.3f %10.0f %10.2f %10.3f" % (sys.argv[1], sys.argv[2], m["jobs"],
      m["sim_seconds"], m["jobs_per_second"], m["avg_bsld"], median))' "$trace" "$policy" "${runs[@]}"
}
for policy in "${policies[@]}"; do
  run KTH-SP2.swf "$policy"
  run CEA-Curie-sample.swf "$policy" --cores-per-node "$cpn"
done
