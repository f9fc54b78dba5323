-- How the residual NTK behaves with depth, next to the fully connected NTK of the same number
-- of dense layers, on Fashion-MNIST (ten classes, one-hot targets).
--
-- For each number of blocks B three infinite-width kernels are compared:
--   fc            serial(Dense, ReLU, ..., Dense) with 1 + 2B hidden layers (2B + 2 dense
--                 layers, as many as the residual networks below)
--   resnet α = 1  serial(Dense, [x + α·branch(x)] × B, ReLU, Dense), branch = (ReLU, Dense) × 2
--   resnet α = 1/√B  the same with the branch scaled down by the depth (Hayou et al. 2021,
--                 "Stable ResNet"; Huang et al. 2020, "Why do deep residual networks generalize
--                 better than deep feedforward networks? A neural tangent kernel perspective")
-- all with He-initialised weights (w_std = √2, b_std = 0) and inputs of norm √784, so the
-- input kernel x·x'/d is the cosine of the images. For each kernel the rows record
--   cond_ntk, cond_nngp   λ_max/λ_min of the train NTK and NNGP (n_train × n_train)
--   corr_mean, corr_spread  mean and standard deviation of the normalised NTK entries
--                 Θ(x, x')/√(Θ(x, x)Θ(x', x')) over the pairs of the first `corr_points`
--                 training images: a kernel that "degenerates" with depth loses this spread,
--                 every pair of different images looking alike
--   accuracy      test accuracy of NTK regression (minimum-norm interpolation of the one-hot
--                 targets, ntk.solve.interpolate; argmax of the prediction)
-- What it shows (numbers in scripts/README.md): the FC NTK's normalised off-diagonal entries
-- collapse onto one value as the depth grows (the kernel tends to c·11ᵀ + (1 − c)·I), so its
-- condition number *falls* towards that limit's and the accuracy drops; α = 1 ResNets follow
-- more slowly; with α = 1/√B the kernel, its condition number and the accuracy stay where they
-- are at B = 1.
--
-- Settings (params): blocks (list, default 1,2,4,8,16,32), n_train (300), n_test (300),
--   corr_points (100), w_std (√2), b_std (0), branch_depth (2), seed (1), out, figure
--   (the accuracy figure; the condition/spread figure is written next to it, FIGURE with
--   "_condition" before ".png").
--
--   ntklab run scripts/resnet_depth.lua                                     (small, seconds)
--   ntklab run scripts/resnet_depth.lua --set n_train=3000 --set n_test=2000 \
--       --set blocks=1,2,4,8,16,32,64 --set figure=docs/figures/resnet_depth.png
local ex = require("experiment")

local NAME = "resnet_depth"
local p = ntk.params{
  blocks = {{1, 2, 4, 8, 16, 32}, "residual block counts"},
  n_train = {300, "training examples"},
  n_test = {300, "test examples"},
  corr_points = {100, "points for the correlation statistics"},
  w_std = {math.sqrt(2), "weight standard deviation"},
  b_std = {0.0, "bias standard deviation"},
  branch_depth = {2, "layers per residual branch"},
  seed = {1, "random seed"},
  out = {"", "result rows file (default results/resnet_depth.jsonl)"},
  figure = {"", "figure file (default results/resnet_depth.png)"},
}
local MODELS = {
  {key = "fc", label = "FC, 2B+1 hidden layers"},
  {key = "resnet_alpha_1", label = "ResNet, alpha = 1"},
  {key = "resnet_alpha_inv_sqrt", label = "ResNet, alpha = 1/sqrt(B)"},
}

local function condition_figure_path(file)
  return (file:gsub("%.png$", "") .. "_condition.png")
end

local function draw(rows, file)
  local function series_of(y)
    local out = {}
    for _, m in ipairs(MODELS) do
      local s = ntk.plot.summarize(rows, {x = "blocks", y = y, where = {model = m.key}})[1]
      if s then
        s.label = m.label
        out[#out + 1] = s
      end
    end
    return out
  end
  local first = rows[1] or {}
  local setting = string.format("Fashion-MNIST, %s train / %s test", tostring(first.n_train),
                                tostring(first.n_test))
  ntk.plot.line{file = condition_figure_path(file), logx = true, logy = true,
                series = series_of("cond_ntk"), xlabel = "residual blocks B (FC: 2B+1 hidden layers)",
                ylabel = "condition number of the train NTK",
                title = "NTK condition number vs depth, " .. setting}
  local spread = condition_figure_path(file):gsub("_condition%.png$", "_spread.png")
  ntk.plot.line{file = spread, logx = true, logy = true, series = series_of("corr_spread"),
                xlabel = "residual blocks B (FC: 2B+1 hidden layers)",
                ylabel = "std of normalised off-diagonal NTK entries",
                title = "NTK degeneration vs depth, " .. setting}
  return ntk.plot.line{file = file, logx = true, series = series_of("accuracy"),
                       xlabel = "residual blocks B (FC: 2B+1 hidden layers)",
                       ylabel = "test accuracy of NTK regression",
                       title = "NTK regression vs depth, " .. setting}
end

if ex.finish(NAME, draw) then return end

local blocks_list = p.blocks
local n_train = p.n_train
local n_test = p.n_test
local corr_points = math.min(p.corr_points, n_train)
local w_std = p.w_std
local b_std = p.b_std
local branch_depth = p.branch_depth
local seed = p.seed
local rows = ex.recorder(NAME)

local data = ntk.data.fashion_mnist{n_train = n_train, n_test = n_test, seed = seed,
                                    labels = "onehot", normalize = "unit"}
local scale = math.sqrt(data.train.x:rows())
local x_train, x_test = data.train.x * scale, data.test.x * scale
print(string.format("Fashion-MNIST: %d train, %d test images of dimension %d", x_train:cols(),
                    x_test:cols(), x_train:rows()))

local function condition(K)
  local eig = ntk.analysis.spectrum(K).eigenvalues
  local high, low = eig:get(1, 1), eig:get(eig:rows(), 1)
  return low > 0 and high / low or nil, low, high
end

-- Mean and standard deviation of Θ(x_i, x_j)/√(Θ(x_i, x_i)Θ(x_j, x_j)) over i < j ≤ m.
local function correlation_spread(K, m)
  local values, sum = {}, 0
  for j = 1, m do
    for i = 1, j - 1 do
      local v = K:get(i, j) / math.sqrt(K:get(i, i) * K:get(j, j))
      values[#values + 1] = v
      sum = sum + v
    end
  end
  local mean, var = sum / #values, 0
  for _, v in ipairs(values) do var = var + (v - mean) ^ 2 end
  return mean, math.sqrt(var / #values)
end

local function architecture(model, B)
  if model == "fc" then
    return ntk.arch("fc", {depth = 1 + branch_depth * B, activation = "relu", w_std = w_std,
                           b_std = b_std}), 1
  end
  local alpha = model == "resnet_alpha_1" and 1 or 1 / math.sqrt(B)
  return ntk.arch("resnet", {kind = "mlp", blocks = B, alpha = alpha, branch_depth = branch_depth,
                             activation = "relu", w_std = w_std, b_std = b_std,
                             readout_w_std = w_std, readout_b_std = b_std}), alpha
end

print(string.format("%6s %-24s %11s %11s %8s %8s %8s", "B", "model", "cond NTK", "cond NNGP",
                    "corr", "spread", "accuracy"))
for _, B in ipairs(blocks_list) do
  for _, m in ipairs(MODELS) do
    local arch, alpha = architecture(m.key, B)
    local started = os.clock()
    local K = arch:kernels(x_train, x_train)
    local cond_ntk, lambda_min, lambda_max = condition(K.ntk)
    local cond_nngp = condition(K.nngp)
    local corr_mean, corr_spread = correlation_spread(K.ntk, corr_points)
    local solution = ntk.solve.interpolate(K.ntk, data.train.y)
    K = nil
    local predictions = ntk.solve.predict(arch:kernel(x_test, x_train, "ntk"), solution)
    local row = rows:write{
      model = m.key, blocks = B, alpha = alpha, branch_depth = branch_depth,
      dense_layers = 2 + branch_depth * B, w_std = w_std, b_std = b_std, n_train = n_train,
      n_test = n_test, seed = seed, cond_ntk = cond_ntk, lambda_min = lambda_min,
      lambda_max = lambda_max, cond_nngp = cond_nngp, corr_mean = corr_mean,
      corr_spread = corr_spread, corr_points = corr_points,
      accuracy = ex.accuracy(predictions, data.test.y), solver = solution.method,
      cpu_seconds = os.clock() - started}
    print(string.format("%6d %-24s %11.4g %11.4g %8.4f %8.4f %8.4f", B, m.key,
                        row.cond_ntk or -1, row.cond_nngp or -1, corr_mean, corr_spread,
                        row.accuracy))
  end
end

if ex.mode() == "run" then print("figure: " .. draw(rows.rows, ex.figure_path(NAME))) end
print("rows appended to " .. rows.path)
