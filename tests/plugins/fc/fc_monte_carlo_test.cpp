// Finite networks converge to the analytic kernels: the mean empirical NTK over seeds
// approaches the analytic NTK with an error that shrinks with width, and E[f fᵀ] over seeds
// and outputs approaches the NNGP. Fixed seeds: the numbers are the same on every run.
#include <catch2/catch.hpp>
#include <cstdio>

#include "fc_architecture.hpp"

using ntk::sdk::Inputs;
using ntk::sdk::Options;

namespace {

double relative(const arma::mat& a, const arma::mat& b) {
  return arma::norm(a - b, "fro") / arma::norm(b, "fro");
}

struct McError {
  double mean;    // relative Frobenius error of the mean empirical NTK over the seeds
  double single;  // average relative error of one network's empirical NTK (shrinks as 1/√m)
};

McError ntk_error(const Options& o, const Inputs& x, arma::uword width, int seeds) {
  const auto arch = ntk::fc::make_architecture(o);
  const arma::mat analytic = arch->kernels(x, x, {false, true}).ntk;
  arma::mat mean(analytic.n_rows, analytic.n_cols, arma::fill::zeros);
  double single = 0;
  for (int s = 0; s < seeds; ++s) {
    const arma::mat empirical = arch->network({width, std::uint64_t(100 + s)})->ntk(x, x);
    mean += empirical;
    single += relative(empirical, analytic);
  }
  return {relative(mean / seeds, analytic), single / seeds};
}

Inputs sample_inputs() {
  arma::arma_rng::set_seed(21);
  return Inputs::dense(arma::randn(4, 5));
}

}  // namespace

TEST_CASE("mean empirical NTK approaches the analytic NTK as width grows", "[fc][mc]") {
  const Inputs x = sample_inputs();
  for (const char* act : {"relu", "erf"}) {
    const Options o{{"activation", std::string(act)}, {"depth", 2.0}, {"b_std", 0.3}};
    const McError e64 = ntk_error(o, x, 64, 16), e256 = ntk_error(o, x, 256, 16),
                  e1024 = ntk_error(o, x, 1024, 16);
    std::printf("%s depth 2, 16 seeds: mean-NTK error %.4f / %.4f / %.4f, single-network error "
                "%.4f / %.4f / %.4f (m = 64 / 256 / 1024)\n",
                act, e64.mean, e256.mean, e1024.mean, e64.single, e256.single, e1024.single);
    CHECK(e1024.mean < 0.04);
    CHECK(e1024.mean < e64.mean);
    // 1/√m: a factor 4 from m = 64 to 1024; allow for the spread of 8 seeds.
    CHECK(e256.single < 0.75 * e64.single);
    CHECK(e1024.single < 0.75 * e256.single);
  }
}

TEST_CASE("standard parametrisation: empirical NTK of width N approaches the kernel with "
          "standard_width N", "[fc][mc]") {
  const Inputs x = sample_inputs();
  McError e[2];
  const double widths[2] = {128, 1024};
  for (int i = 0; i < 2; ++i)
    e[i] = ntk_error({{"parametrization", std::string("standard")}, {"standard_width", widths[i]},
                      {"depth", 2.0}, {"b_std", 0.3}},
                     x, arma::uword(widths[i]), 16);
  std::printf("standard parametrisation, 16 seeds: mean-NTK error %.4f / %.4f, single-network "
              "error %.4f / %.4f (N = m = 128 / 1024)\n",
              e[0].mean, e[1].mean, e[0].single, e[1].single);
  CHECK(e[1].mean < 0.05);
  CHECK(e[1].single < 0.5 * e[0].single);
}

TEST_CASE("E[f f^T] over seeds and outputs approaches the NNGP", "[fc][mc]") {
  const Inputs x = sample_inputs();
  for (const char* act : {"relu", "erf"}) {
    const Options o{{"activation", std::string(act)}, {"depth", 2.0}, {"b_std", 0.3},
                    {"outputs", 20.0}};
    const auto arch = ntk::fc::make_architecture(o);
    const arma::mat nngp = arch->kernels(x, x, {true, false}).nngp;
    arma::mat second(5, 5, arma::fill::zeros);
    const int seeds = 100;
    for (int s = 0; s < seeds; ++s) {
      const arma::mat f = arch->network({256, std::uint64_t(500 + s)})->forward(x);  // 20 × 5
      second += f.t() * f;
    }
    second /= double(seeds * 20);
    const double err = relative(second, nngp);
    std::printf("%s: E[f f^T] over %d networks x 20 outputs (m=256): relative error %.4f\n", act,
                seeds, err);
    CHECK(err < 0.08);
  }
}
