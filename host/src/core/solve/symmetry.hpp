// Symmetry check of a kernel matrix without temporaries (Armadillo's is_symmetric(tol) forms
// A − Aᵀ, a second n × n matrix).
#pragma once

#include <armadillo>

namespace ntk::core::solve {

// Throws ntk::Error naming `fn` and the first offending pair unless K is square, finite and
// |K(i,j) − K(j,i)| ≤ tolerance·(|K(i,j)| + |K(j,i)|) for all i, j. Reads K block by block.
void check_symmetric(const char* fn, const arma::mat& K, double tolerance = 1e-10);

}  // namespace ntk::core::solve
