// Float32 kernel output (KernelRequest::output, issue 14): every engine's float32 kernels are
// its float64 kernels rounded to float — vector compositions through the block driver
// (layers_tiled.hpp, several blocks, symmetric and cross, NNGP + NTK and each alone, residual,
// layer_norm, erf), images read as vectors, a cnn and a gnn (whole, converted at the end, and
// by tiles, float32_engine_tiles.hpp) — and the
// block driver never holds an n × n double matrix: under a memory cap that fits the float32
// kernel but not a float64 one, float32 succeeds (peak resident memory below the float64
// kernel's size) and float64 is refused with the float32 suggestion.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>

#include "layers_tiled.hpp"
#include "stax/float32_engine_tiles.hpp"
#include "ntk/sdk/stax.hpp"
#include "ntk/sdk/stax_graph.hpp"

namespace st = ntk::sdk::stax;
using ntk::sdk::Inputs;
using ntk::sdk::KernelRequest;
using ntk::sdk::Kernels;
using ntk::sdk::LayerPtr;
using ntk::sdk::Precision;

namespace {

// max |K32 − K64| / √(K64_ii K64_jj) for a symmetric kernel; for a cross kernel the scale is
// √(v1_i v2_j) from the two sets' own kernels (passed as diagonals).
double scaled_error(const arma::fmat& k32, const arma::mat& k64, const arma::vec& d1,
                    const arma::vec& d2) {
  REQUIRE(k32.n_rows == k64.n_rows);
  REQUIRE(k32.n_cols == k64.n_cols);
  double worst = 0;
  for (arma::uword j = 0; j < k64.n_cols; ++j)
    for (arma::uword i = 0; i < k64.n_rows; ++i)
      worst = std::max(worst, std::fabs(double(k32(i, j)) - k64(i, j)) / std::sqrt(d1[i] * d2[j]));
  return worst;
}
double scaled_error(const arma::fmat& k32, const arma::mat& k64) {
  const arma::vec d = k64.diag();
  return scaled_error(k32, k64, d, d);
}

KernelRequest request(bool nngp, bool ntk, Precision output) {
  KernelRequest r;
  r.nngp = nngp;
  r.ntk = ntk;
  r.output = output;
  return r;
}

// Float32 rounding alone: 2^-24 of the entry, which is at most the diagonal scale.
constexpr double kRounding = 1.0e-7;

// Both kernels of `arch` in float32 equal its float64 kernels rounded (symmetric and cross;
// NNGP + NTK, NTK alone, NNGP alone), and the float64 fields stay empty.
void check_against_float64(const ntk::sdk::Architecture& arch, const Inputs& x, const Inputs& y,
                           double tolerance = kRounding) {
  const Kernels k64 = arch.kernels(x, x, request(true, true, Precision::float64));
  const Kernels y64 = arch.kernels(y, y, request(true, true, Precision::float64));
  const Kernels c64 = arch.kernels(x, y, request(true, true, Precision::float64));
  const Kernels both = arch.kernels(x, x, request(true, true, Precision::float32));
  CHECK(both.nngp.is_empty());
  CHECK(both.ntk.is_empty());
  CHECK(both.log2_scale == 0);
  CHECK(scaled_error(both.nngp32, k64.nngp) <= tolerance);
  CHECK(scaled_error(both.ntk32, k64.ntk) <= tolerance);
  CHECK(both.nngp32.is_symmetric());
  CHECK(both.ntk32.is_symmetric());
  const Kernels ntk_only = arch.kernels(x, x, request(false, true, Precision::float32));
  CHECK(ntk_only.nngp32.is_empty());
  CHECK(scaled_error(ntk_only.ntk32, k64.ntk) <= tolerance);
  const Kernels nngp_only = arch.kernels(x, x, request(true, false, Precision::float32));
  CHECK(nngp_only.ntk32.is_empty());
  CHECK(scaled_error(nngp_only.nngp32, k64.nngp) <= tolerance);
  const Kernels cross = arch.kernels(x, y, request(true, true, Precision::float32));
  CHECK(cross.nngp32.n_rows == x.size());
  CHECK(cross.nngp32.n_cols == y.size());
  CHECK(scaled_error(cross.nngp32, c64.nngp, k64.nngp.diag(), y64.nngp.diag()) <= tolerance);
  CHECK(scaled_error(cross.ntk32, c64.ntk, k64.ntk.diag(), y64.ntk.diag()) <= tolerance);
}

std::vector<LayerPtr> mlp(int depth, const std::string& act, double w = 1.4, double b = 0.1) {
  std::vector<LayerPtr> layers;
  for (int l = 0; l < depth; ++l) {
    layers.push_back(st::dense(w, b));
    layers.push_back(st::activation(act));
  }
  layers.push_back(st::dense(w, b));
  return layers;
}

Inputs mnist_like(arma::uword d, arma::uword n, int seed) {
  arma::arma_rng::set_seed(seed);
  arma::mat x = arma::randu(d, n);
  x %= arma::conv_to<arma::mat>::from(arma::randu(d, n) < 0.2);
  return Inputs::dense(x);
}

struct ScopedEnv {
  std::string name;
  ScopedEnv(const char* n, const std::string& value) : name(n) { setenv(n, value.c_str(), 1); }
  ~ScopedEnv() { unsetenv(name.c_str()); }
};

// Peak resident memory (VmHWM), and its reset (Linux ≥ 4.0).
double peak_bytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmHWM:", 0) == 0) return 1024.0 * std::stod(line.substr(6));
  return -1;
}
double resident_bytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmRSS:", 0) == 0) return 1024.0 * std::stod(line.substr(6));
  return -1;
}
bool reset_peak() { return bool(std::ofstream("/proc/self/clear_refs") << "5"); }

}  // namespace

