-- Figure 1 of Bietti & Mairal 2019: geometry of the kernel map of convolutional kernels on
-- MNIST digits. For a reference digit (a "5"), the average relative kernel distance
--   ||Phi(x) - Phi(x')|| / ||Phi(x)|| = sqrt(K(x,x) + K(x',x') - 2 K(x,x')) / sqrt(K(x,x))
-- to (a) its smooth random deformations of amplitude alpha (pixels), (b) translations (up to
-- `shift` pixels) combined with those deformations, (c) other digits with the same label,
-- (d) digits with any label — for the CNTK (the cnn plugin's NTK) and for the conv NNGP of
-- the same network (the arc-cosine / CKN-type kernel of the paper's comparison).
--
-- Expected: distances grow with alpha; small deformations stay well below other digits (same
-- label or any label). Digits are scaled to unit norm, so distances compare shapes, not ink.
-- Writes JSON lines to params.out (default results/deformation_stability.jsonl) and a figure
-- to params.figure (default results/deformation_stability.png; "none" to skip).
--
--   build/bin/ntklab run scripts/deformation_stability.lua
--       [--set n=16 --set alpha_max=4 --set steps=5 --set depth=2 --set readout=gap]

local p = ntk.params{
  n = {16, "images per set"},
  alpha_max = {4.0, "largest deformation amplitude (pixels)"},
  steps = {5, "amplitudes alpha_max * s / steps, s = 1 .. steps"},
  shift = {3, "translations in [-shift, shift] pixels, set (b) only"},
  smoothness = {4.0, "displacement-field Gaussian sigma (pixels)"},
  seed = {1, "random seed"},
  label = {5, "the reference digit"},
  depth = {2, "convolutional layers"},
  filter = {3, "filter size"},
  readout = {"gap", "readout", choices = {"gap", "pool", "flatten"}},
  precision = {"float32", "cnn plugin precision"},
  out = {"results/deformation_stability.jsonl", "result rows file"},
  figure = {"results/deformation_stability.png", "figure file (\"none\" to skip)"},
}
local n = p.n
local alpha_max = p.alpha_max
local steps = p.steps
local shift = p.shift
local smoothness = p.smoothness
local seed = p.seed
local reference_label = p.label
local out = p.out
local figure = p.figure
local options = {depth = p.depth, filter = p.filter, readout = p.readout,
                 precision = p.precision, activation = "relu"}
local shape = {1, 28, 28}
local arch = ntk.arch("cnn", options)
print(arch:describe())

-- The reference digit and n others of its label (from a seeded draw of every class: the
-- loader wants two classes or more), and n digits of any label.
local pool = ntk.data.mnist{n_train = 30 * (n + 1), n_test = 1, seed = seed, normalize = "unit"}
local any = ntk.data.mnist{n_train = n, n_test = 1, seed = seed + 1, normalize = "unit"}
local pixels = pool.train.x:rows()
local picked = {}
for j = 1, pool.train.x:cols() do
  if pool.train.labels:get(1, j) == reference_label and #picked < n + 1 then picked[#picked + 1] = j end
end
assert(#picked == n + 1, string.format("only %d digits with label %d in the draw", #picked, reference_label))
local fives = ntk.matrix(pixels, n + 1)
for k, j in ipairs(picked) do
  for i = 1, pixels do fives:set(i, k, pool.train.x:get(i, j)) end
end
local reference = fives:col(1)

-- [x, columns of S] as one image set, so one symmetric kernel gives K(x,x), K(x',x'), K(x,x').
local function with_reference(S)
  local Z = ntk.matrix(pixels, S:cols() + 1)
  for i = 1, pixels do
    Z:set(i, 1, reference:get(i, 1))
    for j = 1, S:cols() do Z:set(i, j + 1, S:get(i, j)) end
  end
  return Z
end

local function copies(x, m)
  local C = ntk.matrix(pixels, m)
  for j = 1, m do
    for i = 1, pixels do C:set(i, j, x:get(i, 1)) end
  end
  return C
end

-- Mean and standard deviation of the relative distances of the reference to each image of S.
local function distances(S)
  local K = arch:kernels({x = with_reference(S), shape = shape})
  local result = {}
  for _, name in ipairs({"ntk", "nngp"}) do
    local M = K[name]
    local k00 = M:get(1, 1)
    local sum, sum2, m = 0, 0, S:cols()
    for j = 2, m + 1 do
      local r = math.sqrt(math.max(0, k00 + M:get(j, j) - 2 * M:get(1, j))) / math.sqrt(k00)
      sum = sum + r
      sum2 = sum2 + r * r
    end
    local mean = sum / m
    result[name] = {mean = mean, std = math.sqrt(math.max(0, sum2 / m - mean * mean))}
  end
  return result
end

local rows = {}
local function record(set, alpha, r)
  for _, name in ipairs({"ntk", "nngp"}) do
    local row = {kernel = name, set = set, alpha = alpha, mean = r[name].mean, std = r[name].std,
                 n = n, seed = seed, depth = options.depth, filter = options.filter,
                 readout = options.readout}
    rows[#rows + 1] = row
    ntk.io.write_jsonl(out, row)
  end
  print(string.format("%-24s alpha %4.2f   CNTK %.4f (+- %.4f)   conv NNGP %.4f (+- %.4f)", set,
                      alpha, r.ntk.mean, r.ntk.std, r.nngp.mean, r.nngp.std))
end

-- Random integer translations, one per copy, the same for every alpha.
local translated = ntk.matrix(pixels, n)
do
  local base = copies(reference, 1)
  local state = seed * 7919 + 17
  for j = 1, n do
    -- A small linear congruential draw keeps the script self-contained and reproducible.
    state = (state * 1103515245 + 12345) % 2147483648
    local dx = state % (2 * shift + 1) - shift
    state = (state * 1103515245 + 12345) % 2147483648
    local dy = state % (2 * shift + 1) - shift
    local t = ntk.data.translate(base, {shape = shape, dx = dx, dy = dy})
    for i = 1, pixels do translated:set(i, j, t:get(i, 1)) end
  end
end

local alphas = {}
for s = 1, steps do alphas[s] = alpha_max * s / steps end
local start = ntk.clock()
local curve = {deformation = {}, ["translation+deformation"] = {}}
for s, alpha in ipairs(alphas) do
  local deformed = ntk.data.deform(copies(reference, n), {shape = shape, alpha = alpha,
                                                          seed = seed + s, smoothness = smoothness})
  curve.deformation[s] = distances(deformed)
  record("deformation", alpha, curve.deformation[s])
  local both = ntk.data.deform(translated, {shape = shape, alpha = alpha, seed = seed + 100 + s,
                                            smoothness = smoothness})
  curve["translation+deformation"][s] = distances(both)
  record("translation+deformation", alpha, curve["translation+deformation"][s])
end
local same = distances(fives:cols_range(2, n + 1))
record("same_label", 0, same)
local other = distances(any.train.x)
record("any_label", 0, other)
print(string.format("kernels: %.1f s", ntk.clock() - start))

if figure ~= "none" then
  local series = {}
  for _, name in ipairs({"ntk", "nngp"}) do
    local label = name == "ntk" and "CNTK" or "conv NNGP"
    for _, set in ipairs({"deformation", "translation+deformation"}) do
      local ys = {}
      for s = 1, #alphas do ys[s] = curve[set][s][name].mean end
      series[#series + 1] = {x = alphas, y = ys, label = label .. ": " .. set}
    end
    for _, pair in ipairs({{"same label", same}, {"any label", other}}) do
      local ys = {}
      for s = 1, #alphas do ys[s] = pair[2][name].mean end
      series[#series + 1] = {x = alphas, y = ys, label = label .. ": " .. pair[1], style = "lines"}
    end
  end
  ntk.plot.line{file = figure, title = "Relative kernel distance to a reference digit",
                xlabel = "deformation amplitude alpha (pixels)",
                ylabel = "||Phi(x) - Phi(x')|| / ||Phi(x)||", series = series}
end
return {deformation = curve.deformation, translation = curve["translation+deformation"],
        same_label = same, any_label = other, alphas = alphas}
