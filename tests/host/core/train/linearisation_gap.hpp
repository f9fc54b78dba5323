// Compare a network trained by GD with its linearisation at initialisation along training
// (Lee et al. 2019). Shared by the toy-network and the fc-plugin tests.
#pragma once

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <utility>

#include "core/train/gradient_descent.hpp"
#include "core/train/linearized.hpp"
#include "toy_networks.hpp"

namespace ntk::test {

using namespace ntk::core::train;

// A smooth regression target on inputs of norm √d: n training and n_test test points.
inline std::pair<Labelled, Labelled> smooth_regression(arma::uword d, arma::uword n,
                                                       arma::uword n_test, std::uint64_t seed) {
  arma::mat x = gaussian(d, n + n_test, seed);
  x.each_col([](arma::vec& c) { c *= std::sqrt(double(c.n_elem)) / arma::norm(c); });
  const arma::mat y = arma::sin(x.row(0)) + 0.5 * x.row(1);
  return {Labelled{sdk::Inputs::dense(x.head_cols(n)), y.head_cols(n)},
          Labelled{sdk::Inputs::dense(x.tail_cols(n_test)), y.tail_cols(n_test)}};
}

struct Deviation {
  double of_change = 0;  // max_s ‖f_s − f^lin_s‖ / ‖f^lin_s − f_0‖ (train and test together)
  double of_output = 0;  // max_s ‖f_s − f^lin_s‖ / ‖f^lin_s‖
  double final_train_loss = 0;
};

// Trains `net` by GD for `chunks` × `chunk` steps and compares its train+test predictions with
// the linearised model's after every chunk.
inline Deviation compare_with_linearised(ntk::sdk::Network& net, const Labelled& train,
                                         const Labelled& test, int chunks, arma::uword chunk) {
  ClosedFormOptions closed;  // "auto" lr, the same as GD's
  closed.steps = 0;
  const arma::mat f0 = arma::join_rows(net.forward(train.x), net.forward(test.x));
  TrainOptions options;
  options.max_steps = chunk;
  options.record_every = chunk;
  Deviation worst;
  // The closed form is taken at the checkpoint w0 = the initial parameters: keep a copy.
  const arma::vec w0 = net.params();
  for (int c = 1; c <= chunks; ++c) {
    const TrainResult r = gradient_descent(net, train, options, &test);
    if (c == 1) options.lr = closed.lr = r.lr;  // fix the step at its value at initialisation
    REQUIRE(r.status == Status::max_steps);
    const arma::vec w = net.params();
    net.set_params(w0);
    closed.steps = arma::uword(c) * chunk;
    const ClosedFormResult lin = linearized_closed_form(net, train, closed, &test.x);
    net.set_params(w);
    const arma::mat f = arma::join_rows(r.train_predictions, r.test_predictions);
    const arma::mat f_lin = arma::join_rows(lin.train_predictions, lin.test_predictions);
    const double gap = arma::norm(f - f_lin, "fro");
    worst.of_change = std::max(worst.of_change, gap / arma::norm(f_lin - f0, "fro"));
    worst.of_output = std::max(worst.of_output, gap / arma::norm(f_lin, "fro"));
    worst.final_train_loss = r.train_loss;
  }
  return worst;
}

}  // namespace ntk::test
