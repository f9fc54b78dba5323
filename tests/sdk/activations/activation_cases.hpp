// The closed-form activations under test, with the options used, shared by the test files.
#pragma once

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "ntk/sdk/activation.hpp"

namespace ntk::test {

struct ActivationCase {
  std::string name;
  sdk::Options options;
  bool smooth;  // φ and φ' are smooth (Gauss–Hermite converges geometrically)
};

inline const std::vector<ActivationCase>& closed_form_cases() {
  static const std::vector<ActivationCase> cases = {
      {"relu", {}, false},
      {"erf", {}, true},
      {"leaky_relu", {}, false},
      {"leaky_relu", {{"alpha", 0.2}}, false},
      {"abrelu", {{"a", -0.5}, {"b", 2.0}}, false},
      {"abs", {}, false},
      {"sin", {}, true},
      {"sin", {{"a", 1.5}, {"b", 0.7}, {"c", 0.3}}, true},
      {"cos", {}, true},
      {"cos", {{"a", 0.8}, {"b", 1.3}, {"c", -0.4}}, true},
      {"gelu", {}, true},
      {"gaussian", {}, true},
      {"gaussian", {{"a", 2.0}, {"b", -1.0}}, true},
      {"gaussian", {{"a", 0.7}, {"b", 0.05}}, true},
      {"exp", {}, true},
      {"exp", {{"a", 0.5}, {"b", -0.8}}, true},
      {"sign", {}, false},
      {"monomial", {{"degree", 0.0}}, true},
      {"monomial", {{"degree", 1.0}}, true},
      {"monomial", {}, true},
      {"monomial", {{"degree", 3.0}}, true},
      {"monomial", {{"degree", 4.0}}, true},
      {"monomial", {{"degree", 5.0}}, true},
      {"rectified_monomial", {{"degree", 0.0}}, false},
      {"rectified_monomial", {}, false},
      {"rectified_monomial", {{"degree", 2.0}}, false},
      {"rectified_monomial", {{"degree", 3.0}}, false},
  };
  return cases;
}

// A covariance given by its variances and correlation (so that |ρ| = 1 is exact).
struct Covariance {
  double s11, s22, rho;
  double s12() const { return rho * std::sqrt(s11 * s22); }
};

// Unequal variances, ρ at both ends, 0, and in between.
inline std::vector<Covariance> covariance_grid() {
  std::vector<Covariance> grid;
  for (auto [s11, s22] : {std::pair{1.0, 1.0}, std::pair{0.4, 1.6}, std::pair{2.0, 0.25}})
    for (double rho : {-1.0, -0.7, 0.0, 0.35, 0.9, 1.0}) grid.push_back({s11, s22, rho});
  return grid;
}

// |got − truth| relative to |truth|, with a floor of `floor_scale` (typically 1e-3 times the
// Cauchy–Schwarz bound √(E[f(u)²]E[f(v)²])) for values that vanish (sin at ρ = 0, relu at ρ = −1).
inline double relative_error(double got, double truth, double floor_scale) {
  const double diff = std::fabs(got - truth);
  return diff == 0 ? 0.0 : diff / std::max(std::fabs(truth), floor_scale);
}

}  // namespace ntk::test
