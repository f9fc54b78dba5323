#!/usr/bin/env bash
# The MPI overhead on one machine (issue 16): 2 ranks x 1 thread (distributed kernel, pdpotrf)
# against 1 process x 2 threads (the plain kernel, dpotrf), the FC NTK and ridge on N
# Fashion-MNIST images, alternating REPS times in one run (the machine is shared: compare the
# ratio, not the seconds). Rows go to OUT (scripts/distributed_regression.lua).
#   bench/mpi_scaling.sh [N=20000] [REPS=2] [OUT=results/mpi_scaling.jsonl]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-20000}
REPS=${2:-2}
OUT=${3:-results/mpi_scaling.jsonl}
mkdir -p "$(dirname "$OUT")"
export OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-SkylakeX} NTKLAB_PROGRESS=0
[ "$(id -u)" = 0 ] && export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
for rep in $(seq "$REPS"); do
  echo "rep $rep: 1 process x 2 threads"
  OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=2 build/bin/ntklab run scripts/distributed_regression.lua \
    --set n="$N" --set distributed=false --set out="$OUT"
  echo "rep $rep: 2 ranks x 1 thread"
  mpirun --oversubscribe -np 2 -x OMP_NUM_THREADS=1 -x OPENBLAS_NUM_THREADS=1 \
    -x OPENBLAS_CORETYPE -x NTKLAB_PROGRESS \
    build/bin/ntklab run scripts/distributed_regression.lua --set n="$N" --set out="$OUT"
done
tail -n $((2 * REPS)) "$OUT"
