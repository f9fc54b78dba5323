#include "core/data/idx.hpp"

#include <zlib.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdio>
#include <cmath>
#include <cstring>
#include <limits>
#include <optional>
#include <sstream>

#include "core/data/byte_reader.hpp"
#include "ntk/sdk/checks.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::core::data {

namespace {

constexpr const char* kWho = "idx()";

const char* type_name(std::uint8_t type) {
  switch (type) {
    case 0x08: return "unsigned byte";
    case 0x09: return "signed byte";
    case 0x0B: return "int16";
    case 0x0C: return "int32";
    case 0x0D: return "float32";
    case 0x0E: return "float64";
    default: return "unknown";
  }
}

// Big-endian bytes -> unsigned integer of `n` bytes.
std::uint64_t load_be(const unsigned char* p, std::size_t n) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < n; ++i) v = (v << 8) | p[i];
  return v;
}

// A byte count computed as a double, printed as the integer it is (up to 2^64).
std::string count_text(double v) {
  if (v < 18446744073709551615.0) return std::to_string(static_cast<std::uint64_t>(v));
  std::ostringstream out;
  out.precision(3);
  out << v;
  return out.str();
}

void store_be(unsigned char* p, std::uint64_t v, std::size_t n) {
  for (std::size_t i = n; i-- > 0; v >>= 8) p[i] = static_cast<unsigned char>(v & 0xFF);
}

}  // namespace

std::size_t idx_element_bytes(std::uint8_t type) {
  switch (type) {
    case 0x08: case 0x09: return 1;
    case 0x0B: return 2;
    case 0x0C: case 0x0D: return 4;
    case 0x0E: return 8;
    default:
      throw_error("idx: unknown element type 0x", std::hex, int{type},
                  " (accepted: 0x08 ubyte, 0x09 byte, 0x0B int16, 0x0C int32, 0x0D float32, "
                  "0x0E float64)");
  }
}

arma::uword IdxArray::item_size() const {
  arma::uword size = 1;
  for (std::size_t i = 1; i < dims.size(); ++i) size *= dims[i];
  return size;
}

double IdxArray::value(arma::uword k) const {
  const unsigned char* p = bytes.data() + k * idx_element_bytes(type);
  switch (type) {
    case 0x08: return p[0];
    case 0x09: return static_cast<std::int8_t>(p[0]);
    case 0x0B: return static_cast<std::int16_t>(load_be(p, 2));
    case 0x0C: return static_cast<std::int32_t>(load_be(p, 4));
    case 0x0D: return std::bit_cast<float>(static_cast<std::uint32_t>(load_be(p, 4)));
    case 0x0E: return std::bit_cast<double>(load_be(p, 8));
    default: return std::numeric_limits<double>::quiet_NaN();  // unreachable: checked on read
  }
}

IdxArray read_idx(const std::string& path) {
  ByteReader in(path, kWho);
  unsigned char magic[4];
  in.read_exact(magic, 4, "the magic number");
  const std::uint32_t magic_value = static_cast<std::uint32_t>(load_be(magic, 4));
  const bool known_type = std::strcmp(type_name(magic[2]), "unknown") != 0;
  if (magic[0] != 0 || magic[1] != 0 || !known_type || magic[3] == 0)
    throw_error(kWho, ": ", path, ": bad magic number 0x", std::hex, magic_value, std::dec,
                " at byte offset 0 (an IDX file starts with two zero bytes, an element type "
                "0x08/0x09/0x0B/0x0C/0x0D/0x0E and a non-zero number of dimensions, e.g. "
                "0x00000803 for images, 0x00000801 for labels)");

  IdxArray array;
  array.path = path;
  array.type = magic[2];
  const std::size_t ndims = magic[3];
  // Sizes as doubles: 255 dimensions of up to 2^32 - 1 overflow any integer type, and the
  // doubles only decide whether to refuse (exact whenever the file could hold the data).
  double item_elements = 1;
  for (std::size_t i = 0; i < ndims; ++i) {
    array.dims.push_back(in.read_u32_be("a dimension size"));
    if (i > 0) item_elements *= static_cast<double>(array.dims.back());
  }
  const std::size_t element_bytes = idx_element_bytes(array.type);
  const double items = static_cast<double>(array.dims[0]);
  const double announced = items * item_elements * static_cast<double>(element_bytes);
  const std::uint64_t data_offset = in.offset();
  std::ostringstream shape;
  for (std::size_t i = 0; i < ndims; ++i) shape << (i ? " x " : "") << array.dims[i];
  const auto announces = [&] {
    std::ostringstream out;
    out << "the header announces " << shape.str() << " " << type_name(array.type)
        << " values: " << array.dims[0] << " items of "
        << count_text(item_elements * static_cast<double>(element_bytes)) << " bytes = "
        << count_text(announced) << " bytes from byte offset " << data_offset;
    return out.str();
  };
  // With zero items no data backs the item shape; it must still fit a 64-bit count
  // (item_size()), and no real item comes near 2^32 bytes.
  if (item_elements * static_cast<double>(element_bytes) > 4294967296.0)
    throw_error(kWho, ": ", path, ": ", announces(), "; one item may hold at most 2^32 bytes");
  // A plain file's size is known: refuse before reserving anything, and check the memory
  // for what the file really holds.
  const std::optional<std::uint64_t> left = in.bytes_left();
  if (left && announced > *left)
    throw_error(kWho, ": ", path, ": truncated at byte offset ", data_offset + *left, ": ",
                announces(), ", the file holds only ", *left);
  const std::string what = std::string(kWho) + ": " + path;
  if (left) sdk::check_allocation(what, announced, 1, 1);

  // A gzip stream says how long it is only when decompressed: grow the buffer geometrically
  // as data arrives (never more than twice what the stream really held) instead of reserving
  // what the header announces; the memory check guards each growth, so a lying header ends in
  // "the stream holds only ..." and a true one too large for memory in the memory error.
  const std::size_t n_bytes = static_cast<std::size_t>(std::min(announced, 1.8e19));
  std::size_t got = 0;
  while (got < n_bytes) {
    const std::size_t next = std::min(n_bytes, std::max<std::size_t>(2 * got, 1 << 20));
    if (!left) sdk::check_allocation(what, static_cast<double>(next), 1, 1);
    array.bytes.resize(next);
    const std::size_t read = in.read_some(array.bytes.data() + got, next - got);
    got += read;
    if (got < next) break;
  }
  if (got < n_bytes)
    throw_error(kWho, ": ", path, ": truncated at byte offset ", data_offset + got, ": ",
                announces(), ", the ", in.compressed() ? "decompressed stream" : "file",
                " holds only ", got);
  if (!in.at_end())
    throw_error(kWho, ": ", path, ": unexpected bytes after the data at byte offset ",
                data_offset + n_bytes, " (the header's dimensions do not match the file length)");
  return array;
}

