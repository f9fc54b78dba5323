#include "core/cache/kernel_file.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "core/cache/fingerprint.hpp"
#include "core/version.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::core::cache {
namespace {

constexpr char kMagic[8] = {'N', 'T', 'K', 'K', 'E', 'R', 'N', '1'};
constexpr std::uint32_t kFormat = 1;
constexpr std::uint64_t kPage = 4096;

struct Header {
  char magic[8];
  std::uint32_t format;
  std::uint32_t element_bytes;  // 4: float32
  std::uint64_t rows, cols, tile, data_offset;
  std::uint32_t symmetric;
  char kind[12];
  std::uint64_t arch_hash, rows_data, cols_data;
  char version[32];
  char arch_text[3072];  // the canonical text, truncated: for messages only
};
static_assert(sizeof(Header) <= kPage, "the header fits its page");

std::uint64_t round_up(std::uint64_t x, std::uint64_t to) { return (x + to - 1) / to * to; }
std::uint64_t tiles(std::uint64_t n, std::uint64_t tile) { return (n + tile - 1) / tile; }

std::string text_of(const char* field, std::size_t size) {
  return std::string(field, strnlen(field, size));
}

template <std::size_t N>
void copy_text(char (&field)[N], const std::string& text) {
  std::memset(field, 0, N);
  std::memcpy(field, text.data(), std::min(N - 1, text.size()));
}

std::string shorten(const std::string& text) {
  return text.size() <= 300 ? text : text.substr(0, 300) + "…";
}

[[noreturn]] void system_error(const std::string& path, const char* what) {
  throw_error("kernel cache '", path, "': ", what, " failed: ", std::strerror(errno));
}

std::string gb(double bytes) {
  char text[32];
  if (bytes >= 1e12) std::snprintf(text, sizeof text, "%.3g TB", bytes / 1e12);
  else std::snprintf(text, sizeof text, "%.3g GB", bytes / 1e9);
  return text;
}

// Refuses a file the disk cannot hold (before anything is written).
void check_disk_space(const std::string& path, std::uint64_t bytes) {
  std::filesystem::path dir = std::filesystem::absolute(path).parent_path();
  struct statvfs fs {};
  if (statvfs(dir.c_str(), &fs) != 0) system_error(path, "statvfs");
  const double free_bytes = double(fs.f_bavail) * double(fs.f_frsize);
  if (double(bytes) > free_bytes)
    throw_error("kernel cache '", path, "': the kernel file needs ", gb(double(bytes)),
                " but the disk holding ", dir.string(), " has ", gb(free_bytes),
                " free; free space, put the cache on another disk, or use fewer examples");
}

Header make_header(const KernelKey& key, std::uint64_t tile) {
  Header h{};
  std::memcpy(h.magic, kMagic, sizeof kMagic);
  h.format = kFormat;
  h.element_bytes = 4;
  h.rows = key.rows;
  h.cols = key.cols;
  h.tile = tile;
  const std::uint64_t map_bytes = tiles(key.rows, tile) * tiles(key.cols, tile);
  h.data_offset = kPage + round_up(map_bytes, kPage);
  h.symmetric = key.symmetric ? 1 : 0;
  copy_text(h.kind, key.kind);
  h.arch_hash = fingerprint(key.arch_text);
  h.rows_data = key.rows_data;
  h.cols_data = key.cols_data;
  copy_text(h.version, ntklab_version());
  copy_text(h.arch_text, key.arch_text);
  return h;
}

// Throws naming the first difference between the file's kernel and the one asked for.
void check_same_kernel(const std::string& path, const Header& file, const KernelKey& key) {
  const std::string prefix = "kernel cache '" + path + "' holds another kernel: ";
  const std::string advice = "; delete the file or choose another cache path";
  if (std::memcmp(file.magic, kMagic, sizeof kMagic) != 0 || file.format != kFormat ||
      file.element_bytes != 4)
    throw_error("kernel cache '", path, "' is not an ntklab kernel file (format ",
                kFormat, "); choose another cache path");
  if (file.rows != key.rows || file.cols != key.cols)
    throw_error(prefix, "it is ", file.rows, " x ", file.cols, ", this one ", key.rows, " x ",
                key.cols, advice);
  const std::string kind = text_of(file.kind, sizeof file.kind);
  if (kind != key.kind) throw_error(prefix, "its kernel is \"", kind, "\", this one \"", key.kind, "\"", advice);
  if (file.arch_hash != fingerprint(key.arch_text))
    throw_error(prefix, "its architecture is ", shorten(text_of(file.arch_text, sizeof file.arch_text)),
                ", this one ", shorten(key.arch_text), advice);
  if (file.rows_data != key.rows_data || file.cols_data != key.cols_data)
    throw_error(prefix, "the same architecture and shape but other inputs (fingerprints ",
                hex(file.rows_data), "/", hex(file.cols_data), ", these ", hex(key.rows_data), "/",
                hex(key.cols_data), ")", advice);
  if ((file.symmetric != 0) != key.symmetric)
    throw_error(prefix, "it was computed as ", file.symmetric ? "" : "not ",
                "symmetric (x1 and x2 the same examples)", advice);
  if (file.tile == 0 || file.data_offset < kPage + tiles(file.rows, file.tile) * tiles(file.cols, file.tile))
    throw_error("kernel cache '", path, "': a damaged header (tile ", file.tile,
                "); delete the file");
}

}  // namespace

