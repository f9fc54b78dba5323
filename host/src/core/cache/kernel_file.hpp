// A kernel on disk (issue 14): a float32 matrix file that a kernel is computed into tile by tile
// and later runs map instead of recomputing it — many λ, many scripts, one kernel. A run that is
// stopped (a batch timeout, a kill, a crash) keeps the tiles it finished; the next one computes
// only the rest.
//
// Layout (little-endian; every offset a multiple of 4096, so the data can be mapped):
//   [0, 4096)                 header: magic "NTKKERN1", format version, rows, cols, tile size,
//                             symmetric flag, kernel kind, the architecture's and both inputs'
//                             fingerprints (fingerprint.hpp), the architecture's canonical text
//                             (for messages) and the ntklab version that wrote it
//   [4096, data_offset)       one byte per tile: 1 when the tile is on disk
//   [data_offset, +4·rows·cols)  the kernel, column-major float32 (Armadillo's layout)
// A symmetric kernel computes the tiles on and above the diagonal and writes each one twice
// (the block and its mirror), so the file always holds the whole matrix.
//
// A tile is marked done only after its data reached the disk (fdatasync, at most every
// `sync_seconds`): a crash loses unfinished work, never leaves a marked tile unwritten. One
// process writes a file at a time (an exclusive flock, held while the KernelFile lives).
#pragma once

#include <armadillo>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace ntk::core::cache {

// What a kernel file is the kernel of.
struct KernelKey {
  std::uint64_t rows = 0, cols = 0;
  bool symmetric = false;    // rows and cols are the same examples
  std::string kind;          // "ntk" or "nngp"
  std::string arch_text;     // canonical architecture text (name, options, description)
  std::uint64_t rows_data = 0, cols_data = 0;  // fingerprints of the two inputs
};

// A finished kernel mapped from its file: `matrix` uses the mapping's memory, which `keep`
// holds. The mapping is private (copy on write): writes to the matrix — an in-place
// factorisation — change memory, never the file.
struct MappedKernel {
  arma::fmat matrix;
  std::shared_ptr<void> keep;
};

class KernelFile {
 public:
  // Opens `path` for `key`: creates it (tiles of `tile` × `tile`) when it does not exist,
  // resumes it when it holds the same key (its own tile size is kept), and throws ntk::Error
  // naming the difference (shape, kind, architecture or data) when it holds another kernel —
  // a file is never overwritten. Creating checks the free disk space first. Throws when another
  // process is writing the file.
  static KernelFile open(const std::string& path, const KernelKey& key, std::uint64_t tile);

  KernelFile(KernelFile&&) noexcept;
  KernelFile& operator=(KernelFile&&) = delete;
  ~KernelFile();

  const std::string& path() const { return path_; }
  std::uint64_t tile() const { return tile_; }
  bool symmetric() const { return symmetric_; }
  std::uint64_t tile_rows() const { return tiles_r_; }  // tiles down
  std::uint64_t tile_cols() const { return tiles_c_; }  // tiles across
  // The tiles to compute: all, or those with i ≤ j when symmetric.
  bool needed(std::uint64_t i, std::uint64_t j) const { return !symmetric_ || i <= j; }
  bool done(std::uint64_t i, std::uint64_t j) const { return done_[i * tiles_c_ + j] != 0; }
  std::uint64_t done_count() const;    // needed tiles on disk
  std::uint64_t needed_count() const;
  bool complete() const { return done_count() == needed_count(); }
  // Row and column ranges [first, last) of tile (i, j).
  std::uint64_t row_begin(std::uint64_t i) const { return i * tile_; }
  std::uint64_t row_end(std::uint64_t i) const;
  std::uint64_t col_begin(std::uint64_t j) const { return j * tile_; }
  std::uint64_t col_end(std::uint64_t j) const;

  // Writes tile (i, j) (and its mirror when symmetric); marked done at the next sync().
  void write_tile(std::uint64_t i, std::uint64_t j, const arma::fmat& values);
  // Flushes written tiles to disk, then marks them done.
  void sync();

  // Maps the finished kernel (throws unless complete()).
  MappedKernel map() const;

 private:
  KernelFile() = default;
  void write_at(const void* data, std::size_t bytes, std::uint64_t offset, const char* what);

  std::string path_;
  int fd_ = -1;
  std::uint64_t rows_ = 0, cols_ = 0, tile_ = 0, tiles_r_ = 0, tiles_c_ = 0, data_offset_ = 0;
  bool symmetric_ = false;
  std::vector<unsigned char> done_;
  std::vector<std::uint64_t> pending_;  // tiles written since the last sync (i · tiles_c + j)
};

// The bytes a kernel file of rows × cols takes (header, tile map and data).
std::uint64_t kernel_file_bytes(std::uint64_t rows, std::uint64_t cols, std::uint64_t tile);

}  // namespace ntk::core::cache
