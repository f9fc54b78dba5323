#include "core/cache/cached_kernel.hpp"

#include <chrono>

#include "ntk/sdk/error.hpp"

namespace ntk::core::cache {

MappedKernel fill_kernel_file(KernelFile& file, const TileFunction& compute,
                              sdk::ProgressSink* progress, FillReport* report,
                              double sync_seconds) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  auto last_sync = start;
  FillReport r;
  r.tiles_on_disk = file.done_count();
  double todo = 0, finished = 0;  // entries of the missing tiles
  for (std::uint64_t i = 0; i < file.tile_rows(); ++i)
    for (std::uint64_t j = 0; j < file.tile_cols(); ++j)
      if (file.needed(i, j) && !file.done(i, j))
        todo += double(file.row_end(i) - file.row_begin(i)) * double(file.col_end(j) - file.col_begin(j));
  for (std::uint64_t i = 0; i < file.tile_rows(); ++i) {
    for (std::uint64_t j = 0; j < file.tile_cols(); ++j) {
      if (!file.needed(i, j) || file.done(i, j)) continue;
      const arma::uword r0 = file.row_begin(i), r1 = file.row_end(i);
      const arma::uword c0 = file.col_begin(j), c1 = file.col_end(j);
      const bool diagonal = file.symmetric() && i == j;
      const arma::fmat tile = compute(r0, r1, c0, c1, diagonal);
      if (tile.n_rows != r1 - r0 || tile.n_cols != c1 - c0)
        throw_error("kernel cache '", file.path(), "': the tile computation returned ",
                    tile.n_rows, " x ", tile.n_cols, " for rows ", r0 + 1, "..", r1,
                    " and columns ", c0 + 1, "..", c1);
      file.write_tile(i, j, tile);
      ++r.tiles_computed;
      finished += double(r1 - r0) * double(c1 - c0);
      const auto now = Clock::now();
      if (std::chrono::duration<double>(now - last_sync).count() >= sync_seconds) {
        file.sync();
        last_sync = now;
      }
      if (progress != nullptr && todo > 0) progress->progress(std::min(1.0, finished / todo) * 0.999);
    }
  }
  file.sync();
  if (progress != nullptr) progress->progress(1.0);
  r.entries_computed = finished;
  r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (report != nullptr) *report = r;
  return file.map();
}

}  // namespace ntk::core::cache
