// The resnet plugin as a composition of SDK layers against the previous implementation's
// kernel — the SDK rule fold it called directly (sdk/src/layers.hpp: input_kernel, apply_rules
// with residual_start / residual_sum; sdk/src/layers_conv.hpp: image_kernel, then the readout
// Dense), reproduced here — and the options every composition carries (fixed layers, the
// standard parametrisation for kind = "mlp", float32 image kernels).
#include <catch2/catch.hpp>
#include <algorithm>
#include <cstdio>

#include "fc_architecture.hpp"
#include "kernel_state.hpp"
#include "layers.hpp"
#include "layers_conv.hpp"
#include "layers_pool.hpp"
#include "resnet_architecture.hpp"

using namespace ntk;

namespace {

sdk::Kernels previous_resnet_kernels(const resnet::ResnetConfig& c, const sdk::Inputs& a,
                                     const sdk::Inputs& b, sdk::KernelRequest what) {
  namespace L = sdk::layers;
  const bool symmetric = &a == &b, relu = c.activation == resnet::Activation::relu;
  sdk::KernelState s;
  if (c.kind == resnet::Kind::mlp) {
    std::vector<L::Rule> rules{L::dense(c.w_std, c.b_std)};
    for (int blk = 0; blk < c.blocks; ++blk) {
      rules.push_back(L::residual_start());
      for (int l = 0; l < c.branch_depth; ++l) {
        rules.push_back(relu ? L::relu() : L::erf());
        rules.push_back(L::dense(c.w_std, c.b_std));
      }
      rules.push_back(L::residual_sum(c.alpha));
    }
    rules.push_back(relu ? L::relu() : L::erf());
    rules.push_back(L::dense(c.readout_w_std, c.readout_b_std));
    s = L::input_kernel(a.x(), b.x(), symmetric, what.ntk, "ref");
    L::apply_rules(s, rules, what.nngp);
  } else {
    std::vector<L::ImageRule> rules{L::conv(c.w_std, c.b_std, c.filter, c.padding)};
    for (int blk = 0; blk < c.blocks; ++blk) {
      rules.push_back(L::image_residual_start());
      for (int l = 0; l < c.branch_depth; ++l) {
        rules.push_back(relu ? L::image_relu() : L::image_erf());
        rules.push_back(L::conv(c.w_std, c.b_std, c.filter, c.padding));
      }
      rules.push_back(L::image_residual_sum(c.alpha));
    }
    rules.push_back(relu ? L::image_relu() : L::image_erf());
    const L::SpatialReadout readout =
        c.readout == resnet::Readout::flatten ? L::flatten() : L::global_average_pool();
    s = L::image_kernel(a.x(), b.x(), a.shape(), symmetric, rules, readout, what.ntk,
                        L::Precision::float64, "ref");
    L::apply_rules(s, {L::dense(c.readout_w_std, c.readout_b_std)}, what.nngp);
  }
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

TEST_CASE("resnet kernels equal the previous implementation's rule fold", "[resnet_kernel]") {
  arma::arma_rng::set_seed(61);
  const sdk::Inputs va = sdk::Inputs::dense(arma::randn(6, 9)), vb = sdk::Inputs::dense(arma::randn(6, 5));
  const sdk::Inputs ia = sdk::Inputs::images(arma::randn(2 * 4 * 5, 5), {2, 4, 5});
  const sdk::Inputs ib = sdk::Inputs::images(arma::randn(2 * 4 * 5, 3), {2, 4, 5});
  double worst = 0;
  int cases = 0;
  for (const char* kind : {"mlp", "conv"})
    for (const char* act : {"relu", "erf"})
      for (double blocks : {0.0, 1.0, 3.0})
        for (double branch_depth : {1.0, 2.0})
          for (int variant = 0; variant < 2; ++variant) {
            sdk::Options o{{"kind", std::string(kind)}, {"activation", std::string(act)},
                           {"blocks", blocks}, {"branch_depth", branch_depth},
                           {"alpha", variant == 0 ? 1.0 : 0.6}, {"w_std", 1.2}, {"b_std", 0.3},
                           {"readout_w_std", 0.9}, {"readout_b_std", 0.2}, {"outputs", 2.0}};
            const bool conv = std::string(kind) == "conv";
            if (conv) {
              o.set("readout", std::string(variant == 0 ? "flatten" : "gap"));
              o.set("padding", std::string(variant == 0 ? "same" : "circular"));
            }
            const auto arch = resnet::make_architecture(o);
            const auto config = resnet::read_config(o);
            const sdk::Inputs& a = conv ? ia : va;
            for (bool symmetric : {true, false})
              for (sdk::KernelRequest what : {sdk::KernelRequest{true, true},
                                              sdk::KernelRequest{false, true},
                                              sdk::KernelRequest{true, false}}) {
                const sdk::Inputs& b = symmetric ? a : (conv ? ib : vb);
                const auto now = arch->kernels(a, b, what);
                const auto before = previous_resnet_kernels(config, a, b, what);
                INFO(kind << " " << act << " blocks " << blocks << " branch_depth " << branch_depth
                          << " variant " << variant << " symmetric " << symmetric);
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
  std::printf("resnet composition vs previous rule fold: %d requests, largest relative "
              "difference %.2e\n", cases, worst);
}

TEST_CASE("resnet fixed layers, standard parametrisation and float32", "[resnet_options]") {
  arma::arma_rng::set_seed(62);
  const arma::mat X = arma::randn(5, 4);
  const sdk::Inputs x = sdk::Inputs::dense(X);
  // Every hidden layer fixed: only the readout is trained, so the NTK is its NNGP term.
  const sdk::Options all{{"blocks", 2.0}, {"branch_depth", 2.0}, {"fixed_layers", 5.0}, {"b_std", 0.2}};
  const auto k = resnet::make_architecture(all)->kernels(x, x, {true, true});
  CHECK(arma::norm(k.ntk - k.nngp, "fro") <= 1e-13 * arma::norm(k.nngp, "fro"));
  CHECK_THROWS_WITH(resnet::make_architecture({{"blocks", 2.0}, {"fixed_layers", 6.0}}),
                    Catch::Contains("0..5"));
  // fixed_layers = F: the empirical NTK (frozen layers give no gradient) converges to it.
  const sdk::Options one{{"blocks", 1.0}, {"fixed_layers", 2.0}, {"b_std", 0.2}};
  const auto arch = resnet::make_architecture(one);
  const arma::mat analytic = arch->kernels(x, x, {false, true}).ntk;
  arma::mat mean(4, 4, arma::fill::zeros);
  for (int s = 0; s < 16; ++s) mean += arch->network({512, std::uint64_t(90 + s)})->ntk(x, x);
  mean /= 16;
  const double mc = arma::norm(mean - analytic, "fro") / arma::norm(analytic, "fro");
  const double full = arma::norm(resnet::make_architecture({{"blocks", 1.0}, {"b_std", 0.2}})
                                         ->kernels(x, x, {false, true}).ntk - analytic, "fro") /
                      arma::norm(analytic, "fro");
  std::printf("resnet fixed_layers = 2: Monte-Carlo NTK error %.3f (the full NTK differs by %.3f)\n",
              mc, full);
  CHECK(mc < 0.05);
  CHECK(full > 4 * mc);
  // Standard parametrisation, B = 0: serial(Dense, φ, Dense), which is fc depth 1.
  const auto res = resnet::make_architecture({{"blocks", 0.0}, {"parametrization", std::string("standard")},
                                              {"standard_width", 128.0}, {"w_std", 1.3}, {"b_std", 0.2},
                                              {"readout_w_std", 1.3}, {"readout_b_std", 0.2}});
  const auto fc = fc::make_architecture({{"depth", 1.0}, {"parametrization", std::string("standard")},
                                         {"standard_width", 128.0}, {"w_std", 1.3}, {"b_std", 0.2}});
  CHECK(max_relative(res->kernels(x, x, {false, true}).ntk, fc->kernels(x, x, {false, true}).ntk) < 1e-13);
  CHECK_THROWS_WITH(resnet::make_architecture({{"kind", std::string("conv")},
                                               {"parametrization", std::string("standard")},
                                               {"standard_width", 8.0}}),
                    Catch::Contains("kind = \"mlp\" only"));
  CHECK_THROWS_WITH(resnet::make_architecture({{"precision", std::string("float32")}}),
                    Catch::Contains("'precision' applies to kind = \"conv\" only"));
  // float32 image kernels: close to float64.
  const sdk::Inputs img = sdk::Inputs::images(arma::randn(2 * 4 * 4, 3), {2, 4, 4});
  const sdk::Options conv{{"kind", std::string("conv")}, {"readout", std::string("gap")}};
  sdk::Options conv32 = conv;
  conv32.set("precision", std::string("float32"));
  CHECK(max_relative(resnet::make_architecture(conv32)->kernels(img, img, {}).ntk,
                     resnet::make_architecture(conv)->kernels(img, img, {}).ntk) < 1e-4);
}
