// The fc plugin as a composition of SDK layers against the previous implementation's kernel:
// the SDK rule fold it called directly (sdk/src/layers.hpp: input_kernel, apply_rules with the
// first fixed_layers (Dense, φ) pairs run without the NTK, finish), reproduced here.
#include <catch2/catch.hpp>
#include <algorithm>
#include <cstdio>

#include "fc_architecture.hpp"
#include "kernel_state.hpp"
#include "layers.hpp"

using ntk::sdk::Inputs;
using ntk::sdk::Options;

namespace {

ntk::sdk::Kernels previous_fc_kernels(const ntk::fc::FcConfig& c, const arma::mat& xa,
                                      const arma::mat& xb, bool symmetric,
                                      ntk::sdk::KernelRequest what) {
  namespace L = ntk::sdk::layers;
  std::vector<L::Rule> rules;
  for (int l = 0; l < c.depth; ++l) {
    rules.push_back(L::dense(c.w_std, c.b_std, c.parametrization, c.standard_width));
    rules.push_back(c.activation == ntk::fc::Activation::relu ? L::relu() : L::erf());
  }
  rules.push_back(L::dense(c.w_std, c.b_std, c.parametrization, double(c.outputs)));
  const std::size_t frozen = what.ntk ? 2 * std::size_t(c.fixed_layers) : 0;
  ntk::sdk::KernelState s = L::input_kernel(xa, xb, symmetric, what.ntk && frozen == 0, "ref");
  if (frozen > 0) {
    L::apply_rules(s, {rules.begin(), rules.begin() + std::ptrdiff_t(frozen)});
    s.track_ntk = true;
    s.ntk_is_zero = true;
  }
  L::apply_rules(s, {rules.begin() + std::ptrdiff_t(frozen), rules.end()}, what.nngp);
  L::finish(s);
  ntk::sdk::Kernels out;
  if (what.nngp) out.nngp = std::move(s.nngp);
  if (what.ntk) out.ntk = std::move(s.ntk);
  return out;
}

double max_relative(const arma::mat& a, const arma::mat& b) {
  return arma::abs(a - b).max() / arma::abs(b).max();
}

}  // namespace

TEST_CASE("fc kernels equal the previous implementation's rule fold", "[fc]") {
  arma::arma_rng::set_seed(41);
  const Inputs a = Inputs::dense(arma::randn(9, 14)), b = Inputs::dense(arma::randn(9, 8));
  const Inputs images = Inputs::images(arma::randn(2 * 3 * 3, 6), {2, 3, 3});
  double worst = 0;
  int cases = 0;
  for (const char* act : {"relu", "erf"})
    for (const char* param : {"ntk", "standard"})
      for (int depth : {0, 1, 3})
        for (int fixed = 0; fixed <= depth; fixed += 2)
          for (double k : {1.0, 3.0}) {
            Options o{{"activation", std::string(act)}, {"parametrization", std::string(param)},
                      {"depth", double(depth)}, {"fixed_layers", double(fixed)}, {"w_std", 1.3},
                      {"b_std", 0.4}, {"outputs", k}};
            if (std::string(param) == "standard") o.set("standard_width", 256.0);
            const auto arch = ntk::fc::make_architecture(o);
            const auto config = ntk::fc::read_config(o);
            for (int setting = 0; setting < 3; ++setting) {
              const Inputs& x = setting == 2 ? images : a;
              const Inputs& y = setting == 1 ? b : x;
              for (ntk::sdk::KernelRequest what :
                   {ntk::sdk::KernelRequest{true, true}, ntk::sdk::KernelRequest{false, true},
                    ntk::sdk::KernelRequest{true, false}}) {
                const auto now = arch->kernels(x, y, what);
                const auto before = previous_fc_kernels(config, x.x(), y.x(), &x == &y, what);
                INFO(act << " " << param << " depth " << depth << " fixed " << fixed << " k " << k
                         << " setting " << setting);
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
          }
  std::printf("fc composition vs previous rule fold: %d requests, largest relative difference "
              "%.2e\n", cases, worst);
}
