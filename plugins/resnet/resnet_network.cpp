#include "resnet_network.hpp"

#include <string>

#include "image_shape.hpp"
#include "ntk/sdk/error.hpp"
#include "resnet_architecture.hpp"

namespace ntk::resnet {

const sdk::Inputs& ResnetNetwork::checked(const sdk::Inputs& x, const char* caller,
                                          sdk::Inputs& copy) const {
  const std::string where = std::string("resnet network ") + caller;
  if (config_.kind == Kind::conv && x.kind() == sdk::Inputs::Kind::images &&
      config_.padding == sdk::Padding::circular &&
      (config_.filter > x.shape().height || config_.filter > x.shape().width))
    throw_error("resnet network(): filter = ", config_.filter, " is larger than the ",
                x.shape().height, "x", x.shape().width,
                " image; with padding = \"circular\" the filter must fit in the image");
  const sdk::ImageShape shape = resolve_shape(config_, x, where);
  if (shape_.size() == 0) shape_ = shape;
  if (!sdk::same_shape(shape, shape_)) {
    if (config_.kind == Kind::mlp)
      throw_error(where, ": input is ", x.dim(), " x ", x.size(), " but the network expects ",
                  shape_.channels, " rows");
    throw_error(where, ": the images have shape {", shape.channels, ", ", shape.height, ", ",
                shape.width, "} but the network was made for {", shape_.channels, ", ",
                shape_.height, ", ", shape_.width, "}");
  }
  if (config_.kind == Kind::conv || x.kind() == sdk::Inputs::Kind::dense) return x;
  // The image's matrix read as dense vectors in place (an alias, no copy of the pixels).
  copy = sdk::Inputs::dense(
      arma::mat(const_cast<double*>(x.x().memptr()), x.x().n_rows, x.x().n_cols, false, true));
  return copy;
}

arma::mat ResnetNetwork::forward(const sdk::Inputs& x) const {
  sdk::Inputs copy;
  return net_->forward(checked(x, "forward()", copy));
}

arma::vec ResnetNetwork::vjp(const sdk::Inputs& x, const arma::mat& cotangent) const {
  sdk::Inputs copy;
  return net_->vjp(checked(x, "vjp()", copy), cotangent);
}

void ResnetNetwork::vjp_into(const sdk::Inputs& x, const arma::mat& cotangent,
                             arma::vec& gradient) const {
  sdk::Inputs copy;
  sdk::vjp_into(*net_, checked(x, "vjp()", copy), cotangent, gradient);
}

arma::mat ResnetNetwork::jvp(const sdk::Inputs& x, const arma::vec& tangent) const {
  sdk::Inputs copy;
  return net_->jvp(checked(x, "jvp()", copy), tangent);
}

arma::mat ResnetNetwork::jacobian(const sdk::Inputs& x) const {
  sdk::Inputs copy;
  return net_->jacobian(checked(x, "jacobian()", copy));
}

arma::mat ResnetNetwork::ntk(const sdk::Inputs& a, const sdk::Inputs& b) const {
  sdk::Inputs ca, cb;
  const sdk::Inputs& xa = checked(a, "ntk()", ca);
  if (&a == &b) return net_->ntk(xa, xa);
  return net_->ntk(xa, checked(b, "ntk()", cb));
}

arma::mat ResnetNetwork::ntk_full(const sdk::Inputs& a, const sdk::Inputs& b) const {
  sdk::Inputs ca, cb;
  const sdk::Inputs& xa = checked(a, "ntk_full()", ca);
  if (&a == &b) return net_->ntk_full(xa, xa);
  return net_->ntk_full(xa, checked(b, "ntk_full()", cb));
}

}  // namespace ntk::resnet
