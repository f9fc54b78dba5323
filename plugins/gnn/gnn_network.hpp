// The finite graph network whose infinite-width limit is the GNTK of gntk.hpp.
//
// GIN-style sum aggregation (Xu et al. 2019) with MLPs, in the NTK parametrisation of
// Du et al. 2019, Sec. 4 (no biases; all weights i.i.d. N(0, 1) at initialisation; m = width):
//
//   a_u      = c_u Σ_{v ∈ N(u) ∪ {u}} h_v                      BLOCK aggregation (config.hpp)
//   z        = s W a      for the first layer of a BLOCK,   z = s W x  for the others
//   x        = √2 relu(z)                                         (c_σ = 2)
//   h        = x of the BLOCK's last layer, the input of the next BLOCK (h = X for BLOCK 1)
//   f(G)     = √(2/m) w_outᵀ Σ_u h_u                         readout of the last BLOCK
//   f(G)     = √2 (w_0ᵀ Σ_u X_u + Σ_b m^(−1/2) w_bᵀ Σ_u h_u^(b))   with jumping_knowledge
//
// with s = 1 for the very first layer (so Σ₀ = X₁X₂ᵀ, no 1/f, as in the paper) and
// s = 1/√m for every other layer. Then E[f(G) f(G')] → the NNGP and the empirical NTK → the
// GNTK of gntk.hpp (the √2 of the readout gives the authors' factor 2).
//
// Parameter layout (the flat vector): the dense layers BLOCK by BLOCK, layer by layer, each
// W (m × fan_in, fan_in = f for the very first layer, m otherwise) column-major; then the
// readout: w_out (m) — or with jumping_knowledge w_0 (f) followed by w_1 … w_B (m each).
#pragma once

#include <armadillo>
#include <cstdint>
#include <vector>

#include "config.hpp"
#include "graph_ops.hpp"
#include "lazy_network.hpp"

namespace ntk::gnn {

class GnnNetwork : public sdk::LazyNetwork {
 public:
  // Requires width > 0. The parameters are drawn from `seed` at once when config.features > 0,
  // else on the first input the network is given (the first layer's fan-in is the graphs'
  // feature dimension); until then num_params()/params()/set_params() (sdk::LazyNetwork)
  // throw ntk::Error.
  GnnNetwork(const Config& config, arma::uword width, std::uint64_t seed);

  arma::uword outputs() const override { return 1; }

  arma::mat forward(const sdk::Inputs& x) const override;
  arma::vec vjp(const sdk::Inputs& x, const arma::mat& cotangent) const override;
  arma::mat jvp(const sdk::Inputs& x, const arma::vec& tangent) const override;
  // Structured: per dense layer, Σ_{u,u'} ⟨δ(u), δ'(u')⟩⟨in(u), in'(u')⟩ from node-level Gram
  // matrices (BLAS-3), never the graphs × P Jacobian.
  arma::mat ntk(const sdk::Inputs& a, const sdk::Inputs& b) const override;

 private:
  struct Layer {
    arma::uword fan_in = 0, offset = 0;  // W is width_ × fan_in at params_[offset]
    double scale = 1.0;
  };
  // Activations of one graph: per dense layer its input and pre-activation.
  struct Trace {
    std::vector<arma::mat> in, z;
  };
  // Per dense layer: its input and ∂f/∂z, nodes of all graphs side by side; plus per readout
  // vector the graph sums of its input (columns = graphs).
  struct Sensitivities {
    std::vector<arma::mat> in, delta;
    std::vector<arma::mat> readout_in;
    std::vector<arma::uword> graph_start;  // node offset of each graph, plus the total
  };

  // A read-only view of dense layer `layer`'s W (no copy).
  const arma::mat weight(arma::uword layer) const;
  std::vector<PreparedGraph> prepare(const sdk::Inputs& x, const std::string& where) const;
  Trace run(const PreparedGraph& g) const;
  // The inputs of the readout vectors for one graph (Σ_u of X or of each BLOCK's output).
  std::vector<arma::vec> readout_inputs(const PreparedGraph& g, const Trace& t) const;
  // ∂f/∂z per dense layer for one graph, scaled by `cotangent`.
  std::vector<arma::mat> backward(const PreparedGraph& g, const Trace& t, double cotangent) const;
  Sensitivities sensitivities(const std::vector<PreparedGraph>& graphs) const;

  void materialise(arma::uword features) const;  // lays out and draws the parameters

  Config config_;
  arma::uword width_;
  std::uint64_t seed_;
  // Set once by materialise (lazily from a const method, like the fc plugin's network).
  mutable arma::uword features_ = 0;
  mutable std::vector<Layer> layers_;
  mutable std::vector<Layer> readout_;  // fan_in = length of the vector, scale = its factor
};

}  // namespace ntk::gnn
