// Numeric CSV files as data sets: one example per line, one feature per cell.
//
// Lines that are empty or start with '#' are skipped; cells are separated by `delimiter`
// (',' by default; ' ' or '\t' split on runs of blanks); surrounding blanks and a trailing '\r'
// are ignored. Every cell must be a finite number in strtod syntax (nan and inf are
// refused): otherwise the error names file:line:column (column = 1-based cell index).
// The file may be gzip-compressed.
#pragma once

#include <string>

#include "core/data/dataset.hpp"

namespace ntk::core::data {

struct CsvOptions {
  // 1-based column holding the label (negative counts from the end: -1 = last); 0 = none.
  // That column is removed from x and stored in labels, and also as the 1 × n target row y
  // (use filter_classes / encode for ±1 or one-hot targets).
  long label_column = 0;
  bool header = false;    // skip the first non-comment line (column names)
  char delimiter = ',';
};

// x is (columns - 1) × n with a label column, columns × n without.
Dataset read_csv(const std::string& path, const CsvOptions& options = {});

}  // namespace ntk::core::data
