#!/bin/bash
# Runs until cancelled (the demo cancels it with scancel).
#SBATCH -J forever
#SBATCH -o forever-%j.out
echo "running until someone cancels job $SLURM_JOB_ID"
while true; do sleep 1; done
