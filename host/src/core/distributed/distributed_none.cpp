// distributed.hpp in a build without MPI: every entry point says so (mpi::throw_not_built).
#include "core/distributed/distributed.hpp"
#include "core/mpi/comm.hpp"

namespace ntk::core::distributed {

DistributedMatrix distributed_kernel(const sdk::Architecture&, const sdk::Inputs&,
                                     const sdk::Inputs&, bool, bool, const DistributeOptions&) {
  mpi::throw_not_built("A:kernel{distributed = true}");
}

arma::mat gather(const DistributedMatrix&) { mpi::throw_not_built("D:gather()"); }

DistributedRidgeSolution distributed_ridge(DistributedMatrix&, const arma::mat&, double,
                                           const DistributedRidgeOptions&) {
  mpi::throw_not_built("ntk.solve.ridge (distributed kernel)");
}

arma::mat distributed_predict(const DistributedMatrix&, const arma::mat&) {
  mpi::throw_not_built("ntk.solve.predict (distributed kernel)");
}

struct DistributedSpectral::State {};

DistributedSpectral::DistributedSpectral(DistributedMatrix&, const arma::mat&, const arma::mat&) {
  mpi::throw_not_built("ntk.solve.spectral (distributed kernel)");
}
DistributedSpectral::~DistributedSpectral() = default;
const arma::vec& DistributedSpectral::eigenvalues() const { mpi::throw_not_built("eigenvalues"); }
double DistributedSpectral::tolerance() const { return 0; }
arma::mat DistributedSpectral::ridge_alpha(double) const { mpi::throw_not_built("ridge"); }
arma::mat DistributedSpectral::ridge_train_predictions(double) const { mpi::throw_not_built("ridge"); }
arma::mat DistributedSpectral::train_predictions(double) const { mpi::throw_not_built("train"); }
arma::mat DistributedSpectral::flow_alpha(double) const { mpi::throw_not_built("test"); }
double DistributedSpectral::residual_norm2(double) const { mpi::throw_not_built("loss"); }
double DistributedSpectral::loss(double) const { mpi::throw_not_built("loss"); }
arma::uword DistributedSpectral::num_train() const { return 0; }
arma::uword DistributedSpectral::num_outputs() const { return 0; }

}  // namespace ntk::core::distributed
