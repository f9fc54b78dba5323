// The resnet plugin's analytic kernels: B = 0 (and α = 0) reduce exactly to the fc and cnn
// kernels, the residual recursion equals independent long-double references (resnet_reference
// .hpp), and the SDK's residual rules keep the symmetric/cross and NNGP/NTK requests consistent.
#include <catch2/catch.hpp>
#include <cmath>

#include "cnn_architecture.hpp"
#include "fc_architecture.hpp"
#include "kernel_state.hpp"
#include "layers.hpp"
#include "layers_conv.hpp"
#include "layers_pool.hpp"
#include "ntk/sdk/error.hpp"
#include "resnet_architecture.hpp"
#include "resnet_reference.hpp"

using ntk::sdk::Inputs;
using ntk::sdk::Options;

namespace {

const ntk::sdk::KernelRequest kBoth{true, true};

double relative(const arma::mat& a, const arma::mat& b) {
  return arma::norm(a - b, "fro") / arma::norm(b, "fro");
}

}  // namespace

TEST_CASE("resnet mlp with B = 0 or alpha = 0 is the fc kernel of depth 1", "[resnet_kernel]") {
  // serial(Dense(w, b), φ, Dense(w, b)) = fc{depth = 1, w_std = w, b_std = b} when the readout
  // has the same standard deviations; α = 0 removes every branch from Σ and Θ.
  arma::arma_rng::set_seed(3);
  const Inputs a = Inputs::dense(arma::randn(6, 9)), b = Inputs::dense(arma::randn(6, 4));
  for (const std::string act : {"relu", "erf"}) {
    const Options fc_options{{"depth", 1.0}, {"activation", act}, {"w_std", 1.3}, {"b_std", 0.4}};
    const auto fc = ntk::fc::make_architecture(fc_options);
    const auto fc_sym = fc->kernels(a, a, kBoth), fc_cross = fc->kernels(a, b, kBoth);
    for (const auto& [blocks, alpha] : {std::pair{0.0, 1.0}, std::pair{3.0, 0.0}}) {
      const Options o{{"blocks", blocks}, {"alpha", alpha}, {"activation", act}, {"w_std", 1.3},
                      {"b_std", 0.4}, {"readout_w_std", 1.3}, {"readout_b_std", 0.4}};
      const auto res = ntk::resnet::make_architecture(o);
      const auto sym = res->kernels(a, a, kBoth), cross = res->kernels(a, b, kBoth);
      INFO(act << " blocks " << blocks << " alpha " << alpha);
      CHECK(relative(sym.nngp, fc_sym.nngp) < 1e-12);
      CHECK(relative(sym.ntk, fc_sym.ntk) < 1e-12);
      CHECK(relative(cross.nngp, fc_cross.nngp) < 1e-12);
      CHECK(relative(cross.ntk, fc_cross.ntk) < 1e-12);
    }
  }
}

TEST_CASE("resnet conv with B = 0 is the cnn kernel of depth 1", "[resnet_kernel]") {
  // serial(Conv, φ, readout, Dense) is cnn{depth = 1} with the same filter, padding, readout.
  arma::arma_rng::set_seed(4);
  const Inputs a = Inputs::images(arma::randn(2 * 4 * 5, 5), {2, 4, 5});
  const Inputs b = Inputs::images(arma::randn(2 * 4 * 5, 3), {2, 4, 5});
  for (const std::string readout : {"flatten", "gap"})
    for (const std::string padding : {"same", "circular"}) {
      const Options common{{"readout", readout}, {"padding", padding}, {"filter", 3.0},
                           {"w_std", 1.2}, {"b_std", 0.3}, {"readout_w_std", 0.9},
                           {"readout_b_std", 0.2}};
      Options cnn_options = common, res_options = common;
      cnn_options.set("depth", 1.0);
      res_options.set("kind", std::string("conv"));
      res_options.set("blocks", 0.0);
      const auto cnn = ntk::cnn::make_architecture(cnn_options);
      const auto res = ntk::resnet::make_architecture(res_options);
      INFO(readout << " " << padding);
      const auto want = cnn->kernels(a, b, kBoth), got = res->kernels(a, b, kBoth);
      CHECK(relative(got.nngp, want.nngp) < 1e-12);
      CHECK(relative(got.ntk, want.ntk) < 1e-12);
      const auto want_sym = cnn->kernels(a, a, kBoth), got_sym = res->kernels(a, a, kBoth);
      CHECK(relative(got_sym.ntk, want_sym.ntk) < 1e-12);
    }
}

