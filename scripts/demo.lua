-- The main job: infinite-width vs finite-width on MNIST 0 vs 1.
--
-- 1. Draw a seeded train/test subset of MNIST digits 0 and 1 (±1 targets, unit-norm inputs).
-- 2. Analytic NTK of a 2-hidden-layer ReLU network: minimum-norm interpolation and kernel
--    ridge regression, clean-test accuracy.
-- 3. A finite network of the same architecture (width params.width) trained by full-batch GD,
--    its test accuracy, and how far its empirical NTK at initialisation is from the analytic one.
-- 4. The generalisation bound sqrt(2 yᵀH⁻¹y / n) for true and for random labels.
-- Writes one JSON line per quantity group to params.out (default results/demo.jsonl).
--
--   build/bin/ntklab run scripts/demo.lua [--set n_train=200 --set width=1024 --set seed=1]

local p = ntk.params{
  n_train = {200, "training examples"},
  n_test = {500, "test examples"},
  width = {512, "hidden width of the finite network"},
  max_steps = {500, "most GD steps"},
  seed = {1, "random seed"},
  out = {"results/demo.jsonl", "result rows file"},
}
local n_train = p.n_train
local n_test = p.n_test
local width = p.width
local seed = p.seed
local out = p.out

local d = ntk.data.mnist{classes = {0, 1}, n_train = n_train, n_test = n_test, seed = seed,
                         normalize = "unit"}
local X, Y = d.train.x, d.train.y
print(string.format("MNIST 0 vs 1: %d train, %d test digits of dimension %d",
                    X:cols(), d.test.x:cols(), X:rows()))

local function accuracy(pred, y)
  local right = 0
  for j = 1, y:cols() do
    if (pred:get(1, j) >= 0) == (y:get(1, j) >= 0) then right = right + 1 end
  end
  return right / y:cols()
end

-- Infinite width.
local arch = ntk.arch("fc", {depth = 2, activation = "relu", w_std = math.sqrt(2), b_std = 0.1})
local t0 = ntk.clock()
local K = arch:kernel(X, X, "ntk")
local K_test = arch:kernel(d.test.x, X, "ntk")
local kernel_seconds = ntk.clock() - t0
local interp = ntk.solve.interpolate(K, Y)
local ridge = ntk.solve.ridge(K, Y, 1e-2 * K:get(1, 1))
local acc_interp = accuracy(ntk.solve.predict(K_test, interp), d.test.y)
local acc_ridge = accuracy(ntk.solve.predict(K_test, ridge), d.test.y)
print(string.format("analytic NTK: interpolation %.2f%%, ridge %.2f%% test accuracy (%.2fs)",
                    100 * acc_interp, 100 * acc_ridge, kernel_seconds))
ntk.io.write_jsonl(out, {part = "analytic_ntk", n_train = n_train, n_test = n_test,
                         seed = seed, interpolation_accuracy = acc_interp,
                         ridge_accuracy = acc_ridge, kernel_seconds = kernel_seconds})

-- Finite width.
local net = arch:network{width = width, seed = seed}
local probe = X:cols_range(1, math.min(50, X:cols()))
local Ke = net:ntk(probe, probe)
local Ka = arch:kernel(probe, probe, "ntk")
local rel = (Ke - Ka):norm() / Ka:norm()
local run = ntk.train.gd{net = net, data = d.train, lr = "auto", until_loss = 1e-2,
                         max_steps = p.max_steps, record_every = 25, record = {test = d.test}}
print(string.format("finite net (width %d): empirical vs analytic NTK rel. error %.3f; "
                    .. "GD %s after %d steps, train loss %.2e, test accuracy %.2f%%",
                    width, rel, run.status, run.steps, run.train_loss,
                    100 * run.test_accuracy))
ntk.io.write_jsonl(out, {part = "finite_network", width = width, seed = seed,
                         ntk_relative_error = rel, status = run.status, steps = run.steps,
                         train_loss = run.train_loss, test_accuracy = run.test_accuracy})

-- Generalisation bound for true vs random labels (Arora et al. 2019).
local random = ntk.data.symmetric_noise(d.train, 0.5, seed + 1)
local bound_true = ntk.analysis.bound(K, Y).bound
local bound_random = ntk.analysis.bound(K, random.y).bound
print(string.format("bound sqrt(2 y'H^-1 y / n): true labels %.3f, random labels %.3f",
                    bound_true, bound_random))
ntk.io.write_jsonl(out, {part = "bound", true_labels = bound_true,
                         random_labels = bound_random})
print("results appended to " .. out)
