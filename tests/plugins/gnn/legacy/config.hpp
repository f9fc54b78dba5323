// The configuration shared by the GNTK and the finite GNN (plugin options, validated).
#pragma once

#include <armadillo>
#include <string>

namespace ntk::legacy_gnn {

// How a BLOCK scales its neighbourhood sum (Du et al. 2019, Sec. 4: c_u).
enum class Scale {
  uniform,  // c_u = 1: sum over N(u) ∪ {u}
  degree,   // c_u = 1 / (|N(u)| + 1): mean over N(u) ∪ {u} (weighted: 1 / row sum of A + I)
};

struct Config {
  arma::uword blocks = 2;        // BLOCK operations (the authors' num_layers - 1)
  arma::uword mlp_layers = 2;    // ReLU layers per BLOCK (the authors' num_mlp_layers)
  Scale scale = Scale::uniform;
  bool jumping_knowledge = true; // readout sums the input and every BLOCK's output
  arma::uword features = 0;      // node-feature dimension f of the finite network (0: unset)
};

inline const char* scale_name(Scale s) { return s == Scale::uniform ? "uniform" : "degree"; }

}  // namespace ntk::legacy_gnn
