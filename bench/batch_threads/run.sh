#!/bin/sh
# Wall time of a 2-job batch (--jobs 2) whose long job runs alone at the end, with thread shares
# (OMP_NUM_THREADS / OPENBLAS_NUM_THREADS unset: the long job gets the short job's cores when it
# ends) and without (both set to cores / 2, the share each job had before shares could change).
# Interleaved, REPS pairs. Usage: bench/batch_threads/run.sh BUILD_DIR [REPS] [CALLS] [N]
set -eu
build=${1:?usage: run.sh BUILD_DIR [REPS] [CALLS] [N]}
reps=${2:-3}; calls=${3:-20}; n=${4:-6000}
here=$(cd "$(dirname "$0")" && pwd)
cores=$(nproc)
half=$(( cores / 2 > 0 ? cores / 2 : 1 ))
work=$(mktemp -d)
export OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-SkylakeX} NTKLAB_PROGRESS=0
# run NAME [env settings...]: prints NAME, the batch's wall seconds, the long job's threads per
# call and its seconds per call, and the load average.
run() {
  name=$1; shift
  out="$work/$name.$i"
  start=$(date +%s.%N)
  env "$@" "$build/bin/ntklab" batch "$here/job.lua" --grid x=1,2 --jobs 2 --set calls="$calls" \
      --set n="$n" --out "$out" > "$out.log" 2>&1
  end=$(date +%s.%N)
  long=$(grep '"x":2' "$out/results.jsonl")
  threads=$(echo "$long" | sed 's/.*"threads":"\([0-9 ]*\)".*/\1/')
  seconds=$(echo "$long" | sed 's/.*"call_seconds":"\([0-9. ]*\)".*/\1/')
  echo "$name $(echo "$end - $start" | bc) threads [$threads] s [$seconds]" \
       "load $(cut -d' ' -f1 /proc/loadavg)"
}
for i in $(seq 1 "$reps"); do
  run fixed OMP_NUM_THREADS=$half OPENBLAS_NUM_THREADS=$half
  run shares -u OMP_NUM_THREADS -u OPENBLAS_NUM_THREADS
done
rm -rf "$work"