arma::mat idx_to_matrix(const IdxArray& array, const std::vector<arma::uword>& items,
                        double divisor) {
  const arma::uword d = array.item_size();
  arma::mat m(d, items.size());
  double byte_value[256];  // unsigned bytes: one division per possible value, not per pixel
  for (int b = 0; b < 256; ++b) byte_value[b] = b / divisor;
  for (std::size_t j = 0; j < items.size(); ++j) {
    if (items[j] >= array.items())
      throw_error("idx_to_matrix(): item ", items[j], " out of range: ", array.path, " has ",
                  array.items(), " items");
    const arma::uword base = items[j] * d;
    double* column = m.colptr(j);
    if (array.type == 0x08) {  // the common case (images, labels): no per-element dispatch
      const unsigned char* p = array.bytes.data() + base;
      for (arma::uword i = 0; i < d; ++i) column[i] = byte_value[p[i]];
    } else {
      for (arma::uword i = 0; i < d; ++i) column[i] = array.value(base + i) / divisor;
    }
  }
  return m;
}

arma::mat idx_to_matrix(const IdxArray& array) {
  std::vector<arma::uword> all(array.items());
  for (arma::uword j = 0; j < all.size(); ++j) all[j] = j;
  return idx_to_matrix(array, all);
}

void write_idx(const std::string& path, const arma::mat& m, const std::vector<arma::uword>& dims,
               std::uint8_t type, bool gzip) {
  const char* who = "write_idx()";
  const std::size_t element_bytes = idx_element_bytes(type);
  if (dims.empty() || dims.size() > 255)
    throw_error(who, ": ", path, ": needs 1 to 255 dimensions, got ", dims.size());
  arma::uword product = 1;
  for (arma::uword v : dims) product *= v;
  if (product != m.n_elem || dims[0] != m.n_cols)
    throw_error(who, ": ", path, ": dimensions do not fit the ", m.n_rows, " x ", m.n_cols,
                " matrix (dims[0] must be its column count and their product its size)");

  std::vector<unsigned char> out(4 + 4 * dims.size() + m.n_elem * element_bytes);
  out[2] = type;
  out[3] = static_cast<unsigned char>(dims.size());
  for (std::size_t i = 0; i < dims.size(); ++i) store_be(&out[4 + 4 * i], dims[i], 4);
  unsigned char* p = out.data() + 4 + 4 * dims.size();
  for (arma::uword k = 0; k < m.n_elem; ++k, p += element_bytes) {
    const double v = m(k);
    const bool integral = type <= 0x0C;
    if (integral) {
      const double lo = type == 0x08 ? 0 : type == 0x09 ? -128 : type == 0x0B ? -32768 : -2147483648.0;
      const double hi = type == 0x08 ? 255 : type == 0x09 ? 127 : type == 0x0B ? 32767 : 2147483647.0;
      if (!(v >= lo && v <= hi) || v != std::floor(v))
        throw_error(who, ": ", path, ": value ", v, " (element ", k + 1,
                    ") does not fit the element type ", type_name(type), " (integers in [", lo,
                    ", ", hi, "])");
      store_be(p, static_cast<std::uint64_t>(static_cast<std::int64_t>(v)), element_bytes);
    } else if (type == 0x0D) {
      store_be(p, std::bit_cast<std::uint32_t>(static_cast<float>(v)), 4);
    } else {
      store_be(p, std::bit_cast<std::uint64_t>(v), 8);
    }
  }

  if (gzip) {
    gzFile file = gzopen(path.c_str(), "wb");
    if (!file) throw_error(who, ": cannot create '", path, "'");
    const int written = gzwrite(file, out.data(), static_cast<unsigned>(out.size()));
    const int closed = gzclose(file);
    if (written != static_cast<int>(out.size()) || closed != Z_OK)
      throw_error(who, ": ", path, ": write failed");
  } else {
    FILE* file = std::fopen(path.c_str(), "wb");
    if (!file) throw_error(who, ": cannot create '", path, "': ", std::strerror(errno));
    const std::size_t written = std::fwrite(out.data(), 1, out.size(), file);
    if (std::fclose(file) != 0 || written != out.size())
      throw_error(who, ": ", path, ": write failed");
  }
}

}  // namespace ntk::core::data
