#!/bin/sh
# A stand-in for `ntklab run SCRIPT` in the batch runner's tests. It reads the --set NAME=VALUE
# options a worker gets and writes result rows to $out (JSON lines), as a script would with
# ntk.io.write_jsonl(params.out, row).
#   x=fail            prints two lines to stderr and exits 3
#   x=2               writes two rows (a job may report several)
#   x=malformed       writes a line that is not JSON
#   x=status          writes a row with its own "status" field
#   x=batchfield      writes a row with a field "batch" (reserved for the batch's fields)
#   ran=FILE          appends the job id to FILE (which jobs ran)
#   trace=FILE        appends "start NS" and "end NS" (nanosecond clock) to FILE
#   pause=S           sleeps S seconds
#   x=hang            sleeps 30 seconds (a job for --job-timeout)
#   x=stubborn        ignores SIGTERM (it and its `sleep`), then sleeps 30 seconds
#   env FAKE_WORKER_SLOW=1: sleeps 5*(x-1) seconds, so job x=1 ends first
while [ $# -gt 0 ]; do
  case "$1" in
    --set) name=${2%%=*}; value=${2#*=}; eval "p_$name=\$value"; shift 2 ;;
    *) shift ;;
  esac
done
[ -n "$p_trace" ] && echo "start $(date +%s%N)" >> "$p_trace"
[ -n "$p_ran" ] && echo "$p_job" >> "$p_ran"
[ -n "$p_pids" ] && echo "$$" >> "$p_pids"
[ -n "$p_pause" ] && sleep "$p_pause"
[ "$p_x" = hang ] && sleep 30
if [ "$p_x" = stubborn ]; then trap '' TERM; sleep 30; fi
[ -n "$FAKE_WORKER_SLOW" ] && sleep $(( (p_x - 1) * 5 ))
echo "stdout of $p_job"
if [ "$p_x" = fail ]; then
  echo "line one" >&2
  echo "deliberate failure x=$p_x" >&2
  [ -n "$p_trace" ] && echo "end $(date +%s%N)" >> "$p_trace"
  exit 3
fi
if [ "$p_x" = malformed ]; then
  echo "not json" >> "$p_out"
  exit 0
fi
if [ "$p_x" = status ]; then
  echo '{"status":"diverged","loss":1e300}' >> "$p_out"
  exit 0
fi
if [ "$p_x" = batchfield ]; then
  echo '{"batch":"mine"}' >> "$p_out"
  exit 0
fi
printf '{"double":%s,"seed_seen":%s,"threads":"%s"}\n' "$((p_x * 2))" "$p_seed" "$OMP_NUM_THREADS" >> "$p_out"
[ "$p_x" = 2 ] && printf '{"double":4,"second":true}\n' >> "$p_out"
[ -n "$p_trace" ] && echo "end $(date +%s%N)" >> "$p_trace"
exit 0
