#!/bin/bash
# Asks for 5 seconds and needs a minute: the agent ends it at its limit (state TIMEOUT).
#SBATCH -J too-slow
#SBATCH -t 0:05
#SBATCH -o too-slow-%j.out
echo "starting a minute of work with a 5 second limit"
sleep 60
echo "never printed"