TEST_CASE("float32 output: fc relu and erf compositions are the float64 kernels rounded",
          "[stax][float32]") {
  const Inputs x = mnist_like(60, 70, 1), y = mnist_like(60, 45, 2);
  SECTION("relu depth 3") { check_against_float64(*st::composition(mlp(3, "relu"), {}), x, y); }
  SECTION("erf depth 2") { check_against_float64(*st::composition(mlp(2, "erf", 1.2, 0.3), {}), x, y); }
  SECTION("gelu (a generic activation) and layer_norm") {
    check_against_float64(*st::composition({st::dense(1.3, 0.2), st::activation("gelu"),
                                            st::dense(1.1), st::layer_norm(),
                                            st::activation("relu"), st::dense(1.0)},
                                           {}),
                          x, y);
  }
  SECTION("a residual composition") {
    check_against_float64(
        *st::composition({st::dense(1.5, 0.1), st::activation("relu"),
                          st::residual(0.5, {st::dense(1.4), st::activation("relu"), st::dense(1.2)}),
                          st::residual(0.7, {st::dense(1.1, 0.2), st::activation("erf"), st::dense(0.9)}),
                          st::dense(1.2, 0.1), st::activation("relu"), st::dense(1.0)},
                         {}),
        x, y);
  }
  SECTION("images read as vectors (plain flatten)") {
    const Inputs xi = Inputs::images(x.x(), {1, 6, 10}), yi = Inputs::images(y.x(), {1, 6, 10});
    check_against_float64(*st::composition({st::flatten(), st::dense(1.3, 0.1),
                                            st::activation("relu"), st::dense(1.0)},
                                           {}),
                          xi, yi);
  }
}

