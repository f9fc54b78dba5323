// A chain of finite layers over consecutive slices of one parameter vector: the finite part of
// serial(), of a residual branch and of a whole composition.
#pragma once

#include <memory>
#include <vector>

#include "ntk/sdk/layer.hpp"

namespace ntk::sdk {

class FiniteChain : public FiniteLayer {
 public:
  FiniteChain(std::vector<std::unique_ptr<FiniteLayer>> layers, Shape input);

  Shape output_shape() const override;
  arma::uword num_params() const override { return params_; }
  void init(double* p, std::mt19937_64& rng) const override;
  void trainable_mask(double* mask) const override {
    for (std::size_t i = 0; i < layers_.size(); ++i) layers_[i]->trainable_mask(mask + offsets_[i]);
  }
  bool full_ntk_terms() const override {
    for (const auto& l : layers_)
      if (!l->full_ntk_terms()) return false;
    return true;
  }
  arma::mat forward(const double* p, const arma::mat& in, LayerCache* cache) const override;
  arma::mat backward(const double* p, const LayerCache& cache, const arma::mat& delta,
                     arma::uword r, double* grad, bool need_input) const override;
  // Each layer reads its predecessor's result in place (layer.hpp, the workspace forms).
  const arma::mat& forward_into(const double* p, const arma::mat& in,
                                LayerCache& cache) const override;
  const arma::mat& backward_into(const double* p, LayerCache& cache, const arma::mat& delta,
                                 arma::uword r, double* grad, bool need_input) const override;
  arma::mat jvp(const double* p, const double* dp, const LayerCache& cache,
                const arma::mat& din) const override;
  void ntk_backward(const double* p, const LayerCache& ca, arma::mat& da, const LayerCache& cb,
                    arma::mat& db, arma::uword r, bool symmetric, arma::mat& theta,
                    bool need_input) const override;

  const std::vector<std::unique_ptr<FiniteLayer>>& layers() const { return layers_; }
  const std::vector<arma::uword>& offsets() const { return offsets_; }

 private:
  std::vector<std::unique_ptr<FiniteLayer>> layers_;
  std::vector<arma::uword> offsets_;
  arma::uword params_ = 0;
  Shape input_;
};

}  // namespace ntk::sdk
