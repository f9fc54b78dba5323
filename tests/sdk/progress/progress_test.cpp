// Kernel progress (ntk/sdk/progress.hpp): a sink in the KernelRequest hears non-decreasing
// fractions ending at exactly 1, on the calling thread, from each of the three engines (the
// fused example-pair pass, the conv tile engine, the graph pair engine) — and the kernels are
// the same with and without it. The counter's span arithmetic against hand-computed values.
#include <catch2/catch.hpp>

#include <omp.h>

#include <random>
#include <thread>
#include <vector>

#include "ntk/sdk/stax.hpp"
#include "ntk/sdk/stax_graph.hpp"
#include "progress_counter.hpp"

namespace st = ntk::sdk::stax;
using ntk::sdk::Inputs;
using ntk::sdk::KernelRequest;

namespace {

struct RecordingSink : ntk::sdk::ProgressSink {
  std::vector<double> fractions;
  std::vector<std::thread::id> threads;
  void progress(double fraction) override {
    fractions.push_back(fraction);
    threads.push_back(std::this_thread::get_id());
  }
};

// Non-decreasing, within [0, 1], ending at 1, all on this thread.
void check_reports(const RecordingSink& sink) {
  REQUIRE(!sink.fractions.empty());
  for (std::size_t i = 0; i < sink.fractions.size(); ++i) {
    INFO("report " << i << ": " << sink.fractions[i]);
    CHECK(sink.fractions[i] >= 0);
    CHECK(sink.fractions[i] <= 1);
    if (i > 0) CHECK(sink.fractions[i] >= sink.fractions[i - 1]);
    CHECK(sink.threads[i] == std::this_thread::get_id());
  }
  CHECK(sink.fractions.back() == 1.0);
}

// Runs the kernels with and without a sink, on `threads` OpenMP threads (thread 0 alone
// reports: with several, how much of the work it gets depends on the scheduler).
void check_engine(const ntk::sdk::Architecture& arch, const Inputs& a, const Inputs& b,
                  int threads) {
  const int before = omp_get_max_threads();
  omp_set_num_threads(threads);
  RecordingSink sink;
  KernelRequest with{.nngp = true, .ntk = true, .progress = &sink};
  const ntk::sdk::Kernels reported = arch.kernels(a, b, with);
  const ntk::sdk::Kernels plain = arch.kernels(a, b, {.nngp = true, .ntk = true});
  omp_set_num_threads(before);
  INFO(threads << " threads");
  check_reports(sink);
  // One thread does all the work: it reports on the way, not only the end.
  if (threads == 1) CHECK(sink.fractions.size() > 2);
  CHECK(arma::approx_equal(reported.ntk, plain.ntk, "absdiff", 0.0));
  CHECK(arma::approx_equal(reported.nngp, plain.nngp, "absdiff", 0.0));
}

void check_engine(const ntk::sdk::Architecture& arch, const Inputs& a, const Inputs& b) {
  check_engine(arch, a, b, 1);
  check_engine(arch, a, b, 4);
}

}  // namespace

TEST_CASE("progress spans nest and the counter reports its span's end", "[progress]") {
  RecordingSink sink;
  const ntk::sdk::ProgressSpan whole{&sink};
  const ntk::sdk::ProgressSpan second_half = whole.part(0.5, 1);
  const ntk::sdk::ProgressSpan quarter = second_half.part(0, 0.5);  // [0.5, 0.75]
  CHECK(quarter.from == 0.5);
  CHECK(quarter.to == 0.75);
  ntk::sdk::ProgressCounter counter(quarter, 4);
  counter.add(1);  // 1/4 of [0.5, 0.75]: 0.5625
  counter.add(1);  // 0.625
  counter.finish();
  REQUIRE(sink.fractions.size() == 3);
  CHECK(sink.fractions[0] == Approx(0.5625));
  CHECK(sink.fractions[1] == Approx(0.625));
  CHECK(sink.fractions[2] == Approx(0.75));
  // No sink: nothing to report to, and nothing breaks.
  ntk::sdk::ProgressCounter silent(ntk::sdk::ProgressSpan{}, 3);
  silent.add(1);
  silent.finish();
}

