// Defaults of the layer contract (layer.hpp) shared by every layer.
#include <sstream>

#include "ntk/sdk/layer.hpp"

namespace ntk::sdk {

std::string Shape::text() const {
  std::ostringstream out;
  auto dim = [&](arma::uword v) -> std::ostream& {
    if (v == 0) return out << "width";  // the network's width, not known until a network is made
    return out << v;
  };
  if (kind == Kind::vector) {
    out << "vector(";
    dim(channels) << ")";
  } else if (kind == Kind::graph) {
    out << "graph(";
    dim(channels) << ")";
  } else {
    out << "image(";
    dim(channels) << "x" << height << "x" << width << ")";
  }
  return out.str();
}

void FiniteLayer::ntk_backward(const double* p, const LayerCache& ca, arma::mat& da,
                               const LayerCache& cb, arma::mat& db, arma::uword r, bool symmetric,
                               arma::mat& theta, bool need_input) const {
  if (trainable() && num_params() > 0)
    ntk_term(p, ca, da, symmetric ? ca : cb, symmetric ? da : db, r, symmetric, theta);
  if (!need_input) return;
  da = backward(p, ca, da, r, nullptr, true);
  if (!symmetric) db = backward(p, cb, db, r, nullptr, true);
}

}  // namespace ntk::sdk
