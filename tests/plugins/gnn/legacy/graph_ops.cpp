#include "graph_ops.hpp"

#include <cmath>

#include "ntk/sdk/error.hpp"

namespace ntk::legacy_gnn {

namespace {

const char* kind_name(sdk::Inputs::Kind kind) {
  switch (kind) {
    case sdk::Inputs::Kind::dense: return "dense vectors";
    case sdk::Inputs::Kind::images: return "images";
    default: return "graphs";
  }
}

PreparedGraph prepare_one(const sdk::Graph& g, arma::uword index, Scale scale,
                          const std::string& where) {
  const arma::sp_mat& a = g.adjacency;
  const arma::uword n = a.n_rows;
  if (a.n_cols != n)
    throw_error(where, ": graph ", index + 1, " has a ", a.n_rows, " x ", a.n_cols,
                " adjacency; a square n x n matrix is expected");
  if (g.features.n_cols != n)
    throw_error(where, ": graph ", index + 1, " has ", n, " nodes but its feature matrix is ",
                g.features.n_rows, " x ", g.features.n_cols, " (features x nodes expected)");
  if (!g.features.is_finite())
    throw_error(where, ": graph ", index + 1, " has a non-finite node feature");

  PreparedGraph p;
  p.nodes = n;
  p.graph = &g;
  // Rows of A + I from the columns of A (A is symmetric, so column u lists the row too).
  p.ptr.assign(1, 0);
  for (arma::uword u = 0; u < n; ++u) {
    double row_sum = 1.0;
    p.idx.push_back(u);
    p.val.push_back(1.0);
    for (auto it = a.begin_col(u); it != a.end_col(u); ++it) {
      const arma::uword v = it.row();
      const double w = *it;
      if (v == u)
        throw_error(where, ": graph ", index + 1, " has a self-loop at node ", u + 1,
                    " (the BLOCK adds self-loops itself; give A without them)");
      if (!std::isfinite(w) || w < 0)
        throw_error(where, ": graph ", index + 1, " has adjacency entry (", v + 1, ", ", u + 1,
                    ") = ", w, "; finite non-negative weights are expected");
      if (a(u, v) != w)
        throw_error(where, ": graph ", index + 1, " has a non-symmetric adjacency: entry (",
                    v + 1, ", ", u + 1, ") = ", w, " but (", u + 1, ", ", v + 1, ") = ", a(u, v));
      p.idx.push_back(v);
      p.val.push_back(w);
      row_sum += w;
    }
    if (scale == Scale::degree)
      for (arma::uword k = p.ptr.back(); k < p.idx.size(); ++k) p.val[k] /= row_sum;
    p.ptr.push_back(p.idx.size());
  }
  p.dense_features = arma::mat(g.features);
  const arma::mat& x = p.dense_features;
  p.fptr.assign(1, 0);
  for (arma::uword u = 0; u < n; ++u) {
    for (arma::uword k = 0; k < x.n_rows; ++k)
      if (x(k, u) != 0.0) {
        p.fidx.push_back(k);
        p.fval.push_back(x(k, u));
      }
    p.fptr.push_back(p.fidx.size());
  }
  return p;
}

}  // namespace

void require_graphs(const sdk::Inputs& in, const std::string& where) {
  if (in.kind() != sdk::Inputs::Kind::graphs)
    throw_error(where, ": the inputs are ", kind_name(in.kind()),
                "; the gnn plugin takes graphs (Inputs::graphs, or ntk.data.tu in Lua)");
}

std::vector<PreparedGraph> prepare_graphs(const sdk::Inputs& in, Scale scale,
                                          const std::string& where, arma::uword& features) {
  require_graphs(in, where);
  const auto& list = in.graph_list();
  features = list.empty() ? 0 : list.front().features.n_rows;
  std::vector<PreparedGraph> out;
  out.reserve(list.size());
  for (arma::uword i = 0; i < list.size(); ++i) {
    if (list[i].features.n_rows != features)
      throw_error(where, ": graph ", i + 1, " has ", list[i].features.n_rows,
                  " node features but graph 1 has ", features,
                  "; all graphs need the same feature dimension");
    out.push_back(prepare_one(list[i], i, scale, where));
  }
  return out;
}

void aggregate_pair(const PreparedGraph& g1, const PreparedGraph& g2, const double* k,
                    double* out, double* work) {
  const arma::uword n1 = g1.nodes, n2 = g2.nodes;
  // work(:, j) = Σ_v M₂(j, v) K(:, v)   (K M₂ᵀ, whole columns at a time)
  for (arma::uword j = 0; j < n2; ++j) {
    double* w = work + j * n1;
    for (arma::uword i = 0; i < n1; ++i) w[i] = 0.0;
    for (arma::uword e = g2.ptr[j]; e < g2.ptr[j + 1]; ++e) {
      const double m = g2.val[e];
      const double* col = k + g2.idx[e] * n1;
#pragma omp simd
      for (arma::uword i = 0; i < n1; ++i) w[i] += m * col[i];
    }
  }
  // out(i, j) = Σ_v M₁(i, v) work(v, j)
  for (arma::uword j = 0; j < n2; ++j) {
    const double* w = work + j * n1;
    double* o = out + j * n1;
    for (arma::uword i = 0; i < n1; ++i) {
      double s = 0.0;
      for (arma::uword e = g1.ptr[i]; e < g1.ptr[i + 1]; ++e) s += g1.val[e] * w[g1.idx[e]];
      o[i] = s;
    }
  }
}

void input_pair_kernel(const PreparedGraph& g1, const PreparedGraph& g2, double* out) {
  const arma::uword n1 = g1.nodes, n2 = g2.nodes;
  const arma::mat& f2 = g2.dense_features;
  for (arma::uword j = 0; j < n2; ++j) {
    const double* x2 = f2.colptr(j);
    for (arma::uword i = 0; i < n1; ++i) {
      double s = 0.0;
      for (arma::uword e = g1.fptr[i]; e < g1.fptr[i + 1]; ++e) s += g1.fval[e] * x2[g1.fidx[e]];
      out[i + j * n1] = s;
    }
  }
}

arma::mat aggregate_nodes(const PreparedGraph& g, const arma::mat& h) {
  arma::mat out(h.n_rows, g.nodes, arma::fill::zeros);
  for (arma::uword u = 0; u < g.nodes; ++u)
    for (arma::uword e = g.ptr[u]; e < g.ptr[u + 1]; ++e) out.col(u) += g.val[e] * h.col(g.idx[e]);
  return out;
}

arma::mat aggregate_nodes_adjoint(const PreparedGraph& g, const arma::mat& grad) {
  arma::mat out(grad.n_rows, g.nodes, arma::fill::zeros);
  for (arma::uword u = 0; u < g.nodes; ++u)
    for (arma::uword e = g.ptr[u]; e < g.ptr[u + 1]; ++e)
      out.col(g.idx[e]) += g.val[e] * grad.col(u);
  return out;
}

}  // namespace ntk::legacy_gnn
