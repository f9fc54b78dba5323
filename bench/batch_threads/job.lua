-- The jobs of bench/batch_threads/run.sh: fc NTK Gram matrices of points on a sphere, one
-- ntk call after another. Job x = 1 is short and ends first; job x = 2 then runs alone, and with
-- thread shares (core/batch/thread_shares.hpp) its next calls use the freed core.
local p = ntk.params{x = {1, "1: the short job, 2: the long one"},
                     calls = {20, "kernel calls of the long job (the short one makes a sixth)"},
                     n = {6000, "points"}, depth = {30, "hidden layers (3 s a call at 1 thread)"}}
local data = ntk.data.sphere{n = p.n, d = 64, seed = 1}
local arch = ntk.arch("fc", {depth = p.depth, activation = "relu", w_std = math.sqrt(2), b_std = 0.1})
local calls = p.x == 1 and math.max(1, p.calls // 6) or p.calls
local threads, seconds = {}, {}
local start = ntk.clock()
for i = 1, calls do
  threads[i] = ntk.threads()
  local t = ntk.clock()
  local K = arch:kernel(data.x, data.x, "ntk")
  seconds[i] = string.format("%.2f", ntk.clock() - t)
  assert(K:rows() == p.n)
end
ntk.io.write_jsonl(p.out, {seconds = ntk.clock() - start, calls = calls,
                           threads = table.concat(threads, " "),
                           call_seconds = table.concat(seconds, " ")})
