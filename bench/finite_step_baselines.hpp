// finite_step_benchmark's baselines: dgemm on given shapes, and a hand-written MLP (forward,
// backward and update with dgemm on buffers allocated once).
#pragma once

#include <cblas.h>

#include <armadillo>
#include <cmath>
#include <vector>

namespace ntk_bench {

// ---- dgemm of given shapes -----------------------------------------------------------------

// C (m × n) = op(A) op(B), op(A) m × k: one GEMM of a network's forward or backward pass.
struct Gemm {
  int m, n, k;
  bool ta = false, tb = false;
  double flops() const { return 2.0 * m * n * k; }
};
double flops(const std::vector<Gemm>& g) {
  double s = 0;
  for (const Gemm& x : g) s += x.flops();
  return s;
}
// The GEMMs on buffers allocated and touched once; run() times one pass over all of them.
class GemmSet {
 public:
  explicit GemmSet(std::vector<Gemm> shapes) : shapes_(std::move(shapes)) {
    for (const Gemm& g : shapes_) {
      a_.push_back(arma::randn(g.ta ? g.k : g.m, g.ta ? g.m : g.k));
      b_.push_back(arma::randn(g.tb ? g.n : g.k, g.tb ? g.k : g.n));
      c_.push_back(arma::zeros(g.m, g.n));
    }
  }
  void run() {
    for (std::size_t i = 0; i < shapes_.size(); ++i) {
      const Gemm& g = shapes_[i];
      cblas_dgemm(CblasColMajor, g.ta ? CblasTrans : CblasNoTrans, g.tb ? CblasTrans : CblasNoTrans,
                  g.m, g.n, g.k, 1.0, a_[i].memptr(), int(a_[i].n_rows), b_[i].memptr(),
                  int(b_[i].n_rows), 0.0, c_[i].memptr(), g.m);
    }
  }

 private:
  std::vector<Gemm> shapes_;
  std::vector<arma::mat> a_, b_, c_;
};

// ---- the hand-written reference MLP (fc only) ----------------------------------------------

// f = s_L W_L φ(… φ(s_1 W_1 x + β b_1) …) + β b_L with relu, NTK parametrisation, the ntklab
// parameter layout (per layer W column-major then b), every buffer allocated once.
class ReferenceMlp {
 public:
  ReferenceMlp(std::vector<int> dims, double w_std, double b_std, const arma::vec& params,
               const arma::mat& x, const arma::mat& y)
      : dims_(std::move(dims)), beta_(b_std), w_(params), x_(x), y_(y), n_(int(x.n_cols)) {
    std::size_t offset = 0;
    for (std::size_t l = 0; l + 1 < dims_.size(); ++l) {
      offset_.push_back(offset);
      offset += std::size_t(dims_[l]) * dims_[l + 1] + dims_[l + 1];
      scale_.push_back(w_std / std::sqrt(double(dims_[l])));
      h_.push_back(arma::mat(dims_[l + 1], n_));
      delta_.push_back(arma::mat(dims_[l + 1], n_));
    }
    g_.set_size(w_.n_elem);
  }
  const arma::mat& forward() {
    for (std::size_t l = 0; l < h_.size(); ++l) {
      const int in = dims_[l], out = dims_[l + 1];
      const double* w = w_.memptr() + offset_[l];
      const double* b = w + std::size_t(in) * out;
      double* z = h_[l].memptr();
      for (int j = 0; j < n_; ++j)
        for (int i = 0; i < out; ++i) z[std::size_t(j) * out + i] = beta_ * b[i];
      const double* h = l == 0 ? x_.memptr() : h_[l - 1].memptr();
      cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, out, n_, in, scale_[l], w, out, h,
                  in, 1.0, z, out);
      if (l + 1 < h_.size())
        for (std::size_t i = 0; i < h_[l].n_elem; ++i) z[i] = z[i] > 0 ? z[i] : 0.0;
    }
    return h_.back();
  }
  // One GD step on 1/(2n) Σ ‖f − y‖².
  void step(double lr) {
    forward();
    arma::mat& top = delta_.back();
    for (std::size_t i = 0; i < top.n_elem; ++i) top[i] = (h_.back()[i] - y_[i]) / double(n_);
    for (std::size_t l = h_.size(); l-- > 0;) {
      const int in = dims_[l], out = dims_[l + 1];
      const double* w = w_.memptr() + offset_[l];
      double* gw = g_.memptr() + offset_[l];
      double* gb = gw + std::size_t(in) * out;
      const double* d = delta_[l].memptr();
      const double* h = l == 0 ? x_.memptr() : h_[l - 1].memptr();
      cblas_dgemm(CblasColMajor, CblasNoTrans, CblasTrans, out, in, n_, scale_[l], d, out, h, in,
                  0.0, gw, out);
      for (int i = 0; i < out; ++i) gb[i] = 0;
      for (int j = 0; j < n_; ++j)
        for (int i = 0; i < out; ++i) gb[i] += beta_ * d[std::size_t(j) * out + i];
      if (l == 0) break;
      double* below = delta_[l - 1].memptr();
      cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, in, n_, out, scale_[l], w, out, d, out,
                  0.0, below, in);
      const double* hb = h_[l - 1].memptr();
      for (std::size_t i = 0; i < delta_[l - 1].n_elem; ++i) below[i] = hb[i] > 0 ? below[i] : 0.0;
    }
    cblas_daxpy(int(w_.n_elem), -lr, g_.memptr(), 1, w_.memptr(), 1);
  }
  const arma::vec& params() const { return w_; }

 private:
  std::vector<int> dims_;
  double beta_;
  arma::vec w_, g_;
  arma::mat x_, y_;
  int n_;
  std::vector<std::size_t> offset_;
  std::vector<double> scale_;
  std::vector<arma::mat> h_, delta_;
};

}  // namespace ntk_bench
