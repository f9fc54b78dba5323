-- Deep learning versus kernel learning: how long must the full network train before its
-- tangent space (its data-dependent NTK) is as good as full training?
--
-- Reproduces the lecture slides "The Time Evolution of Data-dependent NTK" and "Chaotic
-- Transient" (../shared/papers/ntk-lecture-slides.txt; Fort et al. 2020, "Deep learning versus
-- kernel learning: an empirical study of loss landscape geometry and the time evolution of the
-- neural tangent kernel", Figs. 1 and 5):
--   * the finite network is trained by full-batch GD (step η, `steps` steps in all) up to step
--     t̃; from there only its linearisation at w(t̃),
--       f_lin(x; w) = f(x; w(t̃)) + J(x; w(t̃)) (w − w(t̃)),
--     is trained for the remaining steps − t̃ steps with the same η (the slides'
--     du/dt = −H_t̃ (u − y): learning with the data-dependent NTK H_t̃). The linear phase is
--     solved exactly (ntk.train.linearized_closed_form: the result of those GD steps through
--     the empirical NTK at w(t̃); for large n·k and few parameters P through the P × P matrix
--     JᵀJ/n instead, scripts/lib/linear_params.lua), or run as GD on f_lin
--     (ntk.train.linearized).
--     t̃ = 0 is pure NTK (linearised) training, t̃ = steps is full
--     training; the figure shows the final test accuracy against t̃ next to full training;
--   * along the same full-training run, the empirical NTK on a fixed probe set (the first
--     `probe` training inputs) is taken every `snapshot_every` steps and at every t̃:
--     kernel distance from the initial kernel S(K_0, K_t) and kernel velocity
--     v = S(K_t, K_t') / (t' − t) per GD step between consecutive snapshots, with
--     S(A, B) = 1 − ⟨A, B⟩_F / (‖A‖_F ‖B‖_F) (Fort et al. Eq. 3). The paper's claim: the kernel
--     moves fastest in a short early transient, and a linearisation taken after it learns
--     almost as well as full training.
--
-- Data: MNIST digits (dataset = "mnist") or Fashion-MNIST items ("fashion_mnist") of `classes`
-- (two classes: ±1 targets, one output; more: one-hot targets, one output per class), n_train
-- training and n_test test images, optionally average-pooled to image_size × image_size (28/s
-- × 28/s blocks: conv nets cost ∝ pixels), each scaled to norm √d (so the stax input kernel
-- x·x'/d is the cosine). Conv architectures (cnn, resnet kind=conv) get
-- input_shape = {1, s, s} unless arch_options gives it (as input_shape=1x28x28); `center`
-- subtracts the training set's mean image first. Architecture: any plugin through ntk.arch/network.
-- Default fc: `depth` hidden ReLU layers, NTK parametrisation, w_std = √2, b_std = 0.1, narrow
-- width (feature learning, i.e. kernel motion, is an O(1/√width) effect), η = lr_fraction ·
-- n/λ_max of the empirical NTK at initialisation.
--
-- params: arch ("fc"), arch_options ("key=value,key=value", passed to ntk.arch; e.g.
--   arch=resnet --set arch_options=kind=mlp,blocks=2; a list value as 1x28x28, e.g.
--   arch=cnn --set arch_options=depth=2,readout=gap,input_shape=1x14x14), depth / w_std /
--   b_std / activation (given: passed to any arch; fc defaults 3, √2, 0.1, "relu"), width
--   (32), classes ("3,5"),
--   n_train (200), n_test (500), steps (800), t_tilde (list; default 0, 12, 25, 50, 100, 200,
--   400, steps), lr_fraction (1.5), snapshot_every (25), probe (50), linear ("auto" |
--   "closed_form" | "params" | "gd": how the linear phase is trained, all three the same GD on
--   f_lin — closed_form through the (n·k)² empirical NTK, params through the P × P matrix JᵀJ/n
--   (scripts/lib/linear_params.lua), gd step by step with jvp/vjp; auto: closed_form when
--   n·k ≤ 3000, else params when P ≤ 6000, else gd), dataset ("mnist"), image_size (28),
--   center (false),
--   seed (1), out, figure (the accuracy figure; the kernel figure goes next to it as
--   NAME_kernel.png).
--
--   ntklab run scripts/tangent_space.lua                                    (small, seconds)
--   ntklab run scripts/tangent_space.lua --set classes=0,1,2,3,4,5,6,7,8,9 --set n_train=1000 \
--       --set n_test=2000 --set width=512 --set steps=4000 --set t_tilde=0,25,50,100,200,400,1000,2000,4000
--   ntklab run scripts/tangent_space.lua --set dataset=fashion_mnist --set classes=0,1,2,3,4,5,6,7,8,9 \
--       --set image_size=14 --set arch=cnn --set arch_options=depth=2,readout=gap --set width=16
--   ntklab batch scripts/tangent_space.lua --grid width=32,64,256 --reps 5 --jobs 2 \
--       --out results/tangent_space
--   ntklab plot results/tangent_space
local ex = require("experiment")
local lp = require("linear_params")

local NAME = "tangent_space"
local p = ntk.params{
  arch = {"fc", "architecture (a plugin name)"},
  arch_options = {"", "options for ntk.arch, key=value,key=value (e.g. kind=mlp,blocks=2)"},
  depth = {3, "hidden layers (when given: passed to any arch; fc default 3)"},
  w_std = {math.sqrt(2), "weight standard deviation (when given: passed to any arch)"},
  b_std = {0.1, "bias standard deviation (when given: passed to any arch)"},
  activation = {"relu", "activation (when given: passed to any arch)"},
  width = {32, "hidden width"},
  dataset = {"mnist", "image data set", choices = {"mnist", "fashion_mnist"}},
  image_size = {28, "images average-pooled to this side (a divisor of 28)"},
  center = {false, "subtract the training images' mean image before scaling each to norm sqrt(d)"},
  classes = {{3, 5}, "classes (digits, or Fashion-MNIST items 0-9) to classify (two or more)"},
  n_train = {200, "training examples"},
  n_test = {500, "test examples"},
  steps = {800, "GD steps in all"},
  t_tilde = {{0, 12, 25, 50, 100, 200, 400}, "steps after which only the linearisation trains (default adds `steps`)"},
  lr_fraction = {1.5, "GD step as a fraction of n / lambda_max"},
  snapshot_every = {25, "steps between NTK snapshots"},
  probe = {50, "probe examples for the kernel distance"},
  linear = {"auto", "how the linear phase trains (auto: closed form when n k <= 3000, "
                    .. "else params when P <= 6000, else gd)",
            choices = {"auto", "closed_form", "params", "gd"}},
  seed = {1, "random seed"},
  out = {"", "result rows file (default results/tangent_space.jsonl)"},
  figure = {"", "accuracy figure file (default results/tangent_space.png)"},
}

local function kernel_path(file)
  return (file:gsub("%.png$", "") .. "_kernel.png")
end

-- "kind=mlp,blocks=2" -> {kind = "mlp", blocks = 2} (numbers and true/false converted);
-- "input_shape=1x28x28" -> {input_shape = {1, 28, 28}} (lists of numbers joined by x: the
-- option text separates items by commas).
local function parse_options(text)
  local options = {}
  if text == nil or text == "" then return options end
  for item in tostring(text):gmatch("[^,;]+") do
    local key, value = item:match("^%s*([%w_]+)%s*=%s*(.-)%s*$")
    if key == nil then
      error(string.format("params.arch_options: expected key=value items separated by commas, "
                          .. "got %q", item), 0)
    end
    if value == "true" then value = true
    elseif value == "false" then value = false
    elseif value:match("^%d+x[%dx]*%d$") then
      local list = {}
      for number in value:gmatch("%d+") do list[#list + 1] = tonumber(number) end
      value = list
    else value = tonumber(value) or value end
    options[key] = value
  end
  return options
end

-- The rows' model, "ARCH, width W" (rows of several runs can share one results file).
local function models(rows)
  for _, r in ipairs(rows) do r.model = string.format("%s, width %s", r.arch, tostring(r.width)) end
  return ex.group(rows, "model")
end

-- One series per model (arch and width; one when all rows share them) of the mean over
-- repetitions.
local function by_model(rows, spec, label)
  local groups, names = models(rows)
  local series = {}
  for _, name in ipairs(names) do
    local s = ntk.plot.summarize(groups[name], spec)[1]
    if s then
      s.label = #names > 1 and string.format("%s: %s", name, label:gsub(" for the remaining steps", ""))
                or label
      series[#series + 1] = s
    end
  end
  return series
end

-- Full training where its training loss (mean over repetitions, falling along the snapshots)
-- first reaches `loss`: test accuracy and step, linearly interpolated between snapshots; nil
-- when it never does. Compares a linear phase with full training at equal fit, not equal steps
-- (a linearisation can train faster or slower than the network it was taken from).
local function at_train_loss(kernel_rows, loss)
  local by_step, steps = ex.group(kernel_rows, "step")
  local previous
  for _, step in ipairs(steps) do
    local now = {step = step, loss = ex.mean(ex.column(by_step[step], "train_loss")),
                 test_accuracy = ex.mean(ex.column(by_step[step], "test_accuracy"))}
    if now.loss <= loss then
      if not previous then return now end
      local u = (previous.loss - loss) / (previous.loss - now.loss)
      return {step = previous.step + u * (now.step - previous.step),
              test_accuracy = previous.test_accuracy
                              + u * (now.test_accuracy - previous.test_accuracy)}
    end
    previous = now
  end
  return nil
end

local function report(all_rows)
  local by_name, names = models(all_rows)
  for _, name in ipairs(names) do
    if #names > 1 then print(name .. ":") end
    local groups = ex.group(by_name[name], "part")
    if groups.tangent then
      local by_t, ts = ex.group(groups.tangent, "tilde_t")
      for _, t in ipairs(ts) do
        local loss = ex.mean(ex.column(by_t[t], "train_loss"))
        local matched = groups.kernel and at_train_loss(groups.kernel, loss)
        print(string.format("t~ = %5d: test accuracy %.4f (linearised from w(t~); t~ = steps is "
                            .. "full training), train loss %.4g%s", t,
                            ex.mean(ex.column(by_t[t], "test_accuracy")), loss,
                            matched and string.format("; full training at that train loss: "
                                                      .. "test accuracy %.4f (step %.0f)",
                                                      matched.test_accuracy, matched.step) or ""))
      end
    end
    if groups.kernel then
      local by_step, steps = ex.group(groups.kernel, "step")
      local first, last = steps[2], steps[#steps]
      if first and last then
        print(string.format("kernel velocity per step: first interval %.3e, last %.3e; distance "
                            .. "from K_0 at the end %.4f",
                            ex.mean(ex.column(by_step[first], "velocity")),
                            ex.mean(ex.column(by_step[last], "velocity")),
                            ex.mean(ex.column(by_step[last], "distance_from_init"))))
      end
    end
  end
end

local function draw(rows, file)
  local series = {}
  for _, s in ipairs(by_model(rows, {x = "tilde_t", y = "test_accuracy",
                                     where = {part = "tangent"}},
                              "linearised at w(t~) for the remaining steps")) do
    s.style = "linespoints"
    series[#series + 1] = s
  end
  for _, s in ipairs(by_model(rows, {x = "step", y = "test_accuracy", where = {part = "kernel"}},
                              "full training: test accuracy at step t")) do
    s.style = "lines"
    series[#series + 1] = s
  end
  -- Several models: a wider figure, so that the plot keeps its width beside the longer key.
  local width = #series > 2 and 1100 or nil
  ntk.plot.line{file = file, series = series, xlabel = "t~ (GD steps of full training)", width = width,
                ylabel = "final test accuracy",
                title = "Training in the tangent space at w(t~) (Fort et al. 2020)"}
  -- Log axis: leave out step 0 (distance 0, no velocity yet).
  local moved = {}
  for _, r in ipairs(rows) do
    if r.part == "kernel" and r.step > 0 then moved[#moved + 1] = r end
  end
  local kernel = {}
  for _, q in ipairs({{"distance_from_init", "S(K_0, K_t)"},
                      {"velocity_per_100", "velocity: S(K_t, K_t') per 100 steps"}}) do
    for _, s in ipairs(by_model(moved, {x = "step", y = q[1]}, q[2])) do
      s.style = "linespoints"
      kernel[#kernel + 1] = s
    end
  end
  ntk.plot.line{file = kernel_path(file), series = kernel, xlabel = "GD step t", logy = true, width = width,
                ylabel = "kernel distance", title = "Empirical NTK during full training"}
  return file
end

if ex.finish(NAME, function(rows, file)
  report(rows)
  return draw(rows, file)
end) then return end

local arch_name = p.arch
local options = parse_options(p.arch_options)
-- arch_options as text for the rows ("key=value,…", sorted keys).
local options_text = p.arch_options ~= "" and p.arch_options or nil
if arch_name == "fc" then
  local defaults = {depth = 3, activation = "relu", w_std = math.sqrt(2), b_std = 0.1}
  for key, value in pairs(defaults) do
    if options[key] == nil then options[key] = value end
  end
end
-- Given on the command line (the global `params` holds only what was given): passed to any arch.
for _, key in ipairs({"depth", "w_std", "b_std", "activation"}) do
  if params[key] ~= nil then options[key] = p[key] end
end

local width = p.width
local classes = p.classes
local n_train = p.n_train
local n_test = p.n_test
local steps = p.steps
local t_tilde = p.t_tilde
if params.t_tilde == nil then t_tilde[#t_tilde + 1] = steps end
local lr_fraction = p.lr_fraction
local snapshot_every = p.snapshot_every
local n_probe = math.min(p.probe, n_train)
local seed = p.seed
local linear = p.linear
local rows = ex.recorder(NAME)

for _, t in ipairs(t_tilde) do
  if t < 0 or t > steps or t ~= math.floor(t) then
    error(string.format("params.t_tilde: %s is not an integer in [0, steps = %d]", t, steps), 0)
  end
end
if #classes < 2 then error("params.classes: give two or more classes", 0) end
local side = p.image_size
if side < 1 or side ~= math.floor(side) or 28 % side ~= 0 then
  error(string.format("params.image_size: %s does not divide 28; use 28, 14, 7 or 4", side), 0)
end

local load = p.dataset == "mnist" and ntk.data.mnist or ntk.data.fashion_mnist
local images = load{classes = classes, n_train = n_train, n_test = n_test,
                    seed = ex.derive_seed(seed, 1), normalize = "unit"}
local train, test = images.train, images.test
-- Average pooling over f × f blocks (a side² × 784 matrix); with `center` the training set's
-- mean image subtracted (all-positive pixels give ReLU conv nets an NTK whose constant mode is
-- ~100× above the rest, which caps GD's step: see scripts/README.md); then each image rescaled
-- to norm √d.
local pool
if side < 28 then
  local f = 28 // side
  pool = ntk.matrix(side * side, 784, 0)
  for r = 0, 27 do
    for c = 0, 27 do pool:set((r // f) * side + c // f + 1, r * 28 + c + 1, 1 / (f * f)) end
  end
end
local mean_image = p.center and (pool and pool * train.x or train.x):mean(2)
local function prepare(x)
  if pool then x = pool * x end
  if mean_image then x = x - mean_image * ntk.matrix(1, x:cols(), 1) end
  local norms = x:emul(x):sum(1):sqrt():to_list()
  for i, v in ipairs(norms) do norms[i] = math.sqrt(x:rows()) / v end
  return x * ntk.matrix.diag(norms)
end
train.x, test.x = prepare(train.x), prepare(test.x)
train.shape, test.shape = {1, side, side}, {1, side, side}
local probe = train.x:cols_range(1, n_probe)
local conv = arch_name == "cnn" or options.kind == "conv"
if conv and options.input_shape == nil then options.input_shape = {1, side, side} end

-- One output per class for one-hot targets (two classes: one ±1 output).
if train.y:rows() > 1 and options.outputs == nil then options.outputs = train.y:rows() end
local arch = ntk.arch(arch_name, options)
local net = arch:network{width = width, seed = ex.derive_seed(seed, 2)}
net:forward(probe)  -- draws the parameters of networks that take d from their first input
local n_params = net:num_params()
-- The closed form decomposes the (n·k) × (n·k) empirical NTK, params the P × P matrix JᵀJ/n
-- (after the (n·k) × P Jacobian); when both are large GD on the linearisation (one jvp and one
-- vjp per step) is cheaper.
local nk = n_train * train.y:rows()
if linear == "auto" then
  linear = nk <= 3000 and "closed_form" or (n_params <= 6000 and "params" or "gd")
end
-- One step size for the whole experiment: full training and every linear phase use it.
-- params: λ_max from the decomposition at w(0), which the t̃ = 0 phase reuses.
local clock = ntk.clock
local t_start = clock()
local decomposition_0, lr
if linear == "params" then
  decomposition_0 = lp.decompose(net, train)
  lr = lr_fraction / decomposition_0.lambda_max
else
  lr = ntk.train.gd{net = net, data = train, lr_fraction = lr_fraction, max_steps = 0}.lr
end
print(string.format("%s %s, width %d (P = %d); %s %s, %d×%d, n = %d (test %d); %d GD steps of "
                    .. "%.4g; linear phase: %s", arch_name, options_text or "", width, n_params,
                    p.dataset, table.concat(classes, ","), side, side, n_train, n_test, steps, lr,
                    linear))

-- Events along the full-training run: kernel snapshots and the t̃ where a linear phase starts.
local events, is_t_tilde = {}, {}
for s = 0, steps, snapshot_every do events[s] = true end
events[steps] = true
for _, t in ipairs(t_tilde) do events[t], is_t_tilde[t] = true, true end
local order = {}
for s in pairs(events) do order[#order + 1] = s end
table.sort(order)

local base = {arch = arch_name, arch_options = options_text, width = width,
              classes = table.concat(classes, ","), n_train = n_train, n_test = n_test,
              steps = steps, lr = lr, seed = seed, dataset = p.dataset, image_size = side,
              center = p.center,
              num_params = n_params, linear = linear}
local function row(fields)
  local r = {}
  for k, v in pairs(base) do r[k] = v end
  for k, v in pairs(fields) do r[k] = v end
  return rows:write(r)
end

print(string.format("%6s %10s %12s %10s %10s", "step", "train loss", "test acc", "S(K0,Kt)",
                    "velocity"))
local K0, K_previous, step_previous = nil, nil, 0
local full_seconds = 0  -- full-training GD time so far
for _, s in ipairs(order) do
  if s > step_previous then
    local t0 = clock()
    ntk.train.gd{net = net, data = train, lr = lr, max_steps = s - step_previous,
                 record_every = s - step_previous}
    full_seconds = full_seconds + (clock() - t0)
  end
  local K = net:ntk(probe)
  K0 = K0 or K
  local velocity = K_previous and ntk.train.kernel_distance(K_previous, K) / (s - step_previous)
                   or 0
  -- The network itself at w(s): two forward passes (no kernel on the training set).
  local f_train, f_test = net:forward(train), net:forward(test)
  local now = {train_loss = ntk.metrics.squared_loss(f_train, train.y),
               train_accuracy = ntk.metrics.accuracy(f_train, train.y),
               test_loss = ntk.metrics.squared_loss(f_test, test.y),
               test_accuracy = ntk.metrics.accuracy(f_test, test.y)}
  local r = row{part = "kernel", step = s, train_loss = now.train_loss,
                train_accuracy = now.train_accuracy, test_accuracy = now.test_accuracy,
                test_loss = now.test_loss, full_seconds = full_seconds,
                distance_from_init = math.max(0, ntk.train.kernel_distance(K0, K)), velocity = velocity,
                velocity_per_100 = 100 * velocity}
  print(string.format("%6d %10.3e %12.4f %10.4f %10.3e", s, r.train_loss, r.test_accuracy,
                      r.distance_from_init, velocity))
  if is_t_tilde[s] then
    local t0 = clock()
    local lin
    if s == steps then
      lin = now  -- no linear steps left: full training itself
    elseif linear == "closed_form" then
      lin = ntk.train.linearized_closed_form{net = net, data = train, lr = lr, steps = steps - s,
                                             test = test}
    elseif linear == "params" then
      local d = s == 0 and decomposition_0 or lp.decompose(net, train)
      lin = lp.solve(d, lr, steps - s, test)
      lin.lambda_max = d.lambda_max
    else  -- GD through jvp/vjp at w(t̃); leaves the network at w(t̃)
      lin = ntk.train.linearized{net = net, data = train, lr = lr, steps = steps - s,
                                 record_every = math.max(1, steps - s), record = {test = test}}
    end
    decomposition_0 = nil
    row{part = "tangent", tilde_t = s, linear_steps = steps - s, train_loss = lin.train_loss,
        test_loss = lin.test_loss, test_accuracy = lin.test_accuracy,
        train_accuracy = lin.train_accuracy, linear_status = lin.status or "none (t~ = steps)",
        lr_times_lambda_max = lin.lambda_max and lr * lin.lambda_max or nil,
        linear_seconds = clock() - t0}
  end
  K_previous, step_previous = K, s
end
print(string.format("%.1f s in all (full training %.1f s)", clock() - t_start, full_seconds))

if ex.mode() == "run" then
  report(rows.rows)
  print("figure: " .. draw(rows.rows, ex.figure_path(NAME)))
end
print("rows appended to " .. rows.path)