TEST_CASE("resnet mlp kernels equal a long-double residual recursion", "[resnet_kernel]") {
  arma::arma_rng::set_seed(5);
  const arma::mat xa = arma::randn(7, 5), xb = arma::randn(7, 4);
  const Inputs a = Inputs::dense(xa), b = Inputs::dense(xb);
  double worst = 0;
  for (const bool relu : {true, false})
    for (const int blocks : {1, 4})
      for (const int depth : {1, 2, 3})
        for (const double alpha : {1.0, 0.5}) {
          resnet_reference::Config c;
          c.blocks = blocks;
          c.branch_depth = depth;
          c.alpha = alpha;
          c.relu = relu;
          c.w = 1.3;
          c.b = 0.2;
          c.readout_w = 0.8;
          c.readout_b = 0.1;
          const Options o{{"blocks", double(blocks)}, {"branch_depth", double(depth)},
                          {"alpha", alpha}, {"activation", std::string(relu ? "relu" : "erf")},
                          {"w_std", 1.3}, {"b_std", 0.2}, {"readout_w_std", 0.8},
                          {"readout_b_std", 0.1}};
          const auto arch = ntk::resnet::make_architecture(o);
          const auto cross = arch->kernels(a, b, kBoth), sym = arch->kernels(a, a, kBoth);
          for (arma::uword i = 0; i < 5; ++i)
            for (arma::uword j = 0; j < 4; ++j) {
              const auto [s, t] = resnet_reference::dense_pair(c, xa.col(i), xb.col(j));
              worst = std::max(worst, std::abs(cross.nngp(i, j) - double(s)) / std::abs(double(s)));
              worst = std::max(worst, std::abs(cross.ntk(i, j) - double(t)) / std::abs(double(t)));
            }
          for (arma::uword i = 0; i < 5; ++i)
            for (arma::uword j = 0; j < 5; ++j) {
              const auto [s, t] = resnet_reference::dense_pair(c, xa.col(i), xa.col(j));
              worst = std::max(worst, std::abs(sym.nngp(i, j) - double(s)) / std::abs(double(s)));
              worst = std::max(worst, std::abs(sym.ntk(i, j) - double(t)) / std::abs(double(t)));
            }
        }
  WARN("resnet mlp vs long-double recursion: largest relative difference " << worst);
  CHECK(worst < 1e-12);
}

