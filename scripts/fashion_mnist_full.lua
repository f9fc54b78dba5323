-- FC NTK and NNGP kernel regression on all 60,000 Fashion-MNIST training images (issue 14).
--
-- 1. Selection on a validation split carved from the training set (select_train images fit,
--    select_val images scored, disjoint, both from the 60,000): every depth in `depths`, both
--    kernels (NTK, NNGP), every ridge λ in `lambdas` (relative to the mean diagonal of the
--    kernel), float64 kernels and Cholesky ridge; the best validation accuracy wins.
-- 2. The winner refit on all n_train images: the n × n kernel in float32 (60,000²: 14.4 GB, once,
--    never as float64), ridge by float32 Cholesky in place with iterative refinement in float64
--    (ntk.solve.ridge on an ntk.fmatrix: it reports the relative residual ‖(K + λI)α − Y‖/‖Y‖).
--    Where float32 cannot represent K + λI (condition number × 6e-8 ≳ 1: a refusal naming the
--    condition estimate), the next larger λ of the grid is used, and the row says so.
-- 3. The training kernel is freed, the 10,000 × n test kernel is computed (float32) and the
--    prediction K_test α accumulated in float64; accuracy = argmax agreement with the labels.
-- Inputs are unit-norm images scaled to norm √784 (x·x'/d is the cosine), one-hot targets.
-- The row records every step's wall time and GFLOP/s, the peak resident memory (VmHWM), and
-- the validation table.
--
--   ntklab run scripts/fashion_mnist_full.lua                        (the paper-scale run)
--   ntklab run scripts/fashion_mnist_full.lua --set n_train=4000 --set n_test=2000 \
--       --set select_train=1500 --set select_val=1000                (a small check, seconds)
local p = ntk.params{
  n_train = {60000, "training images for the final fit (all 60,000)"},
  n_test = {10000, "test images (the official 10,000)"},
  select_train = {8000, "fit part of the validation split (from the training set)"},
  select_val = {4000, "scored part of the validation split (from the training set)"},
  depths = {{1, 2, 3, 4}, "FC depths (hidden layers) tried"},
  lambdas = {{1e-3, 1e-2, 3e-2, 1e-1}, "ridge lambdas relative to the mean kernel diagonal"},
  w_std = {math.sqrt(2), "weight standard deviation"},
  b_std = {0.1, "bias standard deviation"},
  seed = {1, "seed of the validation split"},
  out = {"results/fashion_mnist_full.jsonl", "result row"},
}

local clock = ntk.clock
local function peak_rss_gb()
  local f = io.open("/proc/self/status", "r")
  if not f then return nil end
  local text = f:read("a")
  f:close()
  local kb = text:match("VmHWM:%s*(%d+)")
  return kb and tonumber(kb) / 1048576 or nil
end

local t_start = clock()
local data = ntk.data.fashion_mnist{n_train = p.n_train, n_test = p.n_test, seed = p.seed, labels = "onehot",
                                    normalize = "unit"}
local d = data.train.x:rows()
local scale = math.sqrt(d)
local train_x, test_x = data.train.x * scale, data.test.x * scale
local train_y, test_y = data.train.y, data.test.y
local n, m = train_x:cols(), test_x:cols()
local t_load = clock() - t_start
print(string.format("Fashion-MNIST: %d train, %d test images (%.1f s to load)", n, m, t_load))

-- 1. Selection ---------------------------------------------------------------------------
local t0 = clock()
local sel = ntk.data.split(data.train, p.select_train, p.select_val, p.seed)
sel.train.x, sel.test.x = sel.train.x * scale, sel.test.x * scale
local validation = {}
local best
for _, depth in ipairs(p.depths) do
  local a = ntk.arch("fc", {depth = depth, activation = "relu", w_std = p.w_std, b_std = p.b_std})
  local k_fit = a:kernels(sel.train.x, sel.train.x)
  local k_val = a:kernels(sel.test.x, sel.train.x)
  for _, kind in ipairs({"ntk", "nngp"}) do
    local K = k_fit[kind]
    local mean_diag = K:trace() / K:rows()
    for _, rel in ipairs(p.lambdas) do
      local fit = ntk.solve.ridge(K, sel.train.y, rel * mean_diag)
      local acc = ntk.metrics.accuracy(ntk.solve.predict(k_val[kind], fit), sel.test.y)
      validation[#validation + 1] = {depth = depth, kernel = kind, lambda = rel, accuracy = acc}
      print(string.format("  validation: depth %d %-4s lambda %.0e x mean diag: %.4f", depth,
                          kind, rel, acc))
      if not best or acc > best.accuracy then
        best = {depth = depth, kernel = kind, lambda = rel, accuracy = acc}
      end
    end
  end
end
local t_select = clock() - t0
print(string.format("selected: depth %d, %s, lambda %.0e x mean diagonal (validation %.4f; "
                    .. "%.1f s)", best.depth, best.kernel, best.lambda, best.accuracy, t_select))
sel = nil
collectgarbage()

-- 2. The refit on all n images, float32 ------------------------------------------------------
local a = ntk.arch("fc", {depth = best.depth, activation = "relu", w_std = p.w_std,
                          b_std = p.b_std})
t0 = clock()
local K = a:kernel(train_x, train_x, best.kernel, {precision = "float32"})
local t_kernel = clock() - t0
local mean_diag = K:trace() / n
-- The Gram matrix (n²d flops, one triangle) dominates the kernel's BLAS work.
local kernel_gflop = n * n * d / 1e9

local lambdas_from = {}
for _, rel in ipairs(p.lambdas) do
  if rel >= best.lambda then lambdas_from[#lambdas_from + 1] = rel end
end
local fit, used_lambda, refused = nil, nil, {}
t0 = clock()
for _, rel in ipairs(lambdas_from) do
  local ok, result = pcall(ntk.solve.ridge, K, train_y, rel * mean_diag)
  if ok then
    fit, used_lambda = result, rel
    break
  end
  -- Only the float32 refusals (condition estimate, failed pivot) move on to the next lambda.
  local text = tostring(result)
  if not (text:find("ill%-conditioned") or text:find("not positive definite")) then error(text, 0) end
  refused[#refused + 1] = {lambda = rel, error = text}
  print(string.format("lambda %.0e refused in float32: %s", rel, tostring(result)))
end
local t_solve = clock() - t0
if not fit then error("no lambda of the grid could be solved in float32 (see above)") end
print(string.format("ridge: lambda %.0e x mean diagonal, relative residual %.2e after %d "
                    .. "refinement steps (%.1f s)", used_lambda, fit.residual or -1,
                    fit.refinement_steps or -1, t_solve))
if fit.seconds then
  local parts = {}
  for _, key in ipairs({"check", "factorisation", "condition", "refinement", "restore"}) do
    if fit.seconds[key] then parts[#parts + 1] = string.format("%s %.1f s", key, fit.seconds[key]) end
  end
  -- spotrf: n³/3 flops.
  local f = fit.seconds.factorisation
  print("  ridge time split: " .. table.concat(parts, ", ")
        .. (f and string.format(" (spotrf %.0f GFLOP/s)", n ^ 3 / 3 / 1e9 / f) or ""))
end
K = nil
collectgarbage()

-- 3. Prediction -------------------------------------------------------------------------------
t0 = clock()
local K_test = a:kernel(test_x, train_x, best.kernel, {precision = "float32"})
local t_test_kernel = clock() - t0
t0 = clock()
local F = (K_test * fit.alpha):t()  -- k × m, accumulated in float64
local t_predict = clock() - t0
local accuracy = ntk.metrics.accuracy(F, test_y)
local total = clock() - t_start
local rss = peak_rss_gb()

print(string.format("test accuracy %.4f on %d images; total %.1f s (load %.1f, selection %.1f, "
                    .. "kernel %.1f = %.0f GFLOP/s, ridge %.1f, test kernel %.1f, predict %.1f); "
                    .. "peak RSS %.1f GB", accuracy, m, total, t_load, t_select, t_kernel,
                    kernel_gflop / t_kernel, t_solve, t_test_kernel, t_predict, rss or -1))

local row = {
  n_train = n, n_test = m, depth = best.depth, kernel = best.kernel,
  lambda_selected = best.lambda, lambda_used = used_lambda, validation_accuracy = best.accuracy,
  test_accuracy = accuracy, residual = fit.residual, refinement_steps = fit.refinement_steps,
  refused = refused, validation = validation,
  seconds = {total = total, load = t_load, selection = t_select, kernel = t_kernel,
             ridge = t_solve, test_kernel = t_test_kernel, predict = t_predict,
             ridge_split = fit.seconds},  -- check, factorisation, condition, refinement, restore
  kernel_gflops = kernel_gflop / t_kernel,
  peak_rss_gb = rss,
}
ntk.io.write_jsonl(p.out, row)
print("row appended to " .. p.out)
