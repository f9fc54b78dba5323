// Solves with a float32 Cholesky factor held in a kernel's lower triangle, and the 1-norm
// condition estimator driven by those solves (the float32 ridge solver, ridge_float32.hpp).
//
// A solve with k = 10 right-hand sides reads the n × n factor twice and does little arithmetic
// per entry, so its cost hardly depends on k (measured at n = 20,000: spotrs 0.62 s for k = 10,
// 0.30 s for k = 1). Two consequences:
//  * solve_with_factor blocks the two triangular solves by column panels and does the updates
//    with sgemm (0.47 s instead of spotrs's 0.62 s at n = 20,000, k = 10);
//  * the condition estimate rides along: LAPACK's spocon is Higham's estimator slacn2 fed with
//    about five extra triangular-solve pairs (1.5-3 s at n = 20,000); here the estimator's
//    vector is one more column in the refinement's own solves, so the estimate costs one
//    column, not five more passes over the factor.
#pragma once

#include <armadillo>
#include <vector>

namespace ntk::core::solve::float32_factor {

// B ← (L Lᵀ)⁻¹ B for the lower-triangular L in `factor`'s lower triangle (spotrf 'L').
void solve_with_factor(const arma::fmat& factor, arma::fmat& B);

// ‖A⁻¹‖₁ of a symmetric A by LAPACK's slacn2 (Higham, ACM TOMS 14(4), 1988, Algorithm 4.1;
// the estimator of spocon), in reverse communication: while !done(), replace vector() by
// A⁻¹ vector() and call solved().
class InverseNormEstimator {
 public:
  explicit InverseNormEstimator(arma::uword n);
  bool done() const { return kase_ == 0; }
  float* vector() { return x_.data(); }
  void solved();
  // The estimate of ‖A⁻¹‖₁ (valid once done()).
  double estimate() const { return estimate_; }
  int solves() const { return solves_; }

 private:
  int n_, kase_ = 0, solves_ = 0;
  int isave_[3] = {0, 0, 0};
  float estimate_ = 0;
  std::vector<float> v_, x_;
  std::vector<int> sign_;
};

}  // namespace ntk::core::solve::float32_factor
