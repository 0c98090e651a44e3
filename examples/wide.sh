#!/bin/bash
# Two whole nodes; the batch script runs on the first one, as in Slurm.
#SBATCH -J wide
#SBATCH -N 2
#SBATCH -n 8
#SBATCH -t 2:00
#SBATCH -o wide-%j.out
echo "Job $SLURM_JOB_ID has $SLURM_NNODES nodes ($SLURM_JOB_NODELIST) and $SLURM_NTASKS tasks"
sleep 5
