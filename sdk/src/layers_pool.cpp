#include "layers_pool.hpp"

#include <sstream>

#include "ntk/sdk/error.hpp"

namespace ntk::sdk::layers {

std::string SpatialReadout::name() const {
  switch (kind) {
    case Kind::flatten: return "Flatten";
    case Kind::global_average: return "GlobalAvgPool";
    case Kind::average_pool: {
      std::ostringstream out;
      out << "AvgPool(" << window << "x" << window << ", stride " << stride << ", VALID), Flatten";
      return out.str();
    }
  }
  return "";
}

SpatialReadout flatten() { return {}; }

SpatialReadout global_average_pool() {
  SpatialReadout r;
  r.kind = SpatialReadout::Kind::global_average;
  return r;
}

SpatialReadout average_pool(arma::uword window, arma::uword stride) {
  if (window == 0 || stride == 0)
    throw_error("average_pool(): window = ", window, " and stride = ", stride,
                " must both be positive");
  SpatialReadout r;
  r.kind = SpatialReadout::Kind::average_pool;
  r.window = window;
  r.stride = stride;
  return r;
}

arma::mat axis_weights(const SpatialReadout& readout, arma::uword n, const std::string& caller) {
  if (n == 0) throw_error(caller, ": an image axis has length 0");
  const double size = double(n);
  switch (readout.kind) {
    case SpatialReadout::Kind::flatten: return arma::eye(n, n) / size;
    case SpatialReadout::Kind::global_average: return arma::mat(n, n).fill(1.0 / (size * size));
    case SpatialReadout::Kind::average_pool: {
      const arma::uword p = readout.window, s = readout.stride;
      if (p > n)
        throw_error(caller, ": the pooling window ", p, " is longer than the image axis (", n,
                    " pixels); use a window <= ", n);
      const arma::uword outputs = (n - p) / s + 1;  // VALID pooling
      arma::mat r(n, n, arma::fill::zeros);
      const double weight = 1.0 / (double(p) * double(p) * double(outputs));
      for (arma::uword o = 0; o < outputs; ++o)
        r.submat(o * s, o * s, o * s + p - 1, o * s + p - 1) += weight;
      return r;
    }
  }
  return {};
}

}  // namespace ntk::sdk::layers
