#include "graph_batch.hpp"

#include <cmath>

#include "ntk/sdk/checks.hpp"
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
  const arma::sp_mat& x = g.features;
  if (x.n_cols != n)
    throw_error(where, ": graph ", index + 1, " has ", n, " nodes but its feature matrix is ",
                x.n_rows, " x ", x.n_cols, " (features x nodes expected)");
  if (!x.is_finite())
    throw_error(where, ": graph ", index + 1, " has a non-finite node feature");
  PreparedGraph p;
  p.nodes = n;
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
  // The features' compressed columns as they are (rows ascending within a column).
  x.sync();
  p.fptr.assign(1, 0);
  p.fidx.reserve(x.n_nonzero);
  p.fval.reserve(x.n_nonzero);
  for (arma::uword u = 0; u < n; ++u) {
    for (arma::uword k = x.col_ptrs[u]; k < x.col_ptrs[u + 1]; ++k)
      if (x.values[k] != 0.0) {
        p.fidx.push_back(x.row_indices[k]);
        p.fval.push_back(x.values[k]);
      }
    p.fptr.push_back(p.fidx.size());
  }
  // Dense attributes: a dense copy costs no more than the sparse form (8 bytes per entry
  // against 16 per non-zero) and keeps SDK 3's input kernel loop for them.
  if (n > 0 && x.n_rows > 0 && 2.0 * double(p.fidx.size()) >= double(x.n_rows) * double(n))
    p.dense_features = arma::mat(x);
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

// Both paths add the same products in the same order (g1's features ascending, zeros of a
// dense g2 adding nothing) with explicit fused multiply-adds, so that the kernel does not
// depend on how the features are stored: the compiler would otherwise contract one loop and
// not the other, and one ulp in Σ₀ moves the NTK by ~1e-8 where ρ = 1 (graph_relu.hpp).
void input_pair_kernel(const PreparedGraph& g1, const PreparedGraph& g2, double scale,
                       double* out) {
  const arma::uword n1 = g1.nodes, n2 = g2.nodes;
  const arma::uword* ptr1 = g1.fptr.data();
  const arma::uword* idx1 = g1.fidx.data();
  const double* val1 = g1.fval.data();
  if (!g2.dense_features.is_empty()) {
    const arma::mat& f2 = g2.dense_features;
    for (arma::uword j = 0; j < n2; ++j) {
      const double* x2 = f2.colptr(j);
      for (arma::uword i = 0; i < n1; ++i) {
        double s = 0.0;
        for (arma::uword e = ptr1[i]; e < ptr1[i + 1]; ++e) s = std::fma(val1[e], x2[idx1[e]], s);
        out[i + j * n1] = scale == 1.0 ? s : s * scale;
      }
    }
    return;
  }
  // Both sparse: merge the two ascending index lists of each node pair.
  const arma::uword* idx2 = g2.fidx.data();
  const double* val2 = g2.fval.data();
  for (arma::uword j = 0; j < n2; ++j) {
    const arma::uword b0 = g2.fptr[j], b1 = g2.fptr[j + 1];
    double* o = out + j * n1;
    for (arma::uword i = 0; i < n1; ++i) {
      arma::uword a = ptr1[i], b = b0;
      const arma::uword a1 = ptr1[i + 1];
      double s = 0.0;
      while (a < a1 && b < b1) {
        const arma::uword ka = idx1[a], kb = idx2[b];
        if (ka == kb) s = std::fma(val1[a++], val2[b++], s);
        else if (ka < kb) ++a;
        else ++b;
      }
      o[i] = scale == 1.0 ? s : s * scale;
    }
  }
}

namespace {

// Whether a graph's features are packed as the dense f × nodes block (not larger than the
// triplets) rather than as (row, node, value) triplets.
bool pack_dense(const Graph& g) {
  return double(g.features.n_rows) * double(g.features.n_cols) <= 3.0 * double(g.features.n_nonzero);
}

}  // namespace

