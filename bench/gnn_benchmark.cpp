// GNTK benchmark for issue 6 (figures go to docs/benchmarks.md, "GNN plugin (issue 6)").
//
// The full Gram matrix of a TU data set (default NCI1, 4,110 graphs) for one setting of the gnn
// plugin (default: blocks 2, mlp_layers 2, uniform scale, jumping knowledge — the plugin's
// defaults), and in the same run:
//   (a) the symmetric call (one triangle, n(n+1)/2 graph pairs) vs
//   (b) the same pairs computed as a rectangular block (the second argument a copy, so the
//       plugin cannot use symmetry): the ratio shows what the triangle saves;
//   (c) the NNGP alone (no Θ recursion) vs NTK.
// Wall-clock and process CPU time (all threads) are printed; on a shared machine the CPU time
// per pair is the robust figure. Threads: OMP_NUM_THREADS.
//
// Usage: gnn_benchmark [dataset = NCI1] [blocks = 2] [mlp_layers = 2] [n_rect = 1000]
#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/data/tu_graphs.hpp"
#include "gntk.hpp"

namespace {

double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

struct Timing {
  double wall = 0, cpu = 0;
};

template <class F>
Timing measure(F&& f) {
  const auto start = std::chrono::steady_clock::now();
  const double cpu = cpu_seconds();
  f();
  return {std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(),
          cpu_seconds() - cpu};
}

void report(const char* label, double pairs, const Timing& t) {
  std::printf("  %-44s %10.0f pairs  wall %8.2f s  cpu %8.2f s  = %7.2f us cpu/pair\n", label,
              pairs, t.wall, t.cpu, 1e6 * t.cpu / pairs);
}

}  // namespace

int main(int argc, char** argv) {
  namespace gnn = ntk::gnn;
  const std::string name = argc > 1 ? argv[1] : "NCI1";
  gnn::Config config;
  config.blocks = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 2;
  config.mlp_layers = argc > 3 ? std::strtoul(argv[3], nullptr, 10) : 2;
  const arma::uword n_rect = argc > 4 ? std::strtoul(argv[4], nullptr, 10) : 1000;

  const auto data = ntk::core::data::read_tu_graphs(ntk::core::data::find_tu_file(name), false);
  const arma::uword n = data.graphs.size();
  double nodes = 0;
  for (const auto& g : data.graphs) nodes += double(g.adjacency.n_rows);
  std::printf("%s: %llu graphs, %.1f nodes on average; blocks %llu, mlp_layers %llu, %s, jk %d; "
              "OMP_NUM_THREADS=%s\n",
              name.c_str(), (unsigned long long)n, nodes / double(n),
              (unsigned long long)config.blocks, (unsigned long long)config.mlp_layers,
              gnn::scale_name(config.scale), int(config.jumping_knowledge),
              std::getenv("OMP_NUM_THREADS") ? std::getenv("OMP_NUM_THREADS") : "(unset)");

  const ntk::sdk::Inputs all = ntk::sdk::Inputs::graphs(data.graphs);
  double sum_full = 0;
  const Timing full = measure([&] { sum_full = arma::accu(gnn::gntk_kernels(all, all, {false, true}, config).ntk); });
  report("full Gram, NTK (one triangle)", double(n) * double(n + 1) / 2, full);

  // Same-run ratios on the first n_rect graphs (a fraction of the full cost).
  const arma::uword m = std::min(n_rect, n);
  const std::vector<ntk::sdk::Graph> head(data.graphs.begin(), data.graphs.begin() + m);
  const ntk::sdk::Inputs a = ntk::sdk::Inputs::graphs(head), b = ntk::sdk::Inputs::graphs(head);
  arma::mat tri, rect;
  const Timing t_tri = measure([&] { tri = gnn::gntk_kernels(a, a, {false, true}, config).ntk; });
  const Timing t_rect = measure([&] { rect = gnn::gntk_kernels(a, b, {false, true}, config).ntk; });
  const Timing t_nngp = measure([&] { (void)gnn::gntk_kernels(a, a, {true, false}, config); });
  const double pairs_tri = double(m) * double(m + 1) / 2;
  report("first graphs, NTK, symmetric call", pairs_tri, t_tri);
  report("first graphs, NTK, rectangular call", double(m) * double(m), t_rect);
  report("first graphs, NNGP only, symmetric call", pairs_tri, t_nngp);
  std::printf("  ratios (cpu): rectangular / triangle %.2f (pairs ratio %.2f), NTK / NNGP %.2f\n",
              t_rect.cpu / t_tri.cpu, double(m) * double(m) / pairs_tri, t_tri.cpu / t_nngp.cpu);
  std::printf("  max |triangle - rectangular| / max |K| = %.2e   (sum of full Gram %.6e)\n",
              arma::abs(tri - rect).max() / arma::abs(rect).max(), sum_full);
  return 0;
}