std::uint64_t kernel_file_bytes(std::uint64_t rows, std::uint64_t cols, std::uint64_t tile) {
  return kPage + round_up(tiles(rows, tile) * tiles(cols, tile), kPage) + 4 * rows * cols;
}

KernelFile::KernelFile(KernelFile&& o) noexcept
    : path_(std::move(o.path_)), fd_(o.fd_), rows_(o.rows_), cols_(o.cols_), tile_(o.tile_),
      tiles_r_(o.tiles_r_), tiles_c_(o.tiles_c_), data_offset_(o.data_offset_),
      symmetric_(o.symmetric_), done_(std::move(o.done_)), pending_(std::move(o.pending_)) {
  o.fd_ = -1;
}

KernelFile::~KernelFile() {
  if (fd_ < 0) return;
  try {
    sync();
  } catch (...) {
    // A destructor cannot report; unsynced tiles stay unmarked and are recomputed next time.
  }
  ::close(fd_);  // releases the lock
}

KernelFile KernelFile::open(const std::string& path, const KernelKey& key, std::uint64_t tile) {
  if (key.rows == 0 || key.cols == 0)
    throw_error("kernel cache '", path, "': an empty kernel (", key.rows, " x ", key.cols, ")");
  if (tile == 0) throw_error("kernel cache '", path, "': tile size 0");
  if (key.symmetric && key.rows != key.cols)
    throw_error("kernel cache '", path, "': a symmetric kernel must be square");
  KernelFile f;
  f.path_ = path;
  std::error_code ec;  // the folder is made like ntk.io.write_jsonl's (an error surfaces at open)
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  f.fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (f.fd_ < 0) system_error(path, "open");
  if (flock(f.fd_, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK)
      throw_error("kernel cache '", path, "' is being written by another process; wait for it, or "
                  "choose another cache path");
    system_error(path, "flock");
  }
  struct stat st {};
  if (fstat(f.fd_, &st) != 0) system_error(path, "fstat");
  Header h{};
  if (st.st_size == 0) {  // a new file (or one whose creation stopped before its header)
    h = make_header(key, tile);
    const std::uint64_t bytes = kernel_file_bytes(key.rows, key.cols, tile);
    check_disk_space(path, bytes);
    f.write_at(&h, sizeof h, 0, "writing the header");
    // The data region stays a hole until tiles land in it: no disk is used for unwritten tiles.
    if (ftruncate(f.fd_, off_t(bytes)) != 0) system_error(path, "ftruncate");
  } else {
    if (st.st_size < off_t(sizeof h) || pread(f.fd_, &h, sizeof h, 0) != ssize_t(sizeof h))
      throw_error("kernel cache '", path, "' is not an ntklab kernel file (", st.st_size,
                  " bytes); choose another cache path");
    check_same_kernel(path, h, key);
    if (std::uint64_t(st.st_size) != kernel_file_bytes(h.rows, h.cols, h.tile))
      throw_error("kernel cache '", path, "' has ", st.st_size, " bytes but its header needs ",
                  kernel_file_bytes(h.rows, h.cols, h.tile), "; delete the file");
  }
  f.rows_ = h.rows;
  f.cols_ = h.cols;
  f.tile_ = h.tile;
  f.tiles_r_ = tiles(h.rows, h.tile);
  f.tiles_c_ = tiles(h.cols, h.tile);
  f.data_offset_ = h.data_offset;
  f.symmetric_ = h.symmetric != 0;
  f.done_.assign(f.tiles_r_ * f.tiles_c_, 0);
  if (pread(f.fd_, f.done_.data(), f.done_.size(), kPage) != ssize_t(f.done_.size()))
    system_error(path, "reading the tile map");
  return f;
}

