-- Lua-level checks for tests/scripts/uci_benchmark (run by uci_benchmark_test.cpp):
-- writes one JSON line of measured numbers to params.out; the C++ test asserts on them.
package.path = params.source .. "/scripts/lib/?.lua;" .. package.path
local summary = require("uci_summary")
local out = {}

-- ntk.data.uci: iris, 1-based indices.
local d = ntk.data.uci("iris")
out.iris_rows, out.iris_cols = d.x:rows(), d.x:cols()
out.iris_same_X = d.X == d.x
out.iris_classes = #d.classes
out.iris_n_classes = d.n_classes
out.iris_train, out.iris_val = #d.split.train, #d.split.val
out.iris_folds = #d.folds
local lo, hi = math.huge, -math.huge
for _, f in ipairs(d.folds) do
  for _, i in ipairs(f.train) do lo, hi = math.min(lo, i), math.max(hi, i) end
  for _, i in ipairs(f.test) do lo, hi = math.min(lo, i), math.max(hi, i) end
end
out.iris_min_index, out.iris_max_index = lo, hi
out.iris_first_train = d.split.train[1]          -- file: 46 (0-based)
out.iris_label_sum = d.y:sum()                    -- 50·0 + 50·1 + 50·2
out.index_count = #ntk.data.uci_index()
local ok, message = pcall(ntk.data.uci, "no_such_set")
out.missing_error = not ok and message or "no error"

-- A:kernel_family against separately configured kernels.
local X1 = ntk.matrix(d.x:rows(), 12)
local X2 = ntk.matrix(d.x:rows(), 7)
for j = 1, 12 do for i = 1, d.x:rows() do X1:set(i, j, d.x:get(i, j * 12)) end end
for j = 1, 7 do for i = 1, d.x:rows() do X2:set(i, j, d.x:get(i, j * 3 + 1)) end end
local base = {activation = "relu", w_std = 1.3, b_std = 0.2}
local function with(t, extra)
  local o = {}
  for k, v in pairs(t) do o[k] = v end
  for k, v in pairs(extra) do o[k] = v end
  return o
end
local worst, count = 0, 0
for _, pair in ipairs({{X1, X1}, {X1, X2}}) do
  local arch = ntk.arch("fc", with(base, {depth = 3}))
  local members = arch:kernel_family(pair[1], pair[2])
  for _, m in ipairs(members) do
    local single = ntk.arch("fc", with(base, {depth = m.depth, fixed_layers = m.fixed_layers}))
    local K = single:kernel(pair[1], pair[2], "ntk")
    local diff = (m.ntk - K):norm() / K:norm()
    worst = math.max(worst, diff)
    count = count + 1
  end
end
out.family_members, out.family_worst = count, worst
local selected = ntk.arch("fc", {depth = 4}):kernel_family(X1, {depths = {2}, nngp = true})
out.selected_members = #selected
out.selected_has_nngp = selected[1].nngp ~= nil and selected[1].nngp:rows() == 12
local ok2, message2 = pcall(function()
  return ntk.arch("fc", {depth = 2}):kernel_family(X1, {depths = {3}})
end)
out.depth_error = not ok2 and message2 or "no error"

-- The summary statistics on a hand-computed example (the numbers are in the C++ test).
local rows = {
  {dataset = "d1", classifier = "A", accuracy = 90}, {dataset = "d1", classifier = "B", accuracy = 90},
  {dataset = "d1", classifier = "C", accuracy = 80},
  {dataset = "d2", classifier = "A", accuracy = 50}, {dataset = "d2", classifier = "B", accuracy = 60},
  {dataset = "d2", classifier = "C", accuracy = 60},
  {dataset = "d3", classifier = "A", accuracy = 100}, {dataset = "d3", classifier = "B", accuracy = 95},
  {dataset = "d3", classifier = "C", accuracy = 85.5},
  {dataset = "d4", classifier = "A", accuracy = 10},  -- incomplete: left out
}
local s = summary.summarize(rows, {"A", "B", "C"})
out.summary_datasets, out.summary_missing = #s.datasets, s.missing[1]
for _, c in ipairs({"A", "B", "C"}) do
  for _, key in ipairs({"rank", "mean", "std", "p90", "p95", "pma", "pma_std"}) do
    out["summary_" .. c .. "_" .. key] = s.by[c][key]
  end
end
out.markdown = summary.markdown(s, {A = {1, 2, 3, 4, 5, 6, 7}})
ntk.io.write_jsonl(params.out, out)
