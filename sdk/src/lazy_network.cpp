#include "lazy_network.hpp"

#include <random>

#include "ntk/sdk/checks.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::sdk {

void LazyNetwork::require_materialised(const char* caller) const {
  if (!materialised_) throw_error(name_, " ", caller, ": ", pending_);
}

void LazyNetwork::adopt_params(arma::vec params) const {
  params_ = std::move(params);
  materialised_ = true;
}

arma::uword LazyNetwork::num_params() const {
  require_materialised("num_params()");
  return params_.n_elem;
}

const arma::vec& LazyNetwork::params() const {
  require_materialised("params()");
  return params_;
}

void LazyNetwork::set_params(const arma::vec& params) {
  require_materialised("set_params()");
  if (params.n_elem != params_.n_elem)
    throw_error(name_, " set_params(): got ", params.n_elem, " values, the network has ",
                params_.n_elem, " parameters");
  if (!params.is_finite()) throw_error(name_, " set_params(): the vector has non-finite values");
  params_ = params;
}

arma::vec gaussian_params(arma::uword count, std::uint64_t seed, const std::string& who) {
  check_allocation(who + ": the " + std::to_string(count) + " parameters", double(count), 1.0);
  arma::vec params(count);
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  for (double& v : params) v = normal(rng);
  return params;
}

}  // namespace ntk::sdk
