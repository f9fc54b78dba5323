-- Changes of the NTK structure during training: does the empirical NTK align with the classes?
--
-- Reproduces the lecture slides "Changes of the NTK Structure"
-- (../shared/papers/ntk-lecture-slides.txt; Seleznova & Kutyniok 2022, "Neural tangent kernel
-- beyond the infinite-width limit: effects of depth and initialization", Section on the NTK
-- structure): the mean NTK entry between examples of the same class Θ̄_c and of different
-- classes Θ̄_n, relative to the mean diagonal Θ̄_d,
--   Θ̄_d = mean_i Θ(x_i, x_i),  Θ̄_c = mean_{i≠j, c_i = c_j} Θ(x_i, x_j),
--   Θ̄_n = mean_{c_i ≠ c_j} Θ(x_i, x_j)          (ntk.analysis.class_ratios),
-- over the training of a finite network by full-batch GD. The slides' claim: during training
-- the NTK learns the label structure — Θ̄_c/Θ̄_d moves away from Θ̄_n/Θ̄_d — and a larger gap
-- between the two may go with better performance. The script records both ratios, their gap,
-- the kernel-target alignment ⟨K, YᵀY⟩_F/(‖K‖_F‖YᵀY‖_F) and the test accuracy at each snapshot.
-- The kernel is the empirical NTK (averaged over outputs) on a probe set of `probe` training
-- images, or of as many held-out test images with probe_set = "test".
--
-- Data: MNIST digits of `classes` (two: ±1 targets and one output; more: one-hot targets, one
-- output per class), n_train / n_test images scaled to norm √784. Network: fc, `depth` hidden
-- ReLU layers of width `width`, NTK parametrisation, w_std = √sigma_w2 (default 2: the ReLU edge
-- of chaos), b_std = 0.1; GD with η = lr_fraction · n/λ_max of the NTK at initialisation.
--
-- params: classes ("0,1,2"), n_train (150), n_test (500), width (32), depth (3), sigma_w2 (2),
--   b_std (0.1), steps (600), snapshot_every (50), lr_fraction (1.5), probe (60),
--   probe_set ("train" | "test"), seed (1), out, figure.
--
--   ntklab run scripts/ntk_structure.lua                                    (small, seconds)
--   ntklab run scripts/ntk_structure.lua --set classes=0,1,2,3,4,5,6,7,8,9 --set n_train=1000 \
--       --set width=256 --set steps=3000 --set probe=200 --set probe_set=test
--   ntklab batch scripts/ntk_structure.lua --grid sigma_w2=1.5,2,2.5 --reps 5 --jobs 2 \
--       --out results/ntk_structure
--   ntklab plot results/ntk_structure
local ex = require("experiment")

local NAME = "ntk_structure"
local p = ntk.params{
  classes = {{0, 1, 2}, "digits to classify (two or more)"},
  n_train = {150, "training examples"},
  n_test = {500, "test examples"},
  width = {32, "hidden width"},
  depth = {3, "hidden layers"},
  sigma_w2 = {2.0, "weight variance"},
  b_std = {0.1, "bias standard deviation"},
  steps = {600, "GD steps"},
  snapshot_every = {50, "steps between NTK snapshots"},
  lr_fraction = {1.5, "GD step as a fraction of 2 / lambda_max"},
  probe_set = {"train", "examples the NTK is measured on", choices = {"train", "test"}},
  probe = {60, "probe examples"},
  seed = {1, "random seed"},
  out = {"", "result rows file (default results/ntk_structure.jsonl)"},
  figure = {"", "figure file (default results/ntk_structure.png)"},
}

