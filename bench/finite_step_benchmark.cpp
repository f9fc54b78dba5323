// Finite networks at BLAS speed (issue 14, "Performance", finite networks). Figures in
// docs/benchmarks.md, "Finite networks (issue 14)".
//
//   finite_step_benchmark [fc|cnn|resnet|all] [--steps S = 40] [--warmup W = 5]
//                         [--fault-steps F = 100]
//
// For each network, with OpenBLAS and OpenMP at 1 and then 2 threads in the same process:
//   step       one full-batch GD step as ntk.train.gd takes it (core/train/run_descent with the
//              network: predict, residual, vjp, update, set_params), median of S steps after W
//              warm-up steps; for fc also a hand-written reference of the same MLP (forward,
//              residual, backward, update with dgemm on preallocated buffers — what PyTorch's
//              CPU path does, without its allocator and dispatch), same parameters, same data.
//   forward / vjp   net.forward(x) and net.vjp(x, r) alone, and forward then vjp (the pair a
//              training step needs), as GFLOP/s of their GEMM work, next to the GFLOP/s of
//              dgemm on exactly those shapes (timed here, interleaved).
//   faults     minor page faults (getrusage ru_minflt) over F trainer steps after warm-up, in
//              two halves: an allocation per step that the kernel must back with fresh pages
//              shows as faults growing with the step count.
// Data: the first n MNIST test images (data/mnist), pixels / 255, one-hot targets (10 outputs).
// OPENBLAS_CORETYPE as README's "OpenBLAS core type" (ntk.sh): SkylakeX on AVX-512 CPUs unless
// NTKLAB_KEEP_CORETYPE=1 (the program re-executes itself once with it).
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cblas.h>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cnn_architecture.hpp"
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
double median_time(int reps, const std::function<void()>& work) {
  std::vector<double> t;
  work();  // warm-up: buffers sized, pages touched
  for (int r = 0; r < reps; ++r) {
    const double start = now();
    work();
    t.push_back(now() - start);
  }
  return median(t);
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
  explicit TimedModel(Network& net) : net_(net) {}
  const arma::vec& params() const override { return net_.params(); }
  void set_params(const arma::vec& p) override {
    const double start = now();
    net_.set_params(p);
    set_params_s.push_back(now() - start);
  }
  arma::mat predict(const Inputs& x) override {
    times.push_back(now());
    faults.push_back(minor_faults());
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
  const Network& network() const override { return net_; }
  std::vector<double> times, predict_s, vjp_s, set_params_s;
  std::vector<long> faults;

 private:
  Network& net_;
};

struct StepFigures {
  double median_s = 0, predict_s = 0, vjp_s = 0, set_params_s = 0;
  long faults_first = 0, faults_second = 0;  // over the two halves of the fault steps
  double objective_first = 0, objective_last = 0;
};

StepFigures trainer_steps(Network& net, const Labelled& train, double lr, int warmup, int steps,
                          int fault_steps) {
  TimedModel model(net);
  ntk::core::train::TrainOptions o;
  o.lr = lr;
  o.max_steps = arma::uword(warmup + std::max(steps, fault_steps));
  o.record_every = o.max_steps;
  o.progress = false;
  const auto result = ntk::core::train::run_descent("benchmark", model, train, o, nullptr);
  if (result.status == ntk::core::train::Status::diverged)
    std::printf("  (training diverged: %s)\n", result.message.c_str());
  StepFigures f;
  std::vector<double> dt;
  for (int i = warmup; i < warmup + steps && i + 1 < int(model.times.size()); ++i)
    dt.push_back(model.times[i + 1] - model.times[i]);
  f.median_s = median(dt);
  const auto part = [&](const std::vector<double>& v) {
    return median(std::vector<double>(v.begin() + warmup, v.begin() + warmup + steps));
  };
  f.predict_s = part(model.predict_s);
  f.vjp_s = part(model.vjp_s);
  f.set_params_s = part(model.set_params_s);
  const int half = fault_steps / 2;
  f.faults_first = model.faults[warmup + half] - model.faults[warmup];
  f.faults_second = model.faults[warmup + 2 * half] - model.faults[warmup + half];
  f.objective_first = result.history.front().objective;
  f.objective_last = result.objective;
  return f;
}

void print_parts(const StepFigures& s) {
  std::printf("    of which forward %.2f ms, vjp %.2f ms, set_params %.2f ms, the loop's own %.2f ms\n",
              1e3 * s.predict_s, 1e3 * s.vjp_s, 1e3 * s.set_params_s,
              1e3 * (s.median_s - s.predict_s - s.vjp_s - s.set_params_s));
}

// ---- dgemm of given shapes -----------------------------------------------------------------

// C (m × n) = op(A) op(B), op(A) m × k: one GEMM of a network's forward or backward pass.
struct Gemm {
  int m, n, k;
  bool ta = false, tb = false;
  double flops() const { return 2.0 * m * n * k; }
};
double flops(const std::vector<Gemm>& g) {
  double s = 0;
  for (const Gemm& x : g) s += x.flops();
  return s;
}
// Median time of running all the GEMMs once, on buffers allocated and touched beforehand.
double gemm_time(const std::vector<Gemm>& shapes, int reps) {
  std::vector<arma::mat> a, b, c;
  for (const Gemm& g : shapes) {
    a.push_back(arma::randn(g.ta ? g.k : g.m, g.ta ? g.m : g.k));
    b.push_back(arma::randn(g.tb ? g.n : g.k, g.tb ? g.k : g.n));
    c.push_back(arma::zeros(g.m, g.n));
  }
  return median_time(reps, [&] {
    for (std::size_t i = 0; i < shapes.size(); ++i) {
      const Gemm& g = shapes[i];
      cblas_dgemm(CblasColMajor, g.ta ? CblasTrans : CblasNoTrans, g.tb ? CblasTrans : CblasNoTrans,
                  g.m, g.n, g.k, 1.0, a[i].memptr(), int(a[i].n_rows), b[i].memptr(),
                  int(b[i].n_rows), 0.0, c[i].memptr(), g.m);
    }
  });
}

// ---- the hand-written reference MLP (fc only) ----------------------------------------------

// f = s_L W_L φ(… φ(s_1 W_1 x + β b_1) …) + β b_L with relu, NTK parametrisation, the ntklab
// parameter layout (per layer W column-major then b), every buffer allocated once.
class ReferenceMlp {
 public:
  ReferenceMlp(std::vector<int> dims, double w_std, double b_std, const arma::vec& params,
               const arma::mat& x, const arma::mat& y)
      : dims_(std::move(dims)), beta_(b_std), w_(params), x_(x), y_(y), n_(int(x.n_cols)) {
    std::size_t offset = 0;
    for (std::size_t l = 0; l + 1 < dims_.size(); ++l) {
      offset_.push_back(offset);
      offset += std::size_t(dims_[l]) * dims_[l + 1] + dims_[l + 1];
      scale_.push_back(w_std / std::sqrt(double(dims_[l])));
      h_.push_back(arma::mat(dims_[l + 1], n_));
      delta_.push_back(arma::mat(dims_[l + 1], n_));
    }
    g_.set_size(w_.n_elem);
  }
  const arma::mat& forward() {
    for (std::size_t l = 0; l < h_.size(); ++l) {
      const int in = dims_[l], out = dims_[l + 1];
      const double* w = w_.memptr() + offset_[l];
      const double* b = w + std::size_t(in) * out;
      double* z = h_[l].memptr();
      for (int j = 0; j < n_; ++j)
        for (int i = 0; i < out; ++i) z[std::size_t(j) * out + i] = beta_ * b[i];
      const double* h = l == 0 ? x_.memptr() : h_[l - 1].memptr();
      cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, out, n_, in, scale_[l], w, out, h,
                  in, 1.0, z, out);
      if (l + 1 < h_.size())
        for (std::size_t i = 0; i < h_[l].n_elem; ++i) z[i] = z[i] > 0 ? z[i] : 0.0;
    }
    return h_.back();
  }
  // One GD step on 1/(2n) Σ ‖f − y‖².
  void step(double lr) {
    forward();
    arma::mat& top = delta_.back();
    for (std::size_t i = 0; i < top.n_elem; ++i) top[i] = (h_.back()[i] - y_[i]) / double(n_);
    for (std::size_t l = h_.size(); l-- > 0;) {
      const int in = dims_[l], out = dims_[l + 1];
      const double* w = w_.memptr() + offset_[l];
      double* gw = g_.memptr() + offset_[l];
      double* gb = gw + std::size_t(in) * out;
      const double* d = delta_[l].memptr();
      const double* h = l == 0 ? x_.memptr() : h_[l - 1].memptr();
      cblas_dgemm(CblasColMajor, CblasNoTrans, CblasTrans, out, in, n_, scale_[l], d, out, h, in,
                  0.0, gw, out);
      for (int i = 0; i < out; ++i) gb[i] = 0;
      for (int j = 0; j < n_; ++j)
        for (int i = 0; i < out; ++i) gb[i] += beta_ * d[std::size_t(j) * out + i];
      if (l == 0) break;
      double* below = delta_[l - 1].memptr();
      cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, in, n_, out, scale_[l], w, out, d, out,
                  0.0, below, in);
      const double* hb = h_[l - 1].memptr();
      for (std::size_t i = 0; i < delta_[l - 1].n_elem; ++i) below[i] = hb[i] > 0 ? below[i] : 0.0;
    }
    cblas_daxpy(int(w_.n_elem), -lr, g_.memptr(), 1, w_.memptr(), 1);
  }
  const arma::vec& params() const { return w_; }

 private:
  std::vector<int> dims_;
  double beta_;
  arma::vec w_, g_;
  arma::mat x_, y_;
  int n_;
  std::vector<std::size_t> offset_;
  std::vector<double> scale_;
  std::vector<arma::mat> h_, delta_;
};

