-- Test loss of wide networks vs the initialisation variance σ².
--
-- Reproduces Fig. 1 of "Wide neural networks are interpolating kernel methods" (ICLR 2020
-- submission, ../shared/papers/wide-nns-are-interpolating-kernel-methods.txt): for each σ² a
-- ReLU network in the NTK parametrisation (all weights ~ σ·N(0, 1)/√fan-in) is trained by
-- full-batch GD until its training loss first drops below the same small value, and its test
-- loss L = ‖f(X_test) − Y_test‖²/N_test is compared with
--   (b) its linearisation f_lin at initialisation, trained for the same number of GD steps
--       (closed form, Lemma 1),
--   (c) the minimum-norm interpolating kernel solution f_int of its NTK (Eq. 5, the first term
--       of Eq. 14), which does not depend on σ,
--   (d) the lower bound of Theorem 4, (σ^L J(X_test) − √L_int)², without its O(1/√m) term.
-- At large σ the initialisation term of Eq. 14 dominates and the test loss grows as σ^{2L}
-- (L = layers = hidden layers + 1): the script fits the log-log slope of the test loss over the
-- largest σ² values and prints it next to L.
--
-- Networks have no biases (b_std = 0), so f(x; σ) = σ^L f(x; 1) and the NTK is σ^{2L} times
-- that of σ = 1 exactly (the homogeneity Theorem 4 uses); for the 2-D bump a constant input
-- coordinate 1 takes the place of the first-layer bias. One seed draws one network whose
-- N(0, 1) variables are reused for every σ², as in the paper's "scaling all initialisation
-- weights by a common factor".
--
-- Settings (ntk.params below; `ntklab run scripts/sigma_sweep.lua --help` lists them):
--   dataset = "bump" (default; 2-D Gaussian bump y = exp(−‖x‖²), x uniform in [−1, 1]²)
--           | "mnist" (digits 0 and 1, ±1 targets, inputs of norm √784)
--   depth (hidden layers, 1), width (bump 1000 / mnist 500), n_train (bump 10 / mnist 100),
--   n_test (bump 300 / mnist 100), sigma2 (a number or a list "0.01,0.1,1";
--   default 0.1,0.3,1,3,10,30,100), until_loss (training loss 1/(2n)Σ(f − y)² to stop at;
--   bump 1e-5 / mnist 1e-4), max_steps (200000), lr_fraction (1: the GD step is
--   lr_fraction · n / λ_max of the network's NTK, the paper's η = 1/λ_max), fit_points (3: how
--   many of the largest σ² the slope is fitted on), seed (1), out, figure.
--
--   ntklab run scripts/sigma_sweep.lua                                   (small, < 1 minute)
--   ntklab run scripts/sigma_sweep.lua --set width=10000                 (the paper's bump)
--   ntklab run scripts/sigma_sweep.lua --set dataset=mnist --set width=4000
--   ntklab run scripts/sigma_sweep.lua --set dataset=mnist --set depth=2 --set width=1500 \
--       --set sigma2=0.3,1,3,10,30
-- (With two hidden layers σ² = 0.1 is far from the lazy regime and GD needs > 10⁵ steps; the
-- bump with depth=2, width=500, σ² = 0.3 … 30 gives a slope of 3.34 for L = 3 in 17 s.)
--   ntklab batch scripts/sigma_sweep.lua --set width=10000 \
--       --grid sigma2=0.1,0.3,1,3,10,30,100 --reps 10 --jobs 2 --out results/sigma_sweep
--   ntklab plot results/sigma_sweep                     (figure from the batch's results)
local ex = require("experiment")

local NAME = "sigma_sweep"
local p = ntk.params{
  dataset = {"bump", "data set", choices = {"bump", "mnist"}},
  depth = {1, "hidden layers"},
  width = {0, "hidden width (0: 1000 for bump, 500 for mnist)"},
  n_train = {0, "training examples (0: 10 for bump, 100 for mnist)"},
  n_test = {0, "test examples (0: 300 for bump, 100 for mnist)"},
  sigma2 = {{0.1, 0.3, 1, 3, 10, 30, 100}, "initialisation variances to sweep"},
  until_loss = {0.0, "training loss to stop GD at (0: 1e-5 for bump, 1e-4 for mnist)"},
  max_steps = {200000, "most GD steps"},
  lr_fraction = {1.0, "GD step as a fraction of n / lambda_max of the NTK"},
  fit_points = {3, "how many of the largest sigma2 the slope is fitted on"},
  seed = {1, "random seed (under ntklab batch the repetition number is used)"},
  out = {"", "result rows file (default results/sigma_sweep.jsonl)"},
  figure = {"", "figure file (default results/sigma_sweep.png)"},
}

-- The figure: mean test loss (± standard error over repetitions) vs σ², log-log.
local function draw(rows, file)
  local series = {}
  for _, method in ipairs({
      {"test_loss_network", "trained network"},
      {"test_loss_linearized", "linearisation (same steps)"},
      {"test_loss_interpolation", "f_int (kernel interpolation)"},
      {"lower_bound", "Theorem 4 lower bound"}}) do
    local s = ntk.plot.summarize(rows, {x = "sigma2", y = method[1]})[1]
    if s then
      s.label = method[2]
      series[#series + 1] = s
    end
  end
  local first = rows[1] or {}
  return ntk.plot.line{file = file, logx = true, logy = true, series = series,
                       xlabel = "initialisation variance sigma^2", ylabel = "test loss",
                       title = string.format("%s, %d hidden layer(s), width %s",
                                             tostring(first.dataset), first.depth or 0,
                                             tostring(first.width))}
end

-- Slope of log(mean test loss) vs log σ² over the `count` largest σ².
local function large_sigma_slope(rows, key, count)
  local groups, values = ex.group(rows, "sigma2")
  local xs, ys = {}, {}
  for i = math.max(1, #values - count + 1), #values do
    xs[#xs + 1] = values[i]
    ys[#ys + 1] = ex.mean(ex.column(groups[values[i]], key))
  end
  if #xs < 2 then return nil end
  return (ex.fit_loglog(xs, ys))
end

local function report_slopes(rows)
  if #rows == 0 then return end
  local count = p.fit_points
  local layers = rows[1].layers
  for _, key in ipairs({"test_loss_network", "test_loss_linearized", "lower_bound"}) do
    local slope = large_sigma_slope(rows, key, count)
    if slope then
      print(string.format("large-sigma slope of %-22s %.3f   (theory: L = %d)", key, slope, layers))
    end
  end
end

if ex.finish(NAME, function(rows, file)
  report_slopes(rows)
  return draw(rows, file)
end) then return end

local dataset = p.dataset
local bump = dataset == "bump"
local depth = p.depth
local layers = depth + 1
local function or_default(value, bump_value, mnist_value)
  if value ~= 0 then return value end
  return bump and bump_value or mnist_value
end
local width = or_default(p.width, 1000, 500)
local n_train = or_default(p.n_train, 10, 100)
local n_test = or_default(p.n_test, 300, 100)
local sigma2_list = p.sigma2
local until_loss = or_default(p.until_loss, 1e-5, 1e-4)
local max_steps = p.max_steps
local lr_fraction = p.lr_fraction
-- Under ntklab batch every job has its own derived seed; the repetition number is used instead,
-- so that all σ² of one repetition share the data and the N(0, 1) draws of the network.
local seed = ex.mode() == "job" and p.rep or p.seed
local rows = ex.recorder(NAME)

-- Data. The bump's inputs get a constant third coordinate (the first layer's bias).
local function with_constant_row(x)
  local t = x:to_table()
  local ones = {}
  for j = 1, x:cols() do ones[j] = 1 end
  t[#t + 1] = ones
  return ntk.matrix(t)
end

local train, test
if bump then
  local a = ntk.data.bump{n = n_train, seed = seed}
  local b = ntk.data.bump{n = n_test, seed = seed + 7919}
  train = {x = with_constant_row(a.x), y = a.y}
  test = {x = with_constant_row(b.x), y = b.y}
else
  local d = ntk.data.mnist{classes = {0, 1}, n_train = n_train, n_test = n_test, seed = seed,
                           normalize = "unit"}
  -- Norm √d: the stax input kernel x·x'/d is then the cosine. With norm 1 the NTK is d = 784
  -- times smaller, the weights must move √d times further, and GD at n/λ_max diverges at the
  -- widths used here.
  local scale = math.sqrt(d.train.x:rows())
  train, test = {x = d.train.x * scale, y = d.train.y}, {x = d.test.x * scale, y = d.test.y}
end
print(string.format("%s: %d train, %d test, inputs of dimension %d; %d hidden layer(s) of width %d",
                    dataset, train.x:cols(), test.x:cols(), train.x:rows(), depth, width))

print(string.format("%8s %8s %9s %11s %11s %11s %11s", "sigma2", "steps", "train", "network",
                    "linearized", "f_int", "bound"))
for _, sigma2 in ipairs(sigma2_list) do
  local sigma = math.sqrt(sigma2)
  local arch = ntk.arch("fc", {depth = depth, activation = "relu", w_std = sigma, b_std = 0})
  local net = arch:network{width = width, seed = seed}

  -- Eq. 14 at initialisation: f_lin = f_int + init term, and Theorem 4's bound.
  local K_train = net:ntk(train.x)
  local K_test_train = net:ntk(test.x, train.x)
  local theorem4 = ntk.analysis.lower_bound{
    K_test_train = K_test_train, K_train = K_train, y = train.y,
    f0_train = net:forward(train.x), f0_test = net:forward(test.x), y_test = test.y,
    sigma = sigma, layers = layers}

  -- (a) The network, trained in place until the training loss first reaches until_loss.
  local initial = net:params()
  local run = ntk.train.gd{net = net, data = train, until_loss = until_loss,
                           lr_fraction = lr_fraction, max_steps = max_steps,
                           record_every = max_steps,
                           record = {test = test}}
  local loss_network = ex.mse(run.test_predictions, test.y)

  -- (b) The linearisation at the same initialisation, after the same GD steps.
  net:set_params(initial)
  local lin = ntk.train.linearized_closed_form{net = net, data = train, lr = run.lr,
                                               steps = run.steps, test = test}
  local loss_linearized = ex.mse(lin.test, test.y)

  local row = rows:write{
    dataset = dataset, depth = depth, layers = layers, width = width, n_train = n_train,
    n_test = n_test, network_seed = seed, sigma2 = sigma2, train_status = run.status,
    steps = run.steps,
    lr = run.lr, train_loss = run.train_loss, until_loss = until_loss,
    test_loss_network = loss_network,
    test_loss_linearized = loss_linearized,
    test_loss_linearized_converged = theorem4.sqrt_loss_linearized ^ 2,
    test_loss_interpolation = theorem4.sqrt_loss_interpolation ^ 2,
    lower_bound = theorem4.bound ^ 2,
    J = theorem4.J, J_sigma = theorem4.J_sigma}
  print(string.format("%8.3g %8d %9.2e %11.4e %11.4e %11.4e %11.4e%s", sigma2, run.steps,
                      run.train_loss, row.test_loss_network, row.test_loss_linearized,
                      row.test_loss_interpolation, row.lower_bound,
                      run.status == "converged" and "" or ("  (" .. run.status .. ")")))
end

if ex.mode() == "run" then
  report_slopes(rows.rows)
  print("figure: " .. draw(rows.rows, ex.figure_path(NAME)))
end
print("rows appended to " .. rows.path)
