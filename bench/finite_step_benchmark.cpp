// Finite networks at BLAS speed (issue 14, "Performance", finite networks). Figures in
// docs/benchmarks.md, "Finite networks (issue 14)".
//
//   finite_step_benchmark [fc|cnn|resnet|all] [--rounds R = 20] [--warmup W = 5]
//                         [--steps S = 100]
//
// For each network, with OpenBLAS and OpenMP at 1 and then 2 threads in the same process:
//   forward / vjp   net.forward(x) and net.vjp(x, r) alone, and forward then vjp (the pair a
//              training step needs), as GFLOP/s of their GEMM work next to dgemm on exactly
//              those shapes; medians of R rounds, each timing every one of them once.
//   step       one full-batch GD step as ntk.train.gd takes it (core/train/run_descent with the
//              network: predict, residual, vjp, update, set_params), median of S steps after W,
//              with the same dgemm passes and, for fc, one step of a hand-written reference of
//              the same MLP (forward, residual, backward, update with dgemm on preallocated
//              buffers — PyTorch's CPU path without its allocator and dispatch; same parameters,
//              same data) timed between every two steps, outside them: same machine load.
//   faults     minor page faults (getrusage ru_minflt) within the S steps, in two halves: an
//              allocation per step that the kernel must back with fresh pages shows as faults
//              in both halves.
// Data: the first n MNIST test images (data/mnist), pixels / 255, one-hot targets (10 outputs).
// OPENBLAS_CORETYPE as README's "OpenBLAS core type" (ntk.sh): SkylakeX on AVX-512 CPUs unless
// NTKLAB_KEEP_CORETYPE=1 (the program re-executes itself once with it).
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ntk/sdk/network_into.hpp"
#include "cnn_architecture.hpp"
#include "finite_step_baselines.hpp"
#include "core/data/data_dir.hpp"
#include "core/data/mnist.hpp"
#include "core/train/descent.hpp"
#include "fc_architecture.hpp"
#include "resnet_architecture.hpp"

extern "C" {
void openblas_set_num_threads(int);
char* openblas_get_corename(void);
void omp_set_num_threads(int);
}

using ntk::core::train::Labelled;
using ntk::sdk::Inputs;
using ntk::sdk::Network;
using Options = ntk::sdk::Options;

namespace {

using ntk_bench::Gemm;
using ntk_bench::GemmSet;
using ntk_bench::ReferenceMlp;
using ntk_bench::flops;

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
long minor_faults() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_minflt;
}
double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : 0.5 * (v[m - 1] + v[m]);
}
void set_threads(int t) {
  openblas_set_num_threads(t);
  omp_set_num_threads(t);
}

// The first n MNIST test images, {1, 28, 28} (as ntk.data.mnist gives them), one-hot targets.
Labelled mnist(arma::uword n) {
  using namespace ntk::core::data;
  const LabelledImages set = read_labelled_images(find_data_file("mnist/t10k-images-idx3-ubyte.gz"),
                                                  find_data_file("mnist/t10k-labels-idx1-ubyte.gz"),
                                                  "finite_step_benchmark");
  std::vector<arma::uword> items(n);
  for (arma::uword i = 0; i < n; ++i) items[i] = i;
  const ntk::core::Dataset d = to_dataset(set, items);
  arma::mat y(10, n, arma::fill::zeros);
  for (arma::uword i = 0; i < n; ++i) y(arma::uword(d.labels(i)), i) = 1.0;
  return Labelled{Inputs::images(d.x, {1, 28, 28}), y};
}
Labelled cropped(const Labelled& full, arma::uword n) {
  return Labelled{Inputs::images(full.x.x().cols(0, n - 1), full.x.shape()), full.y.cols(0, n - 1)};
}

// ---- the trainer's step, timed -------------------------------------------------------------

// The network itself (as core/train/gradient_descent.cpp's model), with a clock and a fault
// count at each prediction: the time between two predictions is one whole step of the loop.
class TimedModel final : public ntk::core::train::DescentModel {
 public:
  // `between` runs at the start of every prediction, outside the measured step: the other
  // timings, interleaved step by step with the trainer so that both see the same load.
  TimedModel(Network& net, std::function<void()> between) : net_(net), between_(std::move(between)) {}
  const arma::vec& params() const override { return net_.params(); }
  void set_params(const arma::vec& p) override {
    const double start = now();
    net_.set_params(p);
    set_params_s.push_back(now() - start);
  }
  arma::mat predict(const Inputs& x) override {
    ends.push_back(now());  // the previous step ends here
    end_faults.push_back(minor_faults());
    if (between_) between_();
    faults.push_back(minor_faults());
    times.push_back(now());  // and the next one starts here
    arma::mat f = net_.forward(x);
    predict_s.push_back(now() - times.back());
    return f;
  }
  arma::vec vjp(const Inputs& x, const arma::mat& r) override {
    const double start = now();
    arma::vec g = net_.vjp(x, r);
    vjp_s.push_back(now() - start);
    return g;
  }
  // What run_descent calls: the gradient written into the loop's vector (network_into.hpp).
  void vjp_into(const Inputs& x, const arma::mat& r, arma::vec& g) override {
    const double start = now();
    ntk::sdk::vjp_into(net_, x, r, g);
    vjp_s.push_back(now() - start);
  }
  const Network& network() const override { return net_; }
  std::vector<double> times, ends, predict_s, vjp_s, set_params_s;
  std::vector<long> faults, end_faults;

