// A toy architecture for testing the conformance kit and the plugin loader: a two-layer
// *linear* network in the NTK parametrisation,
//
//   h = (w/√d) U x + b·b1,   f = (w/√m) V h + b·b2,   all parameters N(0, 1),
//
// i.e. stax serial(Dense(w, b), Dense(w, b)) with the identity activation. Its kernels are exact
// in closed form (DESIGN.md rules with E[uv] = nngp and E[φ'φ'] = 1):
//   nngp1 = w²·x·x'/d + b²,      ntk1 = nngp1,
//   nngp2 = w²·nngp1 + b²,       ntk2 = w²·ntk1 + nngp2.
// Parameter layout: [vec(U) (m × d), b1 (m), vec(V) (k × m), b2 (k)], column-major.
//
// ToyFaults plant deliberate bugs, so tests can show that the kit fails on a wrong plugin.
#pragma once

#include <cmath>
#include <memory>
#include <random>
#include <string>

#include "ntk/sdk/sdk.hpp"

namespace ntk::test {

struct ToyFaults {
  double ntk_factor = 1.0;    // multiplies the analytic NTK
  double nngp_factor = 1.0;   // multiplies the analytic NNGP (not the NTK)
  double vjp_b1_factor = 1.0; // scales the b1 part of vjp (jvp stays right)
  bool indefinite = false;    // subtracts 1.5 × mean diagonal from the kernels' diagonal
  bool network_throws = false;
};

struct ToyConfig {
  double w_std = 1.0, b_std = 0.3;
  arma::uword outputs = 1, input_dim = 5;
  ToyFaults faults;
};

class LinearToyNetwork : public sdk::Network {
 public:
  LinearToyNetwork(const ToyConfig& c, arma::uword width, std::uint64_t seed) : c_(c), m_(width) {
    if (width == 0) throw_error("linear network(): width must be at least 1, got 0");
    theta_.set_size(num_params());
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> normal;
    for (auto& t : theta_) t = normal(rng);
  }
  arma::uword num_params() const override {
    return m_ * c_.input_dim + m_ + c_.outputs * m_ + c_.outputs;
  }
  arma::uword outputs() const override { return c_.outputs; }
  const arma::vec& params() const override { return theta_; }
  void set_params(const arma::vec& p) override {
    if (p.n_elem != num_params())
      throw_error("linear set_params(): got ", p.n_elem, " values, the network has ", num_params());
    theta_ = p;
  }
  arma::mat forward(const sdk::Inputs& in) const override {
    const arma::mat x = checked(in, "forward");
    return wv() * V() * hidden(x) + c_.b_std * b2() * arma::rowvec(x.n_cols, arma::fill::ones);
  }
  arma::vec vjp(const sdk::Inputs& in, const arma::mat& r) const override {
    const arma::mat x = checked(in, "vjp");
    const arma::mat g = wv() * V().t() * r;  // m × n, the cotangent of h
    arma::vec out(num_params());
    split(out, 0) = arma::vectorise(wu() * g * x.t());
    split(out, 1) = c_.faults.vjp_b1_factor * c_.b_std * arma::sum(g, 1);
    split(out, 2) = arma::vectorise(wv() * r * hidden(x).t());
    split(out, 3) = c_.b_std * arma::sum(r, 1);
    return out;
  }
  arma::mat jvp(const sdk::Inputs& in, const arma::vec& t) const override {
    const arma::mat x = checked(in, "jvp");
    const arma::uword d = c_.input_dim, k = c_.outputs;
    const arma::rowvec ones(x.n_cols, arma::fill::ones);
    const arma::mat dU = arma::reshape(part(t, 0), m_, d), dV = arma::reshape(part(t, 2), k, m_);
    const arma::mat dh = wu() * dU * x + c_.b_std * part(t, 1) * ones;
    return wv() * (dV * hidden(x) + V() * dh) + c_.b_std * part(t, 3) * ones;
  }

