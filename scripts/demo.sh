#!/bin/bash
# `make demo`: a 4-node local cluster and a small mixed workload: jobs of different sizes, one
# that outlives its time limit, one that is cancelled, one held and released. Shows squeue and
# sinfo while it runs and the output files after; the cluster stays up to try things.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=$(cd "${1:-$ROOT/build/bin}" && pwd)
export SLUICE_STATE_DIR=${SLUICE_STATE_DIR:-$ROOT/.sluice}
export PATH="$BIN:$PATH"
RUN=$ROOT/demo-run
show() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }

sluice up --nodes 4 --cpus 4 --memory 4000 --gpus 2
rm -rf "$RUN" && mkdir -p "$RUN" && cd "$RUN"
cp "$ROOT"/examples/*.sh .

show sbatch hello.sh
show sbatch pi.sh
show sbatch wide.sh
show sbatch too-slow.sh
forever=$(sbatch --parsable forever.sh)
echo "Submitted batch job $forever (forever.sh, --parsable)"
held=$(sbatch --parsable --hold -J held --wrap 'echo released and ran on $SLURMD_NODENAME')
echo "Submitted batch job $held (held)"
show sbatch -n 16 -J big --wrap 'echo "16 tasks on $SLURM_JOB_NODELIST"'
if grep -q 'Gres=gpu' "$SLUICE_STATE_DIR/slurm.conf"; then
  echo
  echo "GPU sharing: three MPS jobs and a whole-GPU job on the nodes' (emulated) GPUs:"
  show sbatch mps.sh
  show sbatch mps.sh
  show sbatch mps.sh
  show sbatch -J whole-gpu --gpus=1 -o whole-gpu-%j.out --wrap 'echo "whole GPU $CUDA_VISIBLE_DEVICES on $SLURMD_NODENAME"'
fi
echo
echo "Bad input is refused with one line and nothing queued:"
show sbatch -c 64 --wrap true || true
show sbatch -p nowhere --wrap true || true

sleep 1
show squeue
show squeue --start
show sinfo
show scontrol release "$held"
show scancel "$forever"
echo
echo "Waiting for the queue to drain (too-slow.sh hits its 5 s limit)..."
while [ "$(squeue -h | wc -l)" != 0 ]; do sleep 0.5; done
show squeue -t all -o '%.6i %.10j %.10T %.8M %.6D %N'
show sinfo -N
echo
for f in *.out; do printf '\033[1m==> %s <==\033[0m\n' "$f"; cat "$f"; done
echo
echo "The cluster is still up. In this shell:"
echo "  export PATH=$BIN:\$PATH SLUICE_STATE_DIR=$SLUICE_STATE_DIR"
echo "  sbatch --wrap hostname; squeue; sinfo; scontrol show job 1"
echo "Stop it with: sluice down   (outputs are in $RUN)"
