// The finite part of conv (finite_conv.cpp) and the filter helpers conv's layer shares with it.
#pragma once

#include <memory>

#include "ntk/sdk/stax.hpp"

namespace ntk::sdk::stax {

// The filter's two sides: filter_height/filter_width, or the square `filter` where 0.
arma::uword filter_height(const ConvOptions& o);
arma::uword filter_width(const ConvOptions& o);
// The output image of a conv on `in` (VALID shrinks it; the checks are Conv::output_shape's).
Shape conv_output(const Shape& in, arma::uword channels, const ConvOptions& o);
// The conv's finite layer on input images `in` with `channels` output channels.
std::unique_ptr<FiniteLayer> finite_conv(const Shape& in, arma::uword channels,
                                         const ConvOptions& o);

}  // namespace ntk::sdk::stax
