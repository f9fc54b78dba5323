#include "core/data/csv.hpp"

#include <cmath>
#include <cstdlib>
#include <vector>

#include "core/data/byte_reader.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::core::data {

namespace {

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

// Splits a line into trimmed cells. With a blank delimiter, runs of blanks separate cells.
std::vector<std::string> split_cells(const std::string& line, char delimiter) {
  std::vector<std::string> cells;
  const bool blank_delimiter = delimiter == ' ' || delimiter == '\t';
  std::size_t i = 0;
  const std::size_t n = line.size();
  if (blank_delimiter) {
    while (i < n) {
      while (i < n && is_blank(line[i])) ++i;
      if (i == n) break;
      const std::size_t start = i;
      while (i < n && !is_blank(line[i])) ++i;
      cells.push_back(line.substr(start, i - start));
    }
    return cells;
  }
  while (true) {
    const std::size_t end = std::min(line.find(delimiter, i), n);
    std::size_t a = i, b = end;
    while (a < b && is_blank(line[a])) ++a;
    while (b > a && is_blank(line[b - 1])) --b;
    cells.push_back(line.substr(a, b - a));
    if (end == n) break;
    i = end + 1;
  }
  return cells;
}

// The whole (decompressed) file as lines.
std::vector<std::string> read_lines(const std::string& path) {
  ByteReader in(path, "csv()");
  std::string text;
  char buffer[1 << 16];
  while (const std::size_t got = in.read_some(buffer, sizeof buffer)) text.append(buffer, got);
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

double parse_cell(const std::string& cell, const std::string& path, std::size_t line,
                  std::size_t column) {
  const char* begin = cell.c_str();
  char* end = nullptr;
  const double v = cell.empty() ? 0.0 : std::strtod(begin, &end);
  if (cell.empty() || end != begin + cell.size() || !std::isfinite(v))
    throw_error("csv(): ", path, ":", line, ":", column, ": cell '", cell,
                "' is not a finite number");
  return v;
}

}  // namespace

Dataset read_csv(const std::string& path, const CsvOptions& options) {
  const std::vector<std::string> lines = read_lines(path);
  std::vector<std::vector<double>> rows;
  std::size_t width = 0, first_line = 0;
  bool header_skipped = !options.header;
  for (std::size_t l = 0; l < lines.size(); ++l) {
    const std::string& line = lines[l];
    std::size_t p = 0;
    while (p < line.size() && is_blank(line[p])) ++p;
    if (p == line.size() || line[p] == '#') continue;
    if (!header_skipped) {
      header_skipped = true;
      continue;
    }
    const std::vector<std::string> cells = split_cells(line, options.delimiter);
    if (rows.empty()) {
      width = cells.size();
      first_line = l + 1;
    } else if (cells.size() != width) {
      throw_error("csv(): ", path, ":", l + 1, ": ", cells.size(), " cells, but line ",
                  first_line, " has ", width);
    }
    std::vector<double> row(width);
    for (std::size_t c = 0; c < width; ++c) row[c] = parse_cell(cells[c], path, l + 1, c + 1);
    rows.push_back(std::move(row));
  }
  if (rows.empty()) throw_error("csv(): ", path, ": no data lines");

  const long w = static_cast<long>(width);
  long label = options.label_column;
  if (label < 0) label = w + 1 + label;  // -1 -> the last column
  if (options.label_column != 0 && (label < 1 || label > w))
    throw_error("csv(): ", path, ": label_column = ", options.label_column, " but the file has ",
                width, " columns (accepted: 1..", width, ", or -1..-", width, " from the end)");
  if (options.label_column != 0 && width < 2)
    throw_error("csv(): ", path, ": a label column leaves no features (the file has 1 column)");

  Dataset d;
  const arma::uword n = rows.size();
  const arma::uword features = options.label_column != 0 ? width - 1 : width;
  d.x.set_size(features, n);
  if (options.label_column != 0) d.labels.set_size(n);
  for (arma::uword j = 0; j < n; ++j) {
    arma::uword f = 0;
    for (std::size_t c = 0; c < width; ++c) {
      if (options.label_column != 0 && static_cast<long>(c) + 1 == label)
        d.labels(j) = rows[j][c];
      else
        d.x(f++, j) = rows[j][c];
    }
  }
  if (options.label_column != 0) d.y = d.labels;
  return d;
}

}  // namespace ntk::core::data
