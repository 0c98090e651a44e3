#!/bin/bash
# Estimates pi with a few million random points, one worker per allocated CPU.
#SBATCH -J pi
#SBATCH -n 4
#SBATCH --mem-per-cpu=100M
#SBATCH -t 5:00
#SBATCH -o pi-%j.out
for w in $(seq 1 "$SLURM_CPUS_ON_NODE"); do
  awk -v seed="$w" 'BEGIN { srand(seed); n = 400000; for (i = 0; i < n; i++) {
      x = rand(); y = rand(); if (x*x + y*y <= 1) hit++ } print hit, n }' &
done | awk '{ hit += $1; n += $2 } END { printf "pi ~ %.4f from %d points on %s\n", 4*hit/n, n, ENVIRON["SLURMD_NODENAME"] }'
