// A toy architecture for testing the conformance kit: a one-hidden-layer ReLU network in the
// NTK parametrisation, stax serial(Dense(w, b), Relu, Dense(w, b)),
//
//   h = (w/√d) U x + b·b1,   f = (w/√m) V relu(h) + b·b2,   all parameters N(0, 1),
//
// with its closed-form kernels in the neural-tangents convention (DESIGN.md): input
// Σ = x·x'/d, Θ = 0; Dense: Σ ← w²Σ + b², Θ ← w²Θ + Σ_new; Relu: the arc-cosine kernels of
// Cho & Saul (2009), Σ ← √(Σ₁₁Σ₂₂)/(2π) (sin φ + (π − φ) cos φ), Θ ← Θ (π − φ)/(2π).
// Parameter layout (the network is a DescribesParameters):
//   [vec(U) (m × d), b1 (m), vec(V) (1 × m), b2 (1)], column-major.
// Options w_std (default 1) and b_std (default 0): at the defaults Σ_new = Σ_old and b² = 0,
// so two of the planted bugs below show only at other values.
//
// MlpFaults plant one deliberate bug each, so tests can show which check catches it.
#pragma once

#include <cmath>
#include <memory>
#include <random>
#include <string>

#include "ntk/sdk/conformance.hpp"
#include "ntk/sdk/sdk.hpp"

namespace ntk::test {

struct MlpFaults {
  double vjp_b1_factor = 1.0;  // scales the b1 part of vjp (jvp stays right)
  double jvp_v_factor = 1.0;   // scales the V part of the jvp tangent (vjp stays right)
  bool ntk_sigma_old = false;  // Dense NTK rule Θ ← w²Θ + Σ_old instead of Σ_new
  bool missing_bias = false;   // Dense NNGP rule Σ ← w²Σ, without + b²
  bool zero_ntk = false;       // the analytic NTK is all zeros
};

struct MlpConfig {
  double w_std = 1.0, b_std = 0.0;
  arma::uword input_dim = 5;
  MlpFaults faults;
};

inline std::vector<sdk::OptionSpec> mlp_toy_options() {
  return {{"w_std", 1.0, "weight standard deviation > 0"},
          {"b_std", 0.0, "bias standard deviation >= 0"},
          {"input_dim", 5.0, "input dimension d"}};
}

// One kernel state between layers (stax's Kernel): both kernels and the two diagonals.
struct MlpKernelState {
  arma::mat nngp, ntk;
  arma::vec diag1, diag2;  // Σ(x, x) of the rows' and of the columns' inputs
};

inline MlpKernelState mlp_dense(MlpKernelState s, const MlpConfig& c) {
  const double w2 = c.w_std * c.w_std, b2 = c.faults.missing_bias ? 0.0 : c.b_std * c.b_std;
  const arma::mat nngp_old = s.nngp;
  s.nngp = w2 * s.nngp + b2;
  s.diag1 = w2 * s.diag1 + b2;
  s.diag2 = w2 * s.diag2 + b2;
  s.ntk = w2 * s.ntk + (c.faults.ntk_sigma_old ? nngp_old : s.nngp);
  return s;
}

inline MlpKernelState mlp_relu(MlpKernelState s) {
  const arma::mat norms = arma::sqrt(s.diag1) * arma::sqrt(s.diag2).t();
  const arma::mat cosine = arma::clamp(s.nngp / norms, -1.0, 1.0);
  const arma::mat angle = arma::acos(cosine);
  s.nngp = norms / (2 * arma::datum::pi) % (arma::sin(angle) + (arma::datum::pi - angle) % cosine);
  s.ntk = s.ntk % (arma::datum::pi - angle) / (2 * arma::datum::pi);
  s.diag1 /= 2;  // E[relu(u)²] = Σ/2
  s.diag2 /= 2;
  return s;
}

class MlpToyNetwork : public sdk::Network, public sdk::DescribesParameters {
 public:
  MlpToyNetwork(const MlpConfig& c, arma::uword width, std::uint64_t seed) : c_(c), m_(width) {
    if (width == 0) throw_error("mlp network(): width must be at least 1, got 0");
    theta_.set_size(num_params());
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> normal;
    for (auto& t : theta_) t = normal(rng);
  }
  arma::uword num_params() const override { return m_ * c_.input_dim + 2 * m_ + 1; }
  arma::uword outputs() const override { return 1; }
  const arma::vec& params() const override { return theta_; }
  void set_params(const arma::vec& p) override {
    if (p.n_elem != num_params())
      throw_error("mlp set_params(): got ", p.n_elem, " values, the network has ", num_params());
    theta_ = p;
  }
  std::vector<sdk::ParameterBlock> parameter_blocks() const override {
    return {{"U", offset(0), size(0)}, {"b1", offset(1), size(1)},
            {"V", offset(2), size(2)}, {"b2", offset(3), size(3)}};
  }
  arma::mat forward(const sdk::Inputs& in) const override {
    const arma::mat x = checked(in, "forward");
    return wv() * V() * arma::clamp(hidden(x), 0.0, arma::datum::inf) + c_.b_std * b2() * ones(x);
  }
  arma::vec vjp(const sdk::Inputs& in, const arma::mat& r) const override {
    const arma::mat x = checked(in, "vjp");
    const arma::mat h = hidden(x);
    const arma::mat g = (wv() * V().t() * r) % step(h);  // m × n, the cotangent of h
    arma::vec out(num_params());
    block(out, 0) = arma::vectorise(wu() * g * x.t());
    block(out, 1) = c_.faults.vjp_b1_factor * c_.b_std * arma::sum(g, 1);
    block(out, 2) = arma::vectorise(wv() * r * arma::clamp(h, 0.0, arma::datum::inf).t());
    block(out, 3) = c_.b_std * arma::sum(r, 1);
    return out;
  }
  arma::mat jvp(const sdk::Inputs& in, const arma::vec& t) const override {
    const arma::mat x = checked(in, "jvp");
    const arma::mat h = hidden(x);
    const arma::mat dU = arma::reshape(part(t, 0), m_, c_.input_dim);
    const arma::mat dV = c_.faults.jvp_v_factor * arma::reshape(part(t, 2), 1, m_);
    const arma::mat dh = (wu() * dU * x + c_.b_std * part(t, 1) * ones(x)) % step(h);
    return wv() * (dV * arma::clamp(h, 0.0, arma::datum::inf) + V() * dh) +
           c_.b_std * part(t, 3) * ones(x);
  }