TEST_CASE("the fused example-pair pass reports to the request's sink", "[progress]") {
  arma::arma_rng::set_seed(3);
  auto arch = st::composition({st::dense(1.5, 0.1), st::activation("relu"), st::dense(1.5, 0.1),
                               st::activation("erf"), st::dense(1.0)},
                              {});
  const Inputs x = Inputs::dense(arma::randn(5, 300));
  check_engine(*arch, x, x);  // one triangle
  const Inputs y = Inputs::dense(arma::randn(5, 200));
  check_engine(*arch, x, y);
}

TEST_CASE("the conv tile engine reports to the request's sink", "[progress]") {
  arma::arma_rng::set_seed(4);
  st::ConvOptions conv;
  conv.filter = 3;
  st::CompositionOptions options;
  options.input_shape = {2, 5, 5};
  auto arch = st::composition({st::conv(conv), st::activation("relu"), st::global_avg_pool(),
                               st::dense(1.0)},
                              options);
  const Inputs x = Inputs::dense(arma::randn(50, 70));
  check_engine(*arch, x, x);
}

TEST_CASE("the graph pair engine reports to the request's sink", "[progress]") {
  std::mt19937_64 rng(5);
  std::normal_distribution<double> normal;
  std::vector<ntk::sdk::Graph> graphs;
  for (arma::uword g = 0; g < 40; ++g) {
    const arma::uword nodes = 3 + g % 4;
    arma::mat a(nodes, nodes, arma::fill::zeros);
    for (arma::uword i = 0; i + 1 < nodes; ++i) a(i, i + 1) = a(i + 1, i) = 1;  // a path
    arma::mat x(3, nodes);
    for (double& v : x) v = normal(rng);
    ntk::sdk::Graph graph{arma::sp_mat(a), arma::sp_mat(x)};
    graphs.push_back(std::move(graph));
  }
  const Inputs x = Inputs::graphs(std::move(graphs));
  auto arch = st::composition(
      {st::graph_readout({st::aggregate(), st::dense(1.4), st::activation("relu")}),
       st::dense(1.2), st::activation("relu"), st::dense(1.0)},
      {});
  check_engine(*arch, x, x);
}

TEST_CASE("the graph pair engine reports between parallel regions, where a thread count can change",
          "[progress]") {
  // A batch worker takes a new thread count at a progress report made outside any parallel
  // region (host core/threads); the graph engine gives one between each of its row chunks, and
  // a count set there is the team size of the next chunk.
  struct Sink : ntk::sdk::ProgressSink {
    int outside = 0;
    void progress(double) override {
      if (omp_get_level() > 0) return;  // inside a region, even a one-thread one
      ++outside;
      if (outside == 2) omp_set_num_threads(2);  // what the host does when cores free up
    }
  };
  std::vector<ntk::sdk::Graph> graphs;
  for (arma::uword g = 0; g < 64; ++g) {
    arma::mat a(4, 4, arma::fill::zeros);
    for (arma::uword i = 0; i + 1 < 4; ++i) a(i, i + 1) = a(i + 1, i) = 1;
    arma::mat x(2, 4, arma::fill::ones);
    x(0, g % 4) = 1.0 + 0.01 * static_cast<double>(g);
    graphs.push_back({arma::sp_mat(a), arma::sp_mat(x)});
  }
  const Inputs x = Inputs::graphs(std::move(graphs));
  auto arch = st::composition(
      {st::graph_readout({st::aggregate(), st::dense(1.4), st::activation("relu")}), st::dense(1.0)},
      {});
  const int before = omp_get_max_threads();
  omp_set_num_threads(1);
  Sink sink;
  const ntk::sdk::Kernels k = arch->kernels(x, x, {.nngp = true, .ntk = true, .progress = &sink});
  const int after = omp_get_max_threads();
  omp_set_num_threads(before);
  CHECK(sink.outside >= 32);  // one report per row chunk
  CHECK(after == 2);          // the count set mid-call stuck for the regions after it
  omp_set_num_threads(1);
  const ntk::sdk::Kernels plain = arch->kernels(x, x, {.nngp = true, .ntk = true});
  omp_set_num_threads(before);
  CHECK(arma::approx_equal(k.ntk, plain.ntk, "absdiff", 0.0));
}
