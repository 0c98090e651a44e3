#!/bin/bash
# End-to-end job throughput, Sluice beside Slurm on this machine in one run.
# Runs the Slurm peer's own throughput.sh (unchanged) against a 4-node x 16-CPU Sluice local
# cluster, then against Debian's Slurm 22.05 started by ../shared/peers/slurm/start.sh with the same
# shape; then times single sbatch and squeue calls against each. Prints both and the ratios.
# Usage: bench/throughput.sh [N]   (default 1000 jobs)
set -euo pipefail
N=${1:-1000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${SLUICE_BIN_DIR:-$ROOT/build/bin}
PEER=${SLURM_PEER_SCRIPTS:-$ROOT/../shared/peers/slurm}
CALLS=${CALLS:-200}
WORK=$(mktemp -d /tmp/sluice-bench-XXXXXX)
trap 'cd /; "$BIN/sluice" down --state-dir "$WORK/state" >/dev/null 2>&1 || true; rm -rf "$WORK"' EXIT
cd "$WORK"

# Mean wall milliseconds of one call of "$@", over $CALLS calls.
per_call_ms() {
  local t0 t1
  t0=$(date +%s%N)
  for _ in $(seq "$CALLS"); do "$@" >/dev/null; done
  t1=$(date +%s%N)
  echo "scale=2; ($t1 - $t0) / 1000000 / $CALLS" | bc
}

wait_empty() { while [ "$(squeue -h | wc -l)" != 0 ]; do sleep 0.2; done; }

echo "== Sluice: 4 nodes x 16 CPUs, $N jobs from a shell loop"
"$BIN/sluice" up --nodes 4 --cpus 16 --memory 4000 --state-dir "$WORK/state" >/dev/null
sluice_line=$(PATH="$BIN:$PATH" SLUICE_STATE_DIR="$WORK/state" bash "$PEER/throughput.sh" "$N")
echo "$sluice_line"
export PATH_SLUICE="$BIN:$PATH"
# One command start to exit, on a quiet cluster: held jobs (the command alone, no job running
# beside it), then jobs that run (the command while its jobs compete for the CPUs).
sluice_held=$(PATH=$PATH_SLUICE SLUICE_STATE_DIR="$WORK/state" per_call_ms sbatch -H -o /dev/null --wrap true)
sluice_squeue=$(PATH=$PATH_SLUICE SLUICE_STATE_DIR="$WORK/state" per_call_ms squeue)
PATH=$PATH_SLUICE SLUICE_STATE_DIR="$WORK/state" scancel -u "$(id -un)"
sluice_sbatch=$(PATH=$PATH_SLUICE SLUICE_STATE_DIR="$WORK/state" per_call_ms sbatch -o /dev/null --wrap true)
"$BIN/sluice" down --state-dir "$WORK/state" >/dev/null

echo "== Slurm 22.05 peer: 4 nodes x 16 CPUs, $N jobs from a shell loop"
conf_line=$(bash "$PEER/start.sh" 4 16 | tail -1)
eval "$conf_line"
export SLURM_CONF
wait_empty
slurm_line=$(bash "$PEER/throughput.sh" "$N")
echo "$slurm_line"
slurm_held=$(per_call_ms sbatch -H -o /dev/null --wrap true)
slurm_squeue=$(per_call_ms squeue)
scancel -u "$(id -un)"
wait_empty
slurm_sbatch=$(per_call_ms sbatch -o /dev/null --wrap true)
wait_empty
bash "$PEER/stop.sh" >/dev/null 2>&1 || true

rate() { sed -n "s/.*$1=\([0-9.]*\)\/s.*/\1/p" <<<"$2"; }
s_e2e=$(rate end_to_end_rate "$sluice_line"); p_e2e=$(rate end_to_end_rate "$slurm_line")
s_sub=$(rate submit_rate "$sluice_line"); p_sub=$(rate submit_rate "$slurm_line")
echo
echo "== Summary (same machine, same run)"
printf '%-28s %10s %10s %8s\n' "" Sluice Slurm ratio
printf '%-28s %10s %10s %7.1fx\n' "end-to-end jobs/s" "$s_e2e" "$p_e2e" "$(echo "$s_e2e / $p_e2e" | bc -l)"
printf '%-28s %10s %10s %7.1fx\n' "submits/s (sbatch loop)" "$s_sub" "$p_sub" "$(echo "$s_sub / $p_sub" | bc -l)"
printf '%-28s %10s %10s %7.1fx\n' "one sbatch (held), ms" "$sluice_held" "$slurm_held" "$(echo "$slurm_held / $sluice_held" | bc -l)"
printf '%-28s %10s %10s %7.1fx\n' "one sbatch (job runs), ms" "$sluice_sbatch" "$slurm_sbatch" "$(echo "$slurm_sbatch / $sluice_sbatch" | bc -l)"
printf '%-28s %10s %10s %7.1fx\n' "one squeue, ms" "$sluice_squeue" "$slurm_squeue" "$(echo "$slurm_squeue / $sluice_squeue" | bc -l)"
