// Regularisers for training with noisy labels (Hu, Li & Yu 2020, "Simple and effective
// regularization methods for training on noisily labeled data with generalization guarantee";
// see ../shared/papers/ntk-lecture-slides.txt, "Training with Noisy Labels").
//
// With the ntklab loss L(w) = 1/(2n) Σ_i ‖f(x_i; w) − y_i‖² (metrics.hpp):
//   none  objective L(w);
//   rdi   objective L(w) + λ/2 ‖w − w0‖² (regularisation by distance to initialisation);
//         in the kernel regime GD converges to kernel ridge regression with ridge n·λ,
//         f(x) = f0(x) + Θ(x,X)(Θ + nλ I)⁻¹(y − f0(X));
//   aux   a trainable auxiliary output per training example: the training predictions are
//         f(x_i; w) + √λ·b_i (b is k × n, starts at 0, trained jointly with w), objective
//         1/(2n) Σ_i ‖f(x_i; w) + √λ b_i − y_i‖²; at test time only f is used. The joint
//         model's tangent kernel on the training set is Θ + λI, so in the kernel regime GD
//         converges to kernel ridge regression with ridge λ.
// (The slides write both with the unnormalised loss ½Σ(·)², where the two ridges coincide at λ;
// the 1/(2n) normalisation rescales the RDI penalty's effective ridge to nλ.)
#pragma once

#include <string>

namespace ntk::core::train {

enum class Regularizer { none, rdi, aux };

// "none" | "rdi" | "aux"; anything else throws ntk::Error listing the accepted names.
Regularizer parse_regularizer(const std::string& name);
const char* regularizer_name(Regularizer r);

}  // namespace ntk::core::train
