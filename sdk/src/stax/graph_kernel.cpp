// The node-pair kernel engine that the graph steps of KernelProgram compile to (graph_plan.hpp).
//
// A graph pair's node-pair state is an example-pair KernelState whose examples are nodes: the
// program's dense and activation rules act on it entry by entry (layers_elementwise.hpp; relu
// by graph_relu.hpp), with per-node variances from each graph paired with itself, computed once
// per graph. Aggregation is M₁ Σ M₂ᵀ; a tap sums the state over node pairs, runs its own dense
// readout on the resulting example pair, and the taps add up. Whatever follows graph_end() runs
// on the n1 × n2 example-pair state in the fused pass (layers.hpp). One triangle of graph pairs
// when symmetric; OpenMP over rows of graph pairs, as in Du et al.'s GNTK. Range: every node
// variance is checked after every step, and every tap's sums (graph_range.hpp).
#include <algorithm>
#include <functional>

#include "graph_batch.hpp"
#include "graph_plan.hpp"
#include "graph_range.hpp"
#include "graph_relu.hpp"
#include "kernel_program_steps.hpp"
#include "progress_counter.hpp"
#include "ntk/sdk/checks.hpp"
#include "ntk/sdk/stax.hpp"

namespace ntk::sdk {

// ---- the node-pair engine ----------------------------------------------------------------
namespace graph {
namespace {

// Per graph, from the graph paired with itself: the variances entering each activation
// (and d = √var, 1/d for relu), and the NNGP of every tap.
struct SelfPair {
  std::vector<arma::vec> var, d, inv_d;
  std::vector<double> taps;
};

struct Workspace {
  std::vector<double> sigma, ntk, work, column;
  void reserve(arma::uword entries, arma::uword rows) {
    if (sigma.size() < entries) {
      sigma.resize(entries);
      ntk.resize(entries);
      work.resize(entries);
    }
    if (column.size() < rows) column.resize(rows);
  }
};

double sum_of(const double* x, arma::uword n) {
  double s = 0.0;
#pragma omp simd reduction(+ : s)
  for (arma::uword i = 0; i < n; ++i) s += x[i];
  return s;
}

// An activation other than relu, column by column (Σ22 is the column's node variance).
void activation_pairs(const NodeStep& step, double* sigma, double* ntk, arma::uword n1,
                      arma::uword n2, const arma::vec& var1, const arma::vec& var2,
                      Workspace& ws) {
  for (arma::uword j = 0; j < n2; ++j) {
    std::fill_n(ws.column.data(), n1, var2[j]);
    double* t = ntk ? ntk + j * n1 : nullptr;
    if (step.kind == NodeStep::Kind::erf)
      layers::erf_entries(sigma + j * n1, t, var1.memptr(), ws.column.data(), n1);
    else
      step.activation->entries(sigma + j * n1, t, var1.memptr(), ws.column.data(), n1);
  }
}

// A tap's own dense layers on one example pair (the fused pass's affine map, entry by entry).
void tap_readout(const TapPlan& tap, double& s, double& th) {
  for (const layers::AffineCoefficients& k : tap.readout) layers::affine_entries(&s, &th, 1, k);
}

// The node variances are checked after every step (graph_range.hpp); `who` names the graph.
SelfPair self_pair(const Plan& p, const PreparedGraph& g, const std::string& who,
                   const std::string& caller, Workspace& ws) {
  const arma::uword n = g.nodes;
  ws.reserve(n * n, n);
  double* sigma = ws.sigma.data();
  input_pair_kernel(g, g, p.feature_scale, sigma);
  SelfPair out;
  arma::vec diag(n), before(n);
  for (arma::uword u = 0; u < n; ++u) diag[u] = sigma[u * n + u];
  check_input_variances(diag, g, p.label, who, caller);
  for (const NodeStep& step : p.steps) {
    before = diag;
    switch (step.kind) {
      case NodeStep::Kind::aggregate: aggregate_pair(g, g, step.scale, sigma, sigma, ws.work.data()); break;
      case NodeStep::Kind::affine: layers::affine_entries(sigma, nullptr, n * n, step.affine); break;
      case NodeStep::Kind::tap: {
        const double w = p.taps[step.index].reduce == GraphReduce::mean && n > 0
                             ? 1.0 / (double(n) * double(n)) : 1.0;
        out.taps.push_back(sum_of(sigma, n * n) * w);
        double s = out.taps.back(), th = 0;
        tap_readout(p.taps[step.index], s, th);
        if (!std::isfinite(out.taps.back()) || !std::isfinite(s))
          throw_error(caller, ": the readout of ", who, " at ", step.label, " is ",
                      std::isfinite(out.taps.back()) ? s : out.taps.back(),
                      ": its sum over node pairs (or the readout's dense layers) overflows double "
                      "precision; use smaller weight scales (w_std) or rescale the node features");
        continue;  // the node values are unchanged
      }
      case NodeStep::Kind::relu: {
        arma::vec d = arma::sqrt(arma::clamp(diag, 0.0, arma::datum::inf));
        arma::vec inv_d(n);
        for (arma::uword u = 0; u < n; ++u) inv_d[u] = d[u] > 0 ? 1.0 / d[u] : 0.0;
        relu_pairs(sigma, nullptr, n, n, d.memptr(), inv_d.memptr(), d.memptr(), inv_d.memptr());
        out.d.push_back(std::move(d));
        out.inv_d.push_back(std::move(inv_d));
        out.var.emplace_back();
        break;
      }
      default:
        activation_pairs(step, sigma, nullptr, n, n, diag, diag, ws);
        out.var.push_back(diag);
        out.d.emplace_back();
        out.inv_d.emplace_back();
    }
    for (arma::uword u = 0; u < n; ++u) diag[u] = sigma[u * n + u];
    check_node_variances(before, diag, step.label, step.keeps_positive, who, caller);
  }
  return out;
}

// The first non-finite entry of a node-pair array, or `entries`.
arma::uword first_non_finite(const double* x, arma::uword entries) {
  for (arma::uword k = 0; k < entries; ++k)
    if (!std::isfinite(x[k])) return k;
  return entries;
}

// The taps' node-pair sums (NNGP in s[t], NTK in th[t]) of one graph pair. `check`: after every
// step, throw naming it if an entry is not finite (the replay of a pair whose taps were not);
// `pair` names the pair for that message.
void pair_taps(const Plan& p, const PreparedGraph& g1, const SelfPair& s1,
               const PreparedGraph& g2, const SelfPair& s2, bool with_ntk, Workspace& ws,
               double* s, double* th, bool check = false, const std::string& pair = "",
               const std::string& caller = "") {
  const arma::uword n1 = g1.nodes, n2 = g2.nodes, entries = n1 * n2;
  ws.reserve(entries, n1);
  double* sigma = ws.sigma.data();
  double* ntk = ws.ntk.data();
  input_pair_kernel(g1, g2, p.feature_scale, sigma);
  for (const NodeStep& step : p.steps) {
    double* t = with_ntk && step.ntk_live ? ntk : nullptr;
    switch (step.kind) {
      case NodeStep::Kind::aggregate:
        aggregate_pair(g1, g2, step.scale, sigma, sigma, ws.work.data());
        if (t) aggregate_pair(g1, g2, step.scale, ntk, ntk, ws.work.data());
        break;
      case NodeStep::Kind::affine:
        if (with_ntk && !step.ntk_live) std::fill_n(ntk, entries, 0.0);
        layers::affine_entries(sigma, with_ntk ? ntk : nullptr, entries, step.affine);
        break;
      case NodeStep::Kind::relu:
        relu_pairs(sigma, t, n1, n2, s1.d[step.index].memptr(), s1.inv_d[step.index].memptr(),
                   s2.d[step.index].memptr(), s2.inv_d[step.index].memptr());
        break;
      case NodeStep::Kind::tap: {
        const double w = p.taps[step.index].reduce == GraphReduce::mean && entries > 0
                             ? 1.0 / (double(n1) * double(n2)) : 1.0;
        s[step.index] = sum_of(sigma, entries) * w;
        th[step.index] = t ? sum_of(ntk, entries) * w : 0.0;
        break;
      }
      default:
        activation_pairs(step, sigma, t, n1, n2, s1.var[step.index], s2.var[step.index], ws);
    }
    if (!check) continue;
    arma::uword k = first_non_finite(sigma, entries);
    const bool in_ntk = k == entries && with_ntk;
    if (in_ntk) k = first_non_finite(ntk, entries);
    if (k < entries)
      throw_error(caller, ": a non-finite ", in_ntk ? "NTK" : "NNGP", " value first appeared at ",
                  step.label, " (nodes ", k % n1 + 1, " and ", k / n1 + 1, " of ", pair,
                  "); the node features or the layers' scales overflow double precision at "
                  "this depth: use smaller weight scales (w_std) or rescale the node features");
  }
}

// A pair whose tap values are not finite: replays it step by step to name the layer where a
// value first left the range, or else the tap whose sum (or readout) overflowed. Throws.
[[noreturn]] void fail_pair(const Plan& p, const PreparedGraph& g1, const SelfPair& s1,
                            const PreparedGraph& g2, const SelfPair& s2, bool with_ntk,
                            Workspace& ws, arma::uword i, arma::uword j, bool symmetric,
                            const std::string& caller) {
  const std::string pair = symmetric ? "graphs " + std::to_string(i + 1) + " and " +
                                           std::to_string(j + 1)
                                     : "the first set's graph " + std::to_string(i + 1) +
                                           " and the second set's graph " + std::to_string(j + 1);
  std::vector<double> s(p.taps.size()), th(p.taps.size());
  pair_taps(p, g1, s1, g2, s2, with_ntk, ws, s.data(), th.data(), true, pair, caller);
  for (std::size_t t = 0; t < p.taps.size(); ++t) {
    const bool sums = std::isfinite(s[t]) && std::isfinite(th[t]);
    tap_readout(p.taps[t], s[t], th[t]);
    if (!sums || !std::isfinite(s[t]) || !std::isfinite(th[t]))
      throw_error(caller, ": the readout of ", pair, " at ", p.taps[t].label, " (tap ", t + 1,
                  ") is not finite: ", sums ? "its dense layers" : "its sum over node pairs",
                  " overflow double precision; use smaller weight scales (w_std) or rescale the "
                  "node features");
  }
  throw_error(caller, ": a non-finite value in ", pair, " that a replay did not reproduce");
}

using Store = std::function<void(arma::uword, arma::uword, const double*, const double*)>;

// Runs every graph pair (the upper triangle when &a == &b), after the checks; `allocate`
// receives n1, n2 before the pairs run; `self` receives each side's self pairs; `progress`
// hears of every finished row of graph pairs.
void for_each_pair(const Plan& p, const Inputs& a, const Inputs& b, bool with_ntk,
                   double matrices, const std::string& caller,
                   const std::function<void(arma::uword, arma::uword)>& allocate,
                   std::vector<SelfPair>& self_a, std::vector<SelfPair>& self_b,
                   const Store& store, const ProgressSpan& progress) {
  const bool symmetric = &a == &b;
  arma::uword fa = 0, fb = 0;
  const std::vector<PreparedGraph> ga = prepare_graphs(a, caller, fa);
  const std::vector<PreparedGraph> gb_own =
      symmetric ? std::vector<PreparedGraph>{} : prepare_graphs(b, caller, fb);
  const std::vector<PreparedGraph>& gb = symmetric ? ga : gb_own;
  if (!symmetric && !ga.empty() && !gb.empty() && fa != fb)
    throw_error(caller, ": the first graphs have ", fa, " node features and the second ", fb,
                "; both need the same feature dimension");
  const arma::uword n1 = ga.size(), n2 = gb.size();
  check_allocation(caller + ": the " + std::to_string(n1) + " x " + std::to_string(n2) +
                       " kernel matrices (" + std::to_string(int(matrices)) + ")",
                   double(n1) * matrices, double(n2));
  arma::uword largest = 0;
  for (const auto& g : ga) largest = std::max(largest, g.nodes);
  for (const auto& g : gb) largest = std::max(largest, g.nodes);
  check_allocation(caller + ": the node-pair kernel of the largest graphs (per thread)",
                   3.0 * double(largest), double(largest));
  allocate(n1, n2);
  auto selves = [&](const std::vector<PreparedGraph>& gs, std::vector<SelfPair>& out,
                    const char* set) {
    out.resize(gs.size());
    FirstError error;
#pragma omp parallel
    {
      Workspace ws;
#pragma omp for schedule(dynamic, 8)
      for (std::size_t i = 0; i < gs.size(); ++i) {
        if (error.skip(i)) continue;
        try {
          out[i] = self_pair(p, gs[i], graph_name(set, i), caller, ws);
        } catch (...) {  // an exception must not leave the parallel region
          error.capture(i);
        }
      }
    }
    error.rethrow();
  };
  selves(ga, self_a, symmetric ? "" : "the first set's ");
  if (!symmetric) selves(gb, self_b, "the second set's ");
  const std::vector<SelfPair>& sb = symmetric ? self_a : self_b;
  const std::size_t taps = p.taps.size();
  ProgressCounter counter(progress, symmetric ? 0.5 * double(n1) * double(n1 + 1)
                                              : double(n1) * double(n2));
  FirstError error;
  // The rows run in kChunks parallel regions rather than one: between two regions the main
  // thread reports progress, where a batch worker whose neighbours have finished takes their
  // cores (host core/threads); one region would keep its start-up team for the whole Gram
  // (25 min for a 13-BLOCK NCI1 family). Rows shrink along the triangle, so a chunk's rows are
  // of nearly equal length and dynamic scheduling leaves at most about one row idle per chunk.
  constexpr arma::uword kChunks = 32;
  const arma::uword rows_per_chunk = std::max<arma::uword>(1, (n1 + kChunks - 1) / kChunks);
  for (arma::uword begin = 0; begin < n1; begin += rows_per_chunk) {
    const arma::uword end = std::min(n1, begin + rows_per_chunk);
#pragma omp parallel
    {
      Workspace ws;
      std::vector<double> s(taps), th(taps);
#pragma omp for schedule(dynamic, 1)
      for (arma::uword i = begin; i < end; ++i) {
        const arma::uword first = symmetric ? i : 0;
        if (error.skip(i)) continue;
        try {
          for (arma::uword j = first; j < n2; ++j) {
            pair_taps(p, ga[i], self_a[i], gb[j], sb[j], with_ntk, ws, s.data(), th.data());
            bool finite = true;
            for (std::size_t t = 0; t < taps; ++t) {
              const bool sums = std::isfinite(s[t]) && std::isfinite(th[t]);
              tap_readout(p.taps[t], s[t], th[t]);
              if (!sums || !std::isfinite(s[t]) || !std::isfinite(th[t])) finite = false;
            }
            if (!finite)
              fail_pair(p, ga[i], self_a[i], gb[j], sb[j], with_ntk, ws, i, j, symmetric, caller);
            store(i, j, s.data(), th.data());
          }
        } catch (...) {
          error.capture(i);
        }
        counter.add(double(n2 - first));
      }
    }
    counter.checkpoint();
  }
  error.rethrow();
  counter.finish();
}

// The NNGP of the summed taps of a graph with itself (the example-pair variances).
arma::vec summed_variances(const Plan& p, const std::vector<SelfPair>& self, const char* set,
                           const std::string& caller) {
  arma::vec v(self.size());
  for (std::size_t i = 0; i < self.size(); ++i) {
    double total = 0;
    for (std::size_t t = 0; t < p.taps.size(); ++t) {
      double s = self[i].taps[t], th = 0;
      tap_readout(p.taps[t], s, th);
      total += s;
    }
    if (!std::isfinite(total))
      throw_error(caller, ": the sum of the readouts of ", p.label, " over its ", p.taps.size(),
                  " taps overflows double precision for ", graph_name(set, i),
                  "; use smaller weight scales (w_std) or rescale the node features");
    v[i] = total;
  }
  return v;
}

}  // namespace
}  // namespace graph

Kernels run_graph_program(const KernelProgramSteps& steps, const Inputs& a, const Inputs& b,
                          KernelRequest what, const std::string& caller) {
  Kernels out;
  if (!what.nngp && !what.ntk) return out;
  const graph::Plan p = graph::compile(steps);
  const bool symmetric = &a == &b;
  KernelState state;
  state.symmetric = symmetric;
  state.track_ntk = what.ntk;
  const bool with_ntk = what.ntk && p.ntk_live;
  // The graph pairs are the work; the example-pair rules after the readout are cheap.
  const ProgressSpan progress{what.progress};
  const double post_start = p.post.empty() ? 1.0 : 0.98;
  std::vector<graph::SelfPair> self_a, self_b;
  graph::for_each_pair(
      p, a, b, with_ntk, 1.0 + double(with_ntk), caller,
      [&](arma::uword n1, arma::uword n2) {
        state.nngp.set_size(n1, n2);
        if (with_ntk) state.ntk.set_size(n1, n2);
      },
      self_a, self_b,
      [&](arma::uword i, arma::uword j, const double* s, const double* th) {
        double sigma = 0, theta = 0;
        for (std::size_t t = 0; t < p.taps.size(); ++t) {
          sigma += s[t];
          theta += th[t];
        }
        if (!std::isfinite(sigma) || !std::isfinite(theta))
          throw_error(caller, ": the sum of the readouts of ", p.label, " over its ",
                      p.taps.size(), " taps overflows double precision for the pair of graphs ",
                      i + 1, " and ", j + 1, "; use smaller weight scales (w_std) or rescale the "
                      "node features");
        state.nngp(i, j) = sigma;
        if (with_ntk) state.ntk(i, j) = theta;
      },
      progress.part(0, post_start));
  state.ntk_is_zero = !with_ntk;
  state.gaussian = p.post_gaussian;
  state.diag1 = graph::summed_variances(p, self_a, symmetric ? "" : "the first set's ", caller);
  if (!symmetric) state.diag2 = graph::summed_variances(p, self_b, "the second set's ", caller);
  if (!p.post.empty())
    layers::apply_rules(state, p.post, /*keep_nngp=*/what.nngp, progress.part(post_start, 1));
  layers::finish(state);
  if (what.nngp) out.nngp = std::move(state.nngp);
  if (what.ntk) {
    if (state.ntk.is_empty()) state.ntk.zeros(state.rows(), state.cols());
    out.ntk = std::move(state.ntk);
  }
  return out;
}

std::vector<Kernels> KernelProgram::run_graph_taps(const Inputs& a, const Inputs& b,
                                                   KernelRequest what,
                                                   const std::string& caller) const {
  if (!steps_->graph.active) throw_error(caller, ": the composition has no graph part");
  const graph::Plan p = graph::compile(*steps_);
  const bool symmetric = &a == &b;
  const std::size_t taps = p.taps.size();
  std::vector<Kernels> out(taps);
  std::vector<graph::SelfPair> self_a, self_b;
  graph::for_each_pair(
      p, a, b, what.ntk, double(taps) * (double(what.nngp) + double(what.ntk)), caller,
      [&](arma::uword n1, arma::uword n2) {
        for (Kernels& k : out) {
          if (what.nngp) k.nngp.set_size(n1, n2);
          if (what.ntk) k.ntk.set_size(n1, n2);
        }
      },
      self_a, self_b,
      [&](arma::uword i, arma::uword j, const double* s, const double* th) {
        for (std::size_t t = 0; t < taps; ++t) {
          if (what.nngp) out[t].nngp(i, j) = s[t];
          if (what.ntk) out[t].ntk(i, j) = th[t];
        }
      },
      ProgressSpan{what.progress});
  if (symmetric)
    for (Kernels& k : out) {
      if (what.nngp) layers::mirror_upper(k.nngp);
      if (what.ntk) layers::mirror_upper(k.ntk);
    }
  return out;
}

}  // namespace ntk::sdk