local function report(rows)
  local by_step, steps = ex.group(rows, "step")
  if #steps < 2 then return end
  local first, last = by_step[steps[1]], by_step[steps[#steps]]
  for _, q in ipairs({{"same_over_diagonal", "Theta_c/Theta_d"},
                      {"different_over_diagonal", "Theta_n/Theta_d"}, {"gap", "gap"},
                      {"alignment", "alignment"}, {"test_accuracy", "test accuracy"}}) do
    print(string.format("%-16s step %5d: %.4f   step %5d: %.4f", q[2], steps[1],
                        ex.mean(ex.column(first, q[1])), steps[#steps],
                        ex.mean(ex.column(last, q[1]))))
  end
end

local function draw(rows, file)
  local series = {}
  local by_sigma, sigmas = ex.group(rows, "sigma_w2")
  for _, s2 in ipairs(sigmas) do
    local tag = #sigmas > 1 and string.format(", sigma_w^2 = %g", s2) or ""
    for _, q in ipairs({{"same_over_diagonal", "Theta_c / Theta_d (same class)"},
                        {"different_over_diagonal", "Theta_n / Theta_d (different classes)"}}) do
      local s = ntk.plot.summarize(by_sigma[s2], {x = "step", y = q[1]})[1]
      if s then
        s.label, s.style = q[2] .. tag, "linespoints"
        series[#series + 1] = s
      end
    end
  end
  return ntk.plot.line{file = file, series = series, xlabel = "GD step",
                       ylabel = "mean NTK entry / mean diagonal",
                       title = "Class structure of the empirical NTK during training"}
end

if ex.finish(NAME, function(rows, file)
  report(rows)
  return draw(rows, file)
end) then return end

local classes = p.classes
local n_train = p.n_train
local n_test = p.n_test
local width = p.width
local depth = p.depth
local sigma_w2 = p.sigma_w2
local b_std = p.b_std
local steps = p.steps
local snapshot_every = p.snapshot_every
local lr_fraction = p.lr_fraction
local probe_set = p.probe_set
local seed = p.seed
local rows = ex.recorder(NAME)
if #classes < 2 then error("params.classes: give two or more digits", 0) end

local digits = ntk.data.mnist{classes = classes, n_train = n_train, n_test = n_test,
                              seed = ex.derive_seed(seed, 1), normalize = "unit"}
local train, test = digits.train, digits.test
local scale = math.sqrt(train.x:rows())
train.x, test.x = train.x * scale, test.x * scale
local source = probe_set == "train" and train or test
local n_probe = math.min(p.probe, source.x:cols())
local probe = source.x:cols_range(1, n_probe)
local probe_y = source.y:cols_range(1, n_probe)

local arch = ntk.arch("fc", {depth = depth, activation = "relu", w_std = math.sqrt(sigma_w2),
                             b_std = b_std, outputs = train.y:rows()})
local net = arch:network{width = width, seed = ex.derive_seed(seed, 2)}
local run = ntk.train.gd{net = net, data = train, lr_fraction = lr_fraction, max_steps = steps,
                         record_every = snapshot_every, record = {test = test}, probe = probe,
                         snapshot_every = snapshot_every}
print(string.format("MNIST %s, n = %d; fc depth %d width %d, sigma_w^2 = %g; %d GD steps of %.4g "
                    .. "(%s); probe: %d %s images", table.concat(classes, ","), n_train, depth,
                    width, sigma_w2, run.steps, run.lr, run.status, n_probe, probe_set))

local accuracy_at = {}
for _, h in ipairs(run.history) do accuracy_at[h.step] = h end
print(string.format("%6s %10s %10s %10s %10s %10s %9s", "step", "Th_c/Th_d", "Th_n/Th_d", "gap",
                    "alignment", "train loss", "test acc"))
for i, step in ipairs(run.kernel.steps) do
  local K = run.kernel.snapshots[i]
  local ratios = ntk.analysis.class_ratios(K, probe_y)
  local h = accuracy_at[step] or {}
  local row = rows:write{
    classes = table.concat(classes, ","), n_train = n_train, width = width, depth = depth,
    sigma_w2 = sigma_w2, b_std = b_std, lr = run.lr, seed = seed, probe_set = probe_set,
    step = step, diagonal = ratios.diagonal, same_class = ratios.same_class,
    different_class = ratios.different_class, same_over_diagonal = ratios.same_over_diagonal,
    different_over_diagonal = ratios.different_over_diagonal,
    gap = ratios.same_over_diagonal - ratios.different_over_diagonal,
    alignment = ntk.analysis.alignment(K, probe_y), train_loss = h.train_loss,
    test_accuracy = h.test_accuracy}
  print(string.format("%6d %10.4f %10.4f %10.4f %10.4f %10.3e %9.4f", step,
                      row.same_over_diagonal, row.different_over_diagonal, row.gap,
                      row.alignment, row.train_loss or 0 / 0, row.test_accuracy or 0 / 0))
end

if ex.mode() == "run" then
  report(rows.rows)
  print("figure: " .. draw(rows.rows, ex.figure_path(NAME)))
end
print("rows appended to " .. rows.path)
