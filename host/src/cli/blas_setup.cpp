// Why ntklab re-executes itself once at start-up:
//
// Debian 12's OpenBLAS (0.3.21, built with DYNAMIC_ARCH) picks its kernels from the CPU it
// recognises. On the AMD EPYC machines we run on (which have AVX-512) it does not recognise
// the CPU and falls back to Haswell (AVX2) kernels; forcing OPENBLAS_CORETYPE=SkylakeX selects
// the AVX-512 kernels, which the team measured 1.6–1.9× faster on GEMM, the bulk of every kernel
// computation. OpenBLAS reads the variable in its constructor, when the shared library is
// loaded, i.e. before main() runs, so setting it inside the process is too late: we set it and
// exec our own binary again with the same arguments. A value the user set is always respected,
// and NTKLAB_BLAS_CONFIGURED=1 guarantees at most one re-exec (children inherit both variables).
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
