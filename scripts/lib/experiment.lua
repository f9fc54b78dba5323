-- Shared helpers for the experiment scripts (scripts/*.lua): parameters, the three run modes,
-- result rows, figures, and the small statistics the experiments report.
--
--   local ex = require("experiment")
--
-- Run modes (host/src/cli/plot_command.hpp):
--   ex.mode()                 -> "run" (plain `ntklab run`), "job" (one job of `ntklab batch`)
--                                or "plot" (`ntklab plot DIR`: draw from params.results)
--   ex.rows_path(name)        -> params.out or "results/NAME.jsonl" (where rows are appended)
--   ex.figure_path(name)      -> params.figure, or in plot mode params.out_dir/NAME.png,
--                                otherwise "results/NAME.png"
--   ex.recorder(name)         -> R with R:write(row) (appends a JSON line, keeps the row),
--                                R.rows (the rows written by this process), R.path
--   ex.finish(name, draw)     -> in "plot" mode: draw(read_jsonl(params.results), figure path);
--                                in "run" and "job" mode: nothing (a plain run calls draw
--                                itself with R.rows; a job draws nothing); returns true when
--                                the script should stop (plot mode)
-- Parameters: each script declares its own with ntk.params{name = {default, "doc"}, ...} (typed,
-- checked against --set and --grid; `ntklab run SCRIPT --help` lists them). The helpers above
-- read only the names ntklab sets itself (mode, out, results, out_dir) and `figure`, from the
-- global `params` (the values as given).
-- Numbers (one meaning each: the core's, as ntk.metrics and the trainers report them):
--   ex.mse(F, Y)              -> ntk.metrics.mse: ‖F − Y‖²_F / n (n = columns; the paper's test
--                                loss L = ‖f(X_test) − Y_test‖² / N_test)
--   ex.accuracy(F, Y)         -> ntk.metrics.accuracy: fraction of columns classified right:
--                                sign agreement with ±1 targets for one row (f = 0 is wrong),
--                                argmax agreement for several (one-hot)
--   ex.fit_loglog(xs, ys)     -> slope, intercept of the least-squares line log y = a log x + b
--                                (natural logs; every x, y must be positive)
--   ex.mean(list), ex.std(list) (sample standard deviation; 0 for one value)
--   ex.group(rows, key)       -> map value -> list of rows, and the sorted list of values
--   ex.column(rows, key)      -> list of rows[i][key]
--   ex.spectral_norm(A)       -> largest |eigenvalue| of a symmetric matrix A (= ‖A‖₂)
--   ex.derive_seed(seed, i)   -> a seed in [0, 2^31) for the i-th sub-experiment of `seed`
--                                (batch job seeds can be large; this stays a valid seed)
local ex = {}

function ex.mode()
  local mode = params.mode
  if mode == nil then return "run" end
  if mode ~= "job" and mode ~= "plot" then
    error("params.mode must be \"job\" or \"plot\" (set by ntklab batch / ntklab plot), got "
          .. tostring(mode), 2)
  end
  return mode
end

function ex.rows_path(name)
  return params.out or ("results/" .. name .. ".jsonl")
end

function ex.figure_path(name)
  if params.figure then return params.figure end
  if ex.mode() == "plot" then return params.out_dir .. "/" .. name .. ".png" end
  return "results/" .. name .. ".png"
end

function ex.recorder(name)
  local recorder = {path = ex.rows_path(name), rows = {}}
  function recorder:write(row)
    ntk.io.write_jsonl(self.path, row)
    self.rows[#self.rows + 1] = row
    return row
  end
  return recorder
end

function ex.finish(name, draw)
  if ex.mode() ~= "plot" then return false end
  local file = draw(ntk.io.read_jsonl(params.results), ex.figure_path(name))
  print("figure: " .. tostring(file))
  return true
end

ex.mse = ntk.metrics.mse
ex.accuracy = ntk.metrics.accuracy

function ex.fit_loglog(xs, ys)
  assert(#xs == #ys and #xs >= 2, "fit_loglog: need two or more (x, y) pairs of equal count")
  local n, sx, sy, sxx, sxy = #xs, 0, 0, 0, 0
  for i = 1, n do
    assert(xs[i] > 0 and ys[i] > 0, "fit_loglog: values must be positive")
    local lx, ly = math.log(xs[i]), math.log(ys[i])
    sx, sy, sxx, sxy = sx + lx, sy + ly, sxx + lx * lx, sxy + lx * ly
  end
  local slope = (n * sxy - sx * sy) / (n * sxx - sx * sx)
  return slope, (sy - slope * sx) / n
end

function ex.mean(list)
  local s = 0
  for _, v in ipairs(list) do s = s + v end
  return s / #list
end

function ex.std(list)
  if #list < 2 then return 0 end
  local m, s = ex.mean(list), 0
  for _, v in ipairs(list) do s = s + (v - m) ^ 2 end
  return math.sqrt(s / (#list - 1))
end

function ex.group(rows, key)
  local groups, values = {}, {}
  for _, row in ipairs(rows) do
    local v = row[key]
    if v ~= nil then
      if groups[v] == nil then
        groups[v] = {}
        values[#values + 1] = v
      end
      table.insert(groups[v], row)
    end
  end
  table.sort(values, function(a, b)
    if type(a) == type(b) then return a < b end
    return tostring(a) < tostring(b)
  end)
  return groups, values
end

function ex.column(rows, key)
  local list = {}
  for i, row in ipairs(rows) do list[i] = row[key] end
  return list
end

function ex.spectral_norm(A)
  local eig = ntk.analysis.spectrum(A).eigenvalues
  return math.max(math.abs(eig:get(1, 1)), math.abs(eig:get(eig:rows(), 1)))
end

function ex.derive_seed(seed, i)
  return (math.tointeger(seed) * 1000003 + i) % 2147483647
end

return ex