TEST_CASE("float32 output: the tile driver over uneven tiles", "[stax][float32]") {
  namespace ly = ntk::sdk::layers;
  const Inputs x = mnist_like(30, 203, 3), y = mnist_like(30, 150, 4);
  const std::vector<ly::Rule> rules = {ly::dense(1.4, 0.1), ly::relu(), ly::dense(1.4, 0.1),
                                       ly::relu(), ly::dense(1.4, 0.1)};
  auto reference = [&](const arma::mat& a, const arma::mat& b, bool symmetric) {
    ntk::sdk::KernelState s = ly::input_kernel(a, b, symmetric, true);
    ly::apply_rules(s, rules);
    ly::finish(s);
    return s;
  };
  const auto k64 = reference(x.x(), x.x(), true);
  const auto y64 = reference(y.x(), y.x(), true);
  const auto c64 = reference(x.x(), y.x(), false);
  // Columns per tile, and rows per tile (70: the diagonal squares of 300 columns are split).
  const std::pair<arma::uword, arma::uword> sizes[] = {{1, 0}, {17, 0}, {64, 0}, {300, 0},
                                                       {64, 50}, {300, 70}, {7, 1000}};
  for (const auto& [block, rows] : sizes) {
    CAPTURE(block, rows);
    ly::TiledOptions o;
    o.block = block;
    o.tile_rows = rows;
    const auto sym = ly::tiled_float32_kernels(x.x(), x.x(), true, rules, true, true, false,
                                               "test", {}, o);
    CHECK(scaled_error(sym.nngp, k64.nngp) <= kRounding);
    CHECK(scaled_error(sym.ntk, k64.ntk) <= kRounding);
    const auto cross = ly::tiled_float32_kernels(x.x(), y.x(), false, rules, true, true, false,
                                                 "test", {}, o);
    CHECK(scaled_error(cross.nngp, c64.nngp, k64.nngp.diag(), y64.nngp.diag()) <= kRounding);
    CHECK(scaled_error(cross.ntk, c64.ntk, k64.ntk.diag(), y64.ntk.diag()) <= kRounding);
  }
}

// Sets the float64 engines' float32 tile size for one test (0: the default).
struct EngineTile {
  explicit EngineTile(arma::uword tile) {
    ntk::sdk::stax_detail::set_float32_engine_tile(
        tile ? tile : ntk::sdk::stax_detail::kFloat32EngineTile);
  }
  ~EngineTile() {
    ntk::sdk::stax_detail::set_float32_engine_tile(ntk::sdk::stax_detail::kFloat32EngineTile);
  }
};

TEST_CASE("float32 output: cnn and gnn kernels are their float64 kernels rounded",
          "[stax][float32]") {
  // Whole, and by tiles of 2 and 4 examples (float32_engine_tiles.hpp: uneven last tiles,
  // symmetric diagonal tiles, mirrored ones, cross tiles).
  const arma::uword tile = GENERATE(arma::uword(0), arma::uword(2), arma::uword(4));
  CAPTURE(tile);
  const EngineTile engine_tile(tile);
  SECTION("cnn (conv tile engine, global average pool and flatten readouts)") {
    arma::arma_rng::set_seed(5);
    const Inputs x = Inputs::images(arma::randn(2 * 5 * 5, 9), {2, 5, 5});
    const Inputs y = Inputs::images(arma::randn(2 * 5 * 5, 6), {2, 5, 5});
    for (bool gap : {true, false}) {
      CAPTURE(gap);
      st::ConvOptions c;
      c.w_std = 1.3;
      c.b_std = 0.2;
      c.filter_height = c.filter_width = 3;
      std::vector<LayerPtr> layers = {st::conv(c), st::activation("relu"), st::conv(c),
                                      st::activation("relu")};
      layers.push_back(gap ? st::global_avg_pool() : st::flatten());
      layers.push_back(st::dense(0.9, 0.1));
      check_against_float64(*st::composition(layers, {}), x, y);
    }
  }
  SECTION("gnn (graph pair engine)") {
    auto graphs = [](std::initializer_list<arma::uword> sizes, std::uint64_t seed) {
      std::vector<ntk::sdk::Graph> out;
      for (arma::uword nodes : sizes) {
        std::mt19937_64 rng(seed++);
        std::uniform_real_distribution<double> unit(0.0, 1.0);
        arma::mat adj(nodes, nodes, arma::fill::zeros), f(3, nodes);
        for (arma::uword i = 0; i < nodes; ++i)
          for (arma::uword j = i + 1; j < nodes; ++j)
            if (unit(rng) < 0.5) adj(i, j) = adj(j, i) = 1.0;
        for (auto& v : f) v = unit(rng) - 0.5;
        out.push_back({arma::sp_mat(adj), arma::sp_mat(f)});
      }
      return Inputs::graphs(std::move(out));
    };
    const Inputs x = graphs({3, 5, 4, 6, 2}, 10), y = graphs({4, 3, 5}, 20);
    const st::GraphReadoutOptions o{ntk::sdk::GraphReduce::mean, ntk::sdk::GraphReduce::mean};
    const std::vector<LayerPtr> blocks = {
        st::serial({st::aggregate(ntk::sdk::GraphScale::degree), st::dense(1.3, 0.2),
                    st::activation("relu")})};
    const auto arch = st::composition(
        {st::graph_readout(blocks, o), st::dense(1.1, 0.3), st::activation("relu"), st::dense(1.0)},
        {});
    check_against_float64(*arch, x, y);
  }
}

