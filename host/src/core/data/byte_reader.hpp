// Sequential reading of a gzip-compressed or plain file, tracking the byte offset.
//
// zlib's gzread reads both forms transparently, so loaders need not care which they get.
// Offsets count bytes of the decompressed stream: that is where the IDX/CSV format lives,
// so an error can say "truncated at byte offset 7840016" of the data a user can inspect with
// `zcat file | xxd`.
#pragma once

#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace ntk::core::data {

class ByteReader {
 public:
  // Opens `path`; `who` names the calling function in error messages ("idx()").
  ByteReader(const std::string& path, std::string who);
  ~ByteReader();
  ByteReader(const ByteReader&) = delete;
  ByteReader& operator=(const ByteReader&) = delete;

  // Reads exactly n bytes or throws "<who>: <path>: truncated at byte offset X: <what> needs
  // n bytes, only k are left".
  void read_exact(void* buffer, std::size_t n, const char* what);

  // Reads up to n bytes; returns how many were read (0 at the end).
  std::size_t read_some(void* buffer, std::size_t n);

  // A big-endian unsigned 32-bit integer.
  std::uint32_t read_u32_be(const char* what);

  // True if no byte is left (consumes at most one byte to find out).
  bool at_end();

  // The bytes left to read when that is known without reading them: a plain (not gzip)
  // regular file, whose size the file system gives. For a gzip stream nullopt: only
  // decompressing says how long it is, so callers must read it incrementally instead of
  // trusting a count from a header (a 30-byte .gz can announce 4 GB).
  std::optional<std::uint64_t> bytes_left();

  // True if the file is gzip-compressed (false for a plain file read directly).
  bool compressed() { return gzdirect(file_) != 1; }

  std::uint64_t offset() const { return offset_; }
  const std::string& path() const { return path_; }
  const std::string& who() const { return who_; }

 private:
  gzFile file_ = nullptr;
  std::string path_;
  std::string who_;
  std::uint64_t offset_ = 0;
};

}  // namespace ntk::core::data
