-- The MPI overhead (issue 16): the FC NTK and kernel ridge on n Fashion-MNIST images, either in
-- one process (plain A:kernel, ntk.solve.ridge: LAPACK dpotrf in place) or over the ranks of
-- mpirun (distributed = true: block-cyclic tiles, ScaLAPACK pdpotrf). bench/mpi_scaling.sh runs
-- both, alternating, and compares. Rank 0 appends one JSON line to `out`.
local p = ntk.params{
  n = {20000, "training images"},
  n_test = {2000, "test images"},
  distributed = {false, "distribute over the ranks of mpirun"},
  block = {0, "ScaLAPACK block size (0: the default)"},
  out = {"results/mpi_scaling.jsonl", "JSON lines (rank 0 writes)"},
}

local wall = ntk.clock  -- wall-clock seconds

local d = ntk.data.fashion_mnist{n_train = p.n, n_test = p.n_test, seed = 1}
local fc = ntk.arch("fc", {depth = 2, activation = "relu", w_std = 1.5, b_std = 0.1})
local opts = p.distributed and {distributed = true, block = p.block > 0 and p.block or nil} or nil

local t0 = wall()
local K = opts and fc:kernel(d.train.x, d.train.x, "ntk", opts) or fc:kernel(d.train.x, d.train.x, "ntk")
local t1 = wall()
local Kt = opts and fc:kernel(d.test.x, d.train.x, "ntk", opts) or fc:kernel(d.test.x, d.train.x, "ntk")
local t2 = wall()
local fit = ntk.solve.ridge(K, d.train.y, 1e-4 * p.n)
local t3 = wall()
local pred = ntk.solve.predict(Kt, fit)
local t4 = wall()

local correct = 0
local guess, truth = pred:argmax(1), d.test.y:argmax(1)
for i = 1, #guess do if guess[i] == truth[i] then correct = correct + 1 end end
local omp, blas = ntk.threads()
ntk.io.write_jsonl(p.out, {
  n = p.n, n_test = p.n_test, distributed = p.distributed, ranks = ntk.mpi.size(),
  threads = omp, blas_threads = blas, block = opts and K:grid().block or nil,
  kernel_s = t1 - t0, test_kernel_s = t2 - t1, ridge_s = t3 - t2, predict_s = t4 - t3,
  total_s = t4 - t0, test_accuracy = correct / #guess, method = fit.method,
  ridge_parts = p.distributed and fit.seconds or nil,
})
