-- CNTK (convolutional NTK, flatten readout, float32) kernel regression on Fashion-MNIST
-- (issue 14), as a resumable batch: the kernels are computed tile by tile into cache files
-- (A:kernel with {precision = "float32", cache = ...}), so a run that is stopped — a batch's
-- --job-timeout, a kill, a crash — keeps its finished tiles, and the same command with
-- --resume goes on from them; a finished run's kernels serve later runs (other λ) from disk.
--
-- 1. The n_train × n_train training kernel (one triangle of tiles) and the n_test × n_train
--    test kernel, float32, through the cache.
-- 2. λ (relative to the mean diagonal) chosen on a validation split carved from the training
--    images: the first n_train − n_val images fit (ridge on the kernel's leading block), the last
--    n_val are scored.
-- 3. Refit on all n_train with that λ (float32 Cholesky in place, refined in float64), predict
--    the test images, accuracy = argmax agreement with the labels.
-- With compare_fc, steps 2–3 again for the FC NTK (depth 2) on the same images: what the
-- convolutional structure adds at this n.
-- Inputs: unit-norm images scaled to norm 28 (√784, so that each pixel is O(1)), one-hot targets.
--
--   ntklab run scripts/fashion_mnist_cntk.lua --set n_train=600 --set n_test=200 --set n_val=200
--   ntklab batch scripts/fashion_mnist_cntk.lua --out results/cntk --job-timeout 3600
--   ntklab batch scripts/fashion_mnist_cntk.lua --out results/cntk --job-timeout 3600 --resume
local p = ntk.params{
  n_train = {30000, "training images (a random subset of the 60,000, by seed; 30,000: ~26 min of kernels)"},
  n_test = {10000, "test images (a random subset of the official 10,000, by seed)"},
  n_val = {2000, "of the training images, held out to choose lambda"},
  depth = {3, "conv layers (3x3, SAME, relu), then flatten and a dense readout"},
  cnn_precision = {"float32", "the conv engine's per-pixel arithmetic (float32: the fused path, ~2x faster)",
                   choices = {"float32", "float64"}},
  w_std = {math.sqrt(2), "conv weight standard deviation"},
  b_std = {0.1, "conv bias standard deviation"},
  lambdas = {{1e-4, 1e-3, 1e-2, 1e-1}, "ridge lambdas relative to the mean kernel diagonal"},
  compare_fc = {true, "also the FC NTK (depth 2, relu) on the same images, chosen the same way"},
  cache_dir = {"results/cntk_cache", "folder of the kernel files (a stopped run resumes from them)"},
  tile = {1000, "rows and columns of a kernel tile (the unit of work a stop can lose)"},
  seed = {1, "seed of the image subsets"},
  out = {"results/fashion_mnist_cntk.jsonl", "result row"},
}

local clock = ntk.clock
local t_start = clock()
assert(p.n_val >= 1 and p.n_val < p.n_train, "n_val must be in [1, n_train)")
local data = ntk.data.fashion_mnist{n_train = p.n_train, n_test = p.n_test, seed = p.seed,
                                    labels = "onehot", normalize = "unit"}
local scale = math.sqrt(data.train.x:rows())
local train = {x = data.train.x * scale, shape = data.train.shape}
local test = {x = data.test.x * scale, shape = data.test.shape}
local n, m = p.n_train, p.n_test
local t_load = clock() - t_start

local cnn = ntk.arch("cnn", {depth = p.depth, readout = "flatten", activation = "relu",
                             w_std = p.w_std, b_std = p.b_std, precision = p.cnn_precision})
local function cache_file(what)
  return string.format("%s/cntk_d%d_%s_%d_%d_seed%d.ntkkernel", p.cache_dir, p.depth, what, n,
                       what == "train" and n or m, p.seed)
end
local function opts(what) return {precision = "float32", cache = cache_file(what), cache_tile = p.tile} end

-- 1. Kernels (through the cache) -------------------------------------------------------------
-- info: what this run computed and what it read from the files (a resumed run reads the
-- tiles an earlier one finished).
local t0 = clock()
local K, train_info = cnn:kernel(train, train, "ntk", opts("train"))
local t_train_kernel = clock() - t0
t0 = clock()
local K_test, test_info = cnn:kernel(test, train, "ntk", opts("test"))
local t_test_kernel = clock() - t0
print(string.format("CNTK depth %d (flatten, float32): %d x %d train kernel %.1f s (%d of %d tiles "
                    .. "from disk), %d x %d test kernel %.1f s (%d of %d from disk)", p.depth, n, n,
                    t_train_kernel, train_info.tiles_from_disk, train_info.tiles, m, n,
                    t_test_kernel, test_info.tiles_from_disk, test_info.tiles))

-- 2. λ on the validation split, 3. refit on all n_train and predict the test images --------
local n_fit = n - p.n_val
local y_fit, y_val = data.train.y:cols_range(1, n_fit), data.train.y:cols_range(n_fit + 1, n)
local function select_and_fit(name, K, K_test)
  local t0 = clock()
  local K_fit = K:rows_range(1, n_fit):cols_range(1, n_fit)
  local K_val = K:rows_range(n_fit + 1, n):cols_range(1, n_fit)
  local mean_diag_fit = K_fit:trace() / n_fit
  local validation, best = {}, nil
  for _, rel in ipairs(p.lambdas) do
    local ok, fit = pcall(ntk.solve.ridge, K_fit, y_fit, rel * mean_diag_fit)
    local acc = ok and ntk.metrics.accuracy(ntk.solve.predict(K_val, fit), y_val) or nil
    validation[#validation + 1] = {lambda = rel, accuracy = acc, refused = not ok and tostring(fit) or nil}
    print(string.format("  %s validation: lambda %.0e x mean diag: %s", name, rel,
                        ok and string.format("%.4f", acc) or ("refused: " .. tostring(fit))))
    if ok and (not best or acc > best.accuracy) then best = {lambda = rel, accuracy = acc} end
  end
  assert(best, name .. ": every lambda was refused")
  K_fit, K_val = nil, nil
  collectgarbage()
  local t_select = clock() - t0
  t0 = clock()
  local fit = ntk.solve.ridge(K, data.train.y, best.lambda * K:trace() / n)
  local t_ridge = clock() - t0
  t0 = clock()
  local accuracy = ntk.metrics.accuracy(ntk.solve.predict(K_test, fit), data.test.y)
  local t_predict = clock() - t0
  print(string.format("%s: test accuracy %.4f (n_train %d, lambda %.0e x mean diag, validation %.4f); "
                      .. "ridge %.1f s (spotrf %.1f s, %.0f GFLOP/s; residual %.1e after %d "
                      .. "refinement steps), prediction %.1f s", name, accuracy, n, best.lambda,
                      best.accuracy, t_ridge, fit.seconds.factorisation,
                      n ^ 3 / 3 / fit.seconds.factorisation / 1e9, fit.residual,
                      fit.refinement_steps, t_predict))
  return {test_accuracy = accuracy, lambda = best.lambda, validation_accuracy = best.accuracy,
          validation = validation, ridge_residual = fit.residual,
          refinement_steps = fit.refinement_steps,
          seconds = {selection = t_select, ridge = t_ridge, predict = t_predict,
                     ridge_split = fit.seconds}}
end

local cntk = select_and_fit("CNTK", K, K_test)
K, K_test = nil, nil
collectgarbage()
local fc
if p.compare_fc then
  local t0 = clock()
  local fc_arch = ntk.arch("fc", {depth = 2, activation = "relu", w_std = p.w_std, b_std = p.b_std})
  local Kf = fc_arch:kernel(train.x, train.x, "ntk", {precision = "float32"})
  local Kf_test = fc_arch:kernel(test.x, train.x, "ntk", {precision = "float32"})
  local t_kernels = clock() - t0
  fc = select_and_fit("FC NTK depth 2", Kf, Kf_test)
  fc.seconds.kernels = t_kernels
end
local total = clock() - t_start
-- The rate over the entries this run computed (a resumed run's tiles from disk excluded).
local computed = train_info.entries_computed + test_info.entries_computed
local kernel_seconds = train_info.seconds + test_info.seconds
local us_per_entry = computed > 0 and kernel_seconds / computed * 1e6 or nil
print(string.format("CNTK kernels: %.3g entries computed in %.0f s%s; %.0f s in all", computed,
                    kernel_seconds, us_per_entry and string.format(" = %.1f us an entry", us_per_entry) or "",
                    total))

ntk.io.write_jsonl(p.out, {
  experiment = "fashion_mnist_cntk", n_train = n, n_test = m, n_val = p.n_val, depth = p.depth,
  cnn_precision = p.cnn_precision,
  w_std = p.w_std, b_std = p.b_std, test_accuracy = cntk.test_accuracy, cntk = cntk, fc = fc,
  kernel_entries_computed = computed, kernel_seconds_computing = kernel_seconds,
  microseconds_per_entry = us_per_entry,
  tiles = {train = train_info.tiles, train_from_disk = train_info.tiles_from_disk,
           test = test_info.tiles, test_from_disk = test_info.tiles_from_disk},
  seconds = {load = t_load, train_kernel = t_train_kernel, test_kernel = t_test_kernel,
             total = total},
})
print("row appended to " .. p.out)
