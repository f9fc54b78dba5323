// scripts/tangent_space.lua with convolutional networks on Fashion-MNIST (issue 15: Fort et al.
// 2020 with conv nets): a SMALL setting (3 classes, 60 images pooled to 7 × 7, 4 channels,
// 100 GD steps) that runs in seconds. Checked: the three routes of the linear phase —
// closed form through the (n·k)² empirical NTK, closed form through the P × P matrix JᵀJ/n
// (scripts/lib/linear_params.lua), GD with jvp/vjp — give the same f_lin; the step size from
// the P × P decomposition equals the one from power iteration on J Jᵀ; input_shape given as
// option text (1x7x7) is the shape the script derives itself; the conv resnet runs through it.
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "../experiments_1_4/script_runner.hpp"

using ntk::test::number;
using ntk::test::text;

namespace {

const std::vector<std::string> kSmallCnn = {
    "dataset=fashion_mnist", "classes=0,1,2", "n_train=60", "n_test=100", "image_size=7",
    "arch=cnn", "w_std=1.4142135623730951", "b_std=0.1", "width=4", "steps=100",
    "t_tilde=0,50,100", "snapshot_every=25"};

// `sets` with the items of `more` added; an item of `more` replaces one with the same key.
std::vector<std::string> with(std::vector<std::string> sets, const std::vector<std::string>& more) {
  for (const auto& item : more) {
    const std::string key = item.substr(0, item.find('=') + 1);
    std::erase_if(sets, [&](const std::string& s) { return s.rfind(key, 0) == 0; });
    sets.push_back(item);
  }
  return sets;
}

struct Rows {
  std::map<double, ntk::test::Json> kernel, tangent;  // by step / by t̃
};

Rows run_rows(const std::vector<std::string>& sets) {
  const auto run = ntk::test::run_script("tangent_space", sets);
  INFO(run.output);
  REQUIRE(run.status == 0);
  Rows rows;
  for (const auto& row : run.rows) {
    if (text(row, "part") == "kernel") rows.kernel.emplace(number(row, "step"), row);
    else if (text(row, "part") == "tangent") rows.tangent.emplace(number(row, "tilde_t"), row);
  }
  return rows;
}

}  // namespace

TEST_CASE("tangent_space conv: the three linear-phase routes agree on a cnn", "[experiments]") {
  std::map<std::string, Rows> by_route;
  for (const std::string route : {"closed_form", "params", "gd"})
    by_route[route] = run_rows(with(kSmallCnn, {"arch_options=depth=2,readout=gap", "linear=" + route}));
  const Rows& exact = by_route["closed_form"];
  REQUIRE(exact.tangent.size() == 3);
  REQUIRE(exact.kernel.size() == 5);
  // P = 9·4 + 4 (conv 1) + 9·16 + 4 (conv 2) + 4·3 + 3 (readout) = 203.
  CHECK(number(exact.kernel.begin()->second, "num_params") == 203);
  // λ_max(J Jᵀ) two ways: power iteration through jvp/vjp (closed_form, gd) and the top
  // eigenvalue of the P × P JᵀJ/n (params); lr = 1.5 n / λ_max.
  const double lr = number(exact.kernel.begin()->second, "lr");
  CHECK(number(by_route["params"].kernel.begin()->second, "lr") == Approx(lr).epsilon(1e-5));
  for (const std::string route : {"params", "gd"}) {
    for (const auto& [t, row] : exact.tangent) {
      const auto& other = by_route[route].tangent.at(t);
      INFO(route << ", t~ = " << t);
      CHECK(number(other, "linear_steps") == 100 - t);
      // gd uses the same lr bit for bit; params its own λ_max (agrees to ~1e-7 relative).
      CHECK(number(other, "train_loss") == Approx(number(row, "train_loss")).epsilon(1e-5));
      CHECK(number(other, "test_loss") == Approx(number(row, "test_loss")).epsilon(1e-5));
    }
  }
  // The linear phase lowers the training loss below where the network stood at w(t̃).
  for (const auto& [t, row] : exact.tangent) {
    if (t == 100) continue;
    CHECK(number(row, "train_loss") < number(exact.kernel.at(t), "train_loss"));
  }
  // t̃ = steps is full training (no linear steps left).
  CHECK(number(exact.tangent.at(100), "test_accuracy") == number(exact.kernel.at(100), "test_accuracy"));
  // The kernel moves fastest early (velocity per step, first interval against the last).
  const double first = number(std::next(exact.kernel.begin())->second, "velocity");
  const double last = number(exact.kernel.rbegin()->second, "velocity");
  INFO("velocity first " << first << ", last " << last);
  CHECK(first > 2 * last);
}

TEST_CASE("tangent_space conv: input_shape as option text; a conv resnet runs", "[experiments]") {
  const Rows derived = run_rows(with(kSmallCnn, {"arch_options=depth=2,readout=gap", "t_tilde=0"}));
  const Rows given =
      run_rows(with(kSmallCnn, {"arch_options=depth=2,readout=gap,input_shape=1x7x7", "t_tilde=0"}));
  REQUIRE(derived.tangent.size() == 1);
  REQUIRE(given.tangent.size() == 1);
  CHECK(number(given.tangent.at(0), "test_loss") == number(derived.tangent.at(0), "test_loss"));
  // A shape that does not match the 7 × 7 images is the plugin's error, not a silent reshape.
  const auto wrong = ntk::test::run_script(
      "tangent_space", with(kSmallCnn, {"arch_options=depth=2,readout=gap,input_shape=1x8x8"}));
  CHECK(wrong.status != 0);

  const Rows resnet = run_rows(with(kSmallCnn, {"arch=resnet", "linear=params",
                                                "arch_options=kind=conv,blocks=1,readout=gap"}));
  REQUIRE(resnet.tangent.size() == 3);
  CHECK(number(resnet.kernel.begin()->second, "num_params") > 203);
  for (const auto& [t, row] : resnet.tangent) {
    INFO("t~ = " << t);
    if (t == 100) continue;  // full training, no linear phase
    CHECK(std::isfinite(number(row, "test_loss")));
    CHECK(text(row, "linear_status") == "ok");
  }
}
