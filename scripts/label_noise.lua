-- Training with noisy labels: interpolation overfits the noise, ridge / early stopping / AUX /
-- RDI do not.
--
-- Reproduces the lecture slides "Training with noisy labels" (../shared/papers/
-- ntk-lecture-slides.txt; Hu, Li & Yu 2020, "Simple and effective regularization methods for
-- training on noisily labeled data with generalization guarantee") on MNIST (or Fashion-MNIST):
-- the training and validation labels are corrupted by symmetric noise (each label, with
-- probability p, replaced by one of the other classes: ntk.data.symmetric_noise), and each
-- method is scored by its accuracy on the CLEAN test labels:
--   interpolation  the minimum-norm NTK interpolant f = k(x, X) H⁻¹ ỹ (fits every noisy label)
--   ridge          NTK kernel ridge regression k(x, X)(H + λI)⁻¹ ỹ, λ chosen on the noisy
--                  validation split (accuracy, ties broken by validation squared error)
--   gd_early_stop  a finite network trained by plain full-batch GD, stopped at the step with the
--                  best noisy-validation accuracy (checked every check_every steps)
--   aux            GD with an auxiliary variable per training example (regularizer "aux"),
--                  λ = the ridge's λ: in the kernel regime it converges to that ridge (Thm 5)
--   rdi            GD with the distance-to-initialisation penalty (regularizer "rdi"),
--                  λ = ridge λ / n (ntk.train's 1/(2n) loss makes RDI a ridge of n·λ)
-- and, for two classes and p < 1/2, the noisy-label bound of Hu et al. in the slides' form
--   P[sign f_ridge(x) ≠ y] ≤ 1/(1 − 2p) · O( √λ · √(yᵀH⁻¹y / n) + 1/√λ )      (Theorem 6)
-- with the O(·) constant set to 1, y the clean training labels and H the NTK scaled to mean
-- diagonal 1/2 (Arora et al.'s H∞ scale): `hu_bound` at the validation-chosen λ (in that
-- scale) and `hu_bound_best` = its minimum over λ, 2 (yᵀH⁻¹y/n)^{1/4} / (1 − 2p). Without the
-- unknown constants the bound is not a probability; it shows the 1/(1 − 2p) growth with noise.
-- With two classes, p > 1/2 flips most labels: every method then learns the inverted rule (the
-- bound needs p < 1/2); with ten classes p = 0.6 still leaves the true class the most likely.
--
-- Calibration (issue 15): `ensemble` is the infinite ensemble of infinitely wide networks
-- (ntk.solve.ensemble, Lee et al. 2019 Eq. 16) at t = ∞ with the ridge's λ: its mean is the
-- ridge predictor, and it adds a predictive variance σ²(x) per test point (the NTK-GP posterior
-- variance, the same for every output). The row compares σ²(x) with the squared error
-- e(x) = mean over outputs of (f̄(x) − y)² on the clean test labels: the test points sorted by
-- σ² into `calibration_bins` equal bins (variance_bins, error_bins: their means), the Pearson
-- and Spearman correlations of σ² and e, and error_over_variance = mean e / mean σ² (1 for a
-- calibrated scale; the prior's scale is the architecture's, not the labels').
--
-- Inputs are scaled to norm √d (the stax input kernel x·x'/d is then the cosine) so that a
-- network of a few hundred units is close to its kernel regime. The networks are centred: they
-- predict f(x; w) − f(x; w0) (and GD fits ỹ + f(X; w0)), the kernel predictors' zero start.
-- Network: `depth` hidden ReLU layers, w_std = √2, b_std = 0, NTK parametrisation; the analytic
-- NTK is of the same architecture.
--
-- params: dataset ("mnist" | "fashion_mnist"), classes (a list, "0,1"; "0,1,2,3,4,5,6,7,8,9"
--   for ten-class), noise (a list, "0,0.2,0.4,0.6"), n_train (100), n_val (100), n_test (500),
--   depth (1), width (256), steps (300: GD budget of every network), check_every (10),
--   networks (1: 0 skips the finite networks and keeps the kernel methods), calibration_bins (5),
--   seed (1), out, figure.
--
--   ntklab run scripts/label_noise.lua                                   (small, < 1 minute)
--   ntklab run scripts/label_noise.lua --set classes=0,1,2,3,4,5,6,7,8,9 --set n_train=1000 \
--       --set n_val=500 --set width=2048 --set steps=3000
--   ntklab batch scripts/label_noise.lua --grid noise=0,0.2,0.4,0.6 --reps 5 --jobs 2 \
--       --out results/label_noise
--   ntklab plot results/label_noise
local ex = require("experiment")

local NAME = "label_noise"
local p = ntk.params{
  dataset = {"mnist", "data set", choices = {"mnist", "fashion_mnist"}},
  classes = {{0, 1}, "digits to classify"},
  noise = {{0, 0.2, 0.4, 0.6}, "label noise levels p"},
  n_train = {100, "training examples"},
  n_val = {100, "validation examples"},
  n_test = {500, "clean test examples"},
  depth = {1, "hidden layers"},
  width = {256, "hidden width of the networks"},
  steps = {300, "GD steps"},
  check_every = {10, "steps between early-stopping checks"},
  networks = {1, "1: train the finite networks; 0: kernel methods only"},
  calibration_bins = {5, "bins of test points by ensemble variance (calibration row)"},
  seed = {1, "random seed"},
  out = {"", "result rows file (default results/label_noise.jsonl)"},
  figure = {"", "figure file (default results/label_noise.png)"},
}
local METHODS = {
  {"interpolation", "NTK interpolation"},
  {"ridge", "NTK ridge (lambda on noisy validation)"},
  {"gd_early_stop", "network, GD + early stopping"},
  {"aux", "network, GD + AUX"},
  {"rdi", "network, GD + RDI"},
}

local function draw(rows, file)
  local series = {}
  for _, method in ipairs(METHODS) do
    local s = ntk.plot.summarize(rows, {x = "noise", y = "test_accuracy",
                                        where = {method = method[1]}})[1]
    if s then
      s.label = method[2]
      series[#series + 1] = s
    end
  end
  local first = rows[1] or {}
  return ntk.plot.line{file = file, series = series, xlabel = "label noise p",
                       ylabel = "clean test accuracy",
                       title = string.format("%s, classes %s, %s training examples",
                                             tostring(first.dataset), tostring(first.classes),
                                             tostring(first.n_train))}
end

local function report(rows)
  local by_method = ex.group(rows, "method")
  local _, noises = ex.group(rows, "noise")
  io.write(string.format("%-14s", "noise p"))
  for _, p in ipairs(noises) do io.write(string.format("%8.2f", p)) end
  io.write("\n")
  for _, method in ipairs(METHODS) do
    local groups = ex.group(by_method[method[1]] or {}, "noise")
    io.write(string.format("%-14s", method[1]))
    for _, p in ipairs(noises) do
      local list = groups[p] and ex.column(groups[p], "test_accuracy") or {}
      io.write(#list > 0 and string.format("%8.3f", ex.mean(list)) or string.format("%8s", "-"))
    end
    io.write("\n")
  end
  local bounds = ex.group(by_method["ridge"] or {}, "noise")
  io.write(string.format("%-14s", "Hu bound min"))
  for _, p in ipairs(noises) do
    local list = bounds[p] and ex.column(bounds[p], "hu_bound_best") or {}
    io.write(#list > 0 and string.format("%8.3f", ex.mean(list)) or string.format("%8s", "-"))
  end
  io.write("\n")
  local calibration = ex.group(by_method["ensemble"] or {}, "noise")
  for _, p in ipairs(noises) do
    for _, row in ipairs(calibration[p] or {}) do
      io.write(string.format("calibration p = %.2f: corr(variance, squared error) = %.3f "
                             .. "(Spearman %.3f), mean error / mean variance = %.3f\n", p,
                             row.calibration_correlation, row.calibration_rank_correlation,
                             row.error_over_variance))
      for b = 1, #row.variance_bins do
        io.write(string.format("  bin %d: mean variance %.4f, mean squared error %.4f\n", b,
                               row.variance_bins[b], row.error_bins[b]))
      end
    end
  end
end

-- Pearson correlation of two equal-length lists.
local function correlation(a, b)
  local n, ma, mb = #a, 0, 0
  for i = 1, n do ma, mb = ma + a[i] / n, mb + b[i] / n end
  local sab, saa, sbb = 0, 0, 0
  for i = 1, n do
    sab = sab + (a[i] - ma) * (b[i] - mb)
    saa = saa + (a[i] - ma) ^ 2
    sbb = sbb + (b[i] - mb) ^ 2
  end
  return sab / math.sqrt(saa * sbb)
end

-- 1-based ranks (ties get their mean rank), for Spearman's correlation.
local function ranks(values)
  local order = {}
  for i = 1, #values do order[i] = i end
  table.sort(order, function(i, j) return values[i] < values[j] end)
  local out, i = {}, 1
  while i <= #order do
    local j = i
    while j < #order and values[order[j + 1]] == values[order[i]] do j = j + 1 end
    for q = i, j do out[order[q]] = (i + j) / 2 end
    i = j + 1
  end
  return out
end

-- Predicted variance (the covariance's diagonal) against the squared error of the mean on the
-- test labels y (k × m): the fields of the calibration row.
local function calibration(mean, covariance, y, bins)
  local m, k = mean:cols(), mean:rows()
  local variance, error = {}, {}
  for j = 1, m do
    local e = 0
    for o = 1, k do e = e + (mean:get(o, j) - y:get(o, j)) ^ 2 end
    variance[j], error[j] = covariance:get(j, j), e / k
  end
  local order = {}
  for j = 1, m do order[j] = j end
  table.sort(order, function(a, b) return variance[a] < variance[b] end)
  local variance_bins, error_bins = {}, {}
  for b = 1, bins do
    local first, last = math.floor((b - 1) * m / bins) + 1, math.floor(b * m / bins)
    local v, e = 0, 0
    for q = first, last do v, e = v + variance[order[q]], e + error[order[q]] end
    variance_bins[b], error_bins[b] = v / (last - first + 1), e / (last - first + 1)
  end
  local total_v, total_e = 0, 0
  for j = 1, m do total_v, total_e = total_v + variance[j], total_e + error[j] end
  return {calibration_correlation = correlation(variance, error),
          calibration_rank_correlation = correlation(ranks(variance), ranks(error)),
          error_over_variance = total_e / total_v, mean_variance = total_v / m,
          mean_squared_error = total_e / m, variance_bins = variance_bins,
          error_bins = error_bins}
end

if ex.finish(NAME, function(rows, file)
  report(rows)
  return draw(rows, file)
end) then return end

local dataset = p.dataset
local classes = p.classes
local noises = p.noise
local n_train = p.n_train
local n_val = p.n_val
local n_test = p.n_test
local depth = p.depth
local width = p.width
local steps = p.steps
local check_every = p.check_every
local networks = p.networks ~= 0
local p_bins = p.calibration_bins
local seed = p.seed
local rows = ex.recorder(NAME)

-- Data: train + validation drawn from the training split, the clean test set from the test split.
local loaded = ntk.data[dataset]{classes = classes, n_train = n_train + n_val, n_test = n_test,
                                 seed = seed, normalize = "unit"}
local split = ntk.data.split(loaded.train, n_train, n_val, seed)
local scale = math.sqrt(loaded.train.x:rows())   -- inputs of norm √d: x·x'/d is the cosine
local clean_train, clean_val, test = split.train, split.test, loaded.test
clean_train.x, clean_val.x, test.x = clean_train.x * scale, clean_val.x * scale, test.x * scale
local binary = #classes == 2
print(string.format("%s classes {%s}: %d train, %d validation (both noisy), %d clean test",
                    dataset, table.concat(classes, ","), n_train, n_val, test.x:cols()))

-- The analytic NTK once: it does not depend on the labels.
local arch = ntk.arch("fc", {depth = depth, activation = "relu", w_std = math.sqrt(2), b_std = 0,
                             outputs = clean_train.y:rows()})
local K = arch:kernel(clean_train.x, clean_train.x, "ntk")
local K_val = arch:kernel(clean_val.x, clean_train.x, "ntk")
local K_test = arch:kernel(test.x, clean_train.x, "ntk")
-- The NNGP blocks for the ensemble's covariance (the prior over initialisations).
local G = arch:kernel(clean_train.x, clean_train.x, "nngp")
local G_test = arch:kernel(test.x, clean_train.x, "nngp")
local G_test_test = arch:kernel(test.x, test.x, "nngp")
local mean_diagonal = 0
for i = 1, n_train do mean_diagonal = mean_diagonal + K:get(i, i) / n_train end
local ridge_grid = {}
for e = -4, 1, 0.5 do ridge_grid[#ridge_grid + 1] = mean_diagonal * 10 ^ e end

-- Selection on the noisy validation labels: higher accuracy, then lower squared error.
local function better(accuracy, error, best)
  return best == nil or accuracy > best.accuracy
      or (accuracy == best.accuracy and error < best.error)
end

-- The a-priori part of the Hu et al. bound, yᵀH⁻¹y / n on the H∞ scale (clean labels).
local clean_bound = binary and ntk.analysis.bound(K, clean_train.y, {normalize = "half_diagonal"})

for _, p in ipairs(noises) do
  local noise_seed = ex.derive_seed(seed, math.floor(p * 1000 + 0.5))
  local train = ntk.data.symmetric_noise(clean_train, p, noise_seed)
  local val = ntk.data.symmetric_noise(clean_val, p, noise_seed + 1)
  local common = {dataset = dataset, classes = table.concat(classes, ","), noise = p,
                  n_train = n_train, n_val = n_val, width = width, depth = depth, seed = seed}
  local function record(method, accuracy, extra)
    local row = {method = method, test_accuracy = accuracy}
    for k, v in pairs(common) do row[k] = v end
    for k, v in pairs(extra or {}) do row[k] = v end
    return rows:write(row)
  end

  -- Kernel methods.
  local interpolation = ntk.solve.interpolate(K, train.y)
  record("interpolation", ex.accuracy(ntk.solve.predict(K_test, interpolation), test.y))

  local spectral = ntk.solve.spectral(K, train.y, {K_test = K_val})
  local best
  for _, fit in ipairs(spectral:ridge(ridge_grid)) do
    local accuracy, error = ex.accuracy(fit.test, val.y), ex.mse(fit.test, val.y)
    if better(accuracy, error, best) then
      best = {lambda = fit.lambda, accuracy = accuracy, error = error}
    end
  end
  local lambda = best.lambda
  local ridge = ntk.solve.ridge(K, train.y, lambda)
  local ridge_extra = {lambda = lambda, lambda_relative = lambda / mean_diagonal,
                       validation_accuracy = best.accuracy}
  if binary and p < 0.5 then
    -- λ on the H∞ scale (K multiplied by clean_bound.scale) and yᵀH⁻¹y/n there.
    local q = clean_bound.quadratic_form / n_train
    local lambda_h = lambda * clean_bound.scale
    ridge_extra.hu_bound = (math.sqrt(lambda_h * q) + 1 / math.sqrt(lambda_h)) / (1 - 2 * p)
    ridge_extra.hu_bound_best = 2 * q ^ 0.25 / (1 - 2 * p)
  end
  record("ridge", ex.accuracy(ntk.solve.predict(K_test, ridge), test.y), ridge_extra)

  -- The infinite ensemble at t = ∞ with the same λ: the ridge's mean plus a variance per point.
  local ensemble = ntk.solve.ensemble{K_train = K, K_test_train = K_test, Y = train.y,
                                      t = "inf", ridge = lambda, nngp_train = G,
                                      nngp_test_train = G_test, nngp_test_test = G_test_test}
  local calibrated = calibration(ensemble.mean, ensemble.covariance, test.y, p_bins)
  calibrated.lambda = lambda
  record("ensemble", ex.accuracy(ensemble.mean, test.y), calibrated)

  if networks then
    -- Centred networks: the prediction is f(x; w) − f(x; w0) and GD fits ỹ + f(X; w0), i.e. the
    -- residual is that of the centred model. The random function f(·; w0) is O(1) at
    -- initialisation and is not trained away off the training set (Eq. 14 of the σ-sweep paper):
    -- uncentred, it would add noise to every prediction of the regularised, barely-moved
    -- networks. In the kernel regime the centred network is the kernel predictor started at 0.
    local function centred(seed_net)
      local net = arch:network{width = width, seed = seed_net}
      local f0 = {train = net:forward(train.x), val = net:forward(val.x),
                  test = net:forward(test.x)}
      local shifted = {x = train.x, y = train.y + f0.train}
      local function predict(set) return net:forward(set.x) - f0[set == val and "val" or "test"] end
      return net, shifted, predict
    end

    -- Plain GD with early stopping on the noisy validation split, in chunks of check_every.
    local net, shifted, predict = centred(seed)
    local chunk = ntk.train.gd{net = net, data = shifted, max_steps = check_every,
                               record_every = check_every}
    local lr, done, stop = chunk.lr, chunk.steps, nil
    while true do
      local f_val = predict(val)
      local accuracy, error = ex.accuracy(f_val, val.y), ex.mse(f_val, val.y)
      if better(accuracy, error, stop) then
        stop = {step = done, accuracy = accuracy, error = error,
                test_accuracy = ex.accuracy(predict(test), test.y)}
      end
      if done >= steps then break end
      chunk = ntk.train.gd{net = net, data = shifted, lr = lr, max_steps = check_every,
                           record_every = check_every}
      done = done + chunk.steps
    end
    record("gd_early_stop", stop.test_accuracy, {stop_step = stop.step, lr = lr,
           validation_accuracy = stop.accuracy, final_train_loss = chunk.train_loss})

    -- AUX and RDI: the regularised objectives, trained for the same budget without stopping.
    for _, reg in ipairs({{"aux", lambda}, {"rdi", lambda / n_train}}) do
      local regularized, shifted_reg, predict_reg = centred(seed)
      local run = ntk.train.gd{net = regularized, data = shifted_reg, regularizer = reg[1],
                               lambda = reg[2], max_steps = steps, record_every = steps}
      record(reg[1], ex.accuracy(predict_reg(test), test.y),
             {lambda = reg[2], final_objective = run.objective, final_train_loss = run.train_loss})
    end
  end
end

if ex.mode() == "run" then
  report(rows.rows)
  print("figure: " .. draw(rows.rows, ex.figure_path(NAME)))
end
print("rows appended to " .. rows.path)
