// Copies one triangle of a square distributed matrix onto the other (transposed): block (I, J)
// goes to the rank that holds block (J, I), in a few rounds of MPI_Alltoallv (each round's
// buffers are a bounded part of the local array), and diagonal blocks are mirrored in place.
// distributed_kernel fills a symmetric kernel's upper triangle this way after computing the
// lower one; the solvers restore the lower triangle (which p?potrf / p?syevd overwrite) from
// the upper one. Collective.
#pragma once

#include "core/distributed/distributed_matrix.hpp"

namespace ntk::core::distributed {

void mirror_lower_to_upper(DistributedMatrix& m);
void mirror_upper_to_lower(DistributedMatrix& m);

}  // namespace ntk::core::distributed
