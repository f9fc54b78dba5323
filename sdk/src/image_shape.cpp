#include "image_shape.hpp"

#include <random>
#include <vector>

#include "ntk/sdk/error.hpp"

namespace ntk::sdk {

ImageShape read_input_shape(const OptionReader& read, const std::string& where) {
  ImageShape out;
  const std::vector<double> shape = read.list("input_shape");
  if (shape.empty()) return out;
  if (shape.size() != 3)
    throw_error(where, ": input_shape has ", shape.size(), " entries; give {C, H, W}");
  arma::uword* dims[3] = {&out.channels, &out.height, &out.width};
  for (int i = 0; i < 3; ++i) {
    if (!(shape[i] >= 1 && shape[i] == double(arma::uword(shape[i])) && shape[i] < 1e9))
      throw_error(where, ": input_shape entry ", i + 1, " = ", shape[i],
                  " must be a positive whole number ({C, H, W})");
    *dims[i] = arma::uword(shape[i]);
  }
  return out;
}

ImageShape resolve_image_shape(const Inputs& in, const ImageShape& given,
                               const std::string& caller) {
  if (in.kind() == Inputs::Kind::images) {
    const ImageShape& s = in.shape();
    if (given.size() != 0 && !same_shape(s, given))
      throw_error(caller, ": the images have shape {", s.channels, ", ", s.height, ", ", s.width,
                  "} but the option input_shape is {", given.channels, ", ", given.height, ", ",
                  given.width, "}");
    return s;
  }
  if (given.size() == 0)
    throw_error(caller, ": the input is a plain ", in.dim(), " x ", in.size(),
                " matrix; give images with a shape ({x = M, shape = {C, H, W}} in Lua) or the "
                "option input_shape = {C, H, W}");
  if (in.dim() != given.size())
    throw_error(caller, ": the input has ", in.dim(), " rows but input_shape {", given.channels,
                ", ", given.height, ", ", given.width, "} needs C*H*W = ", given.size());
  return given;
}

Inputs gaussian_images(const ImageShape& shape, arma::uword n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  arma::mat x(shape.size(), n);
  for (double& v : x) v = normal(rng);
  return Inputs::images(std::move(x), shape);
}

}  // namespace ntk::sdk
