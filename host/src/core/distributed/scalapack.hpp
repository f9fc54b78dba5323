// The BLACS and ScaLAPACK routines ntklab calls (Debian's libscalapack-openmpi, which has no C
// headers): BLACS's C interface and ScaLAPACK's Fortran ABI (all arguments by pointer; character
// arguments are single letters, whose hidden lengths the Fortran side does not read).
#pragma once

extern "C" {
// BLACS: process grids (contexts) over MPI_COMM_WORLD.
void Cblacs_pinfo(int* mypnum, int* nprocs);
void Cblacs_get(int context, int what, int* value);
void Cblacs_gridinit(int* context, const char* order, int nprow, int npcol);
void Cblacs_gridinfo(int context, int* nprow, int* npcol, int* myprow, int* mypcol);
void Cblacs_gridexit(int context);

// Cholesky factorisation and solve of a distributed symmetric positive definite matrix.
void pdpotrf_(const char* uplo, const int* n, double* a, const int* ia, const int* ja,
              const int* desca, int* info);
void pspotrf_(const char* uplo, const int* n, float* a, const int* ia, const int* ja,
              const int* desca, int* info);
void pdpotrs_(const char* uplo, const int* n, const int* nrhs, const double* a, const int* ia,
              const int* ja, const int* desca, double* b, const int* ib, const int* jb,
              const int* descb, int* info);
void pspotrs_(const char* uplo, const int* n, const int* nrhs, const float* a, const int* ia,
              const int* ja, const int* desca, float* b, const int* ib, const int* jb,
              const int* descb, int* info);
// Norm of a distributed symmetric matrix and the condition estimate from its Cholesky factor.
double pdlansy_(const char* norm, const char* uplo, const int* n, const double* a, const int* ia,
                const int* ja, const int* desca, double* work);
void pdpocon_(const char* uplo, const int* n, const double* a, const int* ia, const int* ja,
              const int* desca, const double* anorm, double* rcond, double* work,
              const int* lwork, int* iwork, const int* liwork, int* info);
// Eigen-decomposition of a distributed symmetric matrix (divide and conquer).
void pdsyevd_(const char* jobz, const char* uplo, const int* n, double* a, const int* ia,
              const int* ja, const int* desca, double* w, double* z, const int* iz, const int* jz,
              const int* descz, double* work, const int* lwork, int* iwork, const int* liwork,
              int* info);
}
