-- The summary statistics of Fernández-Delgado et al. (2014) that Arora et al. (2020, Table 1)
-- report for classifiers over many data sets:
--
--   local summary = require("uci_summary")
--   local s = summary.summarize(rows, {"ntk", "gaussian", "polynomial"})
--
-- rows: list of {dataset =, classifier =, accuracy = percent}. Only the data sets that have a
-- row for every listed classifier count (s.datasets lists them, s.missing the others). Per
-- classifier, s.by[name] = {
--   rank      Friedman rank: on each data set the classifiers are ranked by accuracy (1 = best;
--             tied accuracies share the mean of the ranks they span), averaged over data sets
--   mean, std average accuracy over data sets and its sample standard deviation
--   p90, p95  percent of data sets where the accuracy is ≥ 90 % / 95 % of the best accuracy any
--             listed classifier reached on that data set
--   pma, pma_std  mean (and sample s.d.) over data sets of 100 · accuracy / best accuracy
-- }. The paper takes "best" over its 179 classifiers and ranks among them all; here both are
-- over the classifiers listed, so ranks lie in 1..#classifiers.
--   summary.markdown(s, paper) -> a markdown table (paper: optional rows {name = {rank, mean,
--                                 std, p90, p95, pma, pma_std}} printed beside ours)
local M = {}

local function mean(list)
  local s = 0
  for _, v in ipairs(list) do s = s + v end
  return s / #list
end

local function std(list)
  if #list < 2 then return 0 end
  local m, s = mean(list), 0
  for _, v in ipairs(list) do s = s + (v - m) ^ 2 end
  return math.sqrt(s / (#list - 1))
end

-- Ranks of `values` (1 = largest), ties sharing their mean rank.
function M.ranks(values)
  local order = {}
  for i = 1, #values do order[i] = i end
  table.sort(order, function(a, b)
    if values[a] ~= values[b] then return values[a] > values[b] end
    return a < b
  end)
  local ranks, i = {}, 1
  while i <= #order do
    local j = i
    while j < #order and values[order[j + 1]] == values[order[i]] do j = j + 1 end
    for k = i, j do ranks[order[k]] = (i + j) / 2 end
    i = j + 1
  end
  return ranks
end

function M.summarize(rows, classifiers)
  local acc = {}  -- acc[dataset][classifier]
  local names = {}
  for _, row in ipairs(rows) do
    if row.dataset and row.classifier and row.accuracy then
      if acc[row.dataset] == nil then
        acc[row.dataset] = {}
        names[#names + 1] = row.dataset
      end
      acc[row.dataset][row.classifier] = row.accuracy
    end
  end
  table.sort(names)
  local s = {classifiers = classifiers, datasets = {}, missing = {}, by = {}}
  local per = {}
  for _, c in ipairs(classifiers) do per[c] = {ranks = {}, accs = {}, ratios = {}} end
  for _, name in ipairs(names) do
    local values, complete = {}, true
    for i, c in ipairs(classifiers) do
      values[i] = acc[name][c]
      if values[i] == nil then complete = false end
    end
    if complete then
      s.datasets[#s.datasets + 1] = name
      local best = math.max(table.unpack(values))
      local ranks = M.ranks(values)
      for i, c in ipairs(classifiers) do
        local p = per[c]
        p.ranks[#p.ranks + 1] = ranks[i]
        p.accs[#p.accs + 1] = values[i]
        p.ratios[#p.ratios + 1] = best > 0 and values[i] / best or 1
      end
    else
      s.missing[#s.missing + 1] = name
    end
  end
  local n = #s.datasets
  for _, c in ipairs(classifiers) do
    local p = per[c]
    local n90, n95, pma = 0, 0, {}
    for i, r in ipairs(p.ratios) do
      if r >= 0.9 then n90 = n90 + 1 end
      if r >= 0.95 then n95 = n95 + 1 end
      pma[i] = 100 * r
    end
    s.by[c] = n == 0 and {n = 0} or {
      n = n, rank = mean(p.ranks), mean = mean(p.accs), std = std(p.accs),
      p90 = 100 * n90 / n, p95 = 100 * n95 / n, pma = mean(pma), pma_std = std(pma),
    }
  end
  return s
end

function M.markdown(s, paper)
  local lines = {
    string.format("%d data sets%s.", #s.datasets,
                  #s.missing > 0 and (" (without a row for every classifier: "
                                      .. table.concat(s.missing, ", ") .. ")") or ""),
    "",
    "| classifier | Friedman rank | average accuracy | P90 | P95 | PMA |",
    "| --- | --- | --- | --- | --- | --- |",
  }
  for _, c in ipairs(s.classifiers) do
    local b = s.by[c]
    if b.n and b.n > 0 then
      lines[#lines + 1] = string.format("| %s (this run) | %.2f | %.2f%% ± %.2f%% | %.2f%% | "
                                        .. "%.2f%% | %.2f%% ± %.2f%% |", c, b.rank, b.mean, b.std,
                                        b.p90, b.p95, b.pma, b.pma_std)
    end
    local p = paper and paper[c]
    if p then
      lines[#lines + 1] = string.format("| %s (paper) | %.2f | %.2f%% ± %.2f%% | %.2f%% | "
                                        .. "%.2f%% | %.2f%% ± %.2f%% |", c, p[1], p[2], p[3],
                                        p[4], p[5], p[6], p[7])
    end
  end
  return table.concat(lines, "\n") .. "\n"
end

return M
