// Fills a kernel file (kernel_file.hpp) tile by tile and maps the result (issue 14): the
// computation behind A:kernel(x1, x2, kind, {precision = "float32", cache = path}).
//
// Working memory is one tile's kernel at a time, however large the kernel: engines that
// compute in float64 and convert (the conv and graph engines) need 8·tile² bytes per kernel
// instead of 8·n², so a kernel larger than memory can be computed into a file and read back
// mapped. Tiles are computed in row-major order of the tile grid and synced at most every
// `sync_seconds`, so a stopped run loses at most that much work.
#pragma once

#include <armadillo>
#include <functional>

#include "core/cache/kernel_file.hpp"
#include "ntk/sdk/progress.hpp"

namespace ntk::core::cache {

// The kernel block of rows [r0, r1) × columns [c0, c1), as float32. `diagonal`: the block is
// a diagonal tile of a symmetric kernel (the same examples on both sides).
using TileFunction = std::function<arma::fmat(arma::uword r0, arma::uword r1, arma::uword c0,
                                              arma::uword c1, bool diagonal)>;

struct FillReport {
  std::uint64_t tiles_computed = 0, tiles_on_disk = 0;  // on disk before this call
  double entries_computed = 0;  // entries of the computed tiles (a symmetric kernel's mirrors not counted)
  double seconds = 0;           // computing and writing
};

// Computes every needed tile not yet on disk, syncs, and maps the kernel. Progress fractions
// count the entries of the tiles this call computes.
MappedKernel fill_kernel_file(KernelFile& file, const TileFunction& compute,
                              sdk::ProgressSink* progress = nullptr, FillReport* report = nullptr,
                              double sync_seconds = 10);

}  // namespace ntk::core::cache
