-- Proposition 4 of Bietti & Mairal 2019: the ReLU NTK's kernel map is Hölder-1/2, not
-- Lipschitz, near x = y: ||Phi(x) - Phi(y)|| ~ ||x - y||^(1/2); with a smooth activation (erf)
-- it is Lipschitz, ||Phi(x) - Phi(y)|| ~ ||x - y||. (The ReLU NNGP, an arc-cosine kernel of
-- degree 1, is Lipschitz too.)
--
-- For a random x on the sphere S^{d-1} and y at distance delta along the sphere, the kernel
-- distance is computed from kernel values, sqrt(K(x,x) + K(y,y) - 2 K(x,y)), for deltas from
-- delta_max down to delta_min, and its log-log slope against delta is fitted.
-- Writes JSON lines to params.out (default results/smoothness.jsonl) and a figure to
-- params.figure (default results/smoothness.png; "none" to skip).
--
--   build/bin/ntklab run scripts/smoothness.lua [--set d=10 --set depth=2]

local p = ntk.params{
  d = {10, "input dimension"},
  depth = {2, "hidden layers"},
  delta_max = {1e-1, "largest |x - y|"},
  delta_min = {1e-4, "smallest |x - y|"},
  steps = {13, "deltas between them (log-spaced)"},
  seed = {1, "random seed"},
  out = {"results/smoothness.jsonl", "result rows file"},
  figure = {"results/smoothness.png", "figure file (\"none\" to skip)"},
}
local d = p.d
local depth = p.depth
local delta_max = p.delta_max
local delta_min = p.delta_min
local steps = p.steps
local seed = p.seed
local out = p.out
local figure = p.figure

-- x and an orthonormal direction v, from two sphere points (Gram-Schmidt).
local P = ntk.data.sphere{n = 2, d = d, seed = seed}.x
local x = P:col(1)
local u = P:col(2)
local dot = (x:t() * u):get(1, 1)
local v = u - x * dot
v = v / v:norm()

-- y(delta) = cos(a) x + sin(a) v with chord ||x - y|| = delta, a = 2 asin(delta / 2).
local deltas = {}
local Y = ntk.matrix(d, steps)
for s = 1, steps do
  local delta = delta_max * (delta_min / delta_max) ^ ((s - 1) / (steps - 1))
  deltas[s] = delta
  local a = 2 * math.asin(delta / 2)
  local y = x * math.cos(a) + v * math.sin(a)
  for i = 1, d do Y:set(i, s, y:get(i, 1)) end
end

local cases = {
  {name = "relu_ntk", activation = "relu", kernel = "ntk", expected = 0.5},
  {name = "relu_nngp", activation = "relu", kernel = "nngp", expected = 1.0},
  {name = "erf_ntk", activation = "erf", kernel = "ntk", expected = 1.0},
}
local series, slopes = {}, {}
for _, case in ipairs(cases) do
  local arch = ntk.arch("fc", {depth = depth, activation = case.activation, w_std = 1.0, b_std = 0.0})
  local kxx = arch:kernel(x, x, case.kernel):get(1, 1)
  local kxy = arch:kernel(x, Y, case.kernel)
  local dist = {}
  for s = 1, steps do
    -- K(y, y) = K(x, x): both are on the sphere and the kernels are rotation invariant.
    local kyy = arch:kernel(Y:col(s), Y:col(s), case.kernel):get(1, 1)
    dist[s] = math.sqrt(math.max(0, kxx + kyy - 2 * kxy:get(1, s)))
    ntk.io.write_jsonl(out, {part = "distance", case = case.name, d = d, depth = depth,
                             delta = deltas[s], distance = dist[s]})
  end
  local fit = ntk.analysis.loglog_fit(deltas, dist)
  slopes[case.name] = fit.slope
  print(string.format("%-10s ||Phi(x)-Phi(y)|| ~ ||x-y||^%.3f (expected %.1f)", case.name,
                      fit.slope, case.expected))
  ntk.io.write_jsonl(out, {part = "slope", case = case.name, d = d, depth = depth,
                           slope = fit.slope, expected = case.expected, residual = fit.residual})
  series[#series + 1] = {x = deltas, y = dist, label = case.name}
end

if figure ~= "none" then
  ntk.plot.line{file = figure, title = "Kernel distance near x = y", xlabel = "||x - y||",
                ylabel = "||Phi(x) - Phi(y)||", logx = true, logy = true, series = series}
end
return slopes
