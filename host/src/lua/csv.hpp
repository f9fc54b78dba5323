// Writing a matrix as a numeric CSV file: one matrix row per line, cells separated by commas,
// %.17g so that reading it back (core/data/csv.hpp, ntk.io.load_csv) is exact.
#pragma once

#include <armadillo>
#include <string>

namespace ntk::lua {

// Creates missing parent directories; overwrites the file; refuses NaN/inf (naming the entry).
// `function` prefixes error messages.
void write_csv(const std::string& path, const arma::mat& m,
               const std::string& function = "save_csv()");

}  // namespace ntk::lua
