-- Kernel regression on Fashion-MNIST with the kernel distributed over the ranks of mpirun
-- (issue 16): each rank computes its blocks of the n × n train kernel and the m × n test
-- kernel in ScaLAPACK's block-cyclic layout, pdpotrf/pdpotrs solve the ridge (float32:
-- pspotrf and float64 refinement), and the predictions come back to every rank; rank 0 writes
-- one JSON line. With distributed = false the same runs in one process (the baseline of
-- bench/mpi_scaling.sh).
--   mpirun -np 4 build/bin/ntklab run scripts/distributed_regression.lua --set n=20000
--   srun --mpi=pmix build/bin/ntklab run scripts/distributed_regression.lua --set n=60000 --set precision=float32
local p = ntk.params{
  n = {20000, "training images (Fashion-MNIST, at most 60,000)"},
  n_test = {2000, "test images (at most 10,000)"},
  arch = {"fc", "fc (depth 2, relu) | cnn (depth 3, 3x3, flatten readout)", choices = {"fc", "cnn"}},
  precision = {"float64", "kernel precision", choices = {"float64", "float32"}},
  distributed = {true, "distribute over the ranks of mpirun (false: one process)"},
  block = {0, "ScaLAPACK block size (0: the default, 128)"},
  ridge = {1e-4, "lambda as a fraction of the mean diagonal of K"},
  w_std = {1.5, "weight standard deviation (fc)"},
  b_std = {0.1, "bias standard deviation (fc)"},
  normalize = {"none", "images as loaded, or unit = unit norm scaled to sqrt(784) (as fashion_mnist_full.lua)",
               choices = {"none", "unit"}},
  out = {"results/distributed_regression.jsonl", "JSON lines (rank 0 writes)"},
}

local wall = ntk.clock  -- wall-clock seconds

local d = ntk.data.fashion_mnist{n_train = p.n, n_test = p.n_test, seed = 1,
                                 normalize = p.normalize == "unit" and "unit" or nil}
if p.normalize == "unit" then
  local scale = math.sqrt(d.train.x:rows())
  d.train.x, d.test.x = d.train.x * scale, d.test.x * scale
end
local A, x, x_test
if p.arch == "cnn" then
  A = ntk.arch("cnn", {depth = 3, readout = "flatten", w_std = 1.4, b_std = 0.1,
                       precision = p.precision})
  x, x_test = {x = d.train.x, shape = {1, 28, 28}}, {x = d.test.x, shape = {1, 28, 28}}
else
  A = ntk.arch("fc", {depth = 2, activation = "relu", w_std = p.w_std, b_std = p.b_std})
  x, x_test = d.train.x, d.test.x
end
local opts = {precision = p.precision}
if p.distributed then
  opts.distributed = true
  if p.block > 0 then opts.block = p.block end
end

ntk.mpi.barrier()  -- every rank has loaded its data: the times below are the kernel's
local t0 = wall()
local K = A:kernel(x, x, "ntk", opts)
local t1 = wall()
local Kt = A:kernel(x_test, x, "ntk", opts)
local t2 = wall()
-- The mean diagonal from a small kernel of the first 200 images (the same for every rank).
local sample = p.arch == "cnn" and {x = d.train.x:cols_range(1, 200), shape = {1, 28, 28}}
                                or d.train.x:cols_range(1, 200)
local scale = A:kernel(sample, sample, "ntk"):trace() / 200
local fit = ntk.solve.ridge(K, d.train.y, p.ridge * scale)
local t3 = wall()
local pred = ntk.solve.predict(Kt, fit)
local t4 = wall()

local correct = 0
local guess, truth = pred:argmax(1), d.test.y:argmax(1)
for i = 1, #guess do if guess[i] == truth[i] then correct = correct + 1 end end
local omp, blas = ntk.threads()
ntk.io.write_jsonl(p.out, {
  n = p.n, n_test = p.n_test, arch = p.arch, precision = p.precision,
  distributed = p.distributed, ranks = ntk.mpi.size(), threads = omp, blas_threads = blas,
  block = p.distributed and K:grid().block or nil,
  kernel_s = t1 - t0, test_kernel_s = t2 - t1, ridge_s = t3 - t2, predict_s = t4 - t3,
  total_s = t4 - t0, test_accuracy = correct / #guess, method = fit.method,
  residual = fit.residual, refinement_steps = fit.refinement_steps,
  ridge_parts = p.distributed and fit.seconds or nil,
  kernel_parts = p.distributed and K:seconds() or nil,
})
print(string.format("%s NTK, n = %d, %s, %d rank(s) x %d thread(s): kernel %.1f s, ridge %.1f s, "
                    .. "test accuracy %.4f", p.arch, p.n, p.precision, ntk.mpi.size(), omp,
                    t1 - t0, t3 - t2, correct / #guess))