std::uint64_t KernelFile::row_end(std::uint64_t i) const { return std::min(rows_, (i + 1) * tile_); }
std::uint64_t KernelFile::col_end(std::uint64_t j) const { return std::min(cols_, (j + 1) * tile_); }

std::uint64_t KernelFile::done_count() const {
  std::uint64_t count = 0;
  for (std::uint64_t i = 0; i < tiles_r_; ++i)
    for (std::uint64_t j = 0; j < tiles_c_; ++j) count += needed(i, j) && done(i, j);
  return count;
}

std::uint64_t KernelFile::needed_count() const {
  return symmetric_ ? tiles_r_ * (tiles_r_ + 1) / 2 : tiles_r_ * tiles_c_;
}

void KernelFile::write_at(const void* data, std::size_t bytes, std::uint64_t offset,
                          const char* what) {
  const auto* p = static_cast<const char*>(data);
  while (bytes > 0) {
    const ssize_t wrote = pwrite(fd_, p, bytes, off_t(offset));
    if (wrote < 0) {
      if (errno == EINTR) continue;
      system_error(path_, what);
    }
    p += wrote;
    bytes -= std::size_t(wrote);
    offset += std::uint64_t(wrote);
  }
}

void KernelFile::write_tile(std::uint64_t i, std::uint64_t j, const arma::fmat& v) {
  const std::uint64_t r0 = row_begin(i), c0 = col_begin(j);
  if (i >= tiles_r_ || j >= tiles_c_ || !needed(i, j) || v.n_rows != row_end(i) - r0 ||
      v.n_cols != col_end(j) - c0)
    throw_error("kernel cache '", path_, "': tile (", i, ", ", j, ") of ", v.n_rows, " x ",
                v.n_cols, " does not fit the file's tiles");
  for (arma::uword c = 0; c < v.n_cols; ++c)
    write_at(v.colptr(c), 4 * v.n_rows, data_offset_ + 4 * ((c0 + c) * rows_ + r0), "writing a tile");
  if (symmetric_ && i != j) {  // the mirror block: rows c0.., columns r0..
    const arma::fmat t = v.t();
    for (arma::uword c = 0; c < t.n_cols; ++c)
      write_at(t.colptr(c), 4 * t.n_rows, data_offset_ + 4 * ((r0 + c) * rows_ + c0),
               "writing a tile");
  }
  pending_.push_back(i * tiles_c_ + j);
}

void KernelFile::sync() {
  if (pending_.empty()) return;
  if (fdatasync(fd_) != 0) system_error(path_, "fdatasync");
  for (std::uint64_t t : pending_) {
    const unsigned char one = 1;
    write_at(&one, 1, kPage + t, "marking a tile");
    done_[t] = 1;
  }
  pending_.clear();
  if (fdatasync(fd_) != 0) system_error(path_, "fdatasync");
}

MappedKernel KernelFile::map() const {
  if (!pending_.empty() || !complete())
    throw_error("kernel cache '", path_, "': ", done_count(), " of ", needed_count(),
                " tiles are on disk; the kernel is not complete");
  const std::size_t bytes = 4 * rows_ * cols_;
  // A mapping holds its open file description, and with it a flock: map through a second,
  // read-only description so that the lock ends with this KernelFile (MAP_PRIVATE may write).
  const int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) system_error(path_, "open");
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, off_t(data_offset_));
  ::close(fd);
  if (p == MAP_FAILED) system_error(path_, "mmap");
  std::shared_ptr<void> keep(p, [bytes](void* q) { munmap(q, bytes); });
  MappedKernel out;
  out.matrix = arma::fmat(static_cast<float*>(p), rows_, cols_, false, true);
  out.keep = std::move(keep);
  return out;
}

}  // namespace ntk::core::cache
