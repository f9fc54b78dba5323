// The FC kernel family: the NTK of every depth d ≤ L and every number of fixed layers F ≤ d
// from one pass over the kernel matrix (Arora et al. 2020's sweep, "Harnessing the power of
// infinitely wide deep nets on small-data tasks", Section 5 / their kernel_value_batch).
//
// All members share the NNGP recursion Σ_l (the forward pass does not depend on which layers
// are trained, nor on how many layers follow). Write H_F for the NTK of the first layers with
// layers 1..F frozen. The dense layer l (0-based) maps, for every F ≤ l (layer l trained),
//   H_F ← (from·Σ_old + shift) + W²·H_F        (H_l starts at 0: its first trained layer)
// and H_F = 0 for F > l; after dense layer d, H_F (F = 0..d) is the NTK of depth d with F fixed
// (layer d is that net's readout). An activation maps Σ by its closed form and every
// H_F ← H_F·E[φ'(u)φ'(v)]. These are exactly the SDK rules kernels() folds (layers.cpp), run
// here with L + 1 NTK accumulators side by side, entry chunk by entry chunk, columns in parallel.
#include <algorithm>
#include <array>
#include <string>

#include "fc_architecture.hpp"
#include "kernel_state.hpp"
#include "layers.hpp"
#include "layers_elementwise.hpp"
#include "progress_counter.hpp"
#include "ntk/sdk/checks.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::fc {
namespace {

constexpr arma::uword kChunk = 256;

// The depths the request selects (select.depths, default all 0..L), as a mask over 0..L.
std::vector<char> selected_depths(const sdk::Options& select, int max_depth) {
  std::vector<char> wanted(std::size_t(max_depth) + 1, 0);
  bool any = false;
  for (const auto& [key, value] : select.values()) {
    if (key != "depths")
      throw_error("fc kernel_family(): unknown selection key '", key, "' (known: depths)");
    const std::vector<double>* list = std::get_if<std::vector<double>>(&value);
    const double* one = std::get_if<double>(&value);
    std::vector<double> depths = list ? *list : std::vector<double>{};
    if (one) depths.push_back(*one);
    if (!list && !one)
      throw_error("fc kernel_family(): 'depths' must be a number or a list of numbers, got a ",
                  sdk::option_type_name(value));
    for (double d : depths) {
      if (d != double(int(d)) || d < 0 || d > max_depth)
        throw_error("fc kernel_family(): depth ", d, " is not an integer in 0..", max_depth,
                    " (the architecture's depth bounds the family)");
      wanted[std::size_t(d)] = 1;
      any = true;
    }
  }
  if (!any) std::fill(wanted.begin(), wanted.end(), 1);
  return wanted;
}

}  // namespace

