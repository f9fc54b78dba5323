#include "cnn_network.hpp"

#include <string>

#include "cnn_architecture.hpp"
#include "image_shape.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::cnn {

const sdk::Inputs& CnnNetwork::checked(const sdk::Inputs& x, const char* caller) const {
  const std::string where = std::string("cnn network ") + caller;
  if (x.kind() == sdk::Inputs::Kind::images && config_.padding == sdk::Padding::circular &&
      (config_.filter > x.shape().height || config_.filter > x.shape().width))
    throw_error("cnn network(): filter = ", config_.filter, " is larger than the ",
                x.shape().height, "x", x.shape().width,
                " image; with padding = \"circular\" the filter must fit in the image");
  const sdk::ImageShape shape = resolve_shape(config_, x, where);
  if (shape_.size() == 0) shape_ = shape;
  if (!sdk::same_shape(shape, shape_))
    throw_error(where, ": the images have shape {", shape.channels, ", ", shape.height, ", ",
                shape.width, "} but the network was made for {", shape_.channels, ", ",
                shape_.height, ", ", shape_.width, "}");
  return x;
}

arma::mat CnnNetwork::forward(const sdk::Inputs& x) const {
  return net_->forward(checked(x, "forward()"));
}

arma::vec CnnNetwork::vjp(const sdk::Inputs& x, const arma::mat& cotangent) const {
  return net_->vjp(checked(x, "vjp()"), cotangent);
}

arma::mat CnnNetwork::jvp(const sdk::Inputs& x, const arma::vec& tangent) const {
  return net_->jvp(checked(x, "jvp()"), tangent);
}

arma::mat CnnNetwork::jacobian(const sdk::Inputs& x) const {
  return net_->jacobian(checked(x, "jacobian()"));
}

arma::mat CnnNetwork::ntk(const sdk::Inputs& a, const sdk::Inputs& b) const {
  checked(a, "ntk()");
  if (&a != &b) checked(b, "ntk()");
  return net_->ntk(a, b);
}

arma::mat CnnNetwork::ntk_full(const sdk::Inputs& a, const sdk::Inputs& b) const {
  checked(a, "ntk_full()");
  if (&a != &b) checked(b, "ntk_full()");
  return net_->ntk_full(a, b);
}

}  // namespace ntk::cnn
