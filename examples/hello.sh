#!/bin/bash
#SBATCH -J hello
#SBATCH -n 1
#SBATCH -t 1:00
#SBATCH -o hello-%j.out
echo "Hello from job $SLURM_JOB_ID ($SLURM_JOB_NAME) on $SLURMD_NODENAME"
echo "Nodes: $SLURM_JOB_NODELIST, tasks: $SLURM_NTASKS, CPUs here: $SLURM_CPUS_ON_NODE"
sleep 3
