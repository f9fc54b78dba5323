// A matrix on disk in Armadillo's binary format (arma_binary: a one-line header with the
// element type and size, then the column-major float64 data): exact and about as fast as the
// disk, for kernels that are reused across runs (a 4,110-graph GNTK is 135 MB, where CSV at
// %.17g is ~3x that and far slower to parse).
#pragma once

#include <armadillo>
#include <string>

namespace ntk::core::data {

// Writes to PATH.tmp-PID and renames it, so a reader never sees half a file and a crash leaves
// the old file intact. Creates missing parent folders. `function` prefixes error messages.
void save_matrix(const std::string& path, const arma::mat& m, const std::string& function);
// Throws naming the path when the file is missing or not an Armadillo binary float64 matrix.
arma::mat load_matrix(const std::string& path, const std::string& function);

}  // namespace ntk::core::data
