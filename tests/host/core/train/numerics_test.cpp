// Training never dies in a bare LAPACK error or returns NaN without saying so (issue 13):
// a non-finite empirical NTK is refused with its cause and fix, and the closed form reports
// "diverged" as gradient descent does.
#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
#include <limits>
#include <sstream>
#include <string>

#include "core/train/gradient_descent.hpp"
#include "core/train/learning_rate.hpp"
#include "core/train/linearized.hpp"
#include "ntk/sdk/error.hpp"
#include "toy_networks.hpp"

using namespace ntk::core::train;
using ntk::test::gaussian;

namespace {

Labelled make_set(arma::uword d, arma::uword n, arma::uword k, std::uint64_t seed,
                  double scale = 1) {
  return Labelled{ntk::sdk::Inputs::dense(scale * gaussian(d, n, seed)), gaussian(k, n, seed + 100)};
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const ntk::Error& e) {
    return e.what();
  }
  return "";
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("lr = auto refuses a non-finite NTK, saying whether the forward pass overflowed",
          "[train][numerics]") {
  // A linear model f = Wx on inputs of size 1e200: its outputs are finite (~1e200) but
  // Θ = xᵀx·I is 1e400, infinite: the derivatives overflowed.
  const Labelled huge = make_set(3, 5, 1, 11, 1e200);
  ntk::test::LinearNetwork net(3, 1, 12);
  TrainOptions options;  // lr "auto"
  options.max_steps = 3;
  const std::string derivatives = error_of([&] { gradient_descent(net, huge, options); });
  INFO(derivatives);
  CHECK(has(derivatives, "largest_kernel_eigenvalue(): the empirical NTK on the 5 training "
                         "examples has a non-finite entry (inf at 1, 1 of 5 x 5)"));
  CHECK(has(derivatives, "outputs are finite, so its derivatives overflowed"));
  CHECK(has(derivatives, "smaller w_std"));
  CHECK_FALSE(has(derivatives, "eig_sym"));

  // A NaN first-layer weight of a tanh network: the forward pass itself is not finite.
  const Labelled plain = make_set(3, 5, 1, 13);
  ntk::test::TanhNetwork tanh_net(3, 4, 1, 17);
  arma::vec w = tanh_net.params();
  w(0) = std::numeric_limits<double>::quiet_NaN();
  tanh_net.set_params(w);
  const std::string forward = error_of([&] { largest_kernel_eigenvalue(tanh_net, plain.x); });
  INFO(forward);
  CHECK(has(forward, "has a non-finite entry (nan at 1, 1"));
  CHECK(has(forward, "forward pass already gives non-finite outputs"));

  // Several outputs take the power iteration: the same cause is named there.
  ntk::test::LinearNetwork two(3, 2, 14);
  const std::string power = error_of([&] { largest_kernel_eigenvalue(two, huge.x); });
  INFO(power);
  CHECK(has(power, "non-finite J Jᵀ z (its outputs are finite, its derivatives overflowed)"));

  // The closed form checks the same kernel before its eigendecomposition.
  ClosedFormOptions closed;
  closed.steps = 10;
  const std::string closed_error =
      error_of([&] { linearized_closed_form(tanh_net, plain, closed); });
  CHECK(has(closed_error, "train.linearized_closed_form(): the empirical NTK"));
}

TEST_CASE("kernel_eigenvalues and checked_training_kernel on a finite kernel", "[train][numerics]") {
  // diag(1, 3) rotated: eigenvalues 1 and 3 by hand.
  const arma::mat theta = {{2, 1}, {1, 2}};
  arma::mat vectors;
  const arma::vec values = kernel_eigenvalues("here", theta, &vectors);
  CHECK(values(0) == Approx(1.0));
  CHECK(values(1) == Approx(3.0));
  CHECK(kernel_eigenvalues("here", theta, nullptr)(1) == Approx(3.0));
  const Labelled set = make_set(2, 2, 1, 15);
  ntk::test::LinearNetwork net(2, 1, 16);
  // Θ = XᵀX for f = Wx with one output.
  const arma::mat x = set.x.x();
  CHECK(arma::approx_equal(checked_training_kernel("here", net, set.x), x.t() * x, "reldiff",
                           1e-12));
}

TEST_CASE("linearized_closed_form reports \"diverged\" for a too-large lr, \"ok\" otherwise",
          "[train][numerics]") {
  const arma::uword d = 3, n = 6;
  const Labelled train = make_set(d, n, 1, 21);
  ntk::test::LinearNetwork net(d, 1, 22);
  const arma::mat x = train.x.x();
  const double lambda_max = arma::eig_sym(arma::mat(x.t() * x)).max();
  const double limit = 2 * double(n) / lambda_max;  // GD is stable for lr < 2n/λ_max

  ClosedFormOptions ok;
  ok.steps = 100;
  ok.lr = 0.5 * limit;
  const ClosedFormResult fine = linearized_closed_form(net, train, ok);
  CHECK(fine.status == "ok");
  CHECK(fine.message.empty());
  CHECK(std::isfinite(fine.train_loss));

  // lr = 1.5·limit: the top mode is multiplied by 1 − 3 = −2 each step. After 2000 steps
  // 2^2000 overflows: the first non-finite quantity is that mode's decay.
  ClosedFormOptions bad;
  bad.steps = 2000;
  bad.lr = 1.5 * limit;
  const ClosedFormResult blown = linearized_closed_form(net, train, bad);
  INFO(blown.message);
  CHECK(blown.status == "diverged");
  CHECK(has(blown.message, "train.linearized_closed_form(): diverged after 2000 steps"));
  CHECK(has(blown.message, "first non-finite quantity: the decay (1 - lr·λ/n)^steps = inf"));
  std::ostringstream stable;
  stable << "stable for lr < 2n/λ_max = " << limit;
  CHECK(has(blown.message, stable.str()));

  // After 100 steps (2^100 ≈ 1e30): all finite, but the loss grew far past its reference.
  bad.steps = 100;
  const ClosedFormResult grown = linearized_closed_form(net, train, bad);
  INFO(grown.message);
  CHECK(grown.status == "diverged");
  CHECK(std::isfinite(grown.train_loss));
  CHECK(has(grown.message, "first non-finite quantity: none (the train loss"));

  // Gradient flow has no stability limit.
  ClosedFormOptions flow;
  flow.time = 1e6;
  flow.lr = 10 * limit;
  CHECK(linearized_closed_form(net, train, flow).status == "ok");
}