TEST_CASE("resnet conv kernels equal a long-double pixel-pair recursion", "[resnet_kernel]") {
  arma::arma_rng::set_seed(6);
  const int C = 2, H = 4, W = 3;
  const arma::mat xa = arma::randn(C * H * W, 3), xb = arma::randn(C * H * W, 2);
  const Inputs a = Inputs::images(xa, {C, H, W}), b = Inputs::images(xb, {C, H, W});
  double worst = 0;
  for (const bool relu : {true, false})
    for (const bool gap : {false, true})
      for (const double alpha : {1.0, 0.6}) {
        resnet_reference::Config c;
        c.blocks = 2;
        c.branch_depth = 2;
        c.alpha = alpha;
        c.relu = relu;
        c.gap = gap;
        c.w = 1.1;
        c.b = 0.3;
        c.readout_w = 1.2;
        c.readout_b = 0.2;
        const Options o{{"kind", std::string("conv")}, {"blocks", 2.0}, {"alpha", alpha},
                        {"activation", std::string(relu ? "relu" : "erf")},
                        {"readout", std::string(gap ? "gap" : "flatten")}, {"w_std", 1.1},
                        {"b_std", 0.3}, {"readout_w_std", 1.2}, {"readout_b_std", 0.2}};
        const auto arch = ntk::resnet::make_architecture(o);
        const auto cross = arch->kernels(a, b, kBoth), sym = arch->kernels(a, a, kBoth);
        for (arma::uword i = 0; i < 3; ++i)
          for (arma::uword j = 0; j < 3; ++j) {
            const bool in_b = j < 2;
            const auto [s, t] = resnet_reference::image_pair(c, xa.col(i), xa.col(j), C, H, W);
            worst = std::max(worst, std::abs(sym.nngp(i, j) - double(s)) / std::abs(double(s)));
            worst = std::max(worst, std::abs(sym.ntk(i, j) - double(t)) / std::abs(double(t)));
            if (!in_b) continue;
            const auto [sc, tc] = resnet_reference::image_pair(c, xa.col(i), xb.col(j), C, H, W);
            worst = std::max(worst, std::abs(cross.nngp(i, j) - double(sc)) / std::abs(double(sc)));
            worst = std::max(worst, std::abs(cross.ntk(i, j) - double(tc)) / std::abs(double(tc)));
          }
      }
  WARN("resnet conv vs long-double pixel-pair recursion: largest relative difference " << worst);
  CHECK(worst < 1e-12);
}

TEST_CASE("resnet kernels: symmetric, cross and single requests agree", "[resnet_kernel]") {
  arma::arma_rng::set_seed(7);
  const Inputs a = Inputs::dense(arma::randn(5, 8));
  // The cross kernel between columns 0..3 and 4..7 is a block of the symmetric one (no pair of
  // identical examples, whose entries the symmetric kernel takes from the variances).
  const Inputs left = Inputs::dense(a.x().cols(0, 3)), right = Inputs::dense(a.x().cols(4, 7));
  const auto arch = ntk::resnet::make_architecture({{"blocks", 5.0}, {"alpha", 0.4}, {"b_std", 0.1}});
  const auto sym = arch->kernels(a, a, kBoth);
  CHECK(arma::norm(sym.ntk - sym.ntk.t(), "fro") == 0.0);
  const auto cross = arch->kernels(left, right, kBoth);
  CHECK(relative(cross.ntk, sym.ntk.submat(0, 4, 3, 7)) < 1e-14);
  CHECK(relative(cross.nngp, sym.nngp.submat(0, 4, 3, 7)) < 1e-14);
  const auto ntk_only = arch->kernels(a, a, {false, true});
  const auto nngp_only = arch->kernels(a, a, {true, false});
  CHECK(ntk_only.nngp.is_empty());
  CHECK(relative(ntk_only.ntk, sym.ntk) < 1e-15);
  CHECK(relative(nngp_only.nngp, sym.nngp) < 1e-15);
  // PSD: the smallest eigenvalue is not meaningfully negative.
  const arma::vec eig = arma::eig_sym(sym.ntk);
  CHECK(eig.min() > -1e-12 * eig.max());
}