 private:
  double wu() const { return c_.w_std / std::sqrt(double(c_.input_dim)); }
  double wv() const { return c_.w_std / std::sqrt(double(m_)); }
  // Offsets of the four blocks U, b1, V, b2 in the flat vector.
  arma::uword offset(int block) const {
    const arma::uword sizes[4] = {m_ * c_.input_dim, m_, c_.outputs * m_, c_.outputs};
    arma::uword o = 0;
    for (int i = 0; i < block; ++i) o += sizes[i];
    return o;
  }
  arma::uword size(int block) const { return offset(block + 1) - offset(block); }
  arma::vec part(const arma::vec& v, int block) const { return v.subvec(offset(block), offset(block) + size(block) - 1); }
  arma::subview_col<double> split(arma::vec& v, int block) const { return v.subvec(offset(block), offset(block) + size(block) - 1); }
  arma::mat U() const { return arma::reshape(part(theta_, 0), m_, c_.input_dim); }
  arma::vec b1() const { return part(theta_, 1); }
  arma::mat V() const { return arma::reshape(part(theta_, 2), c_.outputs, m_); }
  arma::vec b2() const { return part(theta_, 3); }
  arma::mat hidden(const arma::mat& x) const {
    return wu() * U() * x + c_.b_std * b1() * arma::rowvec(x.n_cols, arma::fill::ones);
  }
  arma::mat checked(const sdk::Inputs& in, const char* fn) const {
    if (in.dim() != c_.input_dim)
      throw_error("linear ", fn, "(): inputs have ", in.dim(), " rows, the network takes ", c_.input_dim);
    sdk::check_finite(std::string("linear ") + fn + "()", in.x());
    return in.x();
  }

  ToyConfig c_;
  arma::uword m_;
  arma::vec theta_;
};

class LinearToyArchitecture : public sdk::Architecture {
 public:
  explicit LinearToyArchitecture(ToyConfig c) : c_(c) {}
  sdk::Kernels kernels(const sdk::Inputs& a, const sdk::Inputs& b,
                       sdk::KernelRequest what) const override {
    if (a.dim() != b.dim())
      throw_error("linear kernels(): inputs have ", a.dim(), " and ", b.dim(), " rows");
    sdk::check_finite("linear kernels()", a.x());
    sdk::check_finite("linear kernels()", b.x());
    const double w2 = c_.w_std * c_.w_std, b2 = c_.b_std * c_.b_std;
    arma::mat gram = (&a == &b) ? arma::mat(arma::symmatu(a.x().t() * a.x())) : arma::mat(a.x().t() * b.x());
    const arma::mat nngp1 = w2 * gram / double(a.dim()) + b2;
    const arma::mat nngp2 = w2 * nngp1 + b2;
    sdk::Kernels out;
    if (what.nngp) out.nngp = c_.faults.nngp_factor * nngp2;
    if (what.ntk) out.ntk = c_.faults.ntk_factor * (w2 * nngp1 + nngp2);
    if (c_.faults.indefinite) {
      if (what.nngp) out.nngp.diag() -= 1.5 * arma::mean(out.nngp.diag());
      if (what.ntk) out.ntk.diag() -= 1.5 * arma::mean(out.ntk.diag());
    }
    return out;
  }
  std::unique_ptr<sdk::Network> network(const sdk::NetworkSpec& spec) const override {
    if (c_.faults.network_throws) throw_error("linear network(): deliberately broken");
    return std::make_unique<LinearToyNetwork>(c_, spec.width, spec.seed);
  }
  std::string describe() const override {
    return "linear toy: Dense(" + std::to_string(c_.w_std) + ", " + std::to_string(c_.b_std) +
           "), Dense, identity activation";
  }
  arma::uword outputs() const override { return c_.outputs; }

 private:
  ToyConfig c_;
};

inline std::vector<sdk::OptionSpec> linear_toy_options() {
  return {{"w_std", 1.0, "weight standard deviation"},
          {"b_std", 0.3, "bias standard deviation"},
          {"outputs", 1.0, "number of outputs k"},
          {"input_dim", 5.0, "input dimension d"}};
}

// Reads the options above (unknown keys are an error listing the known ones).
inline ToyConfig linear_toy_config(const std::string& name, const sdk::Options& given,
                                   ToyFaults faults = {}) {
  const auto specs = linear_toy_options();
  sdk::OptionReader read(name + " options", specs, given);
  ToyConfig c;
  c.w_std = read.finite("w_std", true);
  c.b_std = read.finite("b_std");
  c.outputs = arma::uword(read.integer("outputs", 1, 1000));
  c.input_dim = arma::uword(read.integer("input_dim", 1, 100000));
  c.faults = faults;
  return c;
}

}  // namespace ntk::test
