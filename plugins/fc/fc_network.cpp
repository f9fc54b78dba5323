#include "fc_network.hpp"

#include "ntk/sdk/error.hpp"

namespace ntk::fc {

std::vector<DenseBlock> parameter_layout(const FcConfig& config, arma::uword input_dim,
                                         arma::uword width) {
  std::vector<DenseBlock> out;
  arma::uword offset = 0, fan_in = input_dim;
  for (int l = 0; l <= config.depth; ++l) {
    DenseBlock b;
    b.fan_in = fan_in;
    b.fan_out = l == config.depth ? config.outputs : width;
    b.w_offset = offset;
    b.b_offset = offset + b.fan_out * b.fan_in;
    offset = b.b_offset + b.fan_out;
    fan_in = b.fan_out;
    out.push_back(b);
  }
  return out;
}

const sdk::Inputs& FcNetwork::checked(const sdk::Inputs& x, const char* caller,
                                      sdk::Inputs& copy) const {
  if (x.kind() == sdk::Inputs::Kind::graphs)
    throw_error("fc network ", caller, ": the input is a list of graphs; fc takes d x n vectors "
                "(or images, read as vectors)");
  if (input_dim_ != 0 && x.dim() != input_dim_)
    throw_error("fc network ", caller, ": the input is ", x.dim(), " x ", x.size(),
                " but the network expects ", input_dim_, " rows");
  if (input_dim_ == 0) input_dim_ = x.dim();
  if (x.kind() == sdk::Inputs::Kind::dense) return x;
  // The image's matrix read as dense vectors in place (an alias, no copy of the pixels).
  copy = sdk::Inputs::dense(
      arma::mat(const_cast<double*>(x.x().memptr()), x.x().n_rows, x.x().n_cols, false, true));
  return copy;
}

arma::mat FcNetwork::forward(const sdk::Inputs& x) const {
  sdk::Inputs copy;
  return net_->forward(checked(x, "forward()", copy));
}

arma::vec FcNetwork::vjp(const sdk::Inputs& x, const arma::mat& cotangent) const {
  sdk::Inputs copy;
  return net_->vjp(checked(x, "vjp()", copy), cotangent);
}

arma::mat FcNetwork::jvp(const sdk::Inputs& x, const arma::vec& tangent) const {
  sdk::Inputs copy;
  return net_->jvp(checked(x, "jvp()", copy), tangent);
}

arma::mat FcNetwork::jacobian(const sdk::Inputs& x) const {
  sdk::Inputs copy;
  return net_->jacobian(checked(x, "jacobian()", copy));
}

arma::mat FcNetwork::ntk(const sdk::Inputs& a, const sdk::Inputs& b) const {
  sdk::Inputs ca, cb;
  const sdk::Inputs& xa = checked(a, "ntk()", ca);
  if (&a == &b) return net_->ntk(xa, xa);
  return net_->ntk(xa, checked(b, "ntk()", cb));
}

arma::mat FcNetwork::ntk_full(const sdk::Inputs& a, const sdk::Inputs& b) const {
  sdk::Inputs ca, cb;
  const sdk::Inputs& xa = checked(a, "ntk_full()", ca);
  if (&a == &b) return net_->ntk_full(xa, xa);
  return net_->ntk_full(xa, checked(b, "ntk_full()", cb));
}

}  // namespace ntk::fc
