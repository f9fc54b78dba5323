// A base for finite networks whose parameter layout is known only once the input size is
// (from an option such as input_shape, or from the first input forward() sees): the cnn,
// resnet and gnn plugins. It owns the flat parameter vector and answers num_params(),
// params() and set_params(), refusing them with one message until the derived class has
// drawn the parameters and handed them over with adopt_params().
#pragma once

#include <armadillo>
#include <cstdint>
#include <string>

#include "ntk/sdk/network.hpp"

namespace ntk::sdk {

class LazyNetwork : public Network {
 public:
  arma::uword num_params() const override;
  const arma::vec& params() const override;
  // Refuses a vector of the wrong length or with non-finite entries.
  void set_params(const arma::vec& params) override;

 protected:
  // `name` prefixes every message ("cnn network"); `pending` is what the "not known yet" error
  // tells the user to do, e.g. "the image shape is not known yet; give ...".
  LazyNetwork(std::string name, std::string pending)
      : name_(std::move(name)), pending_(std::move(pending)) {}

  bool materialised() const { return materialised_; }
  // Throws "<name> <caller>: <pending>" until adopt_params() was called.
  void require_materialised(const char* caller) const;
  // Called by the derived class's (const, lazy) layout step once everything else is set.
  void adopt_params(arma::vec params) const;

  // Set once by adopt_params, then by set_params (mutable: drawn lazily from const methods;
  // not thread-safe before that first call).
  mutable arma::vec params_;

 private:
  std::string name_, pending_;
  mutable bool materialised_ = false;
};

// `count` i.i.d. N(0, 1) values, in order, from std::normal_distribution over
// std::mt19937_64(seed), after check_allocation names them ("<who>: the <count> parameters").
arma::vec gaussian_params(arma::uword count, std::uint64_t seed, const std::string& who);

}  // namespace ntk::sdk
