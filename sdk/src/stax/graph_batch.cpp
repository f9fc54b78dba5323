#include "graph_batch.hpp"

#include <cmath>

#include "ntk/sdk/error.hpp"

namespace ntk::sdk::graph {
namespace {

const char* kind_name(Inputs::Kind kind) {
  switch (kind) {
    case Inputs::Kind::dense: return "dense vectors";
    case Inputs::Kind::images: return "images";
    default: return "graphs";
  }
}

PreparedGraph prepare_one(const Graph& g, arma::uword index, const std::string& where) {
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
  p.features = &g.features;
  // Rows of A + I from the columns of A (A is symmetric, so column u lists the row too).
  p.ptr.assign(1, 0);
  for (arma::uword u = 0; u < n; ++u) {
    double row_sum = 1.0;
    p.idx.push_back(u);
    p.val[0].push_back(1.0);
    for (auto it = a.begin_col(u); it != a.end_col(u); ++it) {
      const arma::uword v = it.row();
      const double w = *it;
      if (v == u)
        throw_error(where, ": graph ", index + 1, " has a self-loop at node ", u + 1,
                    " (aggregation adds self-loops itself; give A without them)");
      if (!std::isfinite(w) || w < 0)
        throw_error(where, ": graph ", index + 1, " has adjacency entry (", v + 1, ", ", u + 1,
                    ") = ", w, "; finite non-negative weights are expected");
      if (a(u, v) != w)
        throw_error(where, ": graph ", index + 1, " has a non-symmetric adjacency: entry (",
                    v + 1, ", ", u + 1, ") = ", w, " but (", u + 1, ", ", v + 1, ") = ", a(u, v));
      p.idx.push_back(v);
      p.val[0].push_back(w);
      row_sum += w;
    }
    for (arma::uword k = p.ptr.back(); k < p.idx.size(); ++k) p.val[1].push_back(p.val[0][k] / row_sum);
    p.ptr.push_back(p.idx.size());
  }
  p.fptr.assign(1, 0);
  for (arma::uword u = 0; u < n; ++u) {
    for (arma::uword k = 0; k < g.features.n_rows; ++k)
      if (g.features(k, u) != 0.0) {
        p.fidx.push_back(k);
        p.fval.push_back(g.features(k, u));
      }
    p.fptr.push_back(p.fidx.size());
  }
  return p;
}

int index(GraphScale s) { return s == GraphScale::uniform ? 0 : 1; }

}  // namespace

std::vector<PreparedGraph> prepare_graphs(const std::vector<Graph>& list, const std::string& where,
                                          arma::uword& features) {
  features = list.empty() ? 0 : list.front().features.n_rows;
  std::vector<PreparedGraph> out;
  out.reserve(list.size());
  for (arma::uword i = 0; i < list.size(); ++i) {
    if (list[i].features.n_rows != features)
      throw_error(where, ": graph ", i + 1, " has ", list[i].features.n_rows,
                  " node features but graph 1 has ", features,
                  "; all graphs need the same feature dimension");
    out.push_back(prepare_one(list[i], i, where));
  }
  return out;
}

std::vector<PreparedGraph> prepare_graphs(const Inputs& in, const std::string& where,
                                          arma::uword& features) {
  if (in.kind() != Inputs::Kind::graphs)
    throw_error(where, ": the inputs are ", kind_name(in.kind()),
                "; graph layers take graphs (Inputs::graphs, or ntk.data.tu in Lua)");
  return prepare_graphs(in.graph_list(), where, features);
}

void aggregate_pair(const PreparedGraph& g1, const PreparedGraph& g2, GraphScale scale,
                    const double* k, double* out, double* work) {
  const arma::uword n1 = g1.nodes, n2 = g2.nodes;
  const double* val1 = g1.val[index(scale)].data();
  const double* val2 = g2.val[index(scale)].data();
  // work(:, j) = Σ_v M₂(j, v) K(:, v)   (K M₂ᵀ, whole columns at a time)
  for (arma::uword j = 0; j < n2; ++j) {
    double* w = work + j * n1;
    for (arma::uword i = 0; i < n1; ++i) w[i] = 0.0;
    for (arma::uword e = g2.ptr[j]; e < g2.ptr[j + 1]; ++e) {
      const double m = val2[e];
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
      for (arma::uword e = g1.ptr[i]; e < g1.ptr[i + 1]; ++e) s += val1[e] * w[g1.idx[e]];
      o[i] = s;
    }
  }
}

void input_pair_kernel(const PreparedGraph& g1, const PreparedGraph& g2, double scale,
                       double* out) {
  const arma::uword n1 = g1.nodes, n2 = g2.nodes;
  const arma::mat& f2 = *g2.features;
  for (arma::uword j = 0; j < n2; ++j) {
    const double* x2 = f2.colptr(j);
    for (arma::uword i = 0; i < n1; ++i) {
      double s = 0.0;
      for (arma::uword e = g1.fptr[i]; e < g1.fptr[i + 1]; ++e) s += g1.fval[e] * x2[g1.fidx[e]];
      out[i + j * n1] = scale == 1.0 ? s : s * scale;
    }
  }
}

arma::mat pack_graphs(const Inputs& in, const std::string& where) {
  arma::uword f = 0;
  const std::vector<PreparedGraph> checked = prepare_graphs(in, where, f);  // validates
  const auto& list = in.graph_list();
  arma::uword rows = 2;
  for (const Graph& g : list) rows = std::max(rows, 2 + f * g.features.n_cols + 3 * g.adjacency.n_nonzero);
  arma::mat packed(rows, list.size(), arma::fill::zeros);
  for (arma::uword i = 0; i < list.size(); ++i) {
    const Graph& g = list[i];
    double* c = packed.colptr(i);
    c[0] = double(g.features.n_cols);
    c[1] = double(g.adjacency.n_nonzero);
    std::copy_n(g.features.memptr(), g.features.n_elem, c + 2);
    double* e = c + 2 + g.features.n_elem;
    for (auto it = g.adjacency.begin(); it != g.adjacency.end(); ++it) {
      *e++ = double(it.row());
      *e++ = double(it.col());
      *e++ = *it;
    }
  }
  return packed;
}

Batch unpack_graphs(const arma::mat& packed, arma::uword f) {
  Batch b;
  b.graphs.resize(packed.n_cols);
  b.start.assign(1, 0);
  for (arma::uword i = 0; i < packed.n_cols; ++i) {
    const double* c = packed.colptr(i);
    const arma::uword nodes = arma::uword(c[0]), edges = arma::uword(c[1]);
    Graph& g = b.graphs[i];
    g.features = arma::mat(c + 2, f, nodes);
    arma::umat locations(2, edges);
    arma::vec values(edges);
    const double* e = c + 2 + f * nodes;
    for (arma::uword k = 0; k < edges; ++k) {
      locations(0, k) = arma::uword(e[3 * k]);
      locations(1, k) = arma::uword(e[3 * k + 1]);
      values(k) = e[3 * k + 2];
    }
    g.adjacency = arma::sp_mat(locations, values, nodes, nodes);
    b.start.push_back(b.start.back() + nodes);
  }
  arma::uword features = 0;
  b.prepared = prepare_graphs(b.graphs, "graph batch", features);
  b.features.set_size(f, b.start.back());
  for (arma::uword i = 0; i < b.graphs.size(); ++i)
    if (b.start[i + 1] > b.start[i]) b.features.cols(b.start[i], b.start[i + 1] - 1) = b.graphs[i].features;
  return b;
}

arma::mat aggregate_nodes(const Batch& b, GraphScale scale, const arma::mat& h, arma::uword r) {
  arma::mat out(h.n_rows, h.n_cols, arma::fill::zeros);
  for (arma::uword i = 0; i < b.prepared.size(); ++i) {
    const PreparedGraph& g = b.prepared[i];
    const std::vector<double>& val = g.val[index(scale)];
    const arma::uword s = b.start[i];
    for (arma::uword u = 0; u < g.nodes; ++u)
      for (arma::uword e = g.ptr[u]; e < g.ptr[u + 1]; ++e)
        for (arma::uword o = 0; o < r; ++o)
          out.col((s + u) * r + o) += val[e] * h.col((s + g.idx[e]) * r + o);
  }
  return out;
}

arma::mat aggregate_nodes_adjoint(const Batch& b, GraphScale scale, const arma::mat& grad,
                                  arma::uword r) {
  arma::mat out(grad.n_rows, grad.n_cols, arma::fill::zeros);
  for (arma::uword i = 0; i < b.prepared.size(); ++i) {
    const PreparedGraph& g = b.prepared[i];
    const std::vector<double>& val = g.val[index(scale)];
    const arma::uword s = b.start[i];
    for (arma::uword u = 0; u < g.nodes; ++u)
      for (arma::uword e = g.ptr[u]; e < g.ptr[u + 1]; ++e)
        for (arma::uword o = 0; o < r; ++o)
          out.col((s + g.idx[e]) * r + o) += val[e] * grad.col((s + u) * r + o);
  }
  return out;
}

arma::mat reduce_nodes(const Batch& b, GraphReduce reduce, const arma::mat& h, arma::uword r) {
  const arma::uword n = b.prepared.size();
  arma::mat out(h.n_rows, n * r, arma::fill::zeros);
  for (arma::uword i = 0; i < n; ++i) {
    const arma::uword nodes = b.start[i + 1] - b.start[i];
    const double w = reduce == GraphReduce::mean && nodes > 0 ? 1.0 / double(nodes) : 1.0;
    for (arma::uword u = b.start[i]; u < b.start[i + 1]; ++u)
      for (arma::uword o = 0; o < r; ++o) out.col(i * r + o) += h.col(u * r + o);
    if (w != 1.0) out.cols(i * r, i * r + r - 1) *= w;
  }
  return out;
}

arma::mat expand_graphs(const Batch& b, GraphReduce reduce, const arma::mat& g, arma::uword r) {
  const arma::uword n = b.prepared.size();
  arma::mat out(g.n_rows, b.start.back() * r);
  for (arma::uword i = 0; i < n; ++i) {
    const arma::uword nodes = b.start[i + 1] - b.start[i];
    const double w = reduce == GraphReduce::mean && nodes > 0 ? 1.0 / double(nodes) : 1.0;
    for (arma::uword u = b.start[i]; u < b.start[i + 1]; ++u)
      for (arma::uword o = 0; o < r; ++o) out.col(u * r + o) = w * g.col(i * r + o);
  }
  return out;
}

}  // namespace ntk::sdk::graph