 private:
  double wu() const { return c_.w_std / std::sqrt(double(c_.input_dim)); }
  double wv() const { return c_.w_std / std::sqrt(double(m_)); }
  arma::uword size(int b) const {
    const arma::uword sizes[4] = {m_ * c_.input_dim, m_, m_, 1};
    return sizes[b];
  }
  arma::uword offset(int b) const {
    arma::uword o = 0;
    for (int i = 0; i < b; ++i) o += size(i);
    return o;
  }
  arma::vec part(const arma::vec& v, int b) const { return v.subvec(offset(b), offset(b) + size(b) - 1); }
  arma::subview_col<double> block(arma::vec& v, int b) const {
    return v.subvec(offset(b), offset(b) + size(b) - 1);
  }
  static arma::rowvec ones(const arma::mat& x) { return arma::rowvec(x.n_cols, arma::fill::ones); }
  static arma::mat step(const arma::mat& h) { return arma::conv_to<arma::mat>::from(h > 0); }
  arma::mat U() const { return arma::reshape(part(theta_, 0), m_, c_.input_dim); }
  arma::mat V() const { return arma::reshape(part(theta_, 2), 1, m_); }
  arma::vec b1() const { return part(theta_, 1); }
  arma::vec b2() const { return part(theta_, 3); }
  arma::mat hidden(const arma::mat& x) const { return wu() * U() * x + c_.b_std * b1() * ones(x); }
  arma::mat checked(const sdk::Inputs& in, const char* fn) const {
    if (in.dim() != c_.input_dim)
      throw_error("mlp ", fn, "(): inputs have ", in.dim(), " rows, the network takes ", c_.input_dim);
    sdk::check_finite(std::string("mlp ") + fn + "()", in.x());
    return in.x();
  }

  MlpConfig c_;
  arma::uword m_;
  arma::vec theta_;
};

class MlpToyArchitecture : public sdk::Architecture {
 public:
  explicit MlpToyArchitecture(MlpConfig c) : c_(c) {}
  sdk::Kernels kernels(const sdk::Inputs& a, const sdk::Inputs& b,
                       sdk::KernelRequest what) const override {
    if (a.dim() != b.dim())
      throw_error("mlp kernels(): inputs have ", a.dim(), " and ", b.dim(), " rows");
    sdk::check_finite("mlp kernels()", a.x());
    sdk::check_finite("mlp kernels()", b.x());
    const double d = double(a.dim());
    MlpKernelState s;
    s.nngp = (&a == &b) ? arma::mat(arma::symmatu(a.x().t() * a.x()) / d)
                        : arma::mat(a.x().t() * b.x() / d);
    s.ntk.zeros(a.size(), b.size());
    s.diag1 = arma::sum(arma::square(a.x()), 0).t() / d;
    s.diag2 = arma::sum(arma::square(b.x()), 0).t() / d;
    s = mlp_dense(mlp_relu(mlp_dense(s, c_)), c_);
    sdk::Kernels out;
    if (what.nngp) out.nngp = s.nngp;
    if (what.ntk) out.ntk = c_.faults.zero_ntk ? arma::mat(arma::size(s.ntk), arma::fill::zeros) : s.ntk;
    return out;
  }
  std::unique_ptr<sdk::Network> network(const sdk::NetworkSpec& spec) const override {
    return std::make_unique<MlpToyNetwork>(c_, spec.width, spec.seed);
  }
  std::string describe() const override {
    return "mlp toy: Dense(" + std::to_string(c_.w_std) + ", " + std::to_string(c_.b_std) +
           "), Relu, Dense";
  }

 private:
  MlpConfig c_;
};

// Reads the options above (unknown keys are an error listing the known ones).
inline MlpConfig mlp_toy_config(const sdk::Options& given, MlpFaults faults = {}) {
  const auto specs = mlp_toy_options();
  sdk::OptionReader read("mlp options", specs, given);
  MlpConfig c;
  c.w_std = read.finite("w_std", true);
  c.b_std = read.finite("b_std");
  c.input_dim = arma::uword(read.integer("input_dim", 1, 100000));
  c.faults = faults;
  return c;
}

}  // namespace ntk::test