// ---- one network, both thread counts ---------------------------------------------------------

struct Case {
  std::string label;
  std::function<std::unique_ptr<Network>()> make;
  Labelled train;
  double lr;
  std::vector<Gemm> forward_gemms, backward_gemms;
  std::function<std::unique_ptr<ReferenceMlp>(const Network&)> reference;  // fc only
};

void run(const Case& c, int warmup, int steps, int fault_steps) {
  std::printf("\n%s\n", c.label.c_str());
  const double ff = flops(c.forward_gemms), fb = flops(c.backward_gemms);
  std::printf("  GEMM work: forward %.3f GFLOP, backward %.3f GFLOP\n", ff * 1e-9, fb * 1e-9);
  const arma::mat cotangent = arma::randn(c.train.y.n_rows, c.train.size()) / double(c.train.size());
  for (int threads : {1, 2}) {
    set_threads(threads);
    std::printf(" %d thread%s (load %s)\n", threads, threads > 1 ? "s" : "", [] {
      static char text[64];
      double l[1] = {0};
      getloadavg(l, 1);
      std::snprintf(text, sizeof text, "%.2f", l[0]);
      return text;
    }());
    auto net = c.make();
    (void)net->forward(c.train.x);  // lazy networks draw their parameters here
    std::unique_ptr<ReferenceMlp> ref = c.reference ? c.reference(*net) : nullptr;
    const int reps = std::max(steps / 2, 20);
    const double t_gemm_f = gemm_time(c.forward_gemms, reps);
    const double t_gemm_b = gemm_time(c.backward_gemms, reps);
    // Two inputs in turn: a network may reuse its last forward pass on an unchanged input.
    const Inputs flipped = Inputs::images(arma::fliplr(c.train.x.x()), c.train.x.shape());
    bool flip = false;
    const auto next = [&]() -> const Inputs& {
      flip = !flip;
      return flip ? flipped : c.train.x;
    };
    const double t_fwd = median_time(reps, [&] { (void)net->forward(next()); });
    const double t_vjp = median_time(reps, [&] { (void)net->vjp(next(), cotangent); });
    const double t_pair = median_time(reps, [&] {
      const Inputs& x = next();
      (void)net->forward(x);
      (void)net->vjp(x, cotangent);
    });
    std::printf("  dgemm, forward shapes      %8.2f ms  %6.1f GFLOP/s\n", 1e3 * t_gemm_f, ff / t_gemm_f * 1e-9);
    std::printf("  dgemm, all step shapes     %8.2f ms  %6.1f GFLOP/s\n", 1e3 * (t_gemm_f + t_gemm_b),
                (ff + fb) / (t_gemm_f + t_gemm_b) * 1e-9);
    std::printf("  ntklab forward             %8.2f ms  %6.1f GFLOP/s  (%.0f %% of dgemm)\n", 1e3 * t_fwd,
                ff / t_fwd * 1e-9, 100 * t_gemm_f / t_fwd);
    std::printf("  ntklab vjp (alone)         %8.2f ms  %6.1f GFLOP/s  (%.0f %% of dgemm)\n", 1e3 * t_vjp,
                (ff + fb) / t_vjp * 1e-9, 100 * (t_gemm_f + t_gemm_b) / t_vjp);
    std::printf("  ntklab forward then vjp    %8.2f ms  %6.1f GFLOP/s  (%.0f %% of dgemm)\n", 1e3 * t_pair,
                (ff + fb) / t_pair * 1e-9, 100 * (t_gemm_f + t_gemm_b) / t_pair);
    if (ref) {
      const arma::mat fr = ref->forward(), fn = net->forward(c.train.x);
      std::vector<double> dt;
      const double t_ref = median_time(reps, [&] { ref->step(c.lr); });
      std::printf("  reference step (dgemm)     %8.2f ms   (max |f_ref - f_ntklab| = %.1e)\n",
                  1e3 * t_ref, arma::abs(fr - fn).max());
      const StepFigures s = trainer_steps(*net, c.train, c.lr, warmup, steps, fault_steps);
      std::printf("  ntklab train.gd step       %8.2f ms   ratio to reference %.2f\n", 1e3 * s.median_s,
                  s.median_s / t_ref);
      print_parts(s);
      std::printf("  minor faults over %d steps: %ld then %ld (objective %.3g -> %.3g)\n",
                  fault_steps, s.faults_first, s.faults_second, s.objective_first, s.objective_last);
    } else {
      const StepFigures s = trainer_steps(*net, c.train, c.lr, warmup, steps, fault_steps);
      std::printf("  ntklab train.gd step       %8.2f ms   ratio to dgemm of its shapes %.2f\n",
                  1e3 * s.median_s, s.median_s / (t_gemm_f + t_gemm_b));
      print_parts(s);
      std::printf("  minor faults over %d steps: %ld then %ld (objective %.3g -> %.3g)\n",
                  fault_steps, s.faults_first, s.faults_second, s.objective_first, s.objective_last);
    }
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
  int steps = 40, warmup = 5, fault_steps = 100;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--steps" && i + 1 < argc) steps = std::atoi(argv[++i]);
    else if (a == "--warmup" && i + 1 < argc) warmup = std::atoi(argv[++i]);
    else if (a == "--fault-steps" && i + 1 < argc) fault_steps = std::atoi(argv[++i]);
    else which = a;
  }
  std::printf("finite_step_benchmark: OpenBLAS core %s, median of %d steps after %d warm-up\n",
              openblas_get_corename(), steps, warmup);
  arma::arma_rng::set_seed(3);
  const Labelled data = mnist(200);
  if (which == "fc" || which == "all") run(fc_case(data), warmup, steps, fault_steps);
  if (which == "cnn" || which == "all") run(cnn_case(cropped(data, 32)), warmup, steps, fault_steps);
  if (which == "resnet" || which == "all") {
    run(resnet_mlp_case(data), warmup, steps, fault_steps);
    run(resnet_conv_case(cropped(data, 32)), warmup, steps, fault_steps);
  }
  return 0;
}
