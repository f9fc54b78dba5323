#include "core/data/byte_reader.hpp"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <filesystem>

#include "ntk/sdk/error.hpp"

namespace ntk::core::data {

ByteReader::ByteReader(const std::string& path, std::string who)
    : path_(path), who_(std::move(who)) {
  file_ = gzopen(path.c_str(), "rb");
  if (!file_) throw_error(who_, ": cannot open '", path, "': ", std::strerror(errno));
  gzbuffer(file_, 1 << 17);
}

ByteReader::~ByteReader() {
  if (file_) gzclose(file_);
}

std::size_t ByteReader::read_some(void* buffer, std::size_t n) {
  auto* out = static_cast<unsigned char*>(buffer);
  std::size_t total = 0;
  while (total < n) {
    // gzread takes an unsigned count: read in chunks of at most 1 GiB.
    const unsigned chunk = static_cast<unsigned>(std::min<std::size_t>(n - total, 1u << 30));
    const int got = gzread(file_, out + total, chunk);
    if (got < 0) {
      int code = 0;
      const char* message = gzerror(file_, &code);
      throw_error(who_, ": ", path_, ": cannot read at byte offset ", offset_ + total, ": ",
                  message ? message : "zlib error", " (corrupt gzip data?)");
    }
    if (got == 0) break;
    total += static_cast<std::size_t>(got);
  }
  offset_ += total;
  return total;
}

void ByteReader::read_exact(void* buffer, std::size_t n, const char* what) {
  const std::uint64_t start = offset_;
  const std::size_t got = read_some(buffer, n);
  if (got < n)
    throw_error(who_, ": ", path_, ": truncated at byte offset ", start + got, ": ", what,
                " needs ", n, " bytes from offset ", start, ", only ", got, " are left");
}

std::uint32_t ByteReader::read_u32_be(const char* what) {
  unsigned char b[4];
  read_exact(b, 4, what);
  return (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) | (std::uint32_t{b[2]} << 8) |
         std::uint32_t{b[3]};
}

bool ByteReader::at_end() {
  unsigned char b;
  return read_some(&b, 1) == 0;
}

std::optional<std::uint64_t> ByteReader::bytes_left() {
  if (compressed()) return std::nullopt;
  std::error_code error;
  if (!std::filesystem::is_regular_file(path_, error)) return std::nullopt;
  const std::uint64_t size = std::filesystem::file_size(path_, error);
  if (error) return std::nullopt;
  return size > offset_ ? size - offset_ : 0;
}

}  // namespace ntk::core::data
