// Small Network implementations written in the test, independent of any plugin: a linear
// model (where linearised training is exact) and a one-hidden-layer tanh network in the NTK
// parametrisation, both with analytic vjp/jvp.
#pragma once

#include <armadillo>
#include <cmath>
#include <random>

#include "ntk/sdk/network.hpp"

namespace ntk::test {

inline arma::mat gaussian(arma::uword rows, arma::uword cols, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal;
  arma::mat m(rows, cols);
  m.imbue([&] { return normal(rng); });
  return m;
}

// f(x) = W x, W k × d, params vec(W) (column-major).
class LinearNetwork : public sdk::Network {
 public:
  LinearNetwork(arma::uword d, arma::uword k, std::uint64_t seed)
      : d_(d), k_(k), w_(arma::vectorise(gaussian(k, d, seed))) {}
  arma::uword num_params() const override { return d_ * k_; }
  arma::uword outputs() const override { return k_; }
  const arma::vec& params() const override { return w_; }
  void set_params(const arma::vec& p) override { w_ = p; }
  arma::mat weights() const { return arma::reshape(w_, k_, d_); }
  arma::mat forward(const sdk::Inputs& x) const override { return weights() * x.x(); }
  arma::vec vjp(const sdk::Inputs& x, const arma::mat& r) const override {
    return arma::vectorise(r * x.x().t());
  }
  arma::mat jvp(const sdk::Inputs& x, const arma::vec& v) const override {
    return arma::reshape(v, k_, d_) * x.x();
  }

 private:
  arma::uword d_, k_;
  arma::vec w_;
};

// f(x) = W2 tanh(W1 x / √d) / √m, params [vec(W1) (m × d); vec(W2) (k × m)], N(0,1) init.
class TanhNetwork : public sdk::Network {
 public:
  TanhNetwork(arma::uword d, arma::uword m, arma::uword k, std::uint64_t seed)
      : d_(d), m_(m), k_(k),
        w_(arma::join_cols(arma::vectorise(gaussian(m, d, seed)),
                           arma::vectorise(gaussian(k, m, seed + 1)))) {}
  arma::uword num_params() const override { return m_ * d_ + k_ * m_; }
  arma::uword outputs() const override { return k_; }
  const arma::vec& params() const override { return w_; }
  void set_params(const arma::vec& p) override { w_ = p; }

  arma::mat forward(const sdk::Inputs& x) const override {
    return w2() * hidden(x) / std::sqrt(double(m_));
  }
  arma::vec vjp(const sdk::Inputs& x, const arma::mat& r) const override {
    const arma::mat a = hidden(x);
    const double sm = std::sqrt(double(m_)), sd = std::sqrt(double(d_));
    const arma::mat dw2 = r * a.t() / sm;
    const arma::mat dh = (w2().t() * r / sm) % (1.0 - arma::square(a));
    const arma::mat dw1 = dh * x.x().t() / sd;
    return arma::join_cols(arma::vectorise(dw1), arma::vectorise(dw2));
  }
  arma::mat jvp(const sdk::Inputs& x, const arma::vec& v) const override {
    const arma::mat a = hidden(x);
    const double sm = std::sqrt(double(m_)), sd = std::sqrt(double(d_));
    const arma::mat v1 = arma::reshape(v.head(m_ * d_), m_, d_);
    const arma::mat v2 = arma::reshape(v.tail(k_ * m_), k_, m_);
    const arma::mat da = (1.0 - arma::square(a)) % (v1 * x.x() / sd);
    return (v2 * a + w2() * da) / sm;
  }

 private:
  arma::mat w1() const { return arma::reshape(w_.head(m_ * d_), m_, d_); }
  arma::mat w2() const { return arma::reshape(w_.tail(k_ * m_), k_, m_); }
  arma::mat hidden(const sdk::Inputs& x) const {
    // A serial loop: arma::tanh would open an OpenMP region per call, which is slow for these
    // small matrices on a loaded machine.
    arma::mat h = w1() * x.x() / std::sqrt(double(d_));
    h.transform([](double v) { return std::tanh(v); });
    return h;
  }
  arma::uword d_, m_, k_;
  arma::vec w_;
};

}  // namespace ntk::test
