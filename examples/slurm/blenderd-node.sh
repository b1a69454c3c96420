#!/usr/bin/env bash
# One blenderd on this node (srun runs one per node; see blenderd-farm.sbatch). Its socket and
# state live in a private node-local directory named after the Slurm job, so jobs sharing a node
# never share a daemon, and the directory is removed when the daemon has stopped. SIGTERM (scancel
# --signal=TERM JOB.STEP) stops it cleanly. Extra daemon flags: BLENDERD_ARGS (word-split), e.g.
# "--no-blender --bpy-python /opt/bpy/bin/python", or "--gpus auto" on GPU nodes.
set -euo pipefail
dir=${BLENDERD_DIR:-${TMPDIR:-/tmp}/blenderd-$SLURM_JOB_ID}
mkdir -p "$dir" && chmod 700 "$dir"
# One instance per two allocated CPUs by default: a Cycles render already uses every core it gets.
instances=${BLENDERD_INSTANCES:-$(( (${SLURM_CPUS_ON_NODE:-2} + 1) / 2 ))}
# shellcheck disable=SC2086
"${BLENDERD:-blenderd}" --socket "$dir/blenderd.sock" --state-dir "$dir/state" \
    --warm "$instances" --max-instances "$instances" --sandbox "${BLENDERD_SANDBOX:-strict}" \
    --log-level "${BLENDERD_LOG_LEVEL:-warning}" ${BLENDERD_ARGS:-} &
daemon=$!
trap 'kill -TERM $daemon 2>/dev/null' TERM INT
status=0
wait $daemon || status=$?
if [ "$status" -gt 128 ]; then  # the trap cut the wait short: wait for the daemon's own exit
    status=0; wait $daemon 2>/dev/null || status=$?
fi
rm -rf "$dir"
echo "blenderd on $(hostname) stopped (status $status)"