 private:
  Network& net_;
  std::function<void()> between_;
};

// Per-step samples of `steps` trainer steps after `warmup` (core/train/run_descent: whole
// steps and their parts) and the minor faults of each step.
struct StepSamples {
  std::vector<double> step, forward, vjp, set_params;
  std::vector<long> faults;
  double objective_first = 0, objective_last = 0;
};

StepSamples trainer_steps(Network& net, const Labelled& train, double lr, int warmup, int steps,
                          const std::function<void()>& between) {
  TimedModel model(net, between);
  ntk::core::train::TrainOptions o;
  o.lr = lr;
  o.max_steps = arma::uword(warmup + steps);
  o.record_every = o.max_steps;
  o.progress = false;
  const auto result = ntk::core::train::run_descent("benchmark", model, train, o, nullptr);
  if (result.status == ntk::core::train::Status::diverged)
    std::printf("  (training diverged: %s)\n", result.message.c_str());
  StepSamples f;
  for (int i = warmup; i < warmup + steps; ++i) {
    f.step.push_back(model.ends[i + 1] - model.times[i]);
    f.forward.push_back(model.predict_s[i]);
    f.vjp.push_back(model.vjp_s[i]);
    f.set_params.push_back(model.set_params_s[i]);
    f.faults.push_back(model.end_faults[i + 1] - model.faults[i]);
  }
  f.objective_first = result.history.front().objective;
  f.objective_last = result.objective;
  return f;
}

// ---- one network, both thread counts ---------------------------------------------------------

struct Case {
  std::string label;
  std::function<std::unique_ptr<Network>()> make;
  Labelled train;
  double lr;
  std::vector<Gemm> forward_gemms, backward_gemms;
  std::function<std::unique_ptr<ReferenceMlp>(const Network&)> reference;  // fc only
};

double seconds(const std::function<void()>& work) {
  const double start = now();
  work();
  return now() - start;
}
double ms(const std::vector<double>& v) { return 1e3 * median(v); }

