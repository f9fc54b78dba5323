// Result summarising for figures: rows of a batch (or any JSON-lines results) grouped into
// series of mean ± standard error. Bound to Lua as ntk.plot.summarize (lua/plot.cpp).
//
// Rows are grouped by the value of `by` (one series per value, labelled "by=value", in order of
// first appearance; one unlabelled series without `by`), and within a series by x: y is the
// mean over the rows with that x, yerr the standard error of the mean (sample standard
// deviation / √n; 0 for a single row), n the number of rows.
//
// Rows are never dropped silently: the Summary counts, per reason, the rows it skipped —
// rows of failed batch jobs (batch.status other than "ok"; this default filter is off when
// `where` is given), rows without a number at x or y, rows without a `by` value — and
// separately the rows that an explicit `where` deselected (a choice, not a loss).
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace ntk::core::batch {

// One scalar field of a row. Nested objects are flattened with a dot: "batch.status".
struct RowValue {
  enum class Kind { number, text } kind = Kind::text;
  double number = 0;
  std::string text;  // numbers: their text as the row shows it ("0.1"), for `by` and `where`

  static RowValue of_number(double value, std::string text);
  static RowValue of_text(std::string text);
};
using SummaryRow = std::map<std::string, RowValue>;

struct SummarizeOptions {
  std::string x, y, by;                                     // by: "" for one series
  std::vector<std::pair<std::string, std::string>> where;   // key = text; all must match
  // Skip rows whose batch.status is present and not "ok" (only when `where` is empty).
  bool default_filter = true;
};

struct SummarySeries {
  std::string label;  // "by=value", or "" without `by`
  std::vector<double> x, y, yerr;
  std::vector<std::size_t> n;
};

struct Summary {
  std::vector<SummarySeries> series;
  std::size_t rows = 0;      // rows given
  std::size_t used = 0;      // rows in some series
  std::size_t filtered = 0;  // deselected by an explicit `where`
  std::vector<std::pair<std::string, std::size_t>> skipped;  // reason -> rows, first seen first

  std::size_t skipped_count() const;
  // "2 from failed jobs (batch.status not \"ok\"), 1 without a number 'loss'"; "" when none.
  std::string skipped_text() const;
};

// Throws ntk::Error (naming the row, 1-based) for a non-finite x or y, and for an empty x or y key.
Summary summarize(const std::vector<SummaryRow>& rows, const SummarizeOptions& options);

}  // namespace ntk::core::batch
