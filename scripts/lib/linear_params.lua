-- GD on a network's linearisation, solved exactly in parameter space (used by
-- scripts/tangent_space.lua, linear = "params").
--
-- At w* the linearisation is f_lin(x; w) = f(x; w*) + J(x)(w − w*) (J = ∂f/∂w at w*). GD with
-- step η on L(w) = 1/(2n) Σ‖f_lin(x_i; w) − y_i‖² (the loss ntk.train reports) moves
-- δ = w − w* by δ_{t+1} = (I − ηA) δ_t − η b, δ_0 = 0, with the Gauss–Newton matrix
-- A = JᵀJ/n (P × P) and b = Jᵀ(f(X; w*) − Y)/n. With A = V diag(λ) Vᵀ,
--   δ_T = −V diag(c) Vᵀ b,   c_i = (1 − (1 − ηλ_i)^T)/λ_i   (ηT as λ_i → 0),
-- the same as T GD steps of ntk.train.linearized (jvp/vjp each step) and of
-- ntk.train.linearized_closed_form (which decomposes the (n·k) × (n·k) empirical NTK J Jᵀ
-- instead: the same nonzero spectrum, n·λ_i). This one pays for the training-set Jacobian
-- ((n·k) × P) and one P × P decomposition, which is the cheap side when P < n·k — e.g. small
-- conv nets with global average pooling on thousands of images and ten classes.
-- Predictions need no test Jacobian: f_lin(x; w* + δ) = f(x; w*) + net:jvp(x, δ).
--
--   local lp = require("linear_params")
--   local d = lp.decompose(net, data)         -- at the net's current params
--   d.lambda_max                              -- λ_max(A) = λ_max(J Jᵀ)/n: η < 2/λ_max is stable
--   local r = lp.solve(d, lr, steps, test)    -- {train = k × n, test = k × m, train_loss, ...}
local M = {}

function M.decompose(net, data)
  local y = data.y
  local k, n = y:rows(), y:cols()
  local J = net:jacobian(data)                -- (n·k) × P, rows example-major (i·k + o)
  local f0 = net:forward(data)
  local Jt = J:t()
  -- vec(F) of a k × n matrix is column-major: example-major, as J's rows.
  local b = Jt * (f0 - y):reshape(n * k, 1) / n
  local A = Jt * J / n
  J, Jt = nil, nil
  collectgarbage()
  local s = ntk.analysis.spectrum(A, nil, {eigenvectors = true})
  local lambda = s.eigenvalues:to_list()      -- descending
  return {net = net, data = data, f0 = f0, V = s.eigenvectors,
          Vb = (s.eigenvectors:t() * b):to_list(), lambda = lambda,
          lambda_max = lambda[1], P = #lambda}
end

-- The linearisation after `steps` GD steps of size lr from w*; `test` (a data table) optional.
-- status "diverged" when a mode with a nonzero projection has |1 − ηλ| > 1 (GD on f_lin blows
-- up there; the numbers are still T steps of it).
function M.solve(d, lr, steps, test)
  local status = "ok"
  local coeff = ntk.matrix(d.P, 1, 0)
  local scale = math.abs(d.Vb[1]) + 1e-300
  for _, v in ipairs(d.Vb) do scale = math.max(scale, math.abs(v)) end
  for i, lambda in ipairs(d.lambda) do
    local g = 1 - lr * lambda
    local c
    if math.abs(lr * lambda) < 1e-12 then c = lr * steps
    else c = (1 - g ^ steps) / lambda end
    if g < -1 and math.abs(d.Vb[i]) > 1e-12 * scale then status = "diverged" end
    coeff:set(i, 1, -c * d.Vb[i])
  end
  local delta = d.V * coeff
  local train = d.f0 + d.net:jvp(d.data, delta)
  local y = d.data.y
  local r = {status = status, train = train, train_loss = ntk.metrics.squared_loss(train, y),
             train_accuracy = ntk.metrics.accuracy(train, y), delta_norm = delta:norm()}
  if test then
    r.test = d.net:forward(test) + d.net:jvp(test, delta)
    r.test_loss = ntk.metrics.squared_loss(r.test, test.y)
    r.test_accuracy = ntk.metrics.accuracy(r.test, test.y)
  end
  return r
end

return M
