// Image shapes for plugins whose inputs are images (C*H*W x n, channel-major columns): the
// option input_shape = {C, H, W}, the shape of a given Inputs, and random test images.
// Shared by the cnn and resnet (kind = "conv") plugins so that both accept and refuse the same
// inputs with the same messages.
#pragma once

#include <armadillo>
#include <cstdint>
#include <string>

#include "ntk/sdk/inputs.hpp"
#include "ntk/sdk/options.hpp"

namespace ntk::sdk {

inline bool same_shape(const ImageShape& a, const ImageShape& b) {
  return a.channels == b.channels && a.height == b.height && a.width == b.width;
}

// The list option "input_shape" as {C, H, W}; an empty list gives the empty shape (size() 0).
// `where` prefixes the error, e.g. "cnn options". Throws unless the list has 3 positive whole
// numbers.
ImageShape read_input_shape(const OptionReader& read, const std::string& where);

// The image shape of `in` (dense or images; callers refuse graphs with their own message):
// images carry their shape, which must equal `option_shape` when that is given; a plain d x n
// matrix takes `option_shape`, which must then be given and have C*H*W = d. `caller` prefixes
// the error, e.g. "cnn kernel(), first input".
ImageShape resolve_image_shape(const Inputs& in, const ImageShape& option_shape,
                               const std::string& caller);

// n images of `shape` with i.i.d. N(0, 1) pixels from std::mt19937_64(seed), column by column.
Inputs gaussian_images(const ImageShape& shape, arma::uword n, std::uint64_t seed);

}  // namespace ntk::sdk