TEST_CASE("float32 output: values beyond float's range are refused naming the layer",
          "[stax][float32]") {
  const Inputs x = mnist_like(20, 8, 6);
  // w_std = 15, depth 40: the variances grow by 112.5 a layer, 1e82 at the readout — doubles,
  // not floats.
  const auto arch = st::composition(mlp(40, "relu", 15.0, 0.0), {});
  const Kernels k64 = arch->kernels(x, x, request(false, true, Precision::float64));
  REQUIRE(k64.ntk.is_finite());
  try {
    arch->kernels(x, x, request(false, true, Precision::float32));
    FAIL("expected a refusal");
  } catch (const ntk::Error& e) {
    const std::string m = e.what();
    CHECK_THAT(m, Catch::Contains("float32's range") && Catch::Contains("layer ") &&
                      Catch::Contains("precision = \"float64\""));
  }
  // With a common scale the same kernel comes back as K / 2^s, s > 0.
  KernelRequest scaled = request(false, true, Precision::float32);
  scaled.log_scale = true;
  const Kernels k32 = arch->kernels(x, x, scaled);
  REQUIRE(k32.log2_scale > 0);
  const arma::mat back = arma::conv_to<arma::mat>::from(k32.ntk32) * std::ldexp(1.0, k32.log2_scale);
  CHECK(arma::abs(back - k64.ntk).max() <= 1e-6 * k64.ntk.max());
  // Variances 2^140 apart (one example × 2^-70; relu nets without biases are homogeneous):
  // beyond float's range at any one scale unless the smallest sits at float's smallest normal.
  arma::mat spread = x.x();
  spread.col(3) *= std::ldexp(1.0, -70);
  const Inputs xs = Inputs::dense(spread);
  const Kernels s64 = arch->kernels(xs, xs, request(false, true, Precision::float64));
  const Kernels s32 = arch->kernels(xs, xs, scaled);
  REQUIRE(s32.log2_scale != 0);
  const arma::mat s_back =
      arma::conv_to<arma::mat>::from(s32.ntk32) * std::ldexp(1.0, s32.log2_scale);
  CHECK(scaled_error(s32.ntk32, arma::mat(s64.ntk * std::ldexp(1.0, -s32.log2_scale))) <= kRounding);
  CHECK(std::fabs(s_back(3, 3) / s64.ntk(3, 3) - 1) <= 1e-6);
}

