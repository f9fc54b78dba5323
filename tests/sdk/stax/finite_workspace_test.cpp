// The workspace of finite composition networks (sdk/src/stax/finite_workspace.hpp, layer.hpp's
// workspace forms): buffers kept between calls must never change a result. Repeated calls
// give bitwise the same values as the first call and as a fresh network of the same seed,
// whatever batch sizes came before; vjp and jvp after forward (which reuse its pass) equal
// their values on a fresh network, and see an input changed in place or new parameters.
// vjp is also checked against Jᵀ r from jacobian(), which takes the layers' allocating forms
// one example at a time (an independent path through every layer).
#include <catch2/catch.hpp>

#include <functional>
#include <memory>
#include <random>

#include "derivative_checks.hpp"
#include "ntk/sdk/network_into.hpp"
#include "ntk/sdk/stax.hpp"

namespace st = ntk::sdk::stax;
using ntk::sdk::Inputs;
using ntk::sdk::Network;
using ntk::sdk::test::rel;

namespace {

bool same(const arma::mat& a, const arma::mat& b) {
  return a.n_rows == b.n_rows && a.n_cols == b.n_cols &&
         std::equal(a.begin(), a.end(), b.begin());  // bitwise, not within a tolerance
}

struct Case {
  const char* name;
  std::function<std::unique_ptr<Network>()> make;
  arma::mat pool;  // input columns to draw batches from
  ntk::sdk::ImageShape shape{0, 0, 0};
  Inputs batch(arma::uword first, arma::uword n) const {
    const arma::mat x = pool.cols(first, first + n - 1);
    return shape.size() == 0 ? Inputs::dense(x) : Inputs::images(x, shape);
  }
};

std::vector<Case> cases() {
  arma::arma_rng::set_seed(21);
  std::vector<Case> out;
  st::CompositionOptions o;
  o.outputs = 3;
  out.push_back({"dense, gelu, layer_norm, residual, relu, erf",
                 [o] {
                   return st::composition({st::dense(1.5, 0.1), st::activation("gelu"),
                                           st::dense(1.5, 0.1), st::layer_norm(),
                                           st::residual(0.5, {st::activation("relu"),
                                                              st::dense(1.4, 0.3)}),
                                           st::activation("erf"), st::dense(1.0, 0.2)},
                                          o)
                       ->network({16, 3});
                 },
                 arma::randn(7, 12)});
  st::ConvOptions same_conv, valid_conv;
  same_conv.w_std = 1.3;
  same_conv.b_std = 0.2;
  valid_conv.padding = ntk::sdk::Padding::valid;
  valid_conv.filter_height = 3;
  valid_conv.filter_width = 1;
  valid_conv.b_std = 0.1;
  out.push_back({"conv SAME, relu, residual conv, conv VALID 3x1, avg_pool, flatten",
                 [=] {
                   return st::composition(
                              {st::conv(same_conv), st::activation("relu"),
                               st::residual(0.7, {st::conv(same_conv), st::activation("erf")}),
                               st::conv(valid_conv), st::avg_pool(2, 1), st::flatten(),
                               st::dense(0.9, 0.1)},
                              o)
                       ->network({4, 5});
                 },
                 arma::randn(2 * 5 * 4, 12), ntk::sdk::ImageShape{2, 5, 4}});
  out.push_back({"conv, relu, global_avg_pool",
                 [=] {
                   return st::composition({st::conv(same_conv), st::activation("relu"),
                                           st::global_avg_pool(), st::dense(1.0, 0.0)},
                                          o)
                       ->network({5, 9});
                 },
                 arma::randn(1 * 4 * 4, 12), ntk::sdk::ImageShape{1, 4, 4}});
  return out;
}

}  // namespace

TEST_CASE("repeated forward and vjp calls give the same values at any batch size",
          "[stax][finite][workspace]") {
  for (const Case& c : cases()) {
    INFO(c.name);
    auto net = c.make();
    // Batch sizes up, down and up again: the buffers grow, shrink (memory kept) and regrow.
    for (const arma::uword n : {6, 2, 6, 9, 1, 9}) {
      INFO("batch of " << n);
      const Inputs x = c.batch(12 - n, n);
      arma::arma_rng::set_seed(n);
      const arma::mat r = arma::randn(3, n);
      const arma::mat f = net->forward(x);
      const arma::vec g = net->vjp(x, r);  // reuses the forward pass
      CHECK(same(net->forward(x), f));
      CHECK(same(net->vjp(x, r), g));
      auto fresh = c.make();
      CHECK(same(fresh->vjp(x, r), g));  // a vjp without any earlier pass
      CHECK(same(fresh->forward(x), f));
      // Jᵀ r from the per-example Jacobian (the layers' allocating forms).
      CHECK(rel(arma::vec(net->jacobian(x).t() * arma::vectorise(r)), g) < 1e-12);
    }
  }
}

