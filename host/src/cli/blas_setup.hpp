// Choosing OpenBLAS's kernels before it is used (see blas_setup.cpp for why this re-executes).
#pragma once

namespace ntk::cli {

// If OPENBLAS_CORETYPE is unset and the CPU has AVX-512, sets OPENBLAS_CORETYPE=SkylakeX and
// re-executes /proc/self/exe with the same argv (at most once, guarded by
// NTKLAB_BLAS_CONFIGURED=1). Returns normally in every other case, including a failed exec.
void configure_blas(char** argv);

// The core type OpenBLAS chose, e.g. "SkylakeX", and its build configuration.
const char* blas_core_name();
const char* blas_config();

}  // namespace ntk::cli
