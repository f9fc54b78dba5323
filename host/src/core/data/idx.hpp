// The IDX file format of MNIST and Fashion-MNIST (http://yann.lecun.com/exdb/mnist/), plain or
// gzip-compressed.
//
// Layout: bytes 0-1 are zero, byte 2 the element type (0x08 unsigned byte, 0x09 signed byte,
// 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64), byte 3 the number of dimensions; then one
// big-endian uint32 per dimension; then the elements, big-endian, last index fastest.
// The first dimension counts items (images, labels); the others form one item.
#pragma once

#include <armadillo>
#include <cstdint>
#include <string>
#include <vector>

namespace ntk::core::data {

struct IdxArray {
  std::string path;
  std::uint8_t type = 0x08;            // the element type code (byte 2 of the file)
  std::vector<arma::uword> dims;       // dims[0] = number of items
  std::vector<unsigned char> bytes;    // the raw big-endian elements, as in the file

  arma::uword items() const { return dims.empty() ? 0 : dims[0]; }
  // Elements per item: the product of dims[1..] (1 for a list of labels).
  arma::uword item_size() const;
  // Element `k` of the flat array, converted to double.
  double value(arma::uword k) const;
};

// Bytes per element of a type code; throws for an unknown code.
std::size_t idx_element_bytes(std::uint8_t type);

// Reads and validates a whole file. Errors name the file and the byte offset: bad magic number
// (non-zero bytes 0-1, unknown type, zero dimensions), truncated data, bytes after the data.
// Nothing is reserved on the header's word alone: a plain file's announced size is checked
// against the file's length first; a gzip stream is read incrementally, its buffer growing
// with the data actually decompressed, and fails where the stream ends early.
IdxArray read_idx(const std::string& path);

// The items as columns of a matrix (item_size × items), raw values (no scaling): an image
// file n × r × c gives an (r·c) × n matrix whose column j is image j in row-major pixel order
// (pixel (i, k) at index i·c + k); a label file gives a 1 × n row.
// With `items` given, only those items (0-based), in that order, each value divided by
// `divisor` on the way (one pass, no temporary: 60,000 Fashion-MNIST images are 376 MB).
arma::mat idx_to_matrix(const IdxArray& array);
arma::mat idx_to_matrix(const IdxArray& array, const std::vector<arma::uword>& items,
                        double divisor = 1.0);

// Writes an IDX file (uncompressed, or gzip when `gzip` is true) with the given element type
// from values laid out like idx_to_matrix's output (one item per column); `dims` must have
// product equal to m.n_elem and dims[0] == m.n_cols. Values must be representable in the type.
void write_idx(const std::string& path, const arma::mat& m, const std::vector<arma::uword>& dims,
               std::uint8_t type = 0x08, bool gzip = true);

}  // namespace ntk::core::data
