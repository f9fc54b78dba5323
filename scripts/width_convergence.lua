-- How fast the empirical NTK of a finite network approaches the analytic one, and how little
-- it moves during training, as the width m grows.
--
-- Reproduces the lecture slides "Coupling ultra-wide NNs and NTK"
-- (../shared/papers/ntk-lecture-slides.txt; Du et al. 2019, Arora et al. 2019):
--   Lemma 2  ‖H(0) − H*‖₂ is small for wide networks: each entry of H(0) is an average of m
--            independent terms, so the deviation falls like m^{−1/2};
--   Lemma 3  ‖H(t) − H(0)‖₂ stays small during training up to a fixed time t: each weight moves
--            O(t n / √m), so the kernel moves O(1/√m).
-- For each width the script draws `reps` networks, measures ‖H(0) − H*‖₂ (H(0) the empirical
-- NTK on the training inputs, H* the analytic NTK of the same architecture) and trains each by
-- full-batch GD for a fixed gradient-flow time (the same step size and number of steps for every
-- width), taking empirical-NTK snapshots; max over the snapshots of ‖H(t) − H(0)‖₂ is the
-- second quantity. Both are fitted against m on log-log axes; the expected slopes are −1/2.
-- Spectral norms ‖·‖₂ (largest |eigenvalue| of the symmetric difference); the relative
-- Frobenius distances are recorded too.
--
-- The data: n points uniform on the unit sphere in R^d (the slides' ‖x‖ = 1) scaled to norm √d,
-- so the stax input kernel x·x'/d is xᵀx' of the slides; targets ±1 from the sign of the first
-- coordinate. With dataset = "mnist": n digits 0 and 1 (±1 targets), scaled the same way.
-- Network: `depth` hidden layers (activation "relu", or "erf": the slides assume |σ'|, |σ''| ≤ 1),
-- NTK parametrisation, w_std = √2, b_std = 0.
--
-- params: dataset ("sphere" | "mnist"), n (20), d (sphere dimension, 10), depth (1),
--   widths (a list, default 64,128,256,512,1024,2048,4096), reps (3), steps (200),
--   lr_fraction (0.5: η = lr_fraction · n / λ_max(H*)), snapshots (10 over the run),
--   activation ("relu"), seed (1), out, figure.
--
--   ntklab run scripts/width_convergence.lua                             (small, < 1 minute)
--   ntklab run scripts/width_convergence.lua --set widths=256,1024,4096,16384 --set reps=10
--   ntklab batch scripts/width_convergence.lua --grid widths=64,256,1024,4096,16384 \
--       --set reps=1 --reps 10 --jobs 2 --out results/width_convergence
--   ntklab plot results/width_convergence
local ex = require("experiment")

local NAME = "width_convergence"
local p = ntk.params{
  dataset = {"sphere", "data set", choices = {"sphere", "mnist"}},
  n = {20, "examples"},
  d = {10, "input dimension (sphere)"},
  depth = {1, "hidden layers"},
  widths = {{64, 128, 256, 512, 1024, 2048, 4096}, "hidden widths"},
  reps = {3, "networks per width"},
  steps = {200, "GD steps"},
  lr_fraction = {0.5, "GD step as a fraction of 2 / lambda_max"},
  snapshots = {10, "NTK snapshots during training"},
  activation = {"relu", "activation", choices = {"relu", "erf"}},
  seed = {1, "random seed"},
  out = {"", "result rows file (default results/width_convergence.jsonl)"},
  figure = {"", "figure file (default results/width_convergence.png)"},
}

local QUANTITIES = {
  {"init_deviation", "||H(0) - H*||_2 (Lemma 2)"},
  {"training_change", "max_t ||H(t) - H(0)||_2 (Lemma 3)"},
}

-- Mean over the rows of each width, the fitted slope and the series for the figure.
local function fit(rows, key)
  local groups, widths = ex.group(rows, "width")
  local means = {}
  for i, m in ipairs(widths) do means[i] = ex.mean(ex.column(groups[m], key)) end
  if #widths < 2 then return nil end
  local slope, intercept = ex.fit_loglog(widths, means)
  return slope, intercept, widths
end

local function report(rows)
  for _, q in ipairs(QUANTITIES) do
    local slope = fit(rows, q[1])
    if slope then
      print(string.format("fitted slope of %-16s vs width: %.3f (expected -0.5)", q[1], slope))
    end
  end
end

local function draw(rows, file)
  local series = {}
  for _, q in ipairs(QUANTITIES) do
    local s = ntk.plot.summarize(rows, {x = "width", y = q[1]})[1]
    local slope, intercept, widths = fit(rows, q[1])
    if s and slope then
      s.label, s.style = q[2], "points"
      local line = {x = {}, y = {}, style = "lines",
                    label = string.format("fit: slope %.2f", slope)}
      for i, m in ipairs(widths) do line.x[i], line.y[i] = m, math.exp(intercept) * m ^ slope end
      series[#series + 1] = s
      series[#series + 1] = line
    end
  end
  return ntk.plot.line{file = file, logx = true, logy = true, series = series, xlabel = "width m",
                       ylabel = "spectral norm", title = "Empirical NTK vs width (Lemmas 2 and 3)"}
end

if ex.finish(NAME, function(rows, file)
  report(rows)
  return draw(rows, file)
end) then return end

local dataset = p.dataset
local n = p.n
local dim = p.d
local depth = p.depth
local widths = p.widths
local reps = p.reps
local steps = p.steps
local lr_fraction = p.lr_fraction
local snapshots = p.snapshots
local activation = p.activation
local seed = p.seed
local rows = ex.recorder(NAME)

local data
if dataset == "sphere" then
  local s = ntk.data.sphere{n = n, d = dim, seed = seed}
  local y = ntk.matrix(1, n)
  for j = 1, n do y:set(1, j, s.x:get(1, j) >= 0 and 1 or -1) end
  data = {x = s.x, y = y}
else
  local m = ntk.data.mnist{classes = {0, 1}, n_train = n, n_test = 1, seed = seed,
                           normalize = "unit"}
  data = {x = m.train.x, y = m.train.y}
end
data.x = data.x * math.sqrt(data.x:rows())   -- norm √d: x·x'/d = cosine

local arch = ntk.arch("fc", {depth = depth, activation = activation, w_std = math.sqrt(2),
                             b_std = 0})
local H_star = arch:kernel(data.x, data.x, "ntk")
local lr = lr_fraction * n / ex.spectral_norm(H_star)
local snapshot_every = math.max(1, steps // snapshots)
print(string.format("%s: n = %d, dimension %d; %d hidden layer(s); ‖H*‖₂ = %.4g; lr %.4g, %d steps",
                    dataset, n, data.x:rows(), depth, ex.spectral_norm(H_star), lr, steps))
print(string.format("%8s %5s %16s %16s %12s", "width", "rep", "||H(0)-H*||_2", "max||H(t)-H(0)||",
                    "final loss"))

for _, width in ipairs(widths) do
  for rep = 1, reps do
    local net_seed = ex.derive_seed(seed, rep)   -- one network per repetition
    local net = arch:network{width = width, seed = net_seed}
    local H0 = net:ntk(data.x)
    local run = ntk.train.gd{net = net, data = data, lr = lr, max_steps = steps,
                             record_every = steps, probe = data.x,
                             snapshot_every = snapshot_every}
    local change, change_frobenius = 0, 0
    for _, H_t in ipairs(run.kernel.snapshots) do
      change = math.max(change, ex.spectral_norm(H_t - H0))
      change_frobenius = math.max(change_frobenius, ntk.analysis.relative_distance(H_t, H0))
    end
    local row = rows:write{
      dataset = dataset, n = n, depth = depth, activation = activation, width = width,
      network = rep,
      network_seed = net_seed, steps = run.steps, lr = lr, final_loss = run.train_loss,
      init_deviation = ex.spectral_norm(H0 - H_star),
      init_relative_frobenius = ntk.analysis.relative_distance(H0, H_star),
      training_change = change, training_relative_frobenius = change_frobenius}
    print(string.format("%8d %5d %16.4e %16.4e %12.3e", width, rep, row.init_deviation,
                        row.training_change, row.final_loss))
  end
end

if ex.mode() == "run" then
  report(rows.rows)
  print("figure: " .. draw(rows.rows, ex.figure_path(NAME)))
end
print("rows appended to " .. rows.path)
