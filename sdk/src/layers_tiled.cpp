// The float32 block driver (layers_tiled.hpp).
#include "layers_tiled.hpp"

#include <algorithm>
#include <atomic>
#include <cfloat>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <sstream>

#include <sys/mman.h>

#include <omp.h>

#include "layers_fused.hpp"
#include "ntk/sdk/checks.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::sdk::layers {
namespace {

constexpr arma::uword kDefaultBlock = 512;  // gram_upper's column blocks

// Tiles of at most tile_rows × tile_columns entries: each thread computes a tile's Gram with
// single-threaded BLAS and carries it through the rules while it is in cache (4 MB of doubles).
// A symmetric kernel's tiles cover its upper triangle: for each column block, the rows above
// its diagonal square in tiles (gemm) and the square itself (syrk).
struct Tile {
  arma::uword i0, i1, j0, j1;
  bool diagonal;  // the diagonal square of a symmetric kernel: rows 0..j of column j only
};

arma::uword tile_rows(const TiledOptions& o) { return o.tile_rows > 0 ? o.tile_rows : 2048; }
arma::uword tile_columns(arma::uword n2, const TiledOptions& o) {
  return std::max<arma::uword>(1, std::min<arma::uword>(o.block > 0 ? o.block : 256,
                                                        std::max<arma::uword>(n2, 1)));
}

std::vector<Tile> make_tiles(arma::uword n1, arma::uword n2, bool symmetric,
                             const TiledOptions& o) {
  const arma::uword rows = tile_rows(o), cols = tile_columns(n2, o);
  std::vector<Tile> tiles;
  for (arma::uword j0 = 0; j0 < n2; j0 += cols) {
    const arma::uword j1 = std::min(j0 + cols, n2);
    const arma::uword above = symmetric ? j0 : n1;
    for (arma::uword i0 = 0; i0 < above; i0 += rows)
      tiles.push_back({i0, std::min(i0 + rows, above), j0, j1, false});
    if (symmetric) {  // the diagonal square, split in row tiles if it is taller than `rows`
      for (arma::uword i0 = j0; i0 < j1; i0 += rows)
        tiles.push_back({i0, std::min(i0 + rows, j1), j0, j1, i0 == j0 && i0 + rows >= j1});
    }
  }
  return tiles;
}

// The Gram tile scale·A(:, i0..i1)ᵀ·B(:, j0..j1) into g (leading dimension i1 − i0): gemm, or
// syrk (its upper triangle) for a diagonal square.
template <class T>
void gram_tile(const arma::Mat<T>& a, const arma::Mat<T>& b, const Tile& t, T scale, T* g) {
  const arma::blas_int k = arma::blas_int(a.n_rows), m = arma::blas_int(t.i1 - t.i0),
                       w = arma::blas_int(t.j1 - t.j0);
  const char tr = 'T', n = 'N', upper = 'U';
  const T zero = 0;
  if (t.diagonal)
    arma::blas::syrk<T>(&upper, &tr, &w, &k, &scale, a.colptr(t.j0), &k, &zero, g, &m);
  else
    arma::blas::gemm<T>(&tr, &n, &m, &w, &k, &scale, a.colptr(t.i0), &k, b.colptr(t.j0), &k,
                        &zero, g, &m);
}

}  // namespace
}  // namespace ntk::sdk::layers

// OpenBLAS (the project's BLAS, ntk_armadillo): its own thread pool for one call.
extern "C" {
int openblas_get_num_threads(void);
void openblas_set_num_threads(int threads);
}

