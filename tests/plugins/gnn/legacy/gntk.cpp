#include "gntk.hpp"

#include <algorithm>
#include <cmath>
#include <exception>
#include <functional>
#include <string>

#include "arc_cosine.hpp"
#include "ntk/sdk/checks.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::legacy_gnn {

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

void gntk_pair_sums(const PreparedGraph& g1, const GraphDiagonals& diag1, const PreparedGraph& g2,
                    const GraphDiagonals& diag2, const Config& config, bool with_ntk,
                    PairWorkspace& ws, double* sigma_sums, double* ntk_sums) {
  const arma::uword n1 = g1.nodes, n2 = g2.nodes, entries = n1 * n2;
  ws.reserve(entries);
  double* sigma = ws.sigma.data();
  double* ntk = with_ntk ? ws.ntk.data() : nullptr;
  double* work = ws.work.data();

  input_pair_kernel(g1, g2, sigma);
  sigma_sums[0] = sum_of(sigma, entries);
  if (with_ntk) ntk_sums[0] = sigma_sums[0];  // Θ₀ = Σ₀
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
    sigma_sums[b + 1] = sum_of(sigma, entries);
    if (ntk != nullptr) ntk_sums[b + 1] = sum_of(ntk, entries);
  }
}

double gntk_readout(const double* sums, arma::uword blocks, bool jumping_knowledge) {
  if (!jumping_knowledge) return 2.0 * sums[blocks];
  double total = 0;
  for (arma::uword b = 0; b <= blocks; ++b) total += sums[b];
  return 2.0 * total;
}

PairValue gntk_pair(const PreparedGraph& g1, const GraphDiagonals& diag1, const PreparedGraph& g2,
                    const GraphDiagonals& diag2, const Config& config, bool with_ntk,
                    PairWorkspace& ws) {
  std::vector<double>& sums = ws.sums;
  sums.assign(2 * (config.blocks + 1), 0.0);
  double* sigma_sums = sums.data();
  double* ntk_sums = sums.data() + config.blocks + 1;
  gntk_pair_sums(g1, diag1, g2, diag2, config, with_ntk, ws, sigma_sums, ntk_sums);
  PairValue out;
  out.nngp = gntk_readout(sigma_sums, config.blocks, config.jumping_knowledge);
  if (with_ntk) out.ntk = gntk_readout(ntk_sums, config.blocks, config.jumping_knowledge);
  return out;
}

namespace {

// Runs `store(i, j, sigma_sums, ntk_sums)` for every graph pair (upper triangle when &a == &b),
// OpenMP over rows of pairs, after the checks shared by kernels() and kernel_family().
// `matrices` is the number of n1 × n2 outputs the caller will hold (for the memory check).
template <class Store>
void for_each_pair(const sdk::Inputs& a, const sdk::Inputs& b, const Config& config,
                   bool with_ntk, double matrices, const std::string& where, arma::uword& n1,
                   arma::uword& n2, const std::function<void(arma::uword, arma::uword)>& allocate,
                   Store&& store) {
  const bool symmetric = &a == &b;
  arma::uword fa = 0, fb = 0;
  const std::vector<PreparedGraph> ga = prepare_graphs(a, config.scale, where, fa);
  const std::vector<PreparedGraph> gb_own =
      symmetric ? std::vector<PreparedGraph>{} : prepare_graphs(b, config.scale, where, fb);
  const std::vector<PreparedGraph>& gb = symmetric ? ga : gb_own;
  if (!symmetric && !ga.empty() && !gb.empty() && fa != fb)
    throw_error(where, ": the first graphs have ", fa, " node features and the second ", fb,
                "; both need the same feature dimension");

  n1 = ga.size();
  n2 = gb.size();
  sdk::check_allocation(where + ": the " + std::to_string(n1) + " x " + std::to_string(n2) +
                            " kernel matrices (" + std::to_string(int(matrices)) + ")",
                        double(n1) * matrices, double(n2));
  const arma::uword largest = std::max(max_nodes(ga), max_nodes(gb));
  sdk::check_allocation(where + ": the node-pair kernel of the largest graphs (per thread)",
                        3.0 * double(largest), double(largest));
  allocate(n1, n2);

  const std::vector<GraphDiagonals> da = all_diagonals(ga, config);
  const std::vector<GraphDiagonals> db_own =
      symmetric ? std::vector<GraphDiagonals>{} : all_diagonals(gb, config);
  const std::vector<GraphDiagonals>& db = symmetric ? da : db_own;

#pragma omp parallel
  {
    PairWorkspace ws;
    std::vector<double> sums(2 * (config.blocks + 1), 0.0);
    double* sigma_sums = sums.data();
    double* ntk_sums = sums.data() + config.blocks + 1;
#pragma omp for schedule(dynamic, 1)
    for (arma::uword i = 0; i < n1; ++i) {
      for (arma::uword j = symmetric ? i : 0; j < n2; ++j) {
        gntk_pair_sums(ga[i], da[i], gb[j], db[j], config, with_ntk, ws, sigma_sums, ntk_sums);
        store(i, j, sigma_sums, ntk_sums);
      }
    }
  }
}

// The block counts and readouts a family request selects.
void family_selection(const sdk::Options& select, arma::uword max_blocks,
                      std::vector<arma::uword>& blocks, std::vector<bool>& readouts) {
  const char* fn = "gnn kernel_family()";
  std::vector<char> wanted(max_blocks + 1, 0);
  bool any_block = false;
  readouts = {true, false};
  for (const auto& [key, value] : select.values()) {
    if (key == "jumping_knowledge") {
      const bool* flag = std::get_if<bool>(&value);
      if (flag == nullptr)
        throw_error(fn, ": 'jumping_knowledge' must be a boolean, got a ",
                    sdk::option_type_name(value));
      readouts = {*flag};
      continue;
    }
    if (key != "blocks")
      throw_error(fn, ": unknown selection key '", key, "' (known: blocks, jumping_knowledge)");
    const std::vector<double>* list = std::get_if<std::vector<double>>(&value);
    const double* one = std::get_if<double>(&value);
    if (list == nullptr && one == nullptr)
      throw_error(fn, ": 'blocks' must be a number or a list of numbers, got a ",
                  sdk::option_type_name(value));
    std::vector<double> counts = list ? *list : std::vector<double>{*one};
    for (const double c : counts) {
      if (c != double(arma::uword(c)) || c < 1 || c > double(max_blocks))
        throw_error(fn, ": blocks ", c, " is not an integer in 1..", max_blocks,
                    " (the architecture's option blocks bounds the family)");
      wanted[arma::uword(c)] = 1;
      any_block = true;
    }
  }
  blocks.clear();
  for (arma::uword c = 1; c <= max_blocks; ++c)
    if (wanted[c] || !any_block) blocks.push_back(c);
}

}  // namespace

