// What the dense rules (layers.hpp, Rule) and the image rules (layers_conv.hpp, ImageRule)
// share: the activation and residual markers (relu, erf, residual_start, residual_sum), how
// they are made and named, and the check on a residual branch scale. R is Rule or ImageRule;
// both have a Kind with those four values and an `alpha`.
#pragma once

#include <cmath>
#include <ostream>

#include "ntk/sdk/error.hpp"

namespace ntk::sdk::layers::detail {

template <class R>
R marker(typename R::Kind kind) {
  R r;
  r.kind = kind;
  return r;
}

// Refuses a non-finite alpha with "<caller>: alpha = ... must be a finite number".
template <class R>
R residual_sum_marker(double alpha, const char* caller) {
  if (!std::isfinite(alpha)) throw_error(caller, ": alpha = ", alpha, " must be a finite number");
  R r = marker<R>(R::Kind::residual_sum);
  r.alpha = alpha;
  return r;
}

// Writes a marker's name ("Relu", "Erf", "FanOut(2)", "FanInSum(alpha=0.5)") and returns true;
// returns false, writing nothing, for the family's own layer (Dense, Conv).
template <class R>
bool marker_name(const R& r, std::ostream& out) {
  using K = typename R::Kind;
  if (r.kind == K::relu) out << "Relu";
  else if (r.kind == K::erf) out << "Erf";
  else if (r.kind == K::residual_start) out << "FanOut(2)";
  else if (r.kind == K::residual_sum) out << "FanInSum(alpha=" << r.alpha << ")";
  else if (r.kind == K::activation) out << (r.activation ? r.activation->name() : "Activation(null)");
  else return false;
  return true;
}

}  // namespace ntk::sdk::layers::detail
