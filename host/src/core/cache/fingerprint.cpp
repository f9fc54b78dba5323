#include "core/cache/fingerprint.hpp"

#include <cstdio>
#include <cstring>

namespace ntk::core::cache {
namespace {

constexpr std::uint64_t kPrime1 = 0x9E3779B185EBCA87ULL;
constexpr std::uint64_t kPrime2 = 0xC2B2AE3D27D4EB4FULL;

inline std::uint64_t rotl(std::uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

// One lane step (the xxHash64 round).
inline std::uint64_t round(std::uint64_t acc, std::uint64_t word) {
  acc += word * kPrime2;
  return rotl(acc, 31) * kPrime1;
}

// splitmix64's finaliser: every input bit flips each output bit with probability ≈ ½.
inline std::uint64_t mix(std::uint64_t x) {
  x ^= x >> 30;
  x *= 0xBF58476D1CE4E5B9ULL;
  x ^= x >> 27;
  x *= 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

// Combines a running hash with one more value (sizes, kinds, sub-hashes).
inline std::uint64_t combine(std::uint64_t h, std::uint64_t v) { return mix(h ^ mix(v + kPrime1)); }

std::uint64_t hash_sparse(const arma::sp_mat& m, std::uint64_t seed) {
  m.sync();  // the compressed form is current (a sparse matrix may hold pending element writes)
  std::uint64_t h = combine(combine(seed, m.n_rows), m.n_cols);
  h = combine(h, m.n_nonzero);
  // Compressed sparse column form: column pointers, row indices, values.
  h = combine(h, hash_bytes(m.col_ptrs, sizeof(arma::uword) * (m.n_cols + 1), 1));
  h = combine(h, hash_bytes(m.row_indices, sizeof(arma::uword) * m.n_nonzero, 2));
  return combine(h, hash_bytes(m.values, sizeof(double) * m.n_nonzero, 3));
}

}  // namespace

std::uint64_t hash_bytes(const void* data, std::size_t size, std::uint64_t seed) {
  const auto* p = static_cast<const unsigned char*>(data);
  std::uint64_t lane[4] = {seed + kPrime1 + kPrime2, seed + kPrime2, seed, seed - kPrime1};
  std::size_t i = 0;
  for (; i + 32 <= size; i += 32) {
    std::uint64_t w[4];
    std::memcpy(w, p + i, 32);
    for (int k = 0; k < 4; ++k) lane[k] = round(lane[k], w[k]);
  }
  std::uint64_t h = rotl(lane[0], 1) + rotl(lane[1], 7) + rotl(lane[2], 12) + rotl(lane[3], 18);
  for (; i + 8 <= size; i += 8) {
    std::uint64_t w;
    std::memcpy(&w, p + i, 8);
    h = combine(h, w);
  }
  std::uint64_t tail = 0;
  std::memcpy(&tail, p + i, size - i);
  return combine(combine(h, tail), size);
}

std::uint64_t fingerprint(const std::string& text) { return hash_bytes(text.data(), text.size(), 11); }

std::uint64_t fingerprint(const sdk::Inputs& in) {
  std::uint64_t h = combine(17, static_cast<std::uint64_t>(in.kind()));
  h = combine(h, in.size());
  switch (in.kind()) {
    case sdk::Inputs::Kind::images:
      h = combine(combine(combine(h, in.shape().channels), in.shape().height), in.shape().width);
      [[fallthrough]];
    case sdk::Inputs::Kind::dense:
      h = combine(h, in.x().n_rows);
      return combine(h, hash_bytes(in.x().memptr(), sizeof(double) * in.x().n_elem, 5));
    case sdk::Inputs::Kind::graphs:
      for (const sdk::Graph& g : in.graph_list())
        h = combine(hash_sparse(g.adjacency, h), hash_sparse(g.features, h ^ 0x5bd1e995));
      return h;
  }
  return h;
}

std::string hex(std::uint64_t value) {
  char text[19];
  std::snprintf(text, sizeof text, "0x%016llx", static_cast<unsigned long long>(value));
  return text;
}

}  // namespace ntk::core::cache