sdk::Kernels gntk_kernels(const sdk::Inputs& a, const sdk::Inputs& b, sdk::KernelRequest what,
                          const Config& config) {
  sdk::Kernels out;
  arma::uword n1 = 0, n2 = 0;
  for_each_pair(
      a, b, config, what.ntk, double(what.nngp) + double(what.ntk), "gnn kernels()", n1, n2,
      [&](arma::uword r, arma::uword c) {
        if (what.nngp) out.nngp.set_size(r, c);
        if (what.ntk) out.ntk.set_size(r, c);
      },
      [&](arma::uword i, arma::uword j, const double* sigma_sums, const double* ntk_sums) {
        if (what.nngp)
          out.nngp(i, j) = gntk_readout(sigma_sums, config.blocks, config.jumping_knowledge);
        if (what.ntk)
          out.ntk(i, j) = gntk_readout(ntk_sums, config.blocks, config.jumping_knowledge);
      });
  if (&a == &b) {
    if (what.nngp) mirror_upper(out.nngp);
    if (what.ntk) mirror_upper(out.ntk);
  }
  return out;
}

std::vector<sdk::FamilyMember> gntk_family(const sdk::Inputs& a, const sdk::Inputs& b,
                                           const sdk::FamilyRequest& request,
                                           const Config& config) {
  std::vector<arma::uword> blocks;
  std::vector<bool> readouts;
  family_selection(request.select, config.blocks, blocks, readouts);
  std::vector<sdk::FamilyMember> members;
  std::vector<arma::uword> member_blocks;
  std::vector<char> member_jk;
  for (const arma::uword c : blocks)
    for (const bool jk : readouts) {
      sdk::FamilyMember m;
      m.settings.set("blocks", double(c));
      m.settings.set("jumping_knowledge", jk);
      members.push_back(std::move(m));
      member_blocks.push_back(c);
      member_jk.push_back(jk);
    }
  const double matrices = double(members.size()) * (double(request.nngp) + double(request.ntk));
  arma::uword n1 = 0, n2 = 0;
  for_each_pair(
      a, b, config, request.ntk, matrices, "gnn kernel_family()", n1, n2,
      [&](arma::uword r, arma::uword c) {
        for (auto& m : members) {
          if (request.nngp) m.nngp.set_size(r, c);
          if (request.ntk) m.ntk.set_size(r, c);
        }
      },
      [&](arma::uword i, arma::uword j, const double* sigma_sums, const double* ntk_sums) {
        for (std::size_t k = 0; k < members.size(); ++k) {
          if (request.nngp)
            members[k].nngp(i, j) = gntk_readout(sigma_sums, member_blocks[k], member_jk[k]);
          if (request.ntk)
            members[k].ntk(i, j) = gntk_readout(ntk_sums, member_blocks[k], member_jk[k]);
        }
      });
  if (&a == &b)
    for (auto& m : members) {
      if (request.nngp) mirror_upper(m.nngp);
      if (request.ntk) mirror_upper(m.ntk);
    }
  return members;
}

}  // namespace ntk::legacy_gnn
