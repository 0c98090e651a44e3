#!/bin/bash
# A 40% MPS share of one GPU with 4 GB of its memory: Sluice places it on the least-occupied GPU
# of the node (any GPU, not only the first) and tells the job which one and how much.
#SBATCH -J mps
#SBATCH --gres=mps:40
#SBATCH --gpu-mem=4G
#SBATCH -o mps-%j.out
echo "GPU $CUDA_VISIBLE_DEVICES on $SLURMD_NODENAME: $CUDA_MPS_ACTIVE_THREAD_PERCENTAGE% of its SMs, memory limit $CUDA_MPS_PINNED_DEVICE_MEM_LIMIT"
sleep 3
