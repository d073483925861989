#!/usr/bin/env bash
# Render a MIDI dataset with a Slurm job array: each array task renders one shard of the sorted
# inputs (pycarla reads SLURM_ARRAY_TASK_ID / SLURM_ARRAY_TASK_MIN / SLURM_ARRAY_TASK_COUNT),
# resumes what an earlier run finished, and appends to its own manifest.
#
#   sbatch docs/cluster/slurm-array.sh /data/midi /data/audio
#
#SBATCH --job-name=pycarla-render
#SBATCH --array=0-15
#SBATCH --cpus-per-task=4
#SBATCH --mem=4G
#SBATCH --time=04:00:00
set -euo pipefail
midi_dir=${1:?usage: slurm-array.sh MIDI_DIR OUT_DIR}
out_dir=${2:?usage: slurm-array.sh MIDI_DIR OUT_DIR}
mkdir -p "$out_dir/manifests"
pycarla render "$midi_dir" -o "$out_dir" \
    --jobs "${SLURM_CPUS_PER_TASK:-1}" \
    --skip-existing --retries 1 \
    --manifest "$out_dir/manifests/shard-${SLURM_ARRAY_TASK_ID}.jsonl"