TEST_CASE("vjp_into writes vjp's values into the caller's vector, reusing its memory",
          "[stax][finite][workspace]") {
  for (const Case& c : cases()) {
    INFO(c.name);
    auto net = c.make();
    REQUIRE(dynamic_cast<const ntk::sdk::VjpInto*>(net.get()) != nullptr);
    arma::vec into;  // empty: sized by the first call
    for (const arma::uword n : {6, 2, 6}) {
      const Inputs x = c.batch(12 - n, n);
      arma::arma_rng::set_seed(40 + n);
      const arma::mat r = arma::randn(3, n);
      const double* before = into.memptr();
      const bool sized = !into.is_empty();  // P does not depend on the batch
      ntk::sdk::vjp_into(*net, x, r, into);
      if (sized) CHECK(into.memptr() == before);  // no new vector once it has the size
      CHECK(same(into, c.make()->vjp(x, r)));     // a fresh network's vjp, bitwise
    }
  }
}

// A network that offers only vjp() (an SDK 4.0 plugin's): vjp_into falls back to it.
TEST_CASE("vjp_into falls back to vjp for networks without it", "[stax][finite][workspace]") {
  struct Plain : ntk::sdk::Network {
    arma::vec p = arma::vec{1.0, 2.0};
    arma::uword num_params() const override { return 2; }
    arma::uword outputs() const override { return 1; }
    const arma::vec& params() const override { return p; }
    void set_params(const arma::vec& v) override { p = v; }
    arma::mat forward(const Inputs& x) const override { return p.t() * x.x(); }
    arma::vec vjp(const Inputs& x, const arma::mat& r) const override { return x.x() * r.t(); }
    arma::mat jvp(const Inputs& x, const arma::vec& t) const override { return t.t() * x.x(); }
  } plain;
  const Inputs x = Inputs::dense(arma::mat{{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}});
  const arma::mat r = {{1.0, -1.0, 0.5}};
  arma::vec g;
  ntk::sdk::vjp_into(plain, x, r, g);
  CHECK(same(g, arma::vec{1.0 - 2.0 + 1.5, 4.0 - 5.0 + 3.0}));
}

TEST_CASE("vjp and jvp after forward see new parameters and inputs changed in place",
          "[stax][finite][workspace]") {
  for (const Case& c : cases()) {
    INFO(c.name);
    auto net = c.make();
    Inputs x = c.batch(0, 5);  // not const: one entry is changed below
    const Inputs other = c.batch(6, 3);
    // Networks draw their parameters at the first input: one forward on other examples.
    const auto fresh_at = [&](const arma::vec& params) {
      auto fresh = c.make();
      (void)fresh->forward(other);
      fresh->set_params(params);
      return fresh;
    };
    (void)net->forward(x);
    arma::arma_rng::set_seed(4);
    const arma::mat r = arma::randn(3, 5);
    const arma::vec v = arma::randn(net->num_params());

    // New parameters between forward and vjp / jvp.
    const arma::vec moved = net->params() + 0.01 * v;
    net->set_params(moved);
    auto fresh = fresh_at(moved);
    CHECK(same(net->vjp(x, r), fresh->vjp(x, r)));
    (void)net->forward(x);
    CHECK(same(net->jvp(x, v), fresh->jvp(x, v)));

    // The same Inputs object with one entry changed in place (as a script may change a
    // matrix between two calls): the kept pass must not be reused.
    (void)net->forward(x);
    const_cast<double&>(x.x()(1, 2)) += 0.5;
    auto fresh2 = fresh_at(moved);
    CHECK(same(net->vjp(x, r), fresh2->vjp(x, r)));
    CHECK(same(net->forward(x), fresh2->forward(x)));
  }
}