arma::mat pack_graphs(const Inputs& in, const std::string& where) {
  arma::uword f = 0;
  const std::vector<PreparedGraph> checked = prepare_graphs(in, where, f);  // validates
  const auto& list = in.graph_list();
  double rows = 3;
  for (const Graph& g : list) {
    const double x = pack_dense(g) ? double(f) * double(g.features.n_cols)
                                   : 3.0 * double(g.features.n_nonzero);
    rows = std::max(rows, 3 + x + 3.0 * double(g.adjacency.n_nonzero));
  }
  check_allocation(where + ": the packed graphs (" + std::to_string(list.size()) + " columns)",
                   rows, double(list.size()));
  arma::mat packed(arma::uword(rows), list.size(), arma::fill::zeros);
  for (arma::uword i = 0; i < list.size(); ++i) {
    const Graph& g = list[i];
    double* c = packed.colptr(i);
    c[0] = double(g.features.n_cols);
    c[1] = double(g.adjacency.n_nonzero);
    double* e = c + 3;
    if (pack_dense(g)) {
      c[2] = -1.0;
      const arma::mat dense(g.features);
      e = std::copy_n(dense.memptr(), dense.n_elem, e);
    } else {
      c[2] = double(g.features.n_nonzero);
      for (auto it = g.features.begin(); it != g.features.end(); ++it) {
        *e++ = double(it.row());
        *e++ = double(it.col());
        *e++ = *it;
      }
    }
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
  std::vector<arma::uword> rows, cols;  // the batch's feature entries (node offsets added)
  std::vector<double> values;
  for (arma::uword i = 0; i < packed.n_cols; ++i) {
    const double* c = packed.colptr(i);
    const arma::uword nodes = arma::uword(c[0]), edges = arma::uword(c[1]);
    const arma::uword offset = b.start.back();
    Graph& g = b.graphs[i];
    const double* e = c + 3;
    if (c[2] < 0) {
      g.features = arma::sp_mat(arma::mat(e, f, nodes));
      e += f * nodes;
    } else {
      const arma::uword m = arma::uword(c[2]);
      arma::umat locations(2, m);
      arma::vec v(m);
      for (arma::uword k = 0; k < m; ++k) {
        locations(0, k) = arma::uword(e[3 * k]);
        locations(1, k) = arma::uword(e[3 * k + 1]);
        v(k) = e[3 * k + 2];
      }
      g.features = arma::sp_mat(locations, v, f, nodes);
      e += 3 * m;
    }
    for (auto it = g.features.begin(); it != g.features.end(); ++it) {
      rows.push_back(it.row());
      cols.push_back(offset + it.col());
      values.push_back(*it);
    }
    arma::umat locations(2, edges);
    arma::vec weights(edges);
    for (arma::uword k = 0; k < edges; ++k) {
      locations(0, k) = arma::uword(e[3 * k]);
      locations(1, k) = arma::uword(e[3 * k + 1]);
      weights(k) = e[3 * k + 2];
    }
    g.adjacency = arma::sp_mat(locations, weights, nodes, nodes);
    b.start.push_back(offset + nodes);
  }
  arma::uword features = 0;
  b.prepared = prepare_graphs(b.graphs, "graph batch", features);
  arma::umat locations(2, values.size());
  for (std::size_t k = 0; k < values.size(); ++k) {
    locations(0, k) = rows[k];
    locations(1, k) = cols[k];
  }
  b.features = arma::sp_mat(locations, arma::vec(values), f, b.start.back());
  return b;
}

arma::sp_mat aggregate_sparse(const Batch& b, GraphScale scale, const arma::sp_mat& h) {
  // M of the whole batch, block-diagonal; H Mᵀ keeps H sparse (a node's entries spread to its
  // neighbours only).
  arma::uword entries = 0;
  for (const PreparedGraph& g : b.prepared) entries += g.idx.size();
  arma::umat locations(2, entries);
  arma::vec values(entries);
  arma::uword k = 0;
  for (arma::uword i = 0; i < b.prepared.size(); ++i) {
    const PreparedGraph& g = b.prepared[i];
    const std::vector<double>& val = g.val[index(scale)];
    for (arma::uword u = 0; u < g.nodes; ++u)
      for (arma::uword e = g.ptr[u]; e < g.ptr[u + 1]; ++e, ++k) {
        locations(0, k) = b.start[i] + g.idx[e];  // row v of Mᵀ, column u
        locations(1, k) = b.start[i] + u;
        values(k) = val[e];
      }
  }
  const arma::sp_mat mt(locations, values, b.start.back(), b.start.back());
  return h * mt;
}

arma::sp_mat reduce_sparse(const Batch& b, GraphReduce reduce, const arma::sp_mat& h) {
  const arma::uword n = b.prepared.size(), total = b.start.back();
  arma::umat locations(2, total);
  arma::vec values(total);
  for (arma::uword i = 0; i < n; ++i) {
    const arma::uword nodes = b.start[i + 1] - b.start[i];
    const double w = reduce == GraphReduce::mean && nodes > 0 ? 1.0 / double(nodes) : 1.0;
    for (arma::uword u = b.start[i]; u < b.start[i + 1]; ++u) {
      locations(0, u) = u;
      locations(1, u) = i;
      values(u) = w;
    }
  }
  return h * arma::sp_mat(locations, values, total, n);
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
