// GNTK benchmark (figures in docs/benchmarks.md, "SDK 3: GNTK as a composition"; the issue-6
// triangle/rectangle figures came from this program's earlier version, commit 2bb5ad6).
//
// The Gram matrix of the first n graphs of a TU data set (default NCI1, n = 1500; n = 0: all),
// computed by the gnn plugin — a composition of the SDK's graph layers — and by the plugin's
// previous hand-written GNTK (tests/plugins/gnn/legacy, compiled into this program) in the same
// run, alternating which goes first, for both readouts, NTK alone and NNGP with NTK.
// Wall-clock and process CPU time (all threads) are printed; on a shared machine the CPU time
// per pair is the robust figure. Threads: OMP_NUM_THREADS.
//
// Usage: gnn_benchmark [dataset = NCI1] [blocks = 2] [mlp_layers = 2] [n = 1500] [reps = 2]
#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/data/tu_graphs.hpp"
#include "plugin.hpp"
// The previous implementation, compiled in (test-only sources, namespace ntk::legacy_gnn).
#include "../tests/plugins/gnn/legacy/arc_cosine.cpp"
#include "../tests/plugins/gnn/legacy/gntk.cpp"
#include "../tests/plugins/gnn/legacy/graph_ops.cpp"

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
  namespace legacy = ntk::legacy_gnn;
  const std::string name = argc > 1 ? argv[1] : "NCI1";
  legacy::Config config;
  config.blocks = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 2;
  config.mlp_layers = argc > 3 ? std::strtoul(argv[3], nullptr, 10) : 2;
  const arma::uword n_first = argc > 4 ? std::strtoul(argv[4], nullptr, 10) : 1500;
  const int reps = argc > 5 ? std::atoi(argv[5]) : 2;

  const auto data = ntk::core::data::read_tu_graphs(ntk::core::data::find_tu_file(name), false);
  const arma::uword n = std::min<arma::uword>(n_first == 0 ? data.graphs.size() : n_first,
                                              data.graphs.size());
  const std::vector<ntk::sdk::Graph> first(data.graphs.begin(), data.graphs.begin() + n);
  double nodes = 0;
  for (const auto& g : first) nodes += double(g.adjacency.n_rows);
  std::printf("%s: first %llu graphs, %.1f nodes on average; blocks %llu, mlp_layers %llu, %s; "
              "OMP_NUM_THREADS=%s\n",
              name.c_str(), (unsigned long long)n, nodes / double(n),
              (unsigned long long)config.blocks, (unsigned long long)config.mlp_layers,
              legacy::scale_name(config.scale),
              std::getenv("OMP_NUM_THREADS") ? std::getenv("OMP_NUM_THREADS") : "(unset)");
  const ntk::sdk::Inputs all = ntk::sdk::Inputs::graphs(first);
  const double pairs = double(n) * double(n + 1) / 2;

  // SDK 3: the plugin as a composition (plugins/gnn) against its previous hand-written GNTK
  // (tests/plugins/gnn/legacy), alternating which runs first; CPU time summed over repetitions.
  for (const bool jk : {true, false})
    for (const bool with_nngp : {false, true}) {
      config.jumping_knowledge = jk;
      const auto arch = ntk::gnn::make_architecture(
          {{"blocks", double(config.blocks)}, {"mlp_layers", double(config.mlp_layers)},
           {"jumping_knowledge", jk}});
      const ntk::sdk::KernelRequest what{with_nngp, true};
      Timing old_total, new_total;
      ntk::sdk::Kernels k_old, k_new;
      for (int r = 0; r < reps; ++r) {
        auto run_old = [&] { return measure([&] { k_old = legacy::gntk_kernels(all, all, what, config); }); };
        auto run_new = [&] { return measure([&] { k_new = arch->kernels(all, all, what); }); };
        const Timing a = r % 2 == 0 ? run_old() : run_new();
        const Timing b = r % 2 == 0 ? run_new() : run_old();
        const Timing& t_old = r % 2 == 0 ? a : b;
        const Timing& t_new = r % 2 == 0 ? b : a;
        old_total.wall += t_old.wall, old_total.cpu += t_old.cpu;
        new_total.wall += t_new.wall, new_total.cpu += t_new.cpu;
      }
      std::printf(" jumping_knowledge %d, %s:\n", int(jk), with_nngp ? "NNGP and NTK" : "NTK");
      report("legacy plugin (hand-written GNTK)", pairs * reps, old_total);
      report("composition (SDK 3 graph layers)", pairs * reps, new_total);
      const auto diff = [](const arma::mat& x, const arma::mat& y) {
        return arma::abs(x - y).max() / arma::abs(y).max();
      };
      std::printf("  new / old cpu %.3f, wall %.3f; max |new - old| / max |old|: NTK %.1e",
                  new_total.cpu / old_total.cpu, new_total.wall / old_total.wall,
                  diff(k_new.ntk, k_old.ntk));
      if (with_nngp) std::printf(", NNGP %.1e", diff(k_new.nngp, k_old.nngp));
      std::printf("\n");
    }
  return 0;
}
