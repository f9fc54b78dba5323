// Float32 kernels of vector compositions in tiles (issue 14): the n1 × n2 kernel exists
// once, as float (4 bytes an entry), and no n1 × n2 double matrix is ever allocated — a 60,000²
// kernel is 14.4 GB as float32 and 28.8 GB as float64.
//
// The kernel is cut into tiles of up to 2048 rows × 256 columns (a symmetric kernel's upper
// triangle only: the rows above each column block's diagonal square, and the square). Each
// OpenMP thread takes tiles in turn and, for each, computes the input kernel x·x'/d of the
// tile in float64 with single-threaded BLAS (dgemm; dsyrk on a diagonal square), carries it
// through every rule of the composition by the fused pass (layers_fused.hpp: a 256-entry
// chunk through all rules in L1) and rounds each finished chunk once to float into the output.
// The variance recursion and the common scale are prepared once for all tiles. Working memory
// besides the output: a 4 MB Gram tile per thread and O(n·depth) variances.
//
// Accuracy: the Gram, the rules and their accumulations are in double, so each output entry is
// the float64 kernel rounded once to float (relative error ≤ 2^-24 of the entry). A Gram in
// float (sgemm, `float32_gram`) is twice as fast in BLAS, but its error (≈ 1e-7·√d of the
// diagonal scale) is amplified near the diagonal by the relu map's √(Σ11Σ22 − Σ12²): measured
// in docs/benchmarks.md, it is kept as an option for that measurement only.
#pragma once

#include <armadillo>
#include <string>
#include <vector>

#include "layers.hpp"
#include "progress_counter.hpp"

namespace ntk::sdk::layers {

struct TiledOptions {
  arma::uword block = 0;      // columns per tile; 0: 256
  arma::uword tile_rows = 0;  // rows per tile; 0: 2048
  bool float32_gram = false;  // Gram tiles by sgemm/ssyrk on float copies of the inputs
};

struct Float32Kernels {
  arma::fmat nngp, ntk;  // n1 × n2, empty where not asked for
  // The true kernels are these × 2^log2_scale; 0 unless `log_scale` was allowed and the true
  // values are not floats.
  int log2_scale = 0;
};

// The float32 NNGP and/or NTK of the input kernel x·x'/d of a (d × n1) and b (d × n2) followed
// by `rules` (symmetric: a and b are the same examples). Refuses (ntk::Error, naming `caller`)
// what input_kernel() and apply_rules() refuse, an output and working memory that would not
// fit (with the estimate), and values beyond float's range (naming the layer where they left
// it; with `log_scale` they are returned as K / 2^s instead).
Float32Kernels tiled_float32_kernels(const arma::mat& a, const arma::mat& b, bool symmetric,
                                     const std::vector<Rule>& rules, bool want_nngp,
                                     bool want_ntk, bool log_scale, const std::string& caller,
                                     const ProgressSpan& progress = {},
                                     const TiledOptions& options = {});

// The bytes tiled_float32_kernels() needs: its output and its working memory.
struct TiledMemory {
  double output = 0, working = 0;
  double total() const { return output + working; }
};
TiledMemory tiled_memory(arma::uword d, arma::uword n1, arma::uword n2, bool symmetric,
                         std::size_t rules, int matrices, const TiledOptions& options = {});

// Refuses an n1 × n2 float64 result of `matrices` matrices (and `extra_bytes` more) that would
// not fit, as check_allocation() does; when `float32_bytes` > 0 (the float32 output could be
// computed without the float64 matrices) the message says what it would need instead.
void check_kernel_memory(const std::string& what, double n1, double n2, int matrices,
                         double extra_bytes, double float32_bytes);

// One triangle of aᵀa/d (rows 0..j of column j) into the n × n `out`, by column blocks of 512:
// gemm above each block's diagonal square and syrk on it. OpenBLAS's syrk runs at about half
// its gemm rate, so this is faster than one syrk of the whole matrix for the same flops.
void gram_upper(const arma::mat& a, arma::mat& out);

// Asks the kernel for transparent huge pages on a large buffer not yet touched: its first
// writes then fault once per 2 MB instead of once per 4 KB (page faults were a quarter of a
// float32 kernel's time on this project's VM, where THP is "madvise", as on Debian).
void advise_huge_pages(void* data, std::size_t bytes);
template <class T>
void advise_huge_pages(arma::Mat<T>& m) {
  advise_huge_pages(m.memptr(), std::size_t(m.n_elem) * sizeof(T));
}

// A finished float64 kernel as float32 (the double matrix is freed); refuses (naming `caller`
// and the entry) values beyond float's range, suggesting float64.
arma::fmat to_float32(arma::mat& m, const std::string& caller, const char* which);

}  // namespace ntk::sdk::layers
