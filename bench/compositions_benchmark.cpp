// SDK 3 (issue 11): the fc, cnn and resnet plugins as compositions of SDK layers, timed against
// their previous hand-written implementations (bench/legacy) in the same run. Each line is the
// best of `reps` repetitions of old and new, interleaved so both see the same machine load;
// the ratio new / old is the figure to read (the machine is shared and noisy).
//
//   compositions_benchmark [fc|cnn|resnet|all] [--reps R]
//
// Kernels also print the largest relative difference new vs old (max |Δ| / max |old|).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>

#include "cnn_architecture.hpp"
#include "fc_architecture.hpp"
#include "legacy/cnn/cnn_architecture.hpp"
#include "legacy/fc/fc_architecture.hpp"
#include "legacy/resnet/resnet_architecture.hpp"
#include "resnet_architecture.hpp"

using ntk::sdk::Architecture;
using ntk::sdk::Inputs;
using ntk::sdk::Options;
using Clock = std::chrono::steady_clock;

namespace {

int reps = 3;

double seconds(const std::function<void()>& work) {
  const auto start = Clock::now();
  work();
  return std::chrono::duration<double>(Clock::now() - start).count();
}

void compare(const char* what, const std::function<void()>& old_work,
             const std::function<void()>& new_work) {
  double t_old = 1e300, t_new = 1e300;
  for (int r = 0; r < reps; ++r) {
    t_old = std::min(t_old, seconds(old_work));
    t_new = std::min(t_new, seconds(new_work));
  }
  std::printf("  %-46s old %9.4f s  new %9.4f s  new/old %.2f\n", what, t_old, t_new,
              t_new / t_old);
  std::fflush(stdout);
}

double max_relative(const arma::mat& a, const arma::mat& b) {
  return arma::abs(a - b).max() / arma::abs(b).max();
}

// Analytic kernels of both, timed, and their difference.
void kernels(const char* what, const Architecture& old_arch, const Architecture& new_arch,
             const Inputs& a, const Inputs& b, ntk::sdk::KernelRequest request) {
  ntk::sdk::Kernels k_old, k_new;
  compare(what, [&] { k_old = old_arch.kernels(a, b, request); },
          [&] { k_new = new_arch.kernels(a, b, request); });
  double diff = 0;
  if (request.nngp) diff = std::max(diff, max_relative(k_new.nngp, k_old.nngp));
  if (request.ntk) diff = std::max(diff, max_relative(k_new.ntk, k_old.ntk));
  std::printf("  %-46s largest relative difference %.2e\n", "", diff);
}

// Finite networks of both: forward, vjp, jvp, structured ntk (and optionally ntk_full,
// jacobian on the first n_small examples).
void networks(const std::string& label, const Architecture& old_arch, const Architecture& new_arch,
              arma::uword width, const Inputs& x, const Inputs& y, bool full, bool jacobian,
              const Inputs& small) {
  const auto n_old = old_arch.network({width, 7});
  const auto n_new = new_arch.network({width, 7});
  (void)n_old->forward(x), (void)n_new->forward(x);
  const arma::uword k = n_new->outputs(), n = x.size();
  arma::arma_rng::set_seed(3);
  const arma::mat r = arma::randn(k, n);
  const arma::vec v_old = arma::randn(n_old->num_params()), v_new = arma::randn(n_new->num_params());
  arma::mat sink;
  auto line = [&](const std::string& op) { return label + " " + op; };
  compare(line("forward").c_str(), [&] { sink = n_old->forward(x); }, [&] { sink = n_new->forward(x); });
  compare(line("vjp").c_str(), [&] { sink = n_old->vjp(x, r); }, [&] { sink = n_new->vjp(x, r); });
  compare(line("jvp").c_str(), [&] { sink = n_old->jvp(x, v_old); },
          [&] { sink = n_new->jvp(x, v_new); });
  compare(line("ntk(x, x)").c_str(), [&] { sink = n_old->ntk(x, x); }, [&] { sink = n_new->ntk(x, x); });
  compare(line("ntk(x, y)").c_str(), [&] { sink = n_old->ntk(x, y); }, [&] { sink = n_new->ntk(x, y); });
  if (full)
    compare(line("ntk_full(x, x)").c_str(), [&] { sink = n_old->ntk_full(x, x); },
            [&] { sink = n_new->ntk_full(x, x); });
  if (jacobian)
    compare(line("jacobian(" + std::to_string(small.size()) + " examples)").c_str(),
            [&] { sink = n_old->jacobian(small); }, [&] { sink = n_new->jacobian(small); });
}

arma::mat mnist_like(arma::uword d, arma::uword n, std::uint64_t seed) {
  arma::arma_rng::set_seed(seed);
  arma::mat x = arma::randu(d, n);
  x %= arma::conv_to<arma::mat>::from(arma::randu(d, n) < 0.19);
  return x;
}

Inputs columns(const Inputs& x, arma::uword n) {
  if (x.kind() == Inputs::Kind::images) return Inputs::images(x.x().cols(0, n - 1), x.shape());
  return Inputs::dense(x.x().cols(0, n - 1));
}

void fc() {
  std::printf("fc (d = 784, MNIST-like inputs)\n");
  const Inputs a = Inputs::dense(mnist_like(784, 3000, 1)), b = Inputs::dense(mnist_like(784, 1000, 2));
  for (const char* act : {"relu", "erf"}) {
    const Options o{{"depth", 3.0}, {"activation", std::string(act)}, {"b_std", 0.1}};
    const auto old_arch = ntk::legacy_fc::make_architecture(o);
    const auto new_arch = ntk::fc::make_architecture(o);
    const std::string s = std::string("depth 3 ") + act;
    kernels((s + ": NTK 3000 x 3000 (triangle)").c_str(), *old_arch, *new_arch, a, a, {false, true});
    kernels((s + ": NNGP + NTK 3000 x 1000").c_str(), *old_arch, *new_arch, a, b, {true, true});
  }
  const Options o{{"depth", 3.0}, {"b_std", 0.1}};
  const Inputs x = columns(a, 128), y = columns(b, 64);
  networks("width 1024, n = 128:", *ntk::legacy_fc::make_architecture(o),
           *ntk::fc::make_architecture(o), 1024, x, y, false, true, columns(a, 8));
  const Options k10{{"depth", 2.0}, {"b_std", 0.1}, {"outputs", 10.0}, {"activation", std::string("erf")}};
  networks("erf k = 10, width 512, n = 128:", *ntk::legacy_fc::make_architecture(k10),
           *ntk::fc::make_architecture(k10), 512, x, y, true, false, x);
}

void cnn() {
  std::printf("cnn (28 x 28 x 1 images, uniform pixels)\n");
  arma::arma_rng::set_seed(5);
  const Inputs img = Inputs::images(arma::randu(784, 400), {1, 28, 28});
  struct Case { const char* readout; arma::uword n; };
  for (const Case& c : {Case{"flatten", 300}, Case{"pool", 60}, Case{"gap", 12}})
    for (const char* precision : {"float64", "float32"}) {
      const Options o{{"depth", 3.0}, {"readout", std::string(c.readout)},
                      {"precision", std::string(precision)}};
      const Inputs x = columns(img, c.n);
      const std::string s = std::string(c.readout) + " " + precision + ", depth 3: NTK " +
                            std::to_string(c.n) + " x " + std::to_string(c.n);
      kernels(s.c_str(), *ntk::legacy_cnn::make_architecture(o), *ntk::cnn::make_architecture(o),
              x, x, {false, true});
    }
  for (const char* readout : {"flatten", "gap"}) {
    const Options o{{"depth", 2.0}, {"readout", std::string(readout)}};
    networks(std::string(readout) + ", 32 channels, n = 16:", *ntk::legacy_cnn::make_architecture(o),
             *ntk::cnn::make_architecture(o), 32, columns(img, 16), columns(img, 8), false, true,
             columns(img, 4));
  }
}

void resnet() {
  std::printf("resnet\n");
  const Inputs a = Inputs::dense(mnist_like(784, 3000, 1)), b = Inputs::dense(mnist_like(784, 1000, 2));
  const Options mlp{{"blocks", 4.0}, {"alpha", 0.5}, {"b_std", 0.1}};
  const auto old_mlp = ntk::legacy_resnet::make_architecture(mlp);
  const auto new_mlp = ntk::resnet::make_architecture(mlp);
  kernels("mlp B = 4: NTK 3000 x 3000 (triangle)", *old_mlp, *new_mlp, a, a, {false, true});
  kernels("mlp B = 4: NNGP + NTK 3000 x 1000", *old_mlp, *new_mlp, a, b, {true, true});
  networks("mlp B = 4, width 512, n = 128:", *old_mlp, *new_mlp, 512, columns(a, 128),
           columns(b, 64), false, true, columns(a, 8));
  arma::arma_rng::set_seed(6);
  const Inputs img = Inputs::images(arma::randu(2 * 14 * 14, 200), {2, 14, 14});
  for (const char* readout : {"flatten", "gap"}) {
    const Options o{{"kind", std::string("conv")}, {"blocks", 1.0}, {"readout", std::string(readout)}};
    const auto old_conv = ntk::legacy_resnet::make_architecture(o);
    const auto new_conv = ntk::resnet::make_architecture(o);
    const arma::uword n = std::string(readout) == "gap" ? 16 : 200;
    kernels((std::string("conv B = 1 ") + readout + ": NTK " + std::to_string(n) + " x " +
             std::to_string(n) + ", 14 x 14 x 2").c_str(),
            *old_conv, *new_conv, columns(img, n), columns(img, n), {false, true});
    networks(std::string("conv ") + readout + ", 16 channels, n = 16:", *old_conv, *new_conv, 16,
             columns(img, 16), columns(img, 8), false, true, columns(img, 4));
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string which = "all";
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--reps") == 0 && i + 1 < argc) reps = std::max(1, std::atoi(argv[++i]));
    else which = argv[i];
  }
  std::printf("best of %d, old and new interleaved; OPENBLAS_CORETYPE=%s\n", reps,
              std::getenv("OPENBLAS_CORETYPE") ? std::getenv("OPENBLAS_CORETYPE") : "(unset)");
  if (which == "fc" || which == "all") fc();
  if (which == "cnn" || which == "all") cnn();
  if (which == "resnet" || which == "all") resnet();
  return 0;
}
