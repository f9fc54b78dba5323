// Single-precision versions of the entry-wise activation maps of layers_elementwise.hpp, for
// kernels whose per-pixel-pair tensors are kept in float (layers_conv.hpp, Precision::float32).
//
// Same conventions and formulas as the double maps (neural-tangents' Relu and Erf):
//   relu  Σ ← (√(Σ11Σ22 − Σ12²) + (π − θ)Σ12)/(2π),  Θ ← Θ·(π − θ)/(2π)
//   erf   Σ ← (2/π)·arcsin(2Σ12/√((1+2Σ11)(1+2Σ22))),
//         Θ ← Θ·(4/π)/√((1+2Σ11)(1+2Σ22) − 4Σ12²)
// The angle's arcsin polynomial has float's degree (layers_elementwise_angle.hpp: a few ulps
// of float on [0, π]); √ uses the vector instruction, so the loops vectorise (16 lanes with
// AVX-512). Expect relative errors of order 1e-6 per layer, and √(float eps) ≈ 3e-4 in the
// ReLU's √(Σ11Σ22 − Σ12²) near the diagonal, as neural-tangents in float32.
#pragma once

#include <cstddef>

namespace ntk::sdk::layers {

void relu_entries(float* nngp, float* ntk, const float* var1, const float* var2,
                  std::size_t len);
void erf_entries(float* nngp, float* ntk, const float* var1, const float* var2,
                 std::size_t len);

}  // namespace ntk::sdk::layers
