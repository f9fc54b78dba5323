// An independent scalar recursion of the FC kernels in long double, written directly from
// neural-tangents' stax rules (Dense in both parametrisations, ABRelu(0, 1), Erf) — including
// their arctan2 forms — one pair of inputs at a time. The plugin uses fused, vectorised arccos
// maps over matrices; agreement checks both the algebra and the numerics.
#pragma once

#include <armadillo>
#include <cmath>

#include "fc_config.hpp"

namespace ntk::test {

struct ReferenceKernel {
  long double nngp, ntk;
};

inline ReferenceKernel fc_reference(const arma::vec& x, const arma::vec& y,
                                    const ntk::fc::FcConfig& c) {
  const long double pi = 3.141592653589793238462643383279502884L;
  const long double d = x.n_elem;
  long double q11 = 0, q22 = 0, q12 = 0;
  for (arma::uword i = 0; i < x.n_elem; ++i) {
    q11 += (long double)x[i] * x[i];
    q22 += (long double)y[i] * y[i];
    q12 += (long double)x[i] * y[i];
  }
  q11 /= d, q22 /= d, q12 /= d;
  long double ntk = 0, width = d;
  const long double w2 = (long double)c.w_std * c.w_std, b2 = (long double)c.b_std * c.b_std;
  const bool standard = c.parametrization == ntk::sdk::Parametrization::standard;
  for (int l = 0; l <= c.depth; ++l) {
    if (standard) ntk = width * q12 + w2 * ntk + 1;  // NT: input_width·nngp + W²·ntk + 1
    q11 = w2 * q11 + b2, q22 = w2 * q22 + b2, q12 = w2 * q12 + b2;
    if (!standard) ntk = q12 + w2 * ntk;
    width = l == c.depth ? (long double)c.outputs : (long double)c.standard_width;
    if (l == c.depth) break;
    if (c.activation == ntk::fc::Activation::relu) {
      const long double prod = q11 * q22;
      const long double s = sqrtl(std::max(prod - q12 * q12, 0.0L));
      const long double theta = (s == 0 && q12 == 0) ? pi / 2 : atan2l(s, q12);
      const long double dot = 0.5L - theta / (2 * pi);
      q12 = s / (2 * pi) + dot * q12;
      ntk *= dot;
      q11 /= 2, q22 /= 2;
    } else {
      const long double prod = (1 + 2 * q11) * (1 + 2 * q22);
      const long double root = sqrtl(prod - 4 * q12 * q12);
      q12 = 2 / pi * atan2l(2 * q12, root);
      ntk *= 4 / pi / root;
      q11 = 2 / pi * atan2l(q11, sqrtl(q11 + 0.25L));
      q22 = 2 / pi * atan2l(q22, sqrtl(q22 + 0.25L));
    }
  }
  return {q12, ntk};
}

}  // namespace ntk::test
