-- Run under `mpirun -np R ntklab run distributed_check.lua --set out=FILE`: every distributed
-- result against the single-process one, computed by every rank from the same data (MNIST 0/1).
-- Rank 0 writes one JSON line of relative errors to `out`; the test (distributed_test.cpp)
-- checks them. Any rank whose check fails raises an error, which aborts all ranks.
local p = ntk.params{
  out = {"", "JSON summary (written by rank 0)"},
  arch = {"fc", "fc | cnn | gnn"},
  precision = {"float64", "float64 | float32"},
  block = {0, "block size (0: the default)"},
  grid_rows = {0, "grid rows (0: the most square grid)"},
  grid_cols = {0, "grid columns"},
  n_train = {150, "training examples"},
  n_test = {40, "test examples"},
}

local function rel(a, b)
  local scale = b:abs():max()
  return (a - b):abs():max() / (scale > 0 and scale or 1)
end

local d = ntk.data.mnist{classes = {0, 1}, n_train = p.n_train, n_test = p.n_test, seed = 3}
local A, xtrain, xtest
if p.arch == "cnn" then
  -- Non-default options: the rules that agree at w_std = 1, b_std = 0 differ here.
  A = ntk.arch("cnn", {depth = 1, w_std = 1.3, b_std = 0.2, filter = 3, readout = "flatten"})
  xtrain = {x = d.train.x, shape = {1, 28, 28}}
  xtest = {x = d.test.x, shape = {1, 28, 28}}
else
  A = ntk.arch("fc", {depth = 2, activation = "relu", w_std = 1.5, b_std = 0.3})
  xtrain, xtest = d.train.x, d.test.x
end
local opts = {distributed = true, precision = p.precision}
if p.block > 0 then opts.block = p.block end
if p.grid_rows > 0 then opts.grid = {p.grid_rows, p.grid_cols} end

local K = A:kernel(xtrain, xtrain, "ntk")
local Kt = A:kernel(xtest, xtrain, "ntk")
local D = A:kernel(xtrain, xtrain, "ntk", opts)
local Dt = A:kernel(xtest, xtrain, "ntk", opts)
local Y = d.train.y
local row = {ranks = ntk.mpi.size(), arch = p.arch, precision = p.precision,
             grid = D:grid(), local_rows = select(1, D:local_size())}

local G, Gt = D:gather(), Dt:gather()
if ntk.mpi.rank() == 0 then
  row.kernel = rel(G, K)
  row.test_kernel = rel(Gt, Kt)
  row.symmetry = rel(G, G:t())
end

local lambda = 1e-3 * K:trace() / K:rows()
local s, sd = ntk.solve.ridge(K, Y, lambda), ntk.solve.ridge(D, Y, lambda)
row.ridge_alpha = rel(sd.alpha, s.alpha)
row.ridge_predictions = rel(ntk.solve.predict(Dt, sd), ntk.solve.predict(Kt, s))
row.ridge_residual = sd.residual
row.ridge_method = sd.method
row.refinement_steps = sd.refinement_steps
if p.precision == "float64" then row.condition_number = sd.condition_number end

if p.precision == "float64" then
  local i, id = ntk.solve.interpolate(K, Y), ntk.solve.interpolate(D, Y)
  row.interpolate_predictions = rel(ntk.solve.predict(Dt, id), ntk.solve.predict(Kt, i))
  local S = ntk.solve.spectral(K, Y, {K_test = Kt})
  local SD = ntk.solve.spectral(D, Y, {K_test = Dt})
  row.eigenvalues = rel(SD:eigenvalues(), S:eigenvalues())
  row.spectral_ridge_test = rel(SD:ridge(lambda).test, S:ridge(lambda).test)
  row.spectral_ridge_train = rel(SD:ridge(lambda).train, S:ridge(lambda).train)
  row.flow_test = rel(SD:test_predictions(50), S:test_predictions(50))
  row.flow_train = rel(SD:train_predictions(50), S:train_predictions(50))
  row.flow_loss = math.abs(SD:loss(50) - S:loss(50)) / S:loss(50)
end

-- The solves restore the kernel: gathered again, it is what it was.
local G2 = D:gather()
if ntk.mpi.rank() == 0 then row.restored = rel(G2, G) end
if p.out ~= "" then ntk.io.write_jsonl(p.out, row) end
print(string.format("rank %d of %d: done", ntk.mpi.rank(), ntk.mpi.size()))
