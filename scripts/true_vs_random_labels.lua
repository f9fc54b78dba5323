-- True vs random labels: GD convergence and the a-priori bound, as the NTK predicts them.
--
-- Reproduces the lecture slides "Understanding optimization" and "Understanding generalization"
-- (../shared/papers/ntk-lecture-slides.txt; Arora et al. 2019, "Fine-grained analysis …",
-- Thm 4.1 and 5.1) on MNIST digits 0 vs 1:
--   * the training loss of a wide network trained by full-batch GD, for the true labels and for
--     uniformly random ±1 labels of the same images, against the kernel-regime prediction
--       ‖u(t) − y‖² = Σ_i e^{−2λ_i t} ⟨v_i, y − u(0)⟩²        (λ_i, v_i: eigenpairs of H*)
--     (the slides write ⟨v_i, y⟩², i.e. u(0) ≈ 0; both are recorded, the figure uses the exact
--     one). ntk.train minimises 1/(2n) Σ (f − y)², so s GD steps of size η are gradient-flow
--     time t = η·s for the kernel H*/n (core/train/gradient_descent.hpp); the curves compare
--     L(s) = 1/(2n) Σ_i e^{−2 λ_i(H*/n) η s} ⟨v_i, y − u(0)⟩²;
--   * the projections ⟨v_i, y⟩² of both label vectors on the eigenvectors of H*, largest
--     eigenvalue first (true labels concentrate on the top eigenvectors, random ones spread;
--     the second figure shows their cumulative share of ‖y‖²);
--   * the bound √(2 yᵀ(H*)⁻¹y / n) on the test classification error for both (H* scaled to mean
--     diagonal 1/2, Arora et al.'s scale: ntk.analysis.bound, normalize = "half_diagonal").
-- H* is the analytic NTK of a one-hidden-layer ReLU network (stax convention) and the network
-- is trained with one step size η = lr_fraction · n / λ_max(H*) for both label sets.
--
-- params: n_train (100), n_test (500), depth (1), width (256), steps (500), record_every (10),
--   lr_fraction (0.5), seed (1), out, figure (the loss curves; the projections go next to it as
--   NAME_projections.png). The slides' setting is the same with a wider network and more steps:
--
--   ntklab run scripts/true_vs_random_labels.lua                         (small, < 1 minute)
--   ntklab run scripts/true_vs_random_labels.lua --set width=4096 --set steps=5000 \
--       --set n_train=1000
--   ntklab batch scripts/true_vs_random_labels.lua --reps 5 --jobs 2 --out results/labels
--   ntklab plot results/labels
local ex = require("experiment")

local NAME = "true_vs_random_labels"
local p = ntk.params{
  n_train = {100, "training examples"},
  n_test = {500, "test examples"},
  depth = {1, "hidden layers"},
  width = {256, "hidden width"},
  steps = {500, "GD steps"},
  record_every = {10, "steps between recorded losses"},
  lr_fraction = {0.5, "GD step as a fraction of 2 / lambda_max"},
  seed = {1, "random seed"},
  out = {"", "result rows file (default results/true_vs_random_labels.jsonl)"},
  figure = {"", "figure file (default results/true_vs_random_labels.png)"},
}

local function projections_path(file)
  return (file:gsub("%.png$", "") .. "_projections.png")
end

local function draw(rows, file)
  local curves = {}
  for _, labels in ipairs({"true", "random"}) do
    local where = {part = "curve", labels = labels}
    local gd = ntk.plot.summarize(rows, {x = "step", y = "loss_gd", where = where})[1]
    local predicted = ntk.plot.summarize(rows, {x = "step", y = "loss_predicted", where = where})[1]
    if gd and predicted then
      gd.label, gd.style = labels .. " labels: GD on the network", "points"
      predicted.label, predicted.style = labels .. " labels: NTK prediction", "lines"
      curves[#curves + 1] = gd
      curves[#curves + 1] = predicted
    end
  end
  ntk.plot.line{file = file, logy = true, series = curves, xlabel = "GD step",
                ylabel = "training loss 1/(2n) sum (f - y)^2",
                title = "MNIST 0 vs 1: true vs random labels"}
  -- Projections: the cumulative share Σ_{j ≤ i} ⟨v_j, y⟩² / ‖y‖² (mean over repetitions),
  -- eigenvectors by decreasing eigenvalue; a label vector on the top eigenvectors rises fast.
  local shares = {}
  for _, labels in ipairs({"true", "random"}) do
    local sum, count = {}, 0
    for _, row in ipairs(rows) do
      if row.part == "projections" and row.labels == labels then
        count = count + 1
        local total, cumulative = 0, 0
        for _, p in ipairs(row.projections) do total = total + p end
        for i, p in ipairs(row.projections) do
          cumulative = cumulative + p
          sum[i] = (sum[i] or 0) + cumulative / total
        end
      end
    end
    if count > 0 then
      local x, y = {}, {}
      for i, s in ipairs(sum) do x[i], y[i] = i, s / count end
      shares[#shares + 1] = {x = x, y = y, label = labels .. " labels", style = "lines"}
    end
  end
  ntk.plot.line{file = projections_path(file), series = shares,
                xlabel = "eigenvectors i of H* (largest eigenvalue first)",
                ylabel = "sum_{j<=i} <v_j, y>^2 / |y|^2",
                title = "Projections of the labels on the NTK eigenvectors (cumulative)"}
  return file
end

local function report_bounds(rows)
  for _, labels in ipairs({"true", "random"}) do
    local bounds, accs = {}, {}
    for _, row in ipairs(rows) do
      if row.part == "bound" and row.labels == labels then
        bounds[#bounds + 1] = row.bound
        accs[#accs + 1] = row.test_accuracy
      end
    end
    if #bounds > 0 then
      print(string.format("%-6s labels: bound sqrt(2 y'H^-1 y/n) = %.3f, network test accuracy "
                          .. "on the true labels %.3f", labels, ex.mean(bounds), ex.mean(accs)))
    end
  end
end

if ex.finish(NAME, function(rows, file)
  report_bounds(rows)
  return draw(rows, file)
end) then return end

local n_train = p.n_train
local n_test = p.n_test
local depth = p.depth
local width = p.width
local steps = p.steps
local record_every = p.record_every
local lr_fraction = p.lr_fraction
local seed = p.seed
local rows = ex.recorder(NAME)

local d = ntk.data.mnist{classes = {0, 1}, n_train = n_train, n_test = n_test, seed = seed,
                         normalize = "unit"}
-- Inputs of norm √d: the stax input kernel x·x'/d is then the cosine, as in the slides' network
-- with ‖x‖ = 1 and w_r ~ N(0, I) (no 1/√d). With norm 1 the kernel would be d times smaller,
-- yᵀH⁻¹y d times larger, and the weights would have to move d times further: a width of a few
-- hundred would then be far from the kernel regime for random labels.
local scale = math.sqrt(d.train.x:rows())
d.train.x, d.test.x = d.train.x * scale, d.test.x * scale
-- Random labels: each label replaced by a fair coin flip (flipped with probability 1/2).
local label_sets = {
  ["true"] = d.train,
  random = ntk.data.symmetric_noise(d.train, 0.5, seed + 1),
}

local arch = ntk.arch("fc", {depth = depth, activation = "relu", w_std = math.sqrt(2), b_std = 0})
local H = arch:kernel(d.train.x, d.train.x, "ntk")
local n = d.train.x:cols()
local spectrum = ntk.analysis.spectrum(H)
local lr = lr_fraction * n / spectrum.eigenvalues:get(1, 1)
print(string.format("MNIST 0 vs 1: %d train, %d test; NTK eigenvalues %.3g … %.3g; lr %.4g, "
                    .. "%d steps",
                    n, d.test.x:cols(), spectrum.eigenvalues:get(1, 1),
                    spectrum.eigenvalues:get(n, 1), lr, steps))

local common = {n_train = n, depth = depth, width = width, seed = seed, lr = lr}
local function row_with(fields)
  for k, v in pairs(common) do fields[k] = v end
  return fields
end

for _, labels in ipairs({"true", "random"}) do
  local train = label_sets[labels]
  local y = train.y
  local net = arch:network{width = width, seed = seed}   -- the same initialisation for both
  local u0 = net:forward(train.x)

  -- Predictions from H*/n: exact (with u(0)) and the slides' form (u(0) = 0).
  local predicted = ntk.solve.spectral(H * (1 / n), y, {u0 = u0})
  local predicted_zero = ntk.solve.spectral(H * (1 / n), y)
  local run = ntk.train.gd{net = net, data = train, lr = lr, max_steps = steps,
                           record_every = record_every, record = {test = d.test}}
  for _, h in ipairs(run.history) do
    rows:write(row_with{part = "curve", labels = labels, step = h.step, time = lr * h.step,
                        loss_gd = h.train_loss, loss_predicted = predicted:loss(lr * h.step),
                        loss_predicted_zero_init = predicted_zero:loss(lr * h.step)})
  end

  local projections = ntk.analysis.spectrum(H, y).projections
  local squares = {}
  for i = 1, n do squares[i] = projections:get(i, 1) ^ 2 end
  rows:write(row_with{part = "projections", labels = labels, projections = squares})
  local top_share = 0   -- the share of ‖y‖² = n on the 10 largest eigenvectors
  for i = 1, math.min(10, n) do top_share = top_share + squares[i] / n end

  local bound = ntk.analysis.bound(H, y, {normalize = "half_diagonal"})
  -- Test accuracy against the true test labels: how well the labels generalise.
  rows:write(row_with{part = "bound", labels = labels, bound = bound.bound,
                      quadratic_form = bound.quadratic_form, final_loss = run.train_loss,
                      predicted_final_loss = predicted:loss(lr * run.steps),
                      test_accuracy = run.test_accuracy, top10_share = top_share})
  print(string.format("%-6s labels: loss after %d steps %.4g (predicted %.4g); top-10 share of "
                      .. "‖y‖² %.3f; bound %.3f; test accuracy %.3f", labels, run.steps,
                      run.train_loss, predicted:loss(lr * run.steps), top_share,
                      bound.bound, run.test_accuracy))
end

if ex.mode() == "run" then
  print("figure: " .. draw(rows.rows, ex.figure_path(NAME)))
end
print("rows appended to " .. rows.path)
