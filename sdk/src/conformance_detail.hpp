// Internals of the conformance kit, shared by conformance*.cpp; not part of the SDK contract.
#pragma once

#include <armadillo>
#include <functional>
#include <string>

#include "ntk/sdk/conformance.hpp"

namespace ntk::sdk {

// Runs `body` (which returns the measured error and may fill a detail line) as one check.
void run_check(ConformanceReport& report, const std::string& name, double tolerance,
               const std::function<double(std::string&)>& body);

struct NetworkChecks {
  const Architecture& architecture;
  Network& network;  // width options.width, seed options.seed; restored after each check
  const Inputs& x1;
  const Inputs& x2;
  const ConformanceOptions& options;
};

// conformance_network.cpp
void check_shapes(ConformanceReport& report, const NetworkChecks& c);
void check_determinism(ConformanceReport& report, const NetworkChecks& c);
void check_params_round_trip(ConformanceReport& report, const NetworkChecks& c);
void check_network_ntk(ConformanceReport& report, const NetworkChecks& c);

// conformance_derivatives.cpp
void check_derivatives(ConformanceReport& report, const NetworkChecks& c);

// conformance_kernels.cpp
void check_analytic_kernels(ConformanceReport& report, const Architecture& architecture,
                            const Inputs& x1, const Inputs& x2, const ConformanceOptions& options);
void check_monte_carlo(ConformanceReport& report, const Architecture& architecture,
                       const Inputs& x, const ConformanceOptions& options);
void check_bad_input(ConformanceReport& report, const Architecture& architecture,
                     const Inputs& x, const Network* network, const ConformanceOptions& options);

namespace conformance_detail {
// ‖value − truth‖_F / ‖truth‖_F; throws on a shape mismatch (naming both shapes).
double relative_error(const arma::mat& value, const arma::mat& truth);
arma::vec gaussian_vector(arma::uword n, std::uint64_t seed);
Inputs sample(const ConformanceOptions& options, arma::uword n, std::uint64_t seed);
Inputs concatenate(const Inputs& a, const Inputs& b);
Inputs take(const Inputs& in, const arma::uvec& indices);
std::string format_number(double value);

// Puts the network's original parameters back when a check ends, however it ends.
class RestoreParams {
 public:
  explicit RestoreParams(Network& network) : network_(network), saved_(network.params()) {}
  ~RestoreParams() {
    try {
      network_.set_params(saved_);
    } catch (...) {
      // The check already failed with the first exception; nothing more to report here.
    }
  }
  const arma::vec& saved() const { return saved_; }

 private:
  Network& network_;
  arma::vec saved_;
};
}  // namespace conformance_detail

}  // namespace ntk::sdk