// The SDK 4.0 contract at the layer level: forward_into/backward_into give what the SDK 3
// forms give, backward_into WRITES the gradient (the buffer starts as NaN here; backward()
// adds into zeros), frozen layers write zeros, and r > 1 signal columns per example work.
TEST_CASE("each library layer's workspace forms match its allocating forms",
          "[stax][finite][workspace]") {
  using ntk::sdk::LayerCache;
  using ntk::sdk::Shape;
  st::ConvOptions conv, frozen_conv, valid_conv;
  conv.b_std = 0.3;
  frozen_conv.trainable = false;
  valid_conv.padding = ntk::sdk::Padding::valid;
  valid_conv.filter_width = 1;
  valid_conv.filter_height = 3;
  st::DenseOptions frozen_dense;
  frozen_dense.trainable = false;
  const Shape image = Shape::image(2, 4, 3), vector = Shape::vector(6);
  const std::vector<std::pair<ntk::sdk::LayerPtr, Shape>> layers = {
      {st::dense(1.3, 0.2), vector},       {st::dense(frozen_dense), vector},
      {st::activation("relu"), vector},    {st::activation("erf"), vector},
      {st::activation("gelu"), vector},    {st::layer_norm(), vector},
      {st::conv(conv), image},             {st::conv(frozen_conv), image},
      {st::conv(valid_conv), image},       {st::avg_pool(2, 1), image},
      {st::flatten(), image},              {st::global_avg_pool(), image},
      {st::residual(0.6, {st::activation("relu"), st::dense(1.1, 0.4)}), vector}};
  ntk::sdk::LayerContext context;
  context.width = 6;
  for (const auto& [layer, in_shape] : layers) {
    INFO(layer->name());
    const auto finite = layer->instantiate(in_shape, context);
    arma::arma_rng::set_seed(7);
    arma::vec p(finite->num_params());
    std::mt19937_64 rng(3);
    finite->init(p.memptr(), rng);
    const arma::uword n = 4, out = finite->output_shape().size();
    const arma::mat x = arma::randn(in_shape.size(), n);
    for (const arma::uword r : {1, 3}) {
      INFO("r = " << r);
      const arma::mat delta = arma::randn(out, n * r);
      LayerCache old_cache, new_cache;
      const arma::mat f_old = finite->forward(p.memptr(), x, &old_cache);
      const arma::mat f_new = finite->forward_into(p.memptr(), x, new_cache);
      CHECK(rel(f_new, f_old) < 1e-14);
      arma::vec g_old(p.n_elem, arma::fill::zeros);
      arma::vec g_new(p.n_elem);
      g_new.fill(arma::datum::nan);
      const arma::mat d_old = finite->backward(p.memptr(), old_cache, delta, r, g_old.memptr(), true);
      const arma::mat d_new =
          finite->backward_into(p.memptr(), new_cache, delta, r, g_new.memptr(), true);
      CHECK(rel(d_new, d_old) < 1e-14);
      CHECK(g_new.is_finite());
      if (p.n_elem > 0 && arma::norm(g_old) > 0) CHECK(rel(g_new, g_old) < 1e-14);
      if (p.n_elem > 0 && !finite->trainable()) CHECK(arma::norm(g_new) == 0);
      // jvp reads a cache of either form.
      const arma::vec dp = arma::randn(p.n_elem);
      const arma::mat din = arma::randn(in_shape.size(), n);
      CHECK(rel(finite->jvp(p.memptr(), dp.memptr(), new_cache, din),
                finite->jvp(p.memptr(), dp.memptr(), old_cache, din)) < 1e-14);
    }
  }
}

TEST_CASE("set_params refuses non-finite values and keeps the parameters",
          "[stax][finite][workspace]") {
  const Case c = cases().front();
  auto net = c.make();
  const Inputs x = c.batch(0, 3);
  const arma::mat f = net->forward(x);
  const arma::vec p = net->params();
  for (const double bad : {arma::datum::inf, -arma::datum::inf, arma::datum::nan}) {
    arma::vec q = p;
    q(q.n_elem / 2) = bad;
    CHECK_THROWS_WITH(net->set_params(q), Catch::Contains("non-finite"));
    CHECK(same(net->params(), p));
    CHECK(same(net->forward(x), f));
  }
  CHECK_THROWS_WITH(net->set_params(arma::vec(p.n_elem + 1, arma::fill::zeros)),
                    Catch::Contains("values, the network has"));
}