// Forward and vjp: `rounds` rounds of (dgemm of the forward shapes, of the backward shapes,
// forward, vjp, forward then vjp), on two inputs in turn that the trainer never sees (a network
// reuses its last forward pass on an unchanged input). Then one training run of `steps` steps
// after `warmup`, with the dgemm passes and a reference step between every two steps.
void run(const Case& c, int rounds, int warmup, int steps) {
  std::printf("\n%s\n", c.label.c_str());
  const double ff = flops(c.forward_gemms), fb = flops(c.backward_gemms);
  std::printf("  GEMM work: forward %.3f GFLOP, backward %.3f GFLOP\n", ff * 1e-9, fb * 1e-9);
  const arma::mat cotangent = arma::randn(c.train.y.n_rows, c.train.size()) / double(c.train.size());
  const arma::mat& x = c.train.x.x();
  const Inputs flipped = Inputs::images(arma::fliplr(x), c.train.x.shape());
  const Inputs shifted = Inputs::images(arma::shift(x, 1, 1), c.train.x.shape());
  bool flip = false;
  const auto next = [&]() -> const Inputs& {
    flip = !flip;
    return flip ? flipped : shifted;
  };
  for (int threads : {1, 2}) {
    set_threads(threads);
    double load[1] = {0};
    getloadavg(load, 1);
    std::printf(" %d thread%s (load %.2f at the start)\n", threads, threads > 1 ? "s" : "", load[0]);
    auto net = c.make();
    (void)net->forward(c.train.x);  // lazy networks draw their parameters here
    std::unique_ptr<ReferenceMlp> ref = c.reference ? c.reference(*net) : nullptr;
    if (ref)
      std::printf("  reference MLP: max |f_ref - f_ntklab| = %.1e\n",
                  arma::abs(ref->forward() - net->forward(c.train.x)).max());
    GemmSet gemm_f(c.forward_gemms), gemm_b(c.backward_gemms);
    std::vector<double> t_gf, t_gb, t_fwd, t_vjp, t_pair, t_ref;
    for (int r = 0; r <= rounds; ++r) {  // round 0: warm-up
      const double gf = seconds([&] { gemm_f.run(); }), gb = seconds([&] { gemm_b.run(); });
      const double fwd = seconds([&] { (void)net->forward(next()); });
      const double vjp = seconds([&] { (void)net->vjp(next(), cotangent); });
      const double pair = seconds([&] {
        const Inputs& in = next();
        (void)net->forward(in);
        (void)net->vjp(in, cotangent);
      });
      if (r == 0) continue;
      t_gf.push_back(gf), t_gb.push_back(gb), t_fwd.push_back(fwd), t_vjp.push_back(vjp);
      t_pair.push_back(pair);
    }
    const double gf = median(t_gf), gfb = median(t_gb) + gf;
    std::printf("  dgemm, forward shapes      %8.2f ms  %6.1f GFLOP/s\n", 1e3 * gf, ff / gf * 1e-9);
    std::printf("  dgemm, all step shapes     %8.2f ms  %6.1f GFLOP/s\n", 1e3 * gfb, (ff + fb) / gfb * 1e-9);
    const auto line = [&](const char* what, double t, double work, double gemm) {
      std::printf("  %-26s %8.2f ms  %6.1f GFLOP/s  (%.0f %% of dgemm)\n", what, 1e3 * t,
                  work / t * 1e-9, 100 * gemm / t);
    };
    line("ntklab forward", median(t_fwd), ff, gf);
    line("ntklab vjp (alone)", median(t_vjp), ff + fb, gfb);
    line("ntklab forward then vjp", median(t_pair), ff + fb, gfb);

    std::vector<double> s_gemm;
    const StepSamples s = trainer_steps(*net, c.train, c.lr, warmup, steps, [&] {
      s_gemm.push_back(seconds([&] {
        gemm_f.run();
        gemm_b.run();
      }));
      if (ref) t_ref.push_back(seconds([&] { ref->step(c.lr); }));
    });
    s_gemm.erase(s_gemm.begin(), s_gemm.begin() + warmup + 1);
    const double step = median(s.step);
    std::printf("  ntklab train.gd step       %8.2f ms   ratio to dgemm of its shapes %.2f (%.2f ms)\n",
                1e3 * step, step / median(s_gemm), ms(s_gemm));
    if (ref) {
      t_ref.erase(t_ref.begin(), t_ref.begin() + warmup + 1);
      std::printf("  reference step (dgemm)     %8.2f ms   ntklab / reference = %.2f\n", ms(t_ref),
                  step / median(t_ref));
    }
    const double parts = median(s.forward) + median(s.vjp) + median(s.set_params);
    std::printf("    ntklab's step: forward %.2f ms, vjp %.2f ms, set_params %.2f ms, the loop's own %.2f ms\n",
                ms(s.forward), ms(s.vjp), ms(s.set_params), 1e3 * (step - parts));
    const std::size_t half = s.faults.size() / 2;
    long first = 0, second = 0;
    for (std::size_t i = 0; i < 2 * half; ++i) (i < half ? first : second) += s.faults[i];
    std::printf("  minor faults in the steps: %ld over steps %d-%d, %ld over steps %d-%d "
                "(objective %.3g -> %.3g)\n", first, warmup, warmup + int(half) - 1, second,
                warmup + int(half), warmup + int(2 * half) - 1, s.objective_first, s.objective_last);
  }
}

// GEMMs of a dense layer fan_in -> fan_out on n examples: forward, weight gradient, input signal.
void dense_gemms(Case& c, int fan_in, int fan_out, int n, bool input_signal) {
  c.forward_gemms.push_back({fan_out, n, fan_in});
  c.backward_gemms.push_back({fan_out, fan_in, n, false, true});
  if (input_signal) c.backward_gemms.push_back({fan_in, n, fan_out, true, false});
}
// A 3x3 SAME conv c_in -> c_out on n images of `area` pixels, as W · im2col.
void conv_gemms(Case& c, int c_in, int c_out, int pixels, bool input_signal) {
  dense_gemms(c, c_in * 9, c_out, pixels, input_signal);
}

Case fc_case(const Labelled& data) {
  Case c;
  const int n = int(data.size()), m = 1024;
  c.label = "fc: depth 2, relu, width 1024, 784 -> 10, n = " + std::to_string(n) + " MNIST, float64";
  const Options o{{"depth", 2.0}, {"activation", std::string("relu")}, {"w_std", 1.4},
                  {"b_std", 0.1}, {"outputs", 10.0}, {"input_dim", 784.0}};
  c.make = [o, m] { return ntk::fc::make_architecture(o)->network({arma::uword(m), 7}); };
  c.train = data;
  c.lr = 0.5;
  dense_gemms(c, 784, m, n, false);
  dense_gemms(c, m, m, n, true);
  dense_gemms(c, m, 10, n, true);
  c.reference = [data, m](const Network& net) {
    return std::make_unique<ReferenceMlp>(std::vector<int>{784, m, m, 10}, 1.4, 0.1, net.params(),
                                          data.x.x(), data.y);
  };
  return c;
}

