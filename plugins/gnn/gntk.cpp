#include "gntk.hpp"

#include <algorithm>
#include <cmath>
#include <exception>
#include <string>

#include "arc_cosine.hpp"
#include "ntk/sdk/checks.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::gnn {

namespace {

double sum_of(const double* x, arma::uword n) {
  double s = 0.0;
#pragma omp simd reduction(+ : s)
  for (arma::uword i = 0; i < n; ++i) s += x[i];
  return s;
}

arma::uword max_nodes(const std::vector<PreparedGraph>& graphs) {
  arma::uword m = 0;
  for (const auto& g : graphs) m = std::max(m, g.nodes);
  return m;
}

std::vector<GraphDiagonals> all_diagonals(const std::vector<PreparedGraph>& graphs,
                                          const Config& config) {
  std::vector<GraphDiagonals> out(graphs.size());
#pragma omp parallel for schedule(dynamic, 8)
  for (std::size_t i = 0; i < graphs.size(); ++i) out[i] = graph_diagonals(graphs[i], config);
  return out;
}

// Copies the upper triangle into the lower one in place (no second n × n matrix).
void mirror_upper(arma::mat& k) {
  for (arma::uword j = 0; j < k.n_cols; ++j)
    for (arma::uword i = j + 1; i < k.n_rows; ++i) k(i, j) = k(j, i);
}

}  // namespace

void PairWorkspace::reserve(arma::uword entries) {
  if (sigma.size() < entries) {
    sigma.resize(entries);
    ntk.resize(entries);
    work.resize(entries);
  }
}

GraphDiagonals graph_diagonals(const PreparedGraph& g, const Config& config) {
  const arma::uword n = g.nodes;
  arma::mat sigma(n, n), work(n, n);
  input_pair_kernel(g, g, sigma.memptr());
  GraphDiagonals out;
  arma::vec ones_d(n);
  for (arma::uword b = 0; b < config.blocks; ++b) {
    aggregate_pair(g, g, sigma.memptr(), sigma.memptr(), work.memptr());
    for (arma::uword r = 0; r < config.mlp_layers; ++r) {
      arma::vec d = arma::sqrt(arma::clamp(sigma.diag(), 0.0, arma::datum::inf));
      arma::vec inv_d(n);
      for (arma::uword u = 0; u < n; ++u) inv_d(u) = d(u) > 0 ? 1.0 / d(u) : 0.0;
      relu_layer(sigma.memptr(), nullptr, n, n, d.memptr(), inv_d.memptr(), d.memptr(),
                 inv_d.memptr());
      out.d.push_back(std::move(d));
      out.inv_d.push_back(std::move(inv_d));
    }
  }
  return out;
}

PairValue gntk_pair(const PreparedGraph& g1, const GraphDiagonals& diag1, const PreparedGraph& g2,
                    const GraphDiagonals& diag2, const Config& config, bool with_ntk,
                    PairWorkspace& ws) {
  const arma::uword n1 = g1.nodes, n2 = g2.nodes, entries = n1 * n2;
  ws.reserve(entries);
  double* sigma = ws.sigma.data();
  double* ntk = with_ntk ? ws.ntk.data() : nullptr;
  double* work = ws.work.data();

  input_pair_kernel(g1, g2, sigma);
  PairValue jump;  // jumping-knowledge sums: the input term, then each BLOCK's output
  jump.nngp = jump.ntk = sum_of(sigma, entries);
  for (arma::uword b = 0; b < config.blocks; ++b) {
    aggregate_pair(g1, g2, sigma, sigma, work);
    // Θ equals Σ after the first aggregation (Θ₀ = Σ₀), so aggregate it only from BLOCK 2 on.
    if (ntk != nullptr) {
      if (b == 0) std::copy(sigma, sigma + entries, ntk);
      else aggregate_pair(g1, g2, ntk, ntk, work);
    }
    for (arma::uword r = 0; r < config.mlp_layers; ++r) {
      const arma::uword layer = b * config.mlp_layers + r;
      relu_layer(sigma, ntk, n1, n2, diag1.d[layer].memptr(), diag1.inv_d[layer].memptr(),
                 diag2.d[layer].memptr(), diag2.inv_d[layer].memptr());
    }
    if (config.jumping_knowledge) {
      jump.nngp += sum_of(sigma, entries);
      if (ntk != nullptr) jump.ntk += sum_of(ntk, entries);
    }
  }
  PairValue out;
  if (config.jumping_knowledge) {
    out.nngp = 2.0 * jump.nngp;
    out.ntk = ntk != nullptr ? 2.0 * jump.ntk : 0.0;
  } else {
    out.nngp = 2.0 * sum_of(sigma, entries);
    out.ntk = ntk != nullptr ? 2.0 * sum_of(ntk, entries) : 0.0;
  }
  return out;
}

sdk::Kernels gntk_kernels(const sdk::Inputs& a, const sdk::Inputs& b, sdk::KernelRequest what,
                          const Config& config) {
  const std::string where = "gnn kernels()";
  const bool symmetric = &a == &b;
  arma::uword fa = 0, fb = 0;
  const std::vector<PreparedGraph> ga = prepare_graphs(a, config.scale, where, fa);
  const std::vector<PreparedGraph> gb_own =
      symmetric ? std::vector<PreparedGraph>{} : prepare_graphs(b, config.scale, where, fb);
  const std::vector<PreparedGraph>& gb = symmetric ? ga : gb_own;
  if (!symmetric && !ga.empty() && !gb.empty() && fa != fb)
    throw_error(where, ": the first graphs have ", fa, " node features and the second ", fb,
                "; both need the same feature dimension");

  const arma::uword n1 = ga.size(), n2 = gb.size();
  const double copies = double(what.nngp) + double(what.ntk);
  sdk::check_allocation(where + ": the " + std::to_string(n1) + " x " + std::to_string(n2) +
                            " kernel matrices",
                        double(n1) * copies, double(n2));
  const arma::uword largest = std::max(max_nodes(ga), max_nodes(gb));
  sdk::check_allocation(where + ": the node-pair kernel of the largest graphs (per thread)",
                        3.0 * double(largest), double(largest));

  const std::vector<GraphDiagonals> da = all_diagonals(ga, config);
  const std::vector<GraphDiagonals> db_own =
      symmetric ? std::vector<GraphDiagonals>{} : all_diagonals(gb, config);
  const std::vector<GraphDiagonals>& db = symmetric ? da : db_own;

  sdk::Kernels out;
  if (what.nngp) out.nngp.set_size(n1, n2);
  if (what.ntk) out.ntk.set_size(n1, n2);
  const bool with_ntk = what.ntk;

#pragma omp parallel
  {
    PairWorkspace ws;
#pragma omp for schedule(dynamic, 1)
    for (arma::uword i = 0; i < n1; ++i) {
      for (arma::uword j = symmetric ? i : 0; j < n2; ++j) {
        const PairValue v = gntk_pair(ga[i], da[i], gb[j], db[j], config, with_ntk, ws);
        if (what.nngp) out.nngp(i, j) = v.nngp;
        if (what.ntk) out.ntk(i, j) = v.ntk;
      }
    }
  }
  if (symmetric) {
    if (what.nngp) mirror_upper(out.nngp);
    if (what.ntk) mirror_upper(out.ntk);
  }
  return out;
}

}  // namespace ntk::gnn
