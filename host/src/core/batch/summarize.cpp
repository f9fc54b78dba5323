#include "core/batch/summarize.hpp"

#include <cmath>

#include "ntk/sdk/error.hpp"

namespace ntk::core::batch {

RowValue RowValue::of_number(double value, std::string text) {
  RowValue v;
  v.kind = Kind::number;
  v.number = value;
  v.text = std::move(text);
  return v;
}

RowValue RowValue::of_text(std::string text) {
  RowValue v;
  v.text = std::move(text);
  return v;
}

std::size_t Summary::skipped_count() const {
  std::size_t total = 0;
  for (const auto& [reason, count] : skipped) total += count;
  return total;
}

std::string Summary::skipped_text() const {
  std::string text;
  for (const auto& [reason, count] : skipped)
    text += (text.empty() ? "" : ", ") + std::to_string(count) + " " + reason;
  return text;
}

namespace {

void count(std::vector<std::pair<std::string, std::size_t>>& skipped, const std::string& reason) {
  for (auto& [r, c] : skipped)
    if (r == reason) {
      ++c;
      return;
    }
  skipped.emplace_back(reason, 1);
}

const RowValue* field(const SummaryRow& row, const std::string& key) {
  const auto it = row.find(key);
  return it == row.end() ? nullptr : &it->second;
}

}  // namespace

Summary summarize(const std::vector<SummaryRow>& rows, const SummarizeOptions& o) {
  if (o.x.empty() || o.y.empty())
    throw_error("summarize: give the row keys to plot, {x = \"sigma2\", y = \"test_loss\"}");
  Summary summary;
  summary.rows = rows.size();
  std::vector<std::string> order;
  std::map<std::string, std::map<double, std::vector<double>>> groups;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const SummaryRow& row = rows[i];
    if (o.default_filter && o.where.empty()) {
      const RowValue* status = field(row, "batch.status");
      if (status && status->text != "ok") {
        count(summary.skipped, "from failed jobs (batch.status not \"ok\")");
        continue;
      }
    }
    bool selected = true;
    for (const auto& [key, value] : o.where) {
      const RowValue* v = field(row, key);
      selected = selected && v && v->text == value;
    }
    if (!selected) {
      ++summary.filtered;
      continue;
    }
    const RowValue* x = field(row, o.x);
    const RowValue* y = field(row, o.y);
    if (!x || x->kind != RowValue::Kind::number) {
      count(summary.skipped, "without a number '" + o.x + "'");
      continue;
    }
    if (!y || y->kind != RowValue::Kind::number) {
      count(summary.skipped, "without a number '" + o.y + "'");
      continue;
    }
    std::string label;
    if (!o.by.empty()) {
      const RowValue* by = field(row, o.by);
      if (!by) {
        count(summary.skipped, "without a value '" + o.by + "'");
        continue;
      }
      label = o.by + "=" + by->text;
    }
    if (!std::isfinite(x->number) || !std::isfinite(y->number))
      throw_error("summarize: row ", i + 1, " has ", o.x, " = ", x->number, ", ", o.y, " = ",
                  y->number, " (values must be finite)");
    if (!groups.count(label)) order.push_back(label);
    groups[label][x->number].push_back(y->number);
    ++summary.used;
  }
  for (const auto& label : order) {
    SummarySeries series;
    series.label = label;
    for (const auto& [x, ys] : groups[label]) {
      const double m = static_cast<double>(ys.size());
      double mean = 0;
      for (double y : ys) mean += y;
      mean /= m;
      double var = 0;
      for (double y : ys) var += (y - mean) * (y - mean);
      series.x.push_back(x);
      series.y.push_back(mean);
      series.yerr.push_back(ys.size() > 1 ? std::sqrt(var / (m - 1) / m) : 0.0);
      series.n.push_back(ys.size());
    }
    summary.series.push_back(std::move(series));
  }
  return summary;
}

}  // namespace ntk::core::batch