TEST_CASE("SDK residual rules: nested blocks equal the composition by hand; unbalanced refused",
          "[resnet_kernel]") {
  namespace L = ntk::sdk::layers;
  arma::arma_rng::set_seed(8);
  const arma::mat x = arma::randn(4, 6), y = arma::randn(4, 3);
  // x ↦ x1 + b·branch2(x1), x1 = x0 + a·branch1(x0): one apply_rules call with nested blocks…
  const double a = 0.7, b = 1.3;
  ntk::sdk::KernelState s = L::input_kernel(x, y, false, true);
  L::apply_rules(s, {L::dense(1.2, 0.1), L::residual_start(), L::relu(), L::dense(1.1, 0.2),
                     L::residual_sum(a), L::residual_start(), L::erf(), L::dense(0.9, 0.3),
                     L::residual_sum(b)});
  // …against separate calls on copies of the state and the sums written out.
  ntk::sdk::KernelState s0 = L::input_kernel(x, y, false, true);
  L::apply_rules(s0, {L::dense(1.2, 0.1)});
  auto add = [](const ntk::sdk::KernelState& base, const ntk::sdk::KernelState& branch, double alpha) {
    ntk::sdk::KernelState out = base;
    out.nngp = base.nngp + alpha * alpha * branch.nngp;
    out.ntk = base.ntk + alpha * alpha * branch.ntk;
    out.diag1 = base.diag1 + alpha * alpha * branch.diag1;
    out.diag2 = base.diag2 + alpha * alpha * branch.diag2;
    return out;
  };
  ntk::sdk::KernelState branch1 = s0;
  L::apply_rules(branch1, {L::relu(), L::dense(1.1, 0.2)});
  const ntk::sdk::KernelState s1 = add(s0, branch1, a);
  ntk::sdk::KernelState branch2 = s1;
  L::apply_rules(branch2, {L::erf(), L::dense(0.9, 0.3)});
  const ntk::sdk::KernelState s2 = add(s1, branch2, b);
  CHECK(relative(s.nngp, s2.nngp) < 1e-15);
  CHECK(relative(s.ntk, s2.ntk) < 1e-15);
  CHECK(arma::norm(s.diag1 - s2.diag1) <= 1e-15 * arma::norm(s2.diag1));
  CHECK(s.gaussian);
  // A block nested inside another: ((x + a·f(x)) inside the outer branch).
  ntk::sdk::KernelState nested = L::input_kernel(x, y, false, true);
  L::apply_rules(nested, {L::dense(1.0, 0.0), L::residual_start(), L::relu(), L::dense(1.0, 0.0),
                          L::residual_start(), L::relu(), L::dense(1.0, 0.0), L::residual_sum(a),
                          L::residual_sum(b)});
  ntk::sdk::KernelState n0 = L::input_kernel(x, y, false, true);
  L::apply_rules(n0, {L::dense(1.0, 0.0)});
  ntk::sdk::KernelState outer = n0;
  L::apply_rules(outer, {L::relu(), L::dense(1.0, 0.0)});
  ntk::sdk::KernelState inner = outer;
  L::apply_rules(inner, {L::relu(), L::dense(1.0, 0.0)});
  const ntk::sdk::KernelState want = add(n0, add(outer, inner, a), b);
  CHECK(relative(nested.ntk, want.ntk) < 1e-15);

  ntk::sdk::KernelState bad = L::input_kernel(x, y, false, true);
  CHECK_THROWS_WITH(L::apply_rules(bad, {L::dense(1, 0), L::residual_sum(1)}),
                    Catch::Contains("has no residual_start() before it"));
  CHECK_THROWS_WITH(L::apply_rules(bad, {L::dense(1, 0), L::residual_start(), L::relu()}),
                    Catch::Contains("without their residual_sum(alpha)"));
  CHECK_THROWS_WITH(L::residual_sum(std::nan("")), Catch::Contains("must be a finite number"));
  const ntk::sdk::ImageShape shape{1, 3, 3};
  const arma::mat img = arma::randn(9, 2);
  CHECK_THROWS_WITH(L::image_kernel(img, img, shape, true, {L::conv(1, 0, 3), L::image_residual_start()},
                                    L::flatten(), true),
                    Catch::Contains("without their residual_sum(alpha)"));
  CHECK_THROWS_WITH(L::image_kernel(img, img, shape, true, {L::conv(1, 0, 3), L::image_residual_sum(1)},
                                    L::flatten(), true),
                    Catch::Contains("has no residual_start before it"));
}
