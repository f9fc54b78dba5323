// The cnn plugin as a composition of SDK layers against the previous implementation's kernel:
// the SDK rule fold it called directly (sdk/src/layers_conv.hpp: image_kernel over the conv
// rules and the spatial readout, then the readout Dense rule, finish), reproduced here.
#include <catch2/catch.hpp>
#include <algorithm>
#include <cstdio>

#include "cnn_architecture.hpp"
#include "kernel_state.hpp"
#include "layers.hpp"
#include "layers_conv.hpp"
#include "layers_pool.hpp"

using namespace ntk;

namespace {

sdk::Kernels previous_cnn_kernels(const cnn::CnnConfig& c, const sdk::Inputs& a,
                                  const sdk::Inputs& b, sdk::KernelRequest what) {
  namespace L = sdk::layers;
  std::vector<L::ImageRule> rules;
  for (int l = 0; l < c.depth; ++l) {
    rules.push_back(L::conv(c.w_std, c.b_std, c.filter,
                            c.padding == sdk::Padding::same ? L::Padding::same : L::Padding::circular));
    rules.push_back(c.activation == cnn::Activation::relu ? L::image_relu() : L::image_erf());
  }
  const L::SpatialReadout readout = c.readout == cnn::Readout::flatten ? L::flatten()
                                    : c.readout == cnn::Readout::gap
                                        ? L::global_average_pool()
                                        : L::average_pool(c.pool_window, c.pool_stride);
  const bool symmetric = &a == &b;
  sdk::KernelState s = L::image_kernel(a.x(), b.x(), a.shape(), symmetric, rules, readout,
                                       what.ntk, c.precision, "ref");
  L::apply_rules(s, {L::dense(c.readout_w_std, c.readout_b_std)}, what.nngp);
  L::finish(s);
  sdk::Kernels out;
  if (what.nngp) out.nngp = std::move(s.nngp);
  if (what.ntk) out.ntk = std::move(s.ntk);
  return out;
}

double max_relative(const arma::mat& a, const arma::mat& b) {
  return arma::abs(a - b).max() / arma::abs(b).max();
}

}  // namespace

TEST_CASE("cnn kernels equal the previous implementation's rule fold", "[cnn_kernel]") {
  arma::arma_rng::set_seed(51);
  const sdk::Inputs a = sdk::Inputs::images(arma::randn(2 * 5 * 6, 7), {2, 5, 6});
  const sdk::Inputs b = sdk::Inputs::images(arma::randn(2 * 5 * 6, 4), {2, 5, 6});
  double worst = 0;
  int cases = 0;
  for (const char* readout : {"flatten", "gap", "pool"})
    for (const char* padding : {"same", "circular"})
      for (const char* act : {"relu", "erf"})
        for (const char* precision : {"float64", "float32"})
          for (double depth : {1.0, 3.0}) {
            const sdk::Options o{{"readout", std::string(readout)}, {"padding", std::string(padding)},
                                 {"activation", std::string(act)}, {"precision", std::string(precision)},
                                 {"depth", depth}, {"w_std", 1.3}, {"b_std", 0.2},
                                 {"readout_w_std", 0.9}, {"readout_b_std", 0.1},
                                 {"pool_window", 2.0}, {"pool_stride", 1.0}, {"outputs", 2.0}};
            const auto arch = cnn::make_architecture(o);
            const auto config = cnn::read_config(o);
            for (bool symmetric : {true, false})
              for (sdk::KernelRequest what : {sdk::KernelRequest{true, true},
                                              sdk::KernelRequest{false, true},
                                              sdk::KernelRequest{true, false}}) {
                const sdk::Inputs& y = symmetric ? a : b;
                const auto now = arch->kernels(a, y, what);
                const auto before = previous_cnn_kernels(config, a, y, what);
                INFO(readout << " " << padding << " " << act << " " << precision << " depth "
                             << depth << " symmetric " << symmetric);
                if (what.nngp) {
                  const double e = max_relative(now.nngp, before.nngp);
                  CHECK(e <= 1e-13);
                  worst = std::max(worst, e);
                }
                if (what.ntk) {
                  const double e = max_relative(now.ntk, before.ntk);
                  CHECK(e <= 1e-13);
                  worst = std::max(worst, e);
                }
                ++cases;
              }
          }
  std::printf("cnn composition vs previous rule fold: %d requests, largest relative difference "
              "%.2e\n", cases, worst);
}

TEST_CASE("cnn outputs and fixed layers", "[cnn_network]") {
  arma::arma_rng::set_seed(52);
  const sdk::Inputs x = sdk::Inputs::images(arma::randn(1 * 5 * 5, 3), {1, 5, 5});
  // k outputs: the same scalar kernel; networks have k rows and their NTK is J Jᵀ.
  const auto one = cnn::make_architecture({{"readout", std::string("gap")}});
  const auto three = cnn::make_architecture({{"readout", std::string("gap")}, {"outputs", 3.0}});
  CHECK(arma::approx_equal(one->kernels(x, x, {}).ntk, three->kernels(x, x, {}).ntk, "absdiff", 0));
  const auto net = three->network({5, 2});
  CHECK(net->forward(x).n_rows == 3);
  const arma::mat jac = net->jacobian(x);
  CHECK(arma::norm(net->ntk_full(x, x) - jac * jac.t(), "fro") <= 1e-12 * arma::norm(jac * jac.t(), "fro"));
  // fixed_layers = depth: only the readout is trained, so the NTK is the readout's NNGP term.
  const auto fixed = cnn::make_architecture({{"readout", std::string("gap")}, {"fixed_layers", 2.0}});
  const auto k = fixed->kernels(x, x, {true, true});
  CHECK(arma::norm(k.ntk - k.nngp, "fro") <= 1e-13 * arma::norm(k.nngp, "fro"));
  // … and the empirical NTK converges to it (the frozen convs give no gradient).
  arma::mat mean(3, 3, arma::fill::zeros);
  for (int s = 0; s < 32; ++s) mean += fixed->network({256, std::uint64_t(70 + s)})->ntk(x, x);
  mean /= 32;
  const double mc = arma::norm(mean - k.ntk, "fro") / arma::norm(k.ntk, "fro");
  std::printf("cnn fixed_layers = depth: Monte-Carlo NTK (32 x 256 channels) relative error %.3f\n", mc);
  CHECK(mc < 0.06);
  CHECK_THROWS_WITH(cnn::make_architecture({{"fixed_layers", 3.0}}), Catch::Contains("0..depth"));
}