namespace ntk::sdk::layers {
namespace {

// BLAS single-threaded while the driver's OpenMP threads each compute their own tiles: with
// BLAS on its thread pool between passes of the rules, the pool's threads spun beside the
// OpenMP threads (float32 output 1.3x the float64 one at n = 8000, in CPU time as in wall).
struct SingleThreadedBlas {
  int saved = openblas_get_num_threads();
  SingleThreadedBlas() {
    if (saved > 1) openblas_set_num_threads(1);
  }
  ~SingleThreadedBlas() {
    if (saved > 1) openblas_set_num_threads(saved);
  }
  SingleThreadedBlas(const SingleThreadedBlas&) = delete;
  SingleThreadedBlas& operator=(const SingleThreadedBlas&) = delete;
};

std::string about(int binary_exponent) {
  std::ostringstream s;
  s << "2^" << binary_exponent << " (about 1e"
    << long(std::floor(binary_exponent * 0.30102999566398120)) << ")";
  return s.str();
}

// The Gram block (1/d)·A(:, rows)ᵀ·B(:, j0..j1) into g (leading dimension `ld`): in the
// symmetric case rows 0..j1-1, by gemm above the block's diagonal square and syrk on it
// (upper triangle), else all n1 rows by gemm.
template <class T>
void gram_block(const arma::Mat<T>& a, const arma::Mat<T>& b, bool symmetric, arma::uword j0,
                arma::uword j1, T scale, T* g, arma::uword ld) {
  const arma::blas_int k = arma::blas_int(a.n_rows), w = arma::blas_int(j1 - j0);
  const arma::blas_int ldc = arma::blas_int(ld);
  const char t = 'T', n = 'N', upper = 'U';
  const T zero = 0;
  if (!symmetric) {
    const arma::blas_int m = arma::blas_int(a.n_cols);
    arma::blas::gemm<T>(&t, &n, &m, &w, &k, &scale, a.memptr(), &k, b.colptr(j0), &k, &zero, g,
                        &ldc);
    return;
  }
  if (j0 > 0) {
    const arma::blas_int m = arma::blas_int(j0);
    arma::blas::gemm<T>(&t, &n, &m, &w, &k, &scale, a.memptr(), &k, a.colptr(j0), &k, &zero, g,
                        &ldc);
  }
  arma::blas::syrk<T>(&upper, &t, &w, &k, &scale, a.colptr(j0), &k, &zero, g + j0, &ldc);
}

// An output value that is not a float: the first one a thread met.
struct RangeFault {
  bool any = false;
  double value = 0;
  arma::uword i = 0, j = 0;
  const char* which = "";
  void record(double v, arma::uword row, arma::uword col, const char* matrix) {
    if (any) return;
    any = true;
    value = v;
    i = row;
    j = col;
    which = matrix;
  }
};

// dst ← float(src · factor) (factor an exact power of two); false when a value is beyond
// float's range (it is recorded).
bool store_float(const double* src, float* dst, arma::uword len, double factor, arma::uword i0,
                 arma::uword j, const char* which, RangeFault& fault) {
  double largest = 0;
#pragma omp simd reduction(max : largest)
  for (arma::uword i = 0; i < len; ++i) {
    const double v = src[i] * factor;
    largest = std::max(largest, std::fabs(v));
    dst[i] = float(std::clamp(v, -double(FLT_MAX), double(FLT_MAX)));
  }
  if (largest <= double(FLT_MAX)) return true;
  for (arma::uword i = 0; i < len; ++i)
    if (std::fabs(src[i] * factor) > double(FLT_MAX)) {
      fault.record(src[i] * factor, i0 + i, j, which);
      break;
    }
  return false;
}

// Copies the upper triangle over the lower one (blocked), as mirror_upper() does for doubles.
void mirror_upper_float(arma::fmat& m) {
  const arma::uword n = m.n_rows;
  constexpr arma::uword block = 64;
  float* data = m.memptr();
#pragma omp parallel for schedule(dynamic)
  for (arma::uword jb = 0; jb < n; jb += block) {
    const arma::uword j_end = std::min(jb + block, n);
    for (arma::uword ib = jb; ib < n; ib += block) {
      const arma::uword i_end = std::min(ib + block, n);
      for (arma::uword j = jb; j < j_end; ++j)
        for (arma::uword i = std::max(ib, j + 1); i < i_end; ++i) data[j * n + i] = data[i * n + j];
    }
  }
}

// The output's power of two: 0 when every true variance is a normal float; with log_scale one
// that makes them normal floats; otherwise an error naming the layer where the values left
// float's range.
int output_scale(const KernelState& s, bool log_scale, const std::string& caller) {
  int hi = INT_MIN, lo = INT_MAX;
  for (const arma::vec* v : {&s.diag1, &s.diag2})
    for (double x : *v)
      if (x > 0 && std::isfinite(x)) {
        hi = std::max(hi, std::ilogb(x) + s.log2_scale);
        lo = std::min(lo, std::ilogb(x) + s.log2_scale);
      }
  // 2^126 leaves room for the rounding to float and for an NTK a little above its NNGP.
  if (hi == INT_MIN || (hi <= fused::kFloatHigh - 1 && lo >= fused::kFloatLow)) return 0;
  // With log_scale: the largest stored variance near 1 (room for an NTK far above its NNGP),
  // or, for a wider spread, the smallest at float's smallest normal.
  if (log_scale && hi - lo <= 120) return hi;
  if (log_scale && hi - lo <= 236) return lo - fused::kFloatLow;
  const bool above = hi > fused::kFloatHigh - 1;
  const int worst = above ? hi : lo;
  const bool doubles = worst <= 1022 && worst >= -1021;
  const std::string where =
      s.float_left_at.empty() ? std::string() : "; they left it at " + s.float_left_at;
  if (log_scale)
    throw_error(caller, ": the kernel's variances span 2^", lo, " to 2^", hi,
                ", more than float32's range holds even with a common scale", where,
                ". Ask for precision = \"float64\"");
  throw_error(caller, ": the kernel's values reach ", about(worst), ", ", above ? "above" : "below",
              " float32's range (", above ? "3.4e38" : "1.2e-38", ")", where, ". Ask for ",
              doubles ? "precision = \"float64\", or " : "",
              "a common scale (log_scale = true returns K / 2^s and s)",
              doubles ? "" : " — the values are beyond the double range too",
              ", or use smaller weight scales (w_std), a shallower network or rescaled inputs");
}

}  // namespace

TiledMemory tiled_memory(arma::uword d, arma::uword n1, arma::uword n2, bool symmetric,
                         std::size_t rules, int matrices, const TiledOptions& options) {
  TiledMemory m;
  m.output = 4.0 * double(n1) * double(n2) * matrices;
  const double tile = double(tile_rows(options)) * double(tile_columns(n2, options));
  const double inputs = double(d) * double(n1 + (symmetric ? 0 : n2));
  m.working = double(omp_get_max_threads()) * tile * (options.float32_gram ? 4.0 : 8.0)
              + (options.float32_gram ? 4.0 * inputs : 0.0)           // float copies
              + 8.0 * double(n1 + n2) * double(rules + 2);            // prepared variances
  return m;
}

void check_kernel_memory(const std::string& what, double n1, double n2, int matrices,
                         double extra_bytes, double float32_bytes) {
  const double bytes = 8.0 * n1 * n2 * matrices + extra_bytes;
  if (bytes < 16e6 && !std::getenv("NTKLAB_MAX_BYTES")) return;
  const MemoryLimit limit = memory_limit();
  if (bytes <= limit.bytes) return;
  std::string hint;
  if (float32_bytes > 0 && float32_bytes <= limit.bytes)
    hint = "; as float32 it needs " + detail::gb(float32_bytes) +
           ": ask for precision = \"float32\"";
  else if (float32_bytes > 0)
    hint = "; as float32 it would still need " + detail::gb(float32_bytes) +
           ": use fewer examples";
  std::ostringstream size;
  size << n1 << " x " << n2 * matrices << " values";
  if (extra_bytes > 0) size << " and " << detail::gb(extra_bytes) << " more";
  throw_error(what, " would need ", size.str(), " = ", detail::gb(bytes), ", more than the ",
              detail::gb(limit.bytes), " available (bounded by ", limit.source,
              "; set NTKLAB_MAX_BYTES to change the RAM share)", hint);
}

void gram_upper(const arma::mat& a, arma::mat& out) {
  const arma::uword n = a.n_cols;
  const double scale = 1.0 / double(a.n_rows);
  for (arma::uword j0 = 0; j0 < n; j0 += kDefaultBlock)
    gram_block<double>(a, a, true, j0, std::min(j0 + kDefaultBlock, n), scale, out.colptr(j0), n);
}

void advise_huge_pages(void* data, std::size_t bytes) {
  constexpr std::uintptr_t huge = std::uintptr_t(1) << 21;
  const std::uintptr_t begin = reinterpret_cast<std::uintptr_t>(data), end = begin + bytes;
  const std::uintptr_t first = (begin + huge - 1) & ~(huge - 1), last = end & ~(huge - 1);
  if (last > first) madvise(reinterpret_cast<void*>(first), last - first, MADV_HUGEPAGE);
}

arma::fmat to_float32(arma::mat& m, const std::string& caller, const char* which) {
  arma::fmat out(m.n_rows, m.n_cols, arma::fill::none);
  advise_huge_pages(out);
  RangeFault fault;
  bool ok = true;
  for (arma::uword j = 0; j < m.n_cols && ok; ++j)
    ok = store_float(m.colptr(j), out.colptr(j), m.n_rows, 1.0, 0, j, which, fault);
  if (!ok)
    throw_error(caller, ": the ", which, " entry (", fault.i + 1, ", ", fault.j + 1, ") is ",
                fault.value, ", beyond float32's range (3.4e38); ask for precision = \"float64\"");
  m.reset();
  return out;
}

Float32Kernels tiled_float32_kernels(const arma::mat& a_in, const arma::mat& b_in,
                                     bool symmetric, const std::vector<Rule>& rules,
                                     bool want_nngp, bool want_ntk, bool log_scale,
                                     const std::string& caller, const ProgressSpan& progress,
                                     const TiledOptions& options) {
  Float32Kernels out;
  if (!want_nngp && !want_ntk) return out;
  const arma::mat& b_ref = symmetric ? a_in : b_in;
  // Inputs beyond about 1e±120 are divided by 2^e (input_kernel's prescale) before the Gram.
  const int prescale = input_prescale(a_in, b_ref, symmetric);
  KernelState s = input_variances(a_in, b_ref, symmetric, want_ntk, caller, prescale);
  const arma::uword d = a_in.n_rows, n1 = a_in.n_cols, n2 = b_ref.n_cols;
  const int matrices = int(want_nngp) + int(want_ntk);
  {
    TiledMemory need = tiled_memory(d, n1, n2, symmetric, rules.size(), matrices, options);
    if (prescale != 0) need.working += 8.0 * double(d) * double(n1 + (symmetric ? 0 : n2));
    if (need.total() >= 16e6 || std::getenv("NTKLAB_MAX_BYTES")) {
      const MemoryLimit limit = memory_limit();
      if (need.total() > limit.bytes)
        throw_error(caller, ": the ", n1, " x ", n2, " ",
                    matrices == 2 ? "NNGP and NTK" : (want_ntk ? "NTK" : "NNGP"),
                    " as float32 would need ", detail::gb(need.output), " (the kernel) + ",
                    detail::gb(need.working), " (working memory) = ", detail::gb(need.total()),
                    ", more than the ", detail::gb(limit.bytes), " available (bounded by ",
                    limit.source, "; set NTKLAB_MAX_BYTES to change the RAM share); use fewer "
                    "examples");
    }
  }
  // Prescaled copies only when needed (rare: inputs beyond 1e±120).
  arma::mat a_scaled, b_scaled;
  const arma::mat* a = &a_in;
  const arma::mat* b = &b_ref;
  if (prescale != 0) {
    a_scaled = a_in * std::ldexp(1.0, -prescale);
    a = &a_scaled;
    if (!symmetric) {
      b_scaled = b_ref * std::ldexp(1.0, -prescale);
      b = &b_scaled;
    } else {
      b = a;
    }
  }
  const arma::vec input_var1 = s.diag1;  // the Gram's diagonal (symmetric case)
  const fused::PreparedRules prepared = fused::prepare(s, rules);
  const int out_scale = output_scale(s, log_scale, caller);
  out.log2_scale = out_scale;
  // stored × 2^(log2_scale − out_scale) = true / 2^out_scale: |exponent| < 400, a double.
  const double factor = std::ldexp(1.0, s.log2_scale - out_scale);

  const bool with_ntk = want_ntk;
  if (want_nngp) {
    out.nngp.set_size(n1, n2);
    advise_huge_pages(out.nngp);
  }
  if (want_ntk) {
    out.ntk.set_size(n1, n2);
    advise_huge_pages(out.ntk);
  }
  if (n1 == 0 || n2 == 0) return out;

  // Option B's float copies, scaled so their largest entry is near 1 (float's range is
  // narrow); the Gram tile is then 2^(2m − 2·prescale) too small.
  arma::fmat af, bf;
  int gram_shift = 0;
  if (options.float32_gram) {
    double m = arma::abs(*a).max();
    if (!symmetric) m = std::max(m, double(arma::abs(*b).max()));
    const int e = fused::exponent_of(m, 0);
    af = arma::conv_to<arma::fmat>::from(*a * std::ldexp(1.0, -e));
    if (!symmetric) bf = arma::conv_to<arma::fmat>::from(*b * std::ldexp(1.0, -e));
    gram_shift = 2 * e;
  }
  const double gram_factor = std::ldexp(1.0, gram_shift);

  const std::vector<Tile> tiles = make_tiles(n1, n2, symmetric, options);
  const arma::uword tile_entries = tile_rows(options) * tile_columns(n2, options);
  ProgressCounter counter(progress, symmetric ? 0.5 * double(n2) * double(n2 + 1)
                                              : double(n1) * double(n2));
  const double inv_d = 1.0 / double(d);
  fused::PassFaults faults;
  RangeFault range;
  std::atomic<bool> stop{false};
  {
    const SingleThreadedBlas single;
#pragma omp parallel
    {
      // This thread's Gram tile (at most 4 MB) and chunk buffers.
      std::vector<double> gram(options.float32_gram ? 0 : tile_entries);
      std::vector<float> gram32(options.float32_gram ? tile_entries : 0);
      fused::ChunkBuffers buffers(prepared.nesting);
      fused::PassFaults mine;
      RangeFault my_range;
#pragma omp for schedule(dynamic, 1)
      for (std::size_t t = 0; t < tiles.size(); ++t) {
        if (stop.load(std::memory_order_relaxed)) continue;
        const Tile& tile = tiles[t];
        const arma::uword ld = tile.i1 - tile.i0;
        if (options.float32_gram)
          gram_tile<float>(af, symmetric ? af : bf, tile, float(inv_d), gram32.data());
        else
          gram_tile<double>(*a, *b, tile, inv_d, gram.data());
        double entries = 0;
        for (arma::uword j = tile.j0; j < tile.j1; ++j) {
          // One triangle: rows 0..j of column j (a square taller than the tile rows is split
          // into gemm tiles whose rows below the diagonal are skipped here).
          const arma::uword rows_end = symmetric ? std::min(tile.i1, j + 1) : tile.i1;
          const arma::uword c = j - tile.j0;
          for (arma::uword i0 = tile.i0; i0 < rows_end; i0 += fused::kChunk) {
            const arma::uword len = std::min(fused::kChunk, rows_end - i0);
            const arma::uword offset = c * ld + (i0 - tile.i0);
            auto load = [&] {
              double* dst = buffers.c.data();
              if (options.float32_gram) {
                const float* src = gram32.data() + offset;
                for (arma::uword i = 0; i < len; ++i) dst[i] = double(src[i]) * gram_factor;
              } else {
                std::copy_n(gram.data() + offset, len, dst);
              }
              // Σ(x_j, x_j) is the variance itself (input_kernel takes the variances from the
              // Gram's diagonal): their rounding difference would become √ulp in
              // √(Σ11Σ22 − Σ12²).
              if (symmetric && j >= i0 && j < i0 + len) dst[j - i0] = input_var1[j];
              if (with_ntk) std::fill_n(buffers.t.data(), len, 0.0);
            };
            if (!fused::carry_chunk(prepared, buffers, i0, len, j, symmetric, with_ntk, load,
                                    mine)) {
              stop = true;
              continue;
            }
            if (want_nngp &&
                !store_float(buffers.c.data(), out.nngp.colptr(j) + i0, len, factor, i0, j,
                             "NNGP", my_range))
              stop = true;
            if (want_ntk &&
                !store_float(buffers.t.data(), out.ntk.colptr(j) + i0, len, factor, i0, j, "NTK",
                             my_range))
              stop = true;
          }
          if (rows_end > tile.i0) entries += double(rows_end - tile.i0);
        }
        counter.add(entries);
      }
#pragma omp critical(ntk_tiled_faults)
      {
        faults.merge(mine);
        if (my_range.any && !range.any) range = my_range;
      }
    }
  }
  faults.throw_if_any(prepared, n1, n2);
  if (range.any) {
    const std::string last = prepared.rules.empty() ? std::string("the input kernel")
                                                    : fused::label_of(prepared.rules.back().rule);
    throw_error(caller, ": the ", range.which, " entry (", range.i + 1, ", ", range.j + 1, ") is ",
                about(std::ilogb(range.value) + out_scale), " after ", last,
                ", beyond float32's range (3.4e38); ask for precision = \"float64\"",
                log_scale ? "" : " or a common scale (log_scale = true)");
  }
  counter.finish();
  if (symmetric) {
    if (want_nngp) mirror_upper_float(out.nngp);
    if (want_ntk) mirror_upper_float(out.ntk);
  }
  return out;
}

}  // namespace ntk::sdk::layers
