// Does OPENBLAS_CORETYPE=SkylakeX pay off on this machine, and does it change results?
//
//   blas_coretype [n]            runs itself twice: once without OPENBLAS_CORETYPE (OpenBLAS
//                                picks its kernels from the CPU), once with SkylakeX; each run
//                                times C = A·B (n × n, float64, default n = 3000, best of 5)
//                                and saves C; prints both times, the ratio and max |ΔC|/max|C|.
//   blas_coretype --child n OUT  one such run (internal).
#include <sys/wait.h>
#include <unistd.h>

#include <armadillo>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

extern "C" char* openblas_get_corename();

namespace {

double run_child(const char* self, const std::string& n, const std::string& out, const char* core) {
  const pid_t pid = fork();
  if (pid == 0) {
    if (core != nullptr) setenv("OPENBLAS_CORETYPE", core, 1);
    else unsetenv("OPENBLAS_CORETYPE");
    execl(self, self, "--child", n.c_str(), out.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "blas_coretype: child run failed\n");
    std::exit(1);
  }
  arma::mat timing;
  timing.load(out + ".time", arma::raw_ascii);
  return timing(0, 0);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 4 && std::string(argv[1]) == "--child") {
    const arma::uword n = std::stoul(argv[2]);
    arma::arma_rng::set_seed(42);
    const arma::mat a = arma::randn(n, n), b = arma::randn(n, n);
    arma::mat c;
    double best = 1e300;
    for (int r = 0; r < 5; ++r) {
      const auto start = std::chrono::steady_clock::now();
      c = a * b;
      best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
    c.save(std::string(argv[3]), arma::arma_binary);
    arma::mat(1, 1, arma::fill::value(best)).save(std::string(argv[3]) + ".time", arma::raw_ascii);
    const char* env = std::getenv("OPENBLAS_CORETYPE");
    std::printf("  (run with OPENBLAS_CORETYPE=%s: OpenBLAS core %s)\n", env ? env : "<unset>",
                openblas_get_corename());
    return 0;
  }
  const std::string n = argc > 1 ? argv[1] : "3000";
  const std::string dir = "/tmp/ntk_blas_coretype_" + std::to_string(getpid());
  const double t_auto = run_child(argv[0], n, dir + "_auto", nullptr);
  const double t_skx = run_child(argv[0], n, dir + "_skx", "SkylakeX");
  arma::mat c_auto, c_skx;
  c_auto.load(dir + "_auto", arma::arma_binary);
  c_skx.load(dir + "_skx", arma::arma_binary);
  for (const char* suffix : {"_auto", "_auto.time", "_skx", "_skx.time"}) std::remove((dir + suffix).c_str());
  const double flops = 2.0 * std::pow(std::stod(n), 3);
  std::printf("GEMM %s x %s float64, best of 5, threads = OpenBLAS default\n", n.c_str(), n.c_str());
  std::printf("  OPENBLAS_CORETYPE unset     %8.3f s  %7.1f GFLOP/s\n", t_auto, flops / t_auto / 1e9);
  std::printf("  OPENBLAS_CORETYPE=SkylakeX  %8.3f s  %7.1f GFLOP/s\n", t_skx, flops / t_skx / 1e9);
  std::printf("  speed-up %.2fx; max |C_auto - C_skx| / max |C| = %.2e\n", t_auto / t_skx,
              arma::abs(c_auto - c_skx).max() / arma::abs(c_auto).max());
  return 0;
}
