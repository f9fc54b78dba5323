-- Ordered vs chaotic initialisation: how much one gradient-descent step changes the NTK of a
-- deep ReLU network whose depth is comparable to its width.
--
-- Reproduces the lecture slides "Training Dynamic of the NTK", Theorem 7
-- (../shared/papers/ntk-lecture-slides.txt; Seleznova & Kutyniok 2022, "Neural tangent kernel
-- beyond the infinite-width limit: effects of depth and initialization"): for fully connected
-- ReLU networks of depth L and width M with W_ij ~ N(0, σ_w²/n_{l−1}), a single GD update on a
-- sample (x, y) changes the NTK diagonal by ΔΘ(x, x) with, as M, L → ∞ at L/M → λ,
--   chaotic phase σ_w² > 2:  E[ΔΘ(x, x)] / E[Θ(x, x)] → ∞,
--   ordered phase σ_w² < 2:  E[ΔΘ(x, x)] / E[Θ(x, x)] → 0
-- (σ_w² = 2 is the ReLU edge of chaos). The script measures that ratio for finite networks over
-- a grid of σ_w², widths M and depth-to-width ratios λ = L/M (L = round(λM) hidden layers):
-- `networks` random networks per point, each updated once from its initialisation on each of
-- `samples` MNIST digits (0 vs 1, targets ±1, inputs of norm √784 so that x·x'/d = 1), by one
-- step w ← w − η (f(x) − y) ∇_w f(x) of the loss ½(f(x) − y)² with a fixed step η (the same
-- for every point, as in the theorem). E[·] are means over all (network, sample) pairs.
-- Also recorded: E|ΔΘ| / E[Θ], and the NTK dispersion at initialisation Var[Θ(x, x)] / E[Θ]²
-- (the paper's other result: it grows exponentially with λ at the edge of chaos and in the
-- chaotic phase, not in the ordered phase).
-- Networks: the fc plugin, bias-free (b_std = 0), w_std = σ_w, NTK parametrisation (its forward
-- pass has the theorem's distribution; gradients are taken with respect to the N(0, 1)
-- variables, i.e. the standard parametrisation with per-layer steps η σ_w²/n_{l−1}).
-- Without biases a ReLU network is positively homogeneous: f = σ_w^{L+1} f₁ with f₁ the same
-- network at σ_w = 1 (the script reuses one seed's N(0, 1) draws for every σ_w²), so
-- Θ = σ_w^{2(L+1)} Θ₁, the dispersion does not depend on σ_w² at all, and the phase acts on the
-- step through the effective step η σ_w^{2(L+1)} of the unit network — exponential in L:
-- vanishing for σ_w² < 2, exploding for σ_w² > 2.
--
-- params: sigma_w2 (list, 1.5, 2, 2.5), widths (list, 10, 20, 40), ratios (list of λ,
--   0.1, 0.25, 0.5, 1), networks (20), samples (4), lr (η, 0.001), parametrization ("ntk" |
--   "standard": gradients with respect to W itself, the slides' setting), seed (1), out, figure
--   (the ratio against λ; the dispersion goes next to it as NAME_dispersion.png).
--
--   ntklab run scripts/ordered_chaotic.lua                                  (small, seconds)
--   ntklab run scripts/ordered_chaotic.lua --set widths=50,100,200 --set networks=50 \
--       --set sigma_w2=1,1.5,2,2.5,3                                         (paper-like)
--   ntklab batch scripts/ordered_chaotic.lua --grid sigma_w2=1.5,2,2.5 --grid widths=20,40,80 \
--       --reps 4 --jobs 2 --out results/ordered_chaotic
--   ntklab plot results/ordered_chaotic
local ex = require("experiment")

local NAME = "ordered_chaotic"
local p = ntk.params{
  sigma_w2 = {{1.5, 2, 2.5}, "weight variances (ordered, critical, chaotic)"},
  widths = {{10, 20, 40}, "hidden widths"},
  ratios = {{0.1, 0.25, 0.5, 1}, "depth / width ratios"},
  networks = {20, "networks per setting"},
  samples = {4, "input samples"},
  lr = {1e-3, "step of the one GD step"},
  parametrization = {"ntk", "parametrisation", choices = {"ntk", "standard"}},
  seed = {1, "random seed"},
  out = {"", "result rows file (default results/ordered_chaotic.jsonl)"},
  figure = {"", "figure file (default results/ordered_chaotic.png)"},
}

local function dispersion_path(file)
  return (file:gsub("%.png$", "") .. "_dispersion.png")
end

local function phase(s2)
  if s2 < 2 then return "ordered" elseif s2 > 2 then return "chaotic" end
  return "edge of chaos"
end

-- One series per (σ_w², M): the quantity against λ (means over batch repetitions).
local function series_of(rows, key)
  local series = {}
  local by_sigma, sigmas = ex.group(rows, "sigma2")
  for _, s2 in ipairs(sigmas) do
    local by_width, widths = ex.group(by_sigma[s2], "width")
    for _, m in ipairs(widths) do
      local s = ntk.plot.summarize(by_width[m], {x = "ratio", y = key})[1]
      if s then
        s.label = string.format("sigma_w^2 = %g (%s), M = %d", s2, phase(s2), m)
        s.style = "linespoints"
        series[#series + 1] = s
      end
    end
  end
  return series
end

-- Deep chaotic points reach 1e84 and would flatten every other curve: the figure draws values
-- above CAP at CAP (the rows keep the true values).
local CAP = 1e4

local function draw(rows, file)
  local capped = {}
  for i, r in ipairs(rows) do
    capped[i] = r
    if r.abs_change and r.abs_change > CAP then
      capped[i] = {}
      for k, v in pairs(r) do capped[i][k] = v end
      capped[i].abs_change = CAP
    end
  end
  ntk.plot.line{file = file, logy = true, series = series_of(capped, "abs_change"),
                xlabel = "depth-to-width ratio L/M",
                ylabel = "E|dTheta(x,x)| / E[Theta(x,x)]  (drawn at most 1e4)",
                title = "Relative NTK change after one GD step (Seleznova & Kutyniok 2022)"}
  -- Bias-free (NTK parametrisation): the dispersion is the same for every σ_w², one curve per M.
  local dispersion = {}
  local by_width, widths = ex.group(rows, "width")
  for _, m in ipairs(widths) do
    local s = ntk.plot.summarize(by_width[m], {x = "ratio", y = "dispersion"})[1]
    if s then
      s.label, s.style = string.format("M = %d (all sigma_w^2)", m), "linespoints"
      dispersion[#dispersion + 1] = s
    end
  end
  ntk.plot.line{file = dispersion_path(file), logy = true, series = dispersion,
                xlabel = "depth-to-width ratio L/M", ylabel = "Var[Theta(x,x)] / E[Theta(x,x)]^2",
                title = "NTK dispersion at initialisation"}
  return file
end

if ex.finish(NAME, draw) then return end

local sigma_w2 = p.sigma_w2
local widths = p.widths
local ratios = p.ratios
local networks = p.networks
local samples = p.samples
local lr = p.lr
local parametrization = p.parametrization
local seed = p.seed
local rows = ex.recorder(NAME)

local digits = ntk.data.mnist{classes = {0, 1}, n_train = samples, n_test = 1,
                              seed = ex.derive_seed(seed, 0), normalize = "unit"}
local x_all = digits.train.x * math.sqrt(digits.train.x:rows())
local y_all = digits.train.y

print(string.format("%8s %6s %6s %6s %14s %14s %12s", "sigma2", "M", "L", "L/M",
                    "E[dT]/E[T]", "E|dT|/E[T]", "Var/E^2"))
for _, s2 in ipairs(sigma_w2) do
  for _, m in ipairs(widths) do
    for _, lambda in ipairs(ratios) do
      local depth = math.max(1, math.floor(lambda * m + 0.5))
      local options = {depth = depth, activation = "relu", w_std = math.sqrt(s2), b_std = 0,
                       input_dim = x_all:rows(), parametrization = parametrization}
      if parametrization == "standard" then options.standard_width = m end
      local arch = ntk.arch("fc", options)
      local thetas, changes, abs_changes = {}, {}, {}
      for net_index = 1, networks do
        local net = arch:network{width = m, seed = ex.derive_seed(seed, net_index)}
        local w0 = net:params()
        for j = 1, samples do
          local x, y = x_all:cols_range(j, j), y_all:cols_range(j, j)
          net:set_params(w0)
          local theta = net:ntk(x):get(1, 1)
          -- One GD step on ½(f(x) − y)²: the gradient is (f − y) ∇_w f = vjp(x, f − y).
          local gradient = net:vjp(x, net:forward(x) - y)
          net:set_params(w0 - gradient * lr)
          local change = net:ntk(x):get(1, 1) - theta
          thetas[#thetas + 1], changes[#changes + 1] = theta, change
          abs_changes[#abs_changes + 1] = math.abs(change)
        end
      end
      local mean_theta = ex.mean(thetas)
      local change = ex.mean(changes) / mean_theta
      local abs_change = ex.mean(abs_changes) / mean_theta
      -- Deep chaotic networks can overflow double precision after the step: recorded as such.
      -- (Row fields avoid the names of list parameters and of the batch's own fields, which
      -- win in a batch row: sigma2, not sigma_w2; precision, not status.)
      local finite = change == change and math.abs(abs_change) < math.huge
      local row = rows:write{
        sigma2 = s2, phase = phase(s2), width = m, depth = depth, ratio = depth / m,
        networks = networks, samples = samples, lr = lr, seed = seed,
        parametrization = parametrization,
        precision = finite and "ok" or "overflow", mean_theta = mean_theta,
        mean_change = finite and ex.mean(changes) or nil, change = finite and change or nil,
        abs_change = finite and abs_change or nil,
        dispersion = ex.std(thetas) ^ 2 / mean_theta ^ 2}
      print(string.format("%8g %6d %6d %6.3f %14.4e %14.4e %12.4e", s2, m, depth, row.ratio,
                          change, abs_change, row.dispersion))
    end
  end
end

if ex.mode() == "run" then print("figure: " .. draw(rows.rows, ex.figure_path(NAME))) end
print("rows appended to " .. rows.path)
