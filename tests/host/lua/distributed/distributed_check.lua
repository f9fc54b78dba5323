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
if p.arch == "gnn" then
  -- MUTAG graphs: the engine's tiles are graph pairs; the targets stay MNIST's (any numbers do).
  local train, test = {}, {}
  for i = 1, p.n_train do train[i] = i end
  for i = 1, p.n_test do test[i] = p.n_train + i end
  local G = ntk.data.tu("MUTAG")
  A = ntk.arch("gnn", {blocks = 2, mlp_layers = 2, scale = "degree", jumping_knowledge = true})
  xtrain, xtest = G:subset(train), G:subset(test)
elseif p.arch == "cnn" then
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
-- ntk.mpi.sum: ranks 0..R-1 give r + 1 and {{r, 1}}.
local R, r = ntk.mpi.size(), ntk.mpi.rank()
row.sum_number = ntk.mpi.sum(r + 1) - R * (R + 1) / 2
local summed = ntk.mpi.sum(ntk.matrix{{r, 1}})
row.sum_matrix = math.abs(summed:get(1, 1) - R * (R - 1) / 2) + math.abs(summed:get(1, 2) - R)

local G, Gt = D:gather(), Dt:gather()
if ntk.mpi.rank() == 0 then
  row.kernel = rel(G, K)
  row.test_kernel = rel(Gt, Kt)
  row.symmetry = rel(G, G:t())
end

local lambda = 1e-3 * K:trace() / K:rows()
-- The distributed solves (collective: every rank).
local f64 = p.precision == "float64"
local singular = p.arch == "gnn"  -- MUTAG has identical graphs: only a ridge solves it
local dist = {ridge = ntk.solve.ridge(D, Y, lambda)}
dist.ridge_predictions = ntk.solve.predict(Dt, dist.ridge)
if f64 then
  if not singular then dist.interpolate = ntk.solve.predict(Dt, ntk.solve.interpolate(D, Y)) end
  local SD = ntk.solve.spectral(D, Y, {K_test = Dt})
  dist.eigenvalues = SD:eigenvalues()
  dist.spectral_ridge = SD:ridge(lambda)
  dist.flow_test, dist.flow_train, dist.flow_loss =
    SD:test_predictions(50), SD:train_predictions(50), SD:loss(50)
end
row.ridge_residual = dist.ridge.residual
row.ridge_method = dist.ridge.method
row.refinement_steps = dist.ridge.refinement_steps
if f64 then row.condition_number = dist.ridge.condition_number end

-- The same solves on one process, from kernels Kr, Ktr; errors go into row[prefix .. name].
local function compare(prefix, Kr, Ktr)
  local s = ntk.solve.ridge(Kr, Y, lambda)
  row[prefix .. "ridge_alpha"] = rel(dist.ridge.alpha, s.alpha)
  row[prefix .. "ridge_predictions"] = rel(dist.ridge_predictions, ntk.solve.predict(Ktr, s))
  if not f64 then return end
  if not singular then
    row[prefix .. "interpolate_predictions"] =
      rel(dist.interpolate, ntk.solve.predict(Ktr, ntk.solve.interpolate(Kr, Y)))
  end
  local S = ntk.solve.spectral(Kr, Y, {K_test = Ktr})
  row[prefix .. "eigenvalues"] = rel(dist.eigenvalues, S:eigenvalues())
  row[prefix .. "spectral_ridge_test"] = rel(dist.spectral_ridge.test, S:ridge(lambda).test)
  row[prefix .. "spectral_ridge_train"] = rel(dist.spectral_ridge.train, S:ridge(lambda).train)
  row[prefix .. "flow_test"] = rel(dist.flow_test, S:test_predictions(50))
  row[prefix .. "flow_train"] = rel(dist.flow_train, S:train_predictions(50))
  row[prefix .. "flow_loss"] = math.abs(dist.flow_loss - S:loss(50)) / S:loss(50)
end
-- Against the single-process kernel (computed independently, so its rounding differs), and on
-- rank 0 against the gathered distributed kernel itself (ScaLAPACK against LAPACK alone).
compare("", K, Kt)
if ntk.mpi.rank() == 0 then compare("gathered_", G, Gt) end

-- The solves restore the kernel: gathered again, it is what it was.
local G2 = D:gather()
if ntk.mpi.rank() == 0 then row.restored = rel(G2, G) end
-- keep_kernel = false: the same alpha, and D is consumed (an error names it).
local consumed = ntk.solve.ridge(D, Y, lambda, {keep_kernel = false})
row.consumed_alpha = rel(consumed.alpha, dist.ridge.alpha)
local ok, message = pcall(function() return D:gather() end)
row.consumed_error = not ok and tostring(message):find("keep_kernel = false", 1, true) ~= nil
if p.out ~= "" then ntk.io.write_jsonl(p.out, row) end
print(string.format("rank %d of %d: done", ntk.mpi.rank(), ntk.mpi.size()))