std::vector<sdk::FamilyMember> FcArchitecture::kernel_family(const sdk::Inputs& a,
                                                             const sdk::Inputs& b,
                                                             const sdk::FamilyRequest& request) const {
  const bool symmetric = &a == &b;
  const char* fn = "fc kernel_family()";
  if (a.kind() == sdk::Inputs::Kind::graphs || b.kind() == sdk::Inputs::Kind::graphs)
    throw_error(fn, ": fc takes d x n vectors (or images, read as vectors), not graphs");
  const arma::mat& xa = a.x();
  const arma::mat& xb = symmetric ? xa : b.x();
  if (xa.n_rows != xb.n_rows)
    throw_error(fn, ": inputs have ", xa.n_rows, " and ", xb.n_rows, " rows");
  sdk::check_finite(std::string(fn) + ", first input", xa);
  if (!symmetric) sdk::check_finite(std::string(fn) + ", second input", xb);
  const int L = config_.depth;
  const std::vector<char> wanted = selected_depths(request.select, L);
  int max_depth = 0;
  std::size_t matrices = 0;
  std::vector<sdk::FamilyMember> members;
  for (int d = 0; d <= L; ++d) {
    if (!wanted[std::size_t(d)]) continue;
    max_depth = d;
    for (int F = 0; F <= d; ++F) {
      sdk::FamilyMember m;
      m.settings.set("depth", double(d));
      m.settings.set("fixed_layers", double(F));
      members.push_back(std::move(m));
    }
    matrices += std::size_t(d + 1) * (request.ntk ? 1 : 0) + (request.nngp ? 1 : 0);
  }
  if (!request.ntk && !request.nngp) return members;
  const arma::uword n1 = xa.n_cols, n2 = xb.n_cols;
  sdk::check_allocation(std::string(fn) + ": " + std::to_string(matrices) + " matrices of " +
                            std::to_string(n1) + " x " + std::to_string(n2),
                        double(n1), double(n2) * double(matrices + 1));

  // Σ_0 and the variances; then the variance entering each activation (l = 0..max_depth−1).
  sdk::KernelState s = sdk::layers::input_kernel(xa, xb, symmetric, false, fn);
  std::vector<DenseCoefficients> dense(std::size_t(max_depth) + 1);
  const std::size_t activations = std::size_t(max_depth);
  std::vector<arma::vec> var1(activations), var2(activations);
  {
    arma::vec v1 = s.diag1, v2 = s.diag2;
    for (int l = 0; l <= max_depth; ++l) {
      dense[std::size_t(l)] =
          dense_coefficients(config_, l == 0 ? double(xa.n_rows) : config_.standard_width);
      const DenseCoefficients& k = dense[std::size_t(l)];
      v1 = k.nngp_scale * v1 + k.nngp_shift;
      if (!symmetric) v2 = k.nngp_scale * v2 + k.nngp_shift;
      if (l == max_depth) break;
      var1[std::size_t(l)] = v1;
      if (!symmetric) var2[std::size_t(l)] = v2;
      if (config_.activation == Activation::relu) {
        sdk::layers::relu_variances(v1.memptr(), v1.n_elem);
        if (!symmetric) sdk::layers::relu_variances(v2.memptr(), v2.n_elem);
      } else {
        sdk::layers::erf_variances(v1.memptr(), v1.n_elem);
        if (!symmetric) sdk::layers::erf_variances(v2.memptr(), v2.n_elem);
      }
    }
  }

  // Output storage: ntk of member (d, F) at ntk_out[d][F]; nngp of depth d at nngp_out[d].
  std::vector<std::vector<double*>> ntk_out(std::size_t(max_depth) + 1);
  std::vector<double*> nngp_out(std::size_t(max_depth) + 1, nullptr);
  std::vector<arma::mat> nngp_store(std::size_t(max_depth) + 1);
  {
    std::size_t m = 0;
    for (int d = 0; d <= max_depth; ++d) {
      if (!wanted[std::size_t(d)]) continue;
      if (request.nngp) {
        nngp_store[std::size_t(d)].set_size(n1, n2);
        nngp_out[std::size_t(d)] = nngp_store[std::size_t(d)].memptr();
      }
      for (int F = 0; F <= d; ++F, ++m) {
        if (!request.ntk) continue;
        members[m].ntk.set_size(n1, n2);
        ntk_out[std::size_t(d)].push_back(members[m].ntk.memptr());
      }
    }
  }

  const double* sigma0 = s.nngp.memptr();
  const bool relu = config_.activation == Activation::relu;
  // The request's sink hears of every finished column (weighted by its entries).
  sdk::ProgressCounter progress(sdk::ProgressSpan{request.progress},
                                symmetric ? 0.5 * double(n2) * double(n2 + 1)
                                          : double(n1) * double(n2));
#pragma omp parallel
  {
    std::array<double, kChunk> c{}, dot{}, v2{};
    std::vector<std::array<double, kChunk>> H(std::size_t(max_depth) + 1);
#pragma omp for schedule(dynamic, 8)
    for (arma::uword j = 0; j < n2; ++j) {
      const arma::uword rows = symmetric ? j + 1 : n1;
      for (arma::uword i0 = 0; i0 < rows; i0 += kChunk) {
        const arma::uword len = std::min(kChunk, rows - i0);
        const arma::uword offset = j * n1 + i0;
        const bool has_diagonal = symmetric && j >= i0 && j < i0 + len;
        std::copy_n(sigma0 + offset, len, c.data());
        for (int l = 0; l <= max_depth; ++l) {
          const DenseCoefficients& k = dense[std::size_t(l)];
          std::fill_n(H[std::size_t(l)].data(), len, 0.0);
          for (int F = 0; F <= l; ++F) {
            double* h = H[std::size_t(F)].data();
#pragma omp simd
            for (arma::uword i = 0; i < len; ++i)
              h[i] = (k.ntk_from_nngp * c[i] + k.ntk_shift) + k.ntk_scale * h[i];
          }
#pragma omp simd
          for (arma::uword i = 0; i < len; ++i) c[i] = k.nngp_scale * c[i] + k.nngp_shift;
          if (wanted[std::size_t(l)]) {
            if (request.nngp) std::copy_n(c.data(), len, nngp_out[std::size_t(l)] + offset);
            if (request.ntk)
              for (int F = 0; F <= l; ++F)
                std::copy_n(H[std::size_t(F)].data(), len,
                            ntk_out[std::size_t(l)][std::size_t(F)] + offset);
          }
          if (l == max_depth) break;
          const arma::vec& w1 = var1[std::size_t(l)];
          const double var_j = symmetric ? w1[j] : var2[std::size_t(l)][j];
          std::fill_n(v2.data(), len, var_j);
          if (has_diagonal) c[j - i0] = var_j;  // as apply_rules: Σ12 = the variance there
          std::fill_n(dot.data(), len, 1.0);
          if (relu)
            sdk::layers::relu_entries(c.data(), dot.data(), w1.memptr() + i0, v2.data(), len);
          else
            sdk::layers::erf_entries(c.data(), dot.data(), w1.memptr() + i0, v2.data(), len);
          for (int F = 0; F <= l; ++F) {
            double* h = H[std::size_t(F)].data();
#pragma omp simd
            for (arma::uword i = 0; i < len; ++i) h[i] *= dot[i];
          }
        }
      }
      progress.add(double(rows));
    }
  }
  progress.finish();
  s.nngp.reset();

  std::size_t m = 0;
  for (int d = 0; d <= max_depth; ++d) {
    if (!wanted[std::size_t(d)]) continue;
    if (symmetric && request.nngp) sdk::layers::mirror_upper(nngp_store[std::size_t(d)]);
    for (int F = 0; F <= d; ++F, ++m) {
      if (symmetric && request.ntk) sdk::layers::mirror_upper(members[m].ntk);
      if (request.nngp)
        members[m].nngp = F == d ? std::move(nngp_store[std::size_t(d)])
                                 : nngp_store[std::size_t(d)];
    }
  }
  return members;
}

}  // namespace ntk::fc
