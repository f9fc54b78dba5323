// The SDK version and ABI tag a plugin is built against.
//
// The host loads a plugin only when the plugin's major version equals the host's and the
// plugin's minor is not newer. Because plugins exchange C++ objects (Armadillo matrices,
// std::string, virtual classes) with the host, the compiler and Armadillo versions must match
// too: they are folded into the ABI tag, compared as a string.
#pragma once

#include <armadillo>

// 2.0: Architecture gained the virtual kernel_family() (a new vtable slot: plugins built for
// 1.x lack it, so the major changed).
// 3.0: the layer library (layer.hpp, activation.hpp, stax.hpp) and OptionValue's new
// alternative, lists of named tables (sdk::LayerSpec): the variant's layout changed.
// 3.1: KernelRequest and FamilyRequest gained a trailing `progress` pointer (progress.hpp). A
// 3.0 plugin still reads the fields it knows (same offsets; KernelRequest, passed by value,
// keeps its first register on x86-64 and AArch64) and reports nothing; a 3.1 plugin is refused
// by a 3.0 host, which would not set that pointer.
// 4.0: Kernels gained `log2_scale` and KernelRequest `log_scale` (a common power-of-two scale
// for kernels beyond the double range), and float32 outputs (KernelRequest::output,
// Kernels::nngp32 / ntk32); Kernels is returned by value, so its layout changed.
// sdk::Graph::features is an arma::sp_mat (f × n_nodes; was arma::mat): one-hot node labels
// cost one entry per node; build one from a dense matrix with arma::sp_mat(x).
#define NTK_SDK_VERSION_MAJOR 4
#define NTK_SDK_VERSION_MINOR 0

#define NTK_SDK_STRINGIFY_(x) #x
#define NTK_SDK_STRINGIFY(x) NTK_SDK_STRINGIFY_(x)

#if defined(__clang__)
#define NTK_SDK_COMPILER "clang-" NTK_SDK_STRINGIFY(__clang_major__)
#elif defined(__GNUC__)
#define NTK_SDK_COMPILER "gcc-" NTK_SDK_STRINGIFY(__GNUC__)
#else
#define NTK_SDK_COMPILER "unknown-compiler"
#endif

// e.g. "gcc-12/armadillo-11.4"
#define NTK_SDK_ABI_TAG                                                             \
  NTK_SDK_COMPILER "/armadillo-" NTK_SDK_STRINGIFY(ARMA_VERSION_MAJOR) "." NTK_SDK_STRINGIFY( \
      ARMA_VERSION_MINOR)

namespace ntk::sdk {

// Plain-old-data record exported by every plugin under the C symbol `ntklab_sdk_version`.
// The loader reads it before touching any C++ type from the plugin.
struct SdkVersion {
  int major;
  int minor;
  const char* abi_tag;
};

inline constexpr SdkVersion kSdkVersion{NTK_SDK_VERSION_MAJOR, NTK_SDK_VERSION_MINOR,
                                        NTK_SDK_ABI_TAG};

}  // namespace ntk::sdk