Case cnn_case(const Labelled& data) {
  Case c;
  const int n = int(data.size()), ch = 32, px = 784 * n;
  c.label = "cnn: depth 2, 3x3 SAME, 32 channels, relu, flatten, 10 outputs, n = " +
            std::to_string(n) + " MNIST";
  const Options o{{"depth", 2.0}, {"outputs", 10.0}, {"readout", std::string("flatten")}};
  c.make = [o, ch] { return ntk::cnn::make_architecture(o)->network({arma::uword(ch), 7}); };
  c.train = data;
  c.lr = 0.5;
  conv_gemms(c, 1, ch, px, false);
  conv_gemms(c, ch, ch, px, true);
  dense_gemms(c, ch * 784, 10, n, true);
  return c;
}

Case resnet_mlp_case(const Labelled& data) {
  Case c;
  const int n = int(data.size()), m = 1024;
  c.label = "resnet mlp: 2 blocks x (relu, dense) x 2, width 1024, 784 -> 10, n = " +
            std::to_string(n) + " MNIST";
  const Options o{{"blocks", 2.0}, {"alpha", 0.5}, {"outputs", 10.0}, {"input_dim", 784.0}};
  c.make = [o, m] { return ntk::resnet::make_architecture(o)->network({arma::uword(m), 7}); };
  c.train = data;
  c.lr = 0.5;
  dense_gemms(c, 784, m, n, false);
  for (int i = 0; i < 4; ++i) dense_gemms(c, m, m, n, true);
  dense_gemms(c, m, 10, n, true);
  return c;
}

Case resnet_conv_case(const Labelled& data) {
  Case c;
  const int n = int(data.size()), ch = 16, px = 784 * n;
  c.label = "resnet conv: stem + 1 block x (relu, conv) x 2, 16 channels, flatten, n = " +
            std::to_string(n) + " MNIST";
  const Options o{{"kind", std::string("conv")}, {"blocks", 1.0}, {"alpha", 0.5},
                  {"outputs", 10.0}, {"readout", std::string("flatten")}};
  c.make = [o, ch] { return ntk::resnet::make_architecture(o)->network({arma::uword(ch), 7}); };
  c.train = data;
  c.lr = 0.5;
  conv_gemms(c, 1, ch, px, false);
  conv_gemms(c, ch, ch, px, true);
  conv_gemms(c, ch, ch, px, true);
  dense_gemms(c, ch * 784, 10, n, true);
  return c;
}

}  // namespace

int main(int argc, char** argv) {
  // As ntk.sh: SkylakeX kernels on AVX-512 CPUs, even over a preset Haswell, unless
  // NTKLAB_KEEP_CORETYPE=1; one re-execution (OpenBLAS reads the variable when it loads).
  const char* core = std::getenv("OPENBLAS_CORETYPE");
  const char* keep = std::getenv("NTKLAB_KEEP_CORETYPE");
  if ((core == nullptr || std::string(core) != "SkylakeX") && (keep == nullptr || std::string(keep) != "1") &&
      std::getenv("NTKLAB_BLAS_CONFIGURED") == nullptr) {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) {
      setenv("OPENBLAS_CORETYPE", "SkylakeX", 1);
      setenv("NTKLAB_BLAS_CONFIGURED", "1", 1);
      execv("/proc/self/exe", argv);
    }
  }
  std::string which = "all";
  int rounds = 20, warmup = 5, steps = 100;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--rounds" && i + 1 < argc) rounds = std::atoi(argv[++i]);
    else if (a == "--warmup" && i + 1 < argc) warmup = std::atoi(argv[++i]);
    else if (a == "--steps" && i + 1 < argc) steps = std::atoi(argv[++i]);
    else which = a;
  }
  std::printf("finite_step_benchmark: OpenBLAS core %s; medians of %d timings and of %d steps "
              "after %d warm-up steps\n", openblas_get_corename(), rounds, steps, warmup);
  arma::arma_rng::set_seed(3);
  const Labelled data = mnist(200);
  if (which == "fc" || which == "all") run(fc_case(data), rounds, warmup, steps);
  if (which == "cnn" || which == "all") run(cnn_case(cropped(data, 32)), rounds, warmup, steps);
  if (which == "resnet" || which == "all") {
    run(resnet_mlp_case(data), rounds, warmup, steps);
    run(resnet_conv_case(cropped(data, 32)), rounds, warmup, steps);
  }
  return 0;
}
