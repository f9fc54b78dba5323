-- The NTK on the 90 small UCI data sets: Arora, Du, Li, Salakhutdinov, Wang & Yu (2020),
-- "Harnessing the power of infinitely wide deep nets on small-data tasks", Table 1 (in
-- ../shared/papers/ntk-lecture-slides.txt, "NTK on Small to Medium Scale Datasets"), with the
-- protocol of their code (LeoYu/neural-tangent-kernel-UCI, UCI.py):
--
--   * per data set, a C-SVM (libsvm, one-vs-one) on the precomputed kernel;
--   * NTK: ReLU FC nets of 1..5 dense layers (our depth = hidden layers 0..4) and every number
--     of fixed (untrained) first layers F = 0..depth, all from one kernel_family pass per depth;
--     w_std = 1, b_std = 0 on inputs scaled by √d, which is exactly their kernel K[dep][fix]
--     (plugins/fc/README.md); C ∈ {10^-2, …, 10^4};
--   * baselines under the same protocol: Gaussian kernel exp(−γ‖x − x'‖²), γ = g/d with
--     g ∈ gaussian_g, and the polynomial kernel (⟨x, x'⟩/d + c)^p, p ∈ poly_degrees,
--     c ∈ poly_coef0, each with the same C grid;
--   * hyper-parameters chosen by accuracy on the validation split (conxuntos.dat: train on
--     line 1, score on line 2; the first best in grid order wins ties, as UCI.py's `>`);
--   * reported accuracy: the mean test accuracy over the 4 folds of conxuntos_kfold.dat with
--     the chosen hyper-parameters, in percent.
--
-- One data set per job; each job writes one JSON line per classifier:
--   {dataset, classifier = "ntk" | "gaussian" | "polynomial", accuracy (percent, mean of the 4
--    folds), fold_accuracies, validation_accuracy, chosen hyper-parameters (ntk: depth,
--    layers = depth + 1, fixed_layers, C; gaussian: gamma, g, C; polynomial: degree, coef0, C),
--    n, d, classes, fits, kernel_seconds, svm_seconds, seconds}
--
--   ntklab run scripts/uci_benchmark.lua --set dataset=iris          (one data set)
--   ntklab run scripts/uci_benchmark.lua --set dataset=iris,wine     (several, one process)
--   ntklab batch scripts/uci_benchmark.lua --grid dataset=@data/uci/arora2020_90.txt \
--       --jobs 2 --out results/uci              (all 90: one job each; --resume continues)
--   ntklab plot results/uci    (summary: Friedman rank, average accuracy, P90, P95, PMA per
--                               classifier beside the paper's rows; uci_summary.md,
--                               uci_datasets.md and uci_benchmark.png in the folder)
--
-- params: dataset (iris; a name, a comma list, or "all" in a plain run), depths (0,1,2,3,4),
--   c_exponents (-2,-1,0,1,2,3,4: C = 10^-2, …, 10^4; not "C", which would clash with the
--   rows' chosen C under ntklab batch), gaussian_g (default 1/64 … 16 in powers of 4),
--   poly_degrees (2,3: Fernández-Delgado et al.'s svmPoly went up to 3), poly_coef0 (1; the
--   homogeneous c = 0 kernels run libsvm into its 10^7-iteration cap at large C),
--   classifiers ("ntk,gaussian,polynomial"), out.
local ex = require("experiment")
local summary = require("uci_summary")

local NAME = "uci_benchmark"
local p = ntk.params{
  dataset = {"iris", "a data set name, a comma list, or \"all\" (plain runs only)"},
  depths = {{0, 1, 2, 3, 4}, "NTK depths"},
  c_exponents = {{-2, -1, 0, 1, 2, 3, 4}, "SVM C = 10^e for these e"},
  gaussian_g = {{1 / 64, 1 / 16, 1 / 4, 1, 4, 16}, "Gaussian kernel widths g"},
  poly_degrees = {{2, 3}, "polynomial kernel degrees"},
  poly_coef0 = {{1}, "polynomial kernel coef0 values"},
  classifiers = {"ntk,gaussian,polynomial", "classifiers to run (comma list)"},
  out = {"", "result rows file (default results/uci_benchmark.jsonl)"},
  figure = {"", "figure file (default results/uci_benchmark.png)"},
}
local CLASSIFIERS = {"ntk", "gaussian", "polynomial"}
-- Table 1 of Arora et al. 2020: Friedman rank (among 179 classifiers), average accuracy ± s.d.,
-- P90, P95, PMA ± s.d., all in percent except the rank.
local PAPER = {
  ntk = {28.34, 81.95, 14.10, 88.89, 72.22, 95.72, 5.17},
  gaussian = {35.76, 81.03, 15.09, 85.56, 72.22, 94.56, 8.22},
  polynomial = {38.44, 78.21, 20.30, 80.00, 62.22, 91.29, 18.05},
}

-- ---------------------------------------------------------------------------------------------
-- Summary (ntklab plot DIR)
-- ---------------------------------------------------------------------------------------------
local function write_text(path, text)
  local f = assert(io.open(path, "w"))
  f:write(text)
  f:close()
end

local function dataset_table(rows)
  local by = {}
  local names = {}
  for _, r in ipairs(rows) do
    if by[r.dataset] == nil then
      by[r.dataset] = {}
      names[#names + 1] = r.dataset
    end
    by[r.dataset][r.classifier] = r
  end
  table.sort(names)
  local lines = {"| data set | n | d | classes | NTK | (depth, F, C) | Gaussian | (g, C) | "
                 .. "polynomial | (p, c, C) |", "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"}
  local function cell(r, fmt)
    if r == nil then return "–", "" end
    return string.format("%.2f", r.accuracy), fmt(r)
  end
  for _, name in ipairs(names) do
    local b = by[name]
    local any = b.ntk or b.gaussian or b.polynomial
    local a1, h1 = cell(b.ntk, function(r)
      return string.format("%d, %d, %g", r.depth, r.fixed_layers, r.C) end)
    local a2, h2 = cell(b.gaussian, function(r) return string.format("%g, %g", r.g, r.C) end)
    local a3, h3 = cell(b.polynomial, function(r)
      return string.format("%d, %g, %g", r.degree, r.coef0, r.C) end)
    lines[#lines + 1] = string.format("| %s | %d | %d | %d | %s | %s | %s | %s | %s | %s |", name,
                                      any.n, any.d, any.classes, a1, h1, a2, h2, a3, h3)
  end
  return table.concat(lines, "\n") .. "\n"
end

local function draw(rows, file)
  local s = summary.summarize(rows, CLASSIFIERS)
  local md = summary.markdown(s, PAPER)
  print(md)
  local dir = file:match("^(.*)/[^/]*$") or "."
  write_text(dir .. "/uci_summary.md", md)
  write_text(dir .. "/uci_datasets.md", dataset_table(rows))
  print("tables: " .. dir .. "/uci_summary.md, " .. dir .. "/uci_datasets.md")
  -- NTK against each baseline, one point per data set, and the diagonal.
  local acc = {}
  for _, r in ipairs(rows) do
    acc[r.dataset] = acc[r.dataset] or {}
    acc[r.dataset][r.classifier] = r.accuracy
  end
  local series = {}
  for _, base in ipairs({"gaussian", "polynomial"}) do
    local x, y = {}, {}
    for _, name in ipairs(s.datasets) do
      x[#x + 1] = acc[name][base]
      y[#y + 1] = acc[name].ntk
    end
    if #x > 0 then series[#series + 1] = {x = x, y = y, label = "NTK vs " .. base, style = "points"} end
  end
  series[#series + 1] = {x = {0, 100}, y = {0, 100}, label = "equal", style = "lines"}
  return ntk.plot.line{file = file, title = "UCI: NTK SVM against the baselines (%, mean of 4 folds)",
                       xlabel = "baseline accuracy (%)", ylabel = "NTK accuracy (%)",
                       series = series}
end

if ex.finish(NAME, draw) then return end

-- ---------------------------------------------------------------------------------------------
-- One data set
-- ---------------------------------------------------------------------------------------------
local depths = p.depths
local C_exponents = p.c_exponents
local gaussian_g = p.gaussian_g
local poly_degrees = p.poly_degrees
local poly_coef0 = p.poly_coef0
local wanted = {}
for name in p.classifiers:gmatch("[^,%s]+") do
  wanted[name] = true
end
local C_grid = {}
for i, e in ipairs(C_exponents) do C_grid[i] = 10 ^ e end
local max_depth = math.max(table.unpack(depths))

local function mean(list)
  local s = 0
  for _, v in ipairs(list) do s = s + v end
  return s / #list
end

local recorder = ex.recorder(NAME)

local function run_dataset(name)
  local t_start = ntk.clock()
  local data = ntk.data.uci(name)
  local n, dim = data.n, data.d
  -- Inputs scaled by √d: the stax input kernel x·x'/d becomes x·x', Arora et al.'s start.
  local X = data.x * math.sqrt(dim)
  local y = data.y
  local split, folds = data.split, data.folds
  local y_train = ntk.solve.select(y, nil, split.train)
  local y_val = ntk.solve.select(y, nil, split.val)
  local fold_labels = {}
  for k, f in ipairs(folds) do
    fold_labels[k] = {train = ntk.solve.select(y, nil, f.train), test = ntk.solve.select(y, nil, f.test)}
  end
  local svm_seconds, kernel_seconds, fits, saved = 0, 0, 0, 0

  -- Validation accuracy of every C on kernel K; updates `best` (strictly better only).
  -- The validation split as an svm_grid split (fit on split.train, score on split.val).
  local val_split = {{train = split.train, test = split.val}}
  local fold_splits = {}
  for k, f in ipairs(folds) do fold_splits[k] = {train = f.train, test = f.test} end

  -- Every (kernel, C) of `list` on the validation split in one ntk.solve.svm_grid call (one
  -- libsvm problem per kernel reused across C, kernels in parallel, C above a fit without
  -- bounded coefficients taken from it: the same model). Selection as UCI.py: kernels in
  -- order, C ascending, the first best wins ties.
  local function validate(list, best)
    local Ks = {}
    for i, item in ipairs(list) do Ks[i] = item.K end
    local r = ntk.solve.svm_grid{K = Ks, labels = y, splits = val_split, C = C_grid}
    fits = fits + r.fits
    saved = saved + r.fits_saved
    svm_seconds = svm_seconds + r.seconds
    for i, item in ipairs(list) do
      for c, C in ipairs(C_grid) do
        local accuracy = 100 * r.accuracy[i]:get(1, c)
        if accuracy > best.validation_accuracy then
          best.validation_accuracy = accuracy
          best.C = C
          best.settings = item.settings
          best.K = item.K
        end
      end
    end
  end

  -- The chosen (kernel, C) on the 4 folds, in parallel.
  local function test(best)
    local r = ntk.solve.svm_grid{K = best.K, labels = y, splits = fold_splits, C = {best.C}}
    fits = fits + r.fits
    svm_seconds = svm_seconds + r.seconds
    local accuracies = {}
    for k = 1, #folds do accuracies[k] = 100 * r.accuracy:get(k, 1) end
    return mean(accuracies), accuracies
  end

  local function record(classifier, best, extra)
    local accuracy, per_fold = test(best)
    local row = {dataset = name, classifier = classifier, accuracy = accuracy,
                 fold_accuracies = per_fold, validation_accuracy = best.validation_accuracy,
                 C = best.C, n = n, d = dim, classes = data.n_classes}
    for k, v in pairs(best.settings) do row[k] = v end
    for k, v in pairs(extra or {}) do row[k] = v end
    return row
  end

  local rows = {}
  if wanted.ntk then
    local arch = ntk.arch("fc", {depth = max_depth, activation = "relu", w_std = 1, b_std = 0})
    local best = {validation_accuracy = -1}
    local t_kernel, f0, k0, s0 = 0, fits, svm_seconds, saved
    for _, depth in ipairs(depths) do
      -- One pass gives every F = 0..depth at this depth; one depth at a time bounds the memory
      -- to depth + 1 matrices of n × n (plus the best so far).
      local t0 = ntk.clock()
      local members = arch:kernel_family(X, X, {depths = {depth}})
      t_kernel = t_kernel + (ntk.clock() - t0)
      local list = {}
      for i, m in ipairs(members) do
        list[i] = {K = m.ntk, settings = {depth = m.depth, layers = m.depth + 1,
                                          fixed_layers = m.fixed_layers}}
      end
      validate(list, best)
      members = nil
      collectgarbage()
    end
    kernel_seconds = kernel_seconds + t_kernel
    rows[#rows + 1] = record("ntk", best, {kernel_seconds = t_kernel, fits = fits - f0 + 4,
                                           fits_saved = saved - s0,
                                           svm_seconds = svm_seconds - k0})
  end
  if wanted.gaussian then
    local best = {validation_accuracy = -1}
    local t0, f0, k0, s0 = ntk.clock(), fits, svm_seconds, saved
    local D2 = ntk.kernels.squared_distances(data.x)
    local list = {}
    for i, g in ipairs(gaussian_g) do
      local gamma = g / dim
      list[i] = {K = ntk.kernels.gaussian(D2, gamma), settings = {g = g, gamma = gamma}}
    end
    validate(list, best)
    D2 = nil
    rows[#rows + 1] = record("gaussian", best, {fits = fits - f0 + 4, fits_saved = saved - s0,
                                                svm_seconds = svm_seconds - k0,
                                                kernel_seconds = ntk.clock() - t0 - (svm_seconds - k0)})
  end
  if wanted.polynomial then
    local best = {validation_accuracy = -1}
    local t0, f0, k0, s0 = ntk.clock(), fits, svm_seconds, saved
    local list = {}
    for _, p in ipairs(poly_degrees) do
      for _, c in ipairs(poly_coef0) do
        list[#list + 1] = {K = ntk.kernels.polynomial(data.x, {degree = p, gamma = 1 / dim, coef0 = c}),
                           settings = {degree = p, coef0 = c}}
      end
    end
    validate(list, best)
    rows[#rows + 1] = record("polynomial", best, {fits = fits - f0 + 4, fits_saved = saved - s0,
                                                  svm_seconds = svm_seconds - k0,
                                                  kernel_seconds = ntk.clock() - t0 - (svm_seconds - k0)})
  end
  local seconds = ntk.clock() - t_start
  for _, row in ipairs(rows) do
    row.seconds = seconds
    recorder:write(row)
    print(string.format("%-28s %-10s %6.2f%%  (validation %6.2f%%, C = %g)", name, row.classifier,
                        row.accuracy, row.validation_accuracy, row.C))
  end
  print(string.format("%s: n = %d, d = %d, %d classes, %d SVM fits (+%d saved), %.1f s "
                      .. "(kernels %.1f s, SVMs %.1f s)", name, n, dim, data.n_classes, fits,
                      saved, seconds, kernel_seconds, svm_seconds))
end

local names = {}
local requested = p.dataset
if requested == "all" then
  if ex.mode() == "job" then
    error("params.dataset = \"all\" runs every data set in one process; for one job per data "
          .. "set use --grid dataset=@data/uci/arora2020_90.txt")
  end
  names = ntk.data.uci_index()
else
  for name in requested:gmatch("[^,%s]+") do names[#names + 1] = name end
end
for _, name in ipairs(names) do run_dataset(name) end

if ex.mode() == "run" and #names > 1 then
  print(summary.markdown(summary.summarize(recorder.rows, CLASSIFIERS), PAPER))
end
