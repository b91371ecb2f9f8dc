// Row-major wrappers over the Fortran BLAS libtorch loads (libblas.so.3): gemm and syrk in float32 and
// float64. Small products called from ATen's worker threads run single-threaded inside BLAS.
#pragma once

extern "C" {
void sgemm_(const char* transa, const char* transb, const int* m, const int* n, const int* k, const float* alpha,
            const float* a, const int* lda, const float* b, const int* ldb, const float* beta, float* c,
            const int* ldc);
void dgemm_(const char* transa, const char* transb, const int* m, const int* n, const int* k, const double* alpha,
            const double* a, const int* lda, const double* b, const int* ldb, const double* beta, double* c,
            const int* ldc);
void ssyrk_(const char* uplo, const char* trans, const int* n, const int* k, const float* alpha, const float* a,
            const int* lda, const float* beta, float* c, const int* ldc);
void dsyrk_(const char* uplo, const char* trans, const int* n, const int* k, const double* alpha, const double* a,
            const int* lda, const double* beta, double* c, const int* ldc);
}

namespace cfinit {

// OpenBLAS's own thread count (runtime.cc): sets n and returns the previous count, or returns 0 and does nothing
// when libtorch's BLAS is not OpenBLAS.
int SetBlasThreads(int n);

// BLAS on one thread for a scope, for products that run side by side on ATen's workers.
class SerialBlas {
 public:
  SerialBlas() : previous_(SetBlasThreads(1)) {}
  ~SerialBlas() {
    if (previous_ > 1) SetBlasThreads(previous_);
  }
  SerialBlas(const SerialBlas&) = delete;
  SerialBlas& operator=(const SerialBlas&) = delete;

 private:
  int previous_;
};

inline void FortranGemm(const char* ta, const char* tb, const int* m, const int* n, const int* k, const float* alpha,
                        const float* a, const int* lda, const float* b, const int* ldb, const float* beta, float* c,
                        const int* ldc) {
  sgemm_(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
inline void FortranGemm(const char* ta, const char* tb, const int* m, const int* n, const int* k,
                        const double* alpha, const double* a, const int* lda, const double* b, const int* ldb,
                        const double* beta, double* c, const int* ldc) {
  dgemm_(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

// Row-major C (m×n) = alpha · op(A) op(B) + beta · C, as the column-major Cᵀ = op(B)ᵀ op(A)ᵀ.
template <typename scalar_t>
void Gemm(bool transA, bool transB, int m, int n, int k, scalar_t alpha, const scalar_t* a, int lda,
          const scalar_t* b, int ldb, scalar_t beta, scalar_t* c, int ldc) {
  const char ta = transA ? 'T' : 'N';
  const char tb = transB ? 'T' : 'N';
  FortranGemm(&tb, &ta, &n, &m, &k, &alpha, b, &ldb, a, &lda, &beta, c, &ldc);
}

// Row-major upper triangle of C (n×n) = aᵀa for a (k×n): row-major a is the column-major n×k matrix Aᶜ, so
// aᵀa = Aᶜ Aᶜᵀ (syrk 'N'), and its column-major lower triangle is the row-major upper one.
inline void SyrkUpper(int n, int k, const float* a, float* c) {
  const float one = 1.f, zero = 0.f;
  ssyrk_("L", "N", &n, &k, &one, a, &n, &zero, c, &n);
}
inline void SyrkUpper(int n, int k, const double* a, double* c) {
  const double one = 1.0, zero = 0.0;
  dsyrk_("L", "N", &n, &k, &one, a, &n, &zero, c, &n);
}

}  // namespace cfinit
