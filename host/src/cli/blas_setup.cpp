// Why ntklab re-executes itself once at start-up:
//
// OpenBLAS (Debian 12: 0.3.21, built with DYNAMIC_ARCH) picks its kernels by CPU type. On the
// AVX-512 AMD EPYC machines we run on, the AVX-512 kernels (core type SkylakeX) are about 1.6×
// faster than the AVX2 ones (Haswell) on GEMM, the bulk of every kernel computation (dgemm
// 2000 x 2000, one thread: Haswell 13.4 GFLOPS, SkylakeX 21.2, measured 2026-11). Auto-detection
// in 0.3.21 does not know every AVX-512 CPU and then falls back to Haswell, so we choose
// SkylakeX explicitly whenever the CPU has AVX-512F. OpenBLAS reads OPENBLAS_CORETYPE in its
// constructor, when the shared library is loaded, i.e. before main() runs, so setting it inside
// the process is too late: we set it and exec our own binary again with the same arguments.
// A value the user set is always respected (even Haswell), and NTKLAB_BLAS_CONFIGURED=1
// guarantees at most one re-exec (child processes inherit both variables).
#include "cli/blas_setup.hpp"

#include <unistd.h>

#include <cstdlib>

extern "C" {
// Exported by every OpenBLAS build.
char* openblas_get_corename(void);
char* openblas_get_config(void);
}

namespace ntk::cli {

void configure_blas(char** argv) {
  if (std::getenv("OPENBLAS_CORETYPE") != nullptr) return;        // the user's choice
  if (std::getenv("NTKLAB_BLAS_CONFIGURED") != nullptr) return;   // we already re-executed
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("avx512f")) return;                 // SkylakeX kernels need it
  setenv("OPENBLAS_CORETYPE", "SkylakeX", 1);
  setenv("NTKLAB_BLAS_CONFIGURED", "1", 1);
  execv("/proc/self/exe", argv);
  // exec failed (e.g. no /proc): go on with the kernels OpenBLAS chose; only speed is lost.
  unsetenv("OPENBLAS_CORETYPE");
}

const char* blas_core_name() { return openblas_get_corename(); }
const char* blas_config() { return openblas_get_config(); }

}  // namespace ntk::cli