TEST_CASE("float32 output: no n x n double matrix for vector inputs (n = 3000)",
          "[stax][float32][memory]") {
  const arma::uword n = 3000;
  const Inputs x = mnist_like(40, n, 7);
  const auto arch = st::composition(mlp(3, "relu"), {});
  arch->kernels(x, x, request(false, true, Precision::float32));  // warm-up: BLAS and OpenMP buffers
  const double float64_kernel = 8.0 * n * n;  // 72 MB
  // A cap between the float32 kernel with its working memory (36 MB + ~13 MB) and the float64
  // kernel (72 MB).
  ScopedEnv cap("NTKLAB_MAX_BYTES", "60e6");
  try {
    arch->kernels(x, x, request(false, true, Precision::float64));
    FAIL("expected the float64 kernel to be refused");
  } catch (const ntk::Error& e) {
    const std::string m = e.what();
    CHECK_THAT(m, Catch::Contains("3000 x 3000 NTK") && Catch::Contains("0.072 GB") &&
                      Catch::Contains("as float32 it needs") &&
                      Catch::Contains("precision = \"float32\""));
  }
  const double before = resident_bytes();
  const bool measured = reset_peak();
  const Kernels k = arch->kernels(x, x, request(false, true, Precision::float32));
  const double growth = peak_bytes() - before;
  CHECK(k.ntk32.n_rows == n);
  CHECK(k.ntk32.is_finite());
  if (measured) {
    INFO("peak resident growth " << growth / 1e6 << " MB");
    CHECK(growth < 0.75 * float64_kernel);
  }
  // The conv engine computes in float64 and converts: its check counts both, and does not
  // suggest float32.
  const Inputs images = Inputs::images(arma::randu(1 * 3 * 3, 200), {1, 3, 3});
  st::ConvOptions c;
  c.filter_height = c.filter_width = 3;
  const auto cnn = st::composition({st::conv(c), st::activation("relu"), st::global_avg_pool(),
                                    st::dense()},
                                   {});
  {
    ScopedEnv tiny("NTKLAB_MAX_BYTES", "4e5");
    CHECK_THROWS_WITH(cnn->kernels(images, images, request(false, true, Precision::float32)),
                      Catch::Contains("in float64 and its float32 copy") &&
                          !Catch::Contains("ask for precision"));
  }
  // By tiles (float32_engine_tiles.hpp) the conv engine's float32 kernel needs its output and
  // one tile: it fits where the float64 matrix did not.
  {
    const EngineTile engine_tile(50);
    ScopedEnv tiny("NTKLAB_MAX_BYTES", "4e5");
    const Kernels tiled = cnn->kernels(images, images, request(false, true, Precision::float32));
    CHECK(tiled.ntk32.n_rows == 200);
    CHECK(tiled.ntk32.is_symmetric());
    ScopedEnv roomy("NTKLAB_MAX_BYTES", "60e6");
    const Kernels whole = cnn->kernels(images, images, request(false, true, Precision::float64));
    CHECK(scaled_error(tiled.ntk32, whole.ntk) <= kRounding);
  }
  ScopedEnv restored("NTKLAB_MAX_BYTES", "60e6");
  // The float32 kernel itself is refused, with its estimate, under a smaller cap.
  ScopedEnv small("NTKLAB_MAX_BYTES", "30e6");
  CHECK_THROWS_WITH(arch->kernels(x, x, request(false, true, Precision::float32)),
                    Catch::Contains("as float32 would need") && Catch::Contains("working memory"));
}

TEST_CASE("float32 output: progress rises to 1 from the calling thread", "[stax][float32]") {
  struct Recorder : ntk::sdk::ProgressSink {
    std::vector<double> fractions;
    void progress(double f) override { fractions.push_back(f); }
  } sink;
  const Inputs x = mnist_like(30, 1500, 8);
  KernelRequest r = request(true, true, Precision::float32);
  r.progress = &sink;
  st::composition(mlp(2, "relu"), {})->kernels(x, x, r);
  REQUIRE(sink.fractions.size() >= 2);
  CHECK(std::is_sorted(sink.fractions.begin(), sink.fractions.end()));
  CHECK(sink.fractions.front() >= 0);
  CHECK(sink.fractions.back() == 1.0);
}
