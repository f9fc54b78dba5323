-- Proposition 5 of Bietti & Mairal 2019: the Mercer eigenvalues of the two-layer ReLU NTK on
-- the sphere S^{d-1} decay polynomially, as k^{-d}, more slowly than those of the arc-cosine
-- kernel of the last layer alone (the NNGP of the same network), which decay as k^{-(d+2)};
-- odd degrees k >= 3 have zero eigenvalues (no bias).
--
-- 1. The dot-product form kappa(t) of both kernels, read off the fc plugin (depth 1, ReLU,
--    no bias) between e1 and cos(theta) e1 + sin(theta) e2 at the quadrature angles.
-- 2. mu_k by Funk-Hecke quadrature (ntk.analysis.funk_hecke) for k = 0 .. k_max.
-- 3. Check: the eigenvalues of K/n for n uniform points on the sphere, grouped by the
--    multiplicities N(d, k), against mu_k.
-- 4. Fitted log-log slopes of mu_k over even k in [k_fit, k_max].
-- Writes JSON lines to params.out (default results/mercer_spectrum.jsonl) and a log-log
-- figure to params.figure (default results/mercer_spectrum.png; "none" to skip).
--
--   build/bin/ntklab run scripts/mercer_spectrum.lua [--set d=3 --set k_max=40 --set n=1500]

local p = ntk.params{
  d = {3, "sphere dimension + 1 (inputs on S^(d-1))"},
  k_max = {40, "largest eigenvalue degree k"},
  k_fit = {8, "smallest k of the decay fit"},
  n_quad = {400, "Gauss-Legendre nodes"},
  n = {1500, "sphere points of the Gram check"},
  seed = {1, "random seed"},
  out = {"results/mercer_spectrum.jsonl", "result rows file"},
  figure = {"results/mercer_spectrum.png", "figure file (\"none\" to skip)"},
}
local d = p.d
local k_max = p.k_max
local k_fit = p.k_fit
local n_quad = p.n_quad
local n_points = p.n
local seed = p.seed
local out = p.out
local figure = p.figure

local fc = ntk.arch("fc", {depth = 1, activation = "relu", w_std = 1.0, b_std = 0.0})

-- 1. kappa(t) at the quadrature nodes.
local q = ntk.analysis.sphere_quadrature{d = d, n = n_quad}
local e1 = ntk.matrix(d, 1)
e1:set(1, 1, 1.0)
local Y = ntk.matrix(d, n_quad)
for i = 1, n_quad do
  local t = q.t:get(i, 1)
  Y:set(1, i, t)
  Y:set(2, i, math.sqrt(math.max(0, 1 - t * t)))
end
local K = fc:kernels(e1, Y)

-- 2. Funk-Hecke coefficients.
local mu = {
  ntk = ntk.analysis.funk_hecke{t = q.t, weights = q.weights, kappa = K.ntk:t(), d = d, k_max = k_max},
  arccos = ntk.analysis.funk_hecke{t = q.t, weights = q.weights, kappa = K.nngp:t(), d = d, k_max = k_max},
}

-- 3. Gram-matrix check: eigenvalues of K/n in blocks of N(d, k), largest mu_k first.
local S = ntk.data.sphere{n = n_points, d = d, seed = seed}
local gram_error = {}
for _, name in ipairs({"ntk", "arccos"}) do
  local G = fc:kernel(S.x, S.x, name == "ntk" and "ntk" or "nngp")
  local eig = ntk.analysis.spectrum(G).eigenvalues
  local groups = {}
  for k = 0, k_max do
    local m = mu[name]:get(k + 1, 1)
    if m > 1e-9 * mu[name]:get(1, 1) then
      groups[#groups + 1] = {k = k, mu = m, count = ntk.analysis.harmonic_multiplicity(d, k)}
    end
  end
  table.sort(groups, function(a, b) return a.mu > b.mu end)
  local start, worst = 1, 0
  gram_error[name] = {}
  for g = 1, math.min(4, #groups) do
    local group = groups[g]
    local sum = 0
    for i = start, start + group.count - 1 do sum = sum + eig:get(i, 1) / n_points end
    local mean = sum / group.count
    local rel = math.abs(mean - group.mu) / group.mu
    worst = math.max(worst, rel)
    gram_error[name][#gram_error[name] + 1] = {k = group.k, quadrature = group.mu, gram = mean,
                                               relative_error = rel}
    print(string.format("%-6s k = %2d  mu_k = %.6e  Gram (n = %d) = %.6e  rel. diff %.3f",
                        name, group.k, group.mu, n_points, mean, rel))
    ntk.io.write_jsonl(out, {part = "gram_check", kernel = name, k = group.k, d = d,
                             n = n_points, quadrature = group.mu, gram = mean,
                             relative_error = rel})
    start = start + group.count
  end
end

-- 4. Decay exponents over even degrees.
local fits, series = {}, {}
for _, name in ipairs({"ntk", "arccos"}) do
  local ks, ms = {}, {}
  for k = k_fit, k_max, 2 do
    ks[#ks + 1] = k
    ms[#ms + 1] = mu[name]:get(k + 1, 1)
  end
  local fit = ntk.analysis.loglog_fit(ks, ms)
  local odd = 0  -- largest |mu_k| / mu_0 over odd k >= 3
  for k = 3, k_max, 2 do odd = math.max(odd, math.abs(mu[name]:get(k + 1, 1)) / mu[name]:get(1, 1)) end
  fits[name] = fit
  print(string.format("%-6s mu_k ~ k^%.3f over even k in [%d, %d] (expected %d); largest odd |mu_k|/mu_0 = %.1e",
                      name, fit.slope, k_fit, k_max, name == "ntk" and -d or -(d + 2), odd))
  ntk.io.write_jsonl(out, {part = "decay", kernel = name, d = d, k_fit = k_fit, k_max = k_max,
                           slope = fit.slope, expected = name == "ntk" and -d or -(d + 2),
                           residual = fit.residual, largest_odd = odd})
  for k = 0, k_max do
    ntk.io.write_jsonl(out, {part = "eigenvalue", kernel = name, d = d, k = k,
                             mu = mu[name]:get(k + 1, 1)})
  end
  local xs, ys = {}, {}
  for k = 2, k_max, 2 do
    xs[#xs + 1] = k
    ys[#ys + 1] = mu[name]:get(k + 1, 1)
  end
  series[#series + 1] = {x = xs, y = ys, label = name == "ntk" and "ReLU NTK" or "arc-cosine (last layer)"}
end

if figure ~= "none" then
  ntk.plot.line{file = figure, title = string.format("Mercer eigenvalues on S^%d (even k)", d - 1),
                xlabel = "degree k", ylabel = "mu_k", logx = true, logy = true, series = series}
end
return {ntk_slope = fits.ntk.slope, arccos_slope = fits.arccos.slope, gram = gram_error}
