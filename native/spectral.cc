// Fused kernels of the closed-form transformer fit (token products in float32 or float64, sums in float64). Each
// replaces a chain of ATen ops that made a fresh batch-sized temporary per step:
//   spectralContexts      normalised-query softmax attention with raw-token values, all heads, written
//                         side by side as (B, T, H·d), so Ctx W_O and the ridge Gram are single products
//   productUpdates        C += α AᵀA by BLAS syrk (half the FLOPs of AᵀA by gemm) or C += α AᵀB by one gemm,
//                         into float64
//   attentionSublayers, ffnSublayers   the encoder's two sublayers over the tokens' own storage
//   sumAndDifference      S = A + B − shift, D = A − B in one pass, with ΣS (per column), ‖S‖², ‖D‖² in float64
// The addon is built with OpenMP, so at::parallel_for here really splits work between ATen's threads (before, it
// was compiled without and every kernel ran on one core). BLAS calls made from those threads run with OpenBLAS on
// one thread (SerialBlas).
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <vector>

#include "blas.h"
#include "errors.h"
#include "ops.h"
#include "tensor.h"

namespace cfinit {

namespace {

// The token products run in float32 or float64, every operand contiguous and of one dtype.
void CheckTokens(const at::Tensor& t, at::ScalarType dtype, const char* what) {
  TORCH_CHECK(t.scalar_type() == dtype && t.device().is_cpu(), what, " must be a ", dtype, " CPU tensor, got ",
              t.scalar_type());
  TORCH_CHECK(t.is_contiguous(), what, " must be contiguous");
}

void CheckComputeDtype(const at::Tensor& t, const char* what) {
  TORCH_CHECK(t.scalar_type() == at::kFloat || t.scalar_type() == at::kDouble, what,
              " must be float32 or float64, got ", t.scalar_type());
}

void CheckAccumulator(const at::Tensor& c, int64_t rows, int64_t cols, const char* what) {
  TORCH_CHECK(c.scalar_type() == at::kDouble && c.is_contiguous() && c.dim() == 2 && c.size(0) == rows &&
                  c.size(1) == cols,
              what, " must be a contiguous float64 (", rows, ", ", cols, ") tensor, got ", c.scalar_type(), " ",
              c.sizes());
}

// One R×(8V) tile of out = a · x over the full K: R·V accumulators in registers, each load of x shared by R rows.
template <int R, int V>
__attribute__((target("avx2,fma"), always_inline)) inline void SmallTileAvx2(const float* a, int lda, const float* x,
                                                                             int ldx, float* out, int ldo, int K) {
  __m256 acc[R][V];
  for (int r = 0; r < R; ++r)
    for (int v = 0; v < V; ++v) acc[r][v] = _mm256_setzero_ps();
  for (int s = 0; s < K; ++s) {
    __m256 xv[V];
    for (int v = 0; v < V; ++v) xv[v] = _mm256_loadu_ps(x + s * ldx + 8 * v);
    for (int r = 0; r < R; ++r) {
      const __m256 w = _mm256_broadcast_ss(a + r * lda + s);
      for (int v = 0; v < V; ++v) acc[r][v] = _mm256_fmadd_ps(w, xv[v], acc[r][v]);
    }
  }
  for (int r = 0; r < R; ++r)
    for (int v = 0; v < V; ++v) _mm256_storeu_ps(out + r * ldo + 8 * v, acc[r][v]);
}

// Columns [j, j + 8V) of out for every row: tiles of R rows, then single rows.
template <int R, int V>
__attribute__((target("avx2,fma"), always_inline)) inline void SmallColumnsAvx2(const float* a, int lda, const float* x,
                                                                                int ldx, float* out, int ldo, int M,
                                                                                int K, int j) {
  int t = 0;
  for (; t + R <= M; t += R) SmallTileAvx2<R, V>(a + t * lda, lda, x + j, ldx, out + t * ldo + j, ldo, K);
  for (; t < M; ++t) SmallTileAvx2<1, V>(a + t * lda, lda, x + j, ldx, out + t * ldo + j, ldo, K);
}

// out (M×N, row stride ldo) = a (M×K, row stride lda) · x (K×N, row stride ldx), for the small per-sequence
// products (every operand in L1 at the fit's shapes). Tiles of 3×32, 4×16 and 4×8 keep several independent
// accumulators whatever N is: a narrow product such as X Q_h (N = 8) was one FMA chain per row, bound by its latency
// (qnli-shape contexts, one thread: 5.9 → 4.2–4.6 ms per 102 sequences).
__attribute__((target("avx2,fma"))) void SmallProductAvx2(const float* a, int lda, const float* x, int ldx, float* out,
                                                           int ldo, int M, int K, int N) {
  int j = 0;
  for (; j + 32 <= N; j += 32) SmallColumnsAvx2<3, 4>(a, lda, x, ldx, out, ldo, M, K, j);
  for (; j + 16 <= N; j += 16) SmallColumnsAvx2<4, 2>(a, lda, x, ldx, out, ldo, M, K, j);
  for (; j + 8 <= N; j += 8) SmallColumnsAvx2<4, 1>(a, lda, x, ldx, out, ldo, M, K, j);
  for (; j < N; ++j) {
    for (int t = 0; t < M; ++t) {
      float r = 0.f;
      for (int s = 0; s < K; ++s) r += a[t * lda + s] * x[s * ldx + j];
      out[t * ldo + j] = r;
    }
  }
}

// The float64 counterpart: tiles of 3×16, 4×8 and 4×4 columns, the last partial vector of a row masked.
template <int R, int V, bool kMasked>
__attribute__((target("avx2,fma"), always_inline)) inline void SmallTileAvx2(const double* a, int lda,
                                                                             const double* x, int ldx, double* out,
                                                                             int ldo, int K, __m256i tail) {
  __m256d acc[R][V];
  for (int r = 0; r < R; ++r)
    for (int v = 0; v < V; ++v) acc[r][v] = _mm256_setzero_pd();
  for (int s = 0; s < K; ++s) {
    __m256d xv[V];
    for (int v = 0; v < V; ++v)
      xv[v] = kMasked && v == V - 1 ? _mm256_maskload_pd(x + s * ldx + 4 * v, tail)
                                    : _mm256_loadu_pd(x + s * ldx + 4 * v);
    for (int r = 0; r < R; ++r) {
      const __m256d w = _mm256_broadcast_sd(a + r * lda + s);
      for (int v = 0; v < V; ++v) acc[r][v] = _mm256_fmadd_pd(w, xv[v], acc[r][v]);
    }
  }
  for (int r = 0; r < R; ++r)
    for (int v = 0; v < V; ++v) {
      if (kMasked && v == V - 1) {
        _mm256_maskstore_pd(out + r * ldo + 4 * v, tail, acc[r][v]);
      } else {
        _mm256_storeu_pd(out + r * ldo + 4 * v, acc[r][v]);
      }
    }
}

template <int R, int V, bool kMasked = false>
__attribute__((target("avx2,fma"), always_inline)) inline void SmallColumnsAvx2(const double* a, int lda,
                                                                                const double* x, int ldx, double* out,
                                                                                int ldo, int M, int K, int j,
                                                                                __m256i tail) {
  int t = 0;
  for (; t + R <= M; t += R)
    SmallTileAvx2<R, V, kMasked>(a + t * lda, lda, x + j, ldx, out + t * ldo + j, ldo, K, tail);
  for (; t < M; ++t) SmallTileAvx2<1, V, kMasked>(a + t * lda, lda, x + j, ldx, out + t * ldo + j, ldo, K, tail);
}

__attribute__((target("avx2,fma"))) void SmallProductAvx2(const double* a, int lda, const double* x, int ldx,
                                                           double* out, int ldo, int M, int K, int N) {
  const __m256i all = _mm256_set1_epi64x(-1);
  int j = 0;
  for (; j + 16 <= N; j += 16) SmallColumnsAvx2<3, 4>(a, lda, x, ldx, out, ldo, M, K, j, all);
  for (; j + 8 <= N; j += 8) SmallColumnsAvx2<4, 2>(a, lda, x, ldx, out, ldo, M, K, j, all);
  for (; j + 4 <= N; j += 4) SmallColumnsAvx2<4, 1>(a, lda, x, ldx, out, ldo, M, K, j, all);
  if (j < N) {
    const int left = N - j;  // 1–3 lanes
    const __m256i tail = _mm256_set_epi64x(0, left > 2 ? -1 : 0, left > 1 ? -1 : 0, -1);
    SmallColumnsAvx2<4, 1, true>(a, lda, x, ldx, out, ldo, M, K, j, tail);
  }
}

template <typename scalar_t>
void SmallProductPortable(const scalar_t* a, int lda, const scalar_t* x, int ldx, scalar_t* out, int ldo, int M, int K,
                          int N) {
  for (int t = 0; t < M; ++t) {
    scalar_t* o = out + t * ldo;
    std::fill(o, o + N, scalar_t(0));
    for (int s = 0; s < K; ++s) {
      const scalar_t w = a[t * lda + s];
      const scalar_t* xs = x + s * ldx;
      for (int j = 0; j < N; ++j) o[j] += w * xs[j];
    }
  }
}

bool HasAvx2() {
  static const bool has = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return has;
}

void SmallProduct(const float* a, int lda, const float* x, int ldx, float* out, int ldo, int M, int K, int N) {
  if (HasAvx2()) {
    SmallProductAvx2(a, lda, x, ldx, out, ldo, M, K, N);
  } else {
    SmallProductPortable(a, lda, x, ldx, out, ldo, M, K, N);
  }
}
void SmallProduct(const double* a, int lda, const double* x, int ldx, double* out, int ldo, int M, int K, int N) {
  if (HasAvx2()) {
    SmallProductAvx2(a, lda, x, ldx, out, ldo, M, K, N);
  } else {
    SmallProductPortable(a, lda, x, ldx, out, ldo, M, K, N);
  }
}

// e^x for x ≤ 0 (softmax after the row maximum): Cody–Waite reduction x = n ln2 + r, Cephes' degree-6 polynomial
// for e^r (≈ 1 ulp), 2^n built in the exponent bits; below −87.3 the result is clamped to e^−87.3 (≈ 1e-38).
__attribute__((target("avx2,fma"))) inline __m256 ExpAvx2(__m256 x) {
  x = _mm256_max_ps(_mm256_min_ps(x, _mm256_set1_ps(88.3f)), _mm256_set1_ps(-87.3f));
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
  p = _mm256_add_ps(_mm256_fmadd_ps(p, _mm256_mul_ps(r, r), r), _mm256_set1_ps(1.f));  // 1 + r + r² p(r)
  const __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(p, _mm256_castsi256_ps(e));
}

// Each row of s (rows × n) ← softmax(row), in place.
__attribute__((target("avx2,fma"))) void SoftmaxRowsAvx2(float* s, int rows, int n) {
  for (int t = 0; t < rows; ++t) {
    float* row = s + static_cast<int64_t>(t) * n;
    __m256 vmax = _mm256_set1_ps(row[0]);
    int j = 0;
    for (; j + 8 <= n; j += 8) vmax = _mm256_max_ps(vmax, _mm256_loadu_ps(row + j));
    alignas(32) float lanes[8];
    _mm256_store_ps(lanes, vmax);
    float max = *std::max_element(lanes, lanes + 8);
    for (; j < n; ++j) max = std::max(max, row[j]);
    const __m256 m = _mm256_set1_ps(max);
    __m256 sum = _mm256_setzero_ps();
    for (j = 0; j + 8 <= n; j += 8) {
      const __m256 e = ExpAvx2(_mm256_sub_ps(_mm256_loadu_ps(row + j), m));
      _mm256_storeu_ps(row + j, e);
      sum = _mm256_add_ps(sum, e);
    }
    float total = 0;
    if (j < n) {  // the tail through the same exp; the padding lanes are dropped
      alignas(32) float tail[8];
      for (int i = 0; i < 8; ++i) tail[i] = j + i < n ? row[j + i] - max : -1e30f;
      _mm256_store_ps(tail, ExpAvx2(_mm256_load_ps(tail)));
      for (int i = 0; j + i < n; ++i) total += row[j + i] = tail[i];
    }
    _mm256_store_ps(lanes, sum);
    for (float v : lanes) total += v;
    const __m256 inv = _mm256_set1_ps(1.f / total);
    for (j = 0; j + 8 <= n; j += 8) _mm256_storeu_ps(row + j, _mm256_mul_ps(_mm256_loadu_ps(row + j), inv));
    for (; j < n; ++j) row[j] *= 1.f / total;
  }
}

template <typename scalar_t>
void SoftmaxRowsPortable(scalar_t* s, int rows, int n) {
  for (int t = 0; t < rows; ++t) {
    scalar_t* row = s + static_cast<int64_t>(t) * n;
    const scalar_t max = *std::max_element(row, row + n);
    scalar_t total = 0;
    for (int j = 0; j < n; ++j) total += row[j] = std::exp(row[j] - max);
    const scalar_t inv = scalar_t(1) / total;
    for (int j = 0; j < n; ++j) row[j] *= inv;
  }
}

void SoftmaxRows(float* s, int rows, int n) {
  if (HasAvx2()) {
    SoftmaxRowsAvx2(s, rows, n);
  } else {
    SoftmaxRowsPortable(s, rows, n);
  }
}
void SoftmaxRows(double* s, int rows, int n) { SoftmaxRowsPortable(s, rows, n); }

// Per head h: q = rownormalize(X Q_h) (norm floored at 1e-8), A_h = softmax(q qᵀ / √k), out[..., h·d:(h+1)·d] = A_h X.
// One (sequence, head) at a time from projection to output, so q, the scores and the probabilities stay in L1 and
// no BLAS call runs inside.
template <typename scalar_t>
class ContextKernel {
 public:
  ContextKernel(const at::Tensor& x, const at::Tensor& queryMap, int64_t heads, const at::Tensor& out)
      : T_(static_cast<int>(x.size(1))),
        d_(static_cast<int>(x.size(2))),
        k_(static_cast<int>(queryMap.size(1) / heads)),
        heads_(heads),
        xs_(x.data_ptr<scalar_t>()),
        map_(queryMap.data_ptr<scalar_t>()),
        out_(out.data_ptr<scalar_t>()),
        scale_(static_cast<scalar_t>(1.0 / std::sqrt(static_cast<double>(k_)))),
        q_(T_ * k_),
        qt_(k_ * T_),
        s_(T_ * T_) {}

  // The kernel's scratch (q/√k (T, k), qᵀ (k, T), scores (T, T)) is its own: one kernel per thread.
  void Run(int64_t b, int64_t h) {
    const int T = T_, d = d_, k = k_, width = static_cast<int>(heads_ * k_);
    const scalar_t floor = static_cast<scalar_t>(1e-8);
    const scalar_t* xb = xs_ + b * T * d;
    scalar_t* q = q_.data();
    scalar_t* qt = qt_.data();
    SmallProduct(xb, d, map_ + h * k, width, q, k, T, d, k);  // X Q_h (T, k)
    for (int t = 0; t < T; ++t) {
      scalar_t* row = q + t * k;
      scalar_t norm = 0;
      for (int i = 0; i < k; ++i) norm += row[i] * row[i];
      const scalar_t length = std::max(static_cast<scalar_t>(std::sqrt(norm)), floor);
      for (int i = 0; i < k; ++i) {
        qt[i * T + t] = row[i] / length;
        row[i] = qt[i * T + t] * scale_;
      }
    }
    SmallProduct(q, k, qt, T, s_.data(), T, T, k, T);  // q qᵀ / √k (T, T)
    SoftmaxRows(s_.data(), T, T);
    const int ld = static_cast<int>(heads_ * d);
    SmallProduct(s_.data(), T, xb, d, out_ + b * T * ld + h * d, ld, T, T, d);  // A_h X
  }

 private:
  const int T_, d_, k_;
  const int64_t heads_;
  const scalar_t* xs_;
  const scalar_t* map_;
  scalar_t* out_;
  const scalar_t scale_;
  std::vector<scalar_t> q_, qt_, s_;
};

template <typename scalar_t>
void SpectralContexts(const at::Tensor& x, const at::Tensor& queryMap, int64_t heads, const at::Tensor& out) {
  at::parallel_for(0, x.size(0) * heads, 1, [&](int64_t begin, int64_t end) {
    ContextKernel<scalar_t> kernel(x, queryMap, heads, out);
    for (int64_t bh = begin; bh < end; ++bh) kernel.Run(bh / heads, bh % heads);
  });
}

// scratch (n×n) = aᵀa for a (k×n) by syrk, upper triangle only (the rest zero).
template <typename scalar_t>
void SymmetricProduct(const at::Tensor& a, std::vector<scalar_t>& scratch) {
  const int n = static_cast<int>(a.size(1)), k = static_cast<int>(a.size(0));
  scratch.assign(static_cast<size_t>(n) * n, scalar_t(0));
  if (k > 0) SyrkUpper(n, k, a.data_ptr<scalar_t>(), scratch.data());
}

// scratch (m×n) = aᵀb for a (k×m), b (k×n), by one gemm.
template <typename scalar_t>
void TransposedProduct(const at::Tensor& a, const at::Tensor& b, std::vector<scalar_t>& scratch) {
  const int k = static_cast<int>(a.size(0)), m = static_cast<int>(a.size(1)), n = static_cast<int>(b.size(1));
  scratch.assign(static_cast<size_t>(m) * n, scalar_t(0));
  if (k > 0)
    Gemm<scalar_t>(true, false, m, n, k, 1, a.data_ptr<scalar_t>(), m, b.data_ptr<scalar_t>(), n, 0, scratch.data(),
                   n);
}

// c (float64) += alpha · scratch; symmetric: scratch holds the upper triangle, both triangles of c are updated.
template <typename scalar_t>
void AccumulateProduct(const at::Tensor& c, const std::vector<scalar_t>& scratch, double alpha, bool symmetric) {
  double* out = c.data_ptr<double>();
  if (!symmetric) {
    for (size_t i = 0; i < scratch.size(); ++i) out[i] += alpha * static_cast<double>(scratch[i]);
    return;
  }
  const int64_t n = c.size(0);
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = i; j < n; ++j) {
      const double v = alpha * static_cast<double>(scratch[i * n + j]);
      out[i * n + j] += v;
      if (j != i) out[j * n + i] += v;
    }
  }
}

// cᵢ += alphaᵢ · aᵢᵀaᵢ (bs empty) or cᵢ += alphaᵢ · aᵢᵀbᵢ, accumulated in list order (an accumulator may appear
// more than once). The products of a list run side by side, one per core with BLAS on one thread: OpenBLAS does not
// thread syrk at n ≤ 192 at all and gets ~1.4x from two threads on the rest (8192×384 float32: syrk 72 GFLOP/s on
// one thread, 101 on two). Each product is the same BLAS call either way, so the bits do not depend on threads.
template <typename scalar_t>
void ProductUpdates(const std::vector<at::Tensor>& cs, const std::vector<at::Tensor>& as,
                    const std::vector<at::Tensor>& bs, const std::vector<double>& alphas) {
  const size_t count = as.size();
  const bool symmetric = bs.empty();
  std::vector<std::vector<scalar_t>> scratch(count);
  const auto product = [&](size_t i) {
    if (symmetric) {
      SymmetricProduct(as[i], scratch[i]);
    } else {
      TransposedProduct(as[i], bs[i], scratch[i]);
    }
  };
  if (count > 1 && at::get_num_threads() > 1 && !at::in_parallel_region()) {
    const SerialBlas serial;
    at::parallel_for(0, static_cast<int64_t>(count), 1, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) product(static_cast<size_t>(i));
    });
  } else {
    for (size_t i = 0; i < count; ++i) product(i);
  }
  for (size_t i = 0; i < count; ++i) AccumulateProduct(cs[i], scratch[i], alphas[i], symmetric);
}

// Σ row[j] (or Σ (row[j] − c)² when squares) over eight interleaved partial sums, so the compiler vectorises it.
template <typename scalar_t>
scalar_t RowSum(const scalar_t* __restrict__ row, int64_t d, scalar_t c, bool squares) {
  scalar_t part[8] = {};
  int64_t j = 0;
  for (; j + 8 <= d; j += 8)
    for (int l = 0; l < 8; ++l) part[l] += squares ? (row[j + l] - c) * (row[j + l] - c) : row[j + l];
  scalar_t total = 0;
  for (; j < d; ++j) total += squares ? (row[j] - c) * (row[j] - c) : row[j];
  for (scalar_t v : part) total += v;
  return total;
}

// Rows of p (rows, d) ← LN(p + ReLU(t)) in place (t null: LN(p)); no affine, eps 1e-5, the row's mean and biased
// variance by two passes over the row while it is in L1.
template <typename scalar_t>
void ResidualLayerNormRows(scalar_t* p, const scalar_t* t, int64_t d, int64_t rows) {
  for (int64_t r = 0; r < rows; ++r) {
    scalar_t* __restrict__ row = p + r * d;
    if (t) {
      const scalar_t* __restrict__ add = t + r * d;
      for (int64_t j = 0; j < d; ++j) row[j] += std::max(add[j], scalar_t(0));
    }
    const scalar_t mean = RowSum(row, d, scalar_t(0), false) / static_cast<scalar_t>(d);
    const scalar_t variance = RowSum(row, d, mean, true) / static_cast<scalar_t>(d);
    const scalar_t rstd = scalar_t(1) / std::sqrt(variance + scalar_t(1e-5));
    for (int64_t j = 0; j < d; ++j) row[j] = (row[j] - mean) * rstd;
  }
}

// The sublayers run in chunks of about this many token rows, each chunk start to finish on one core (BLAS on one
// thread inside): its contexts or FFN product (256 × H·d float32 ≤ 400 KB at the fit's shapes) stay in L2 between
// the product that writes them and the one or the norm that reads them.
constexpr int64_t kSublayerChunkRows = 256;

// fn(begin, end) over [0, n) in chunks of `chunk`, the chunks split between ATen's threads, BLAS serial inside when
// more than one thread runs.
template <typename F>
void ForChunks(int64_t n, int64_t chunk, const F& fn) {
  std::optional<SerialBlas> serial;
  if (at::get_num_threads() > 1 && n > chunk) serial.emplace();
  at::parallel_for(0, n, chunk, [&](int64_t begin, int64_t end) {
    for (int64_t c = begin; c < end; c += chunk) fn(c, std::min(end, c + chunk));
  });
}

// x ← LN(α x + (1 − α) Ctx(x) W_O), per chunk of sequences: contexts into ctx, one gemm into x, the norm in place.
template <typename scalar_t>
void AttentionSublayerInPlace(const at::Tensor& x, const at::Tensor& ctx, const at::Tensor& queryMap, int64_t heads,
                              const at::Tensor& outputMap, double alpha) {
  const int64_t T = x.size(1), d = x.size(2), f = heads * d;
  scalar_t* xs = x.data_ptr<scalar_t>();
  scalar_t* cs = ctx.data_ptr<scalar_t>();
  const scalar_t* wo = outputMap.data_ptr<scalar_t>();
  ForChunks(x.size(0), std::max<int64_t>(1, kSublayerChunkRows / T), [&](int64_t b0, int64_t b1) {
    ContextKernel<scalar_t> kernel(x, queryMap, heads, ctx);
    for (int64_t b = b0; b < b1; ++b)
      for (int64_t h = 0; h < heads; ++h) kernel.Run(b, h);
    const int rows = static_cast<int>((b1 - b0) * T);
    Gemm<scalar_t>(false, false, rows, static_cast<int>(d), static_cast<int>(f), static_cast<scalar_t>(1 - alpha),
                   cs + b0 * T * f, static_cast<int>(f), wo, static_cast<int>(d), static_cast<scalar_t>(alpha),
                   xs + b0 * T * d, static_cast<int>(d));
    ResidualLayerNormRows<scalar_t>(xs + b0 * T * d, nullptr, d, rows);
  });
}

// x ← LN(x + ReLU(x A_F)), per chunk of token rows.
template <typename scalar_t>
void FfnSublayerInPlace(const at::Tensor& x, const at::Tensor& ffn) {
  const int64_t d = x.size(-1), rows = x.numel() / d;
  scalar_t* xs = x.data_ptr<scalar_t>();
  const scalar_t* a = ffn.data_ptr<scalar_t>();
  ForChunks(rows, kSublayerChunkRows, [&](int64_t r0, int64_t r1) {
    std::vector<scalar_t> t(static_cast<size_t>((r1 - r0) * d));
    const int n = static_cast<int>(r1 - r0), w = static_cast<int>(d);
    Gemm<scalar_t>(false, false, n, w, w, 1, xs + r0 * d, w, a, w, 0, t.data(), w);  // x A_F
    ResidualLayerNormRows<scalar_t>(xs + r0 * d, t.data(), d, n);
  });
}

// S = (a + b) − shift and D = a − b, each rounded to the tokens' dtype as the ATen ops would; returns
// float64 [ΣS per column (d) | ‖S‖² | ‖D‖²].
template <typename scalar_t>
at::Tensor SumAndDifference(const at::Tensor& a, const at::Tensor& b, const at::Tensor* shift, const at::Tensor& sum,
                            const at::Tensor& diff) {
  const int64_t d = a.size(-1), rows = a.numel() / d;
  const scalar_t* pa = a.data_ptr<scalar_t>();
  const scalar_t* pb = b.data_ptr<scalar_t>();
  const scalar_t* ps = shift ? shift->data_ptr<scalar_t>() : nullptr;
  scalar_t* s = sum.data_ptr<scalar_t>();
  scalar_t* df = diff.data_ptr<scalar_t>();
  const int threads = at::get_num_threads();
  std::vector<double> partial(static_cast<size_t>(threads) * (d + 2), 0.0);
  at::parallel_for(0, rows, 256, [&](int64_t begin, int64_t end) {
    double* acc = partial.data() + static_cast<size_t>(at::get_thread_num()) * (d + 2);
    double ss = 0, dd = 0;
    for (int64_t r = begin; r < end; ++r) {
      const int64_t o = r * d;
      for (int64_t j = 0; j < d; ++j) {
        scalar_t sv = pa[o + j] + pb[o + j];
        if (ps) sv = sv - ps[j];
        const scalar_t dv = pa[o + j] - pb[o + j];
        s[o + j] = sv;
        df[o + j] = dv;
        acc[j] += sv;
        ss += static_cast<double>(sv) * sv;
        dd += static_cast<double>(dv) * dv;
      }
    }
    acc[d] += ss;
    acc[d + 1] += dd;
  });
  at::Tensor result = at::zeros({d + 2}, a.options().dtype(at::kDouble));
  double* r = result.data_ptr<double>();
  for (int t = 0; t < threads; ++t)
    for (int64_t j = 0; j < d + 2; ++j) r[j] += partial[static_cast<size_t>(t) * (d + 2) + j];
  return result;
}

// Per-column moments of x (rows, d), with x ← max(x, 0) first when relu: returns float64 (2, d) [mean | Σ(x − mean)²].
// Blocks of 256 rows each take their mean and centred squares while in cache; the blocks are merged in order by
// Chan's update (n = nₐ + n_b, δ = m_b − mₐ, m = mₐ + δ n_b/n, M₂ = M₂ₐ + M₂_b + δ² nₐ n_b/n), so the result does
// not depend on the thread count.
constexpr int64_t kMomentBlock = 256;

// One block's [mean | M₂] (2d, zeroed) of rows × d values, with ReLU in place first when relu.
template <typename scalar_t>
void BlockMoments(scalar_t* __restrict__ block, int64_t rows, int64_t d, bool relu, double* __restrict__ mean) {
  double* __restrict__ m2 = mean + d;
  const int64_t count = rows * d;
  if (relu)
    for (int64_t i = 0; i < count; ++i) block[i] = std::max(block[i], scalar_t(0));
  for (int64_t i = 0; i < count; i += d)
    for (int64_t j = 0; j < d; ++j) mean[j] += block[i + j];
  const double inv = 1.0 / static_cast<double>(rows);
  for (int64_t j = 0; j < d; ++j) mean[j] *= inv;
  for (int64_t i = 0; i < count; i += d)
    for (int64_t j = 0; j < d; ++j) {
      const double c = block[i + j] - mean[j];
      m2[j] += c * c;
    }
}

// The per-block moments (blocks of kMomentBlock rows, in order) merged into float64 (2, d).
at::Tensor MergeBlockMoments(const std::vector<double>& partial, int64_t rows, int64_t d) {
  const int64_t blocks = (rows + kMomentBlock - 1) / kMomentBlock;
  at::Tensor result = at::empty({2, d}, at::TensorOptions().dtype(at::kDouble));
  double* mean = result.data_ptr<double>();
  double* m2 = mean + d;
  std::copy(partial.begin(), partial.begin() + 2 * d, mean);
  for (int64_t blk = 1; blk < blocks; ++blk) {
    const double na = static_cast<double>(blk * kMomentBlock);
    const double nb = static_cast<double>(std::min(kMomentBlock, rows - blk * kMomentBlock));
    const double* bm = partial.data() + blk * 2 * d;
    for (int64_t j = 0; j < d; ++j) {
      const double delta = bm[j] - mean[j];
      mean[j] += delta * nb / (na + nb);
      m2[j] += bm[d + j] + delta * delta * na * nb / (na + nb);
    }
  }
  return result;
}

template <typename scalar_t>
at::Tensor ColumnMoments(const at::Tensor& x, bool relu) {
  const int64_t d = x.size(-1), rows = x.numel() / d, blocks = (rows + kMomentBlock - 1) / kMomentBlock;
  scalar_t* p = x.data_ptr<scalar_t>();
  std::vector<double> partial(static_cast<size_t>(blocks) * 2 * d);  // per block [mean | M₂]
  at::parallel_for(0, blocks, 1, [&](int64_t begin, int64_t end) {
    for (int64_t blk = begin; blk < end; ++blk) {
      const int64_t r0 = blk * kMomentBlock, r1 = std::min(rows, r0 + kMomentBlock);
      BlockMoments(p + r0 * d, r1 - r0, d, relu, partial.data() + blk * 2 * d);
    }
  });
  return MergeBlockMoments(partial, rows, d);
}

// out ← ReLU(x A) (x (rows, k), A (k, d), out (rows, d), float64) block by block, each block's moments taken while
// it is in cache; returns ColumnMoments(out) of the result. The product is the small-product kernel with A in L1,
// so no BLAS packing buffer, beta pass over out, or separate pass for the moments.
at::Tensor LinearReluMoments(const at::Tensor& x, const at::Tensor& transform, const at::Tensor& out) {
  const int64_t k = x.size(1), d = out.size(1), rows = x.size(0), blocks = (rows + kMomentBlock - 1) / kMomentBlock;
  const double* px = x.data_ptr<double>();
  const double* pa = transform.data_ptr<double>();
  double* po = out.data_ptr<double>();
  std::vector<double> partial(static_cast<size_t>(blocks) * 2 * d);
  at::parallel_for(0, blocks, 1, [&](int64_t begin, int64_t end) {
    for (int64_t blk = begin; blk < end; ++blk) {
      const int64_t r0 = blk * kMomentBlock, r1 = std::min(rows, r0 + kMomentBlock);
      SmallProduct(px + r0 * k, static_cast<int>(k), pa, static_cast<int>(d), po + r0 * d, static_cast<int>(d),
                   static_cast<int>(r1 - r0), static_cast<int>(k), static_cast<int>(d));
      BlockMoments(po + r0 * d, r1 - r0, d, true, partial.data() + blk * 2 * d);
    }
  });
  return MergeBlockMoments(partial, rows, d);
}

// x ← (x − mean) / scale per column, in place; mean and scale (d) in x's dtype.
template <typename scalar_t>
void NormalizeColumns(const at::Tensor& x, const at::Tensor& mean, const at::Tensor& scale) {
  const int64_t d = x.size(-1), rows = x.numel() / d;
  scalar_t* p = x.data_ptr<scalar_t>();
  const scalar_t* __restrict__ m = mean.data_ptr<scalar_t>();
  const scalar_t* __restrict__ s = scale.data_ptr<scalar_t>();
  at::parallel_for(0, rows, 256, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      scalar_t* __restrict__ row = p + r * d;
      for (int64_t j = 0; j < d; ++j) row[j] = (row[j] - m[j]) / s[j];
    }
  });
}

std::vector<at::Tensor> TensorList(const Napi::Value& value, const char* what) {
  TORCH_CHECK(value.IsArray(), what, " must be an array of tensors");
  const Napi::Array array = value.As<Napi::Array>();
  std::vector<at::Tensor> out;
  for (uint32_t i = 0; i < array.Length(); ++i) out.push_back(TensorHandle::From(array.Get(i), what));
  return out;
}

// x (B, T, width) and its contexts (B, T, heads·width), named `what` in errors.
void CheckTokenBatch(const at::Tensor& x, const at::Tensor& contexts, at::ScalarType dtype, int64_t width,
                     int64_t heads, const char* what) {
  CheckTokens(x, dtype, "x");
  CheckTokens(contexts, dtype, what);
  TORCH_CHECK(x.dim() == 3 && x.size(2) == width, "x must be (batch, tokens, ", width, "), got ", x.sizes());
  TORCH_CHECK(contexts.dim() == 3 && contexts.size(0) == x.size(0) && contexts.size(1) == x.size(1) &&
                  contexts.size(2) == heads * width,
              what, " must be (", x.size(0), ", ", x.size(1), ", ", heads * width, "), got ", contexts.sizes());
}

void CheckQueryMap(const at::Tensor& queryMap, int64_t heads, int64_t width, at::ScalarType dtype) {
  CheckTokens(queryMap, dtype, "queryMap");
  TORCH_CHECK(heads > 0 && queryMap.dim() == 2 && queryMap.size(0) == width && queryMap.size(1) % heads == 0,
              "queryMap must be (", width, ", heads·k) with ", heads, " heads, got ", queryMap.sizes());
}

// spectralContexts([x…], queryMap, heads, [out…]): each x (B, T, d) into its out (B, T, H·d).
Napi::Value SpectralContextsCall(const Napi::CallbackInfo& info) {
  return Guarded(info.Env(), "spectralContexts", [&] {
    const std::vector<at::Tensor> xs = TensorList(info[0], "x");
    const at::Tensor& queryMap = TensorHandle::From(info[1], "queryMap");
    const int64_t heads = info[2].As<Napi::Number>().Int64Value();
    const std::vector<at::Tensor> outs = TensorList(info[3], "out");
    TORCH_CHECK(!xs.empty() && xs.size() == outs.size(), "one out per x");
    CheckComputeDtype(xs[0], "x");
    const at::ScalarType dtype = xs[0].scalar_type();
    const int64_t width = xs[0].size(-1);
    CheckQueryMap(queryMap, heads, width, dtype);
    for (size_t i = 0; i < xs.size(); ++i) {
      CheckTokenBatch(xs[i], outs[i], dtype, width, heads, "out");
    }
    for (size_t i = 0; i < xs.size(); ++i) {
      if (dtype == at::kFloat) {
        SpectralContexts<float>(xs[i], queryMap, heads, outs[i]);
      } else {
        SpectralContexts<double>(xs[i], queryMap, heads, outs[i]);
      }
    }
    return info.Env().Undefined();
  });
}

// productUpdates([c…], [a…], [b…] or null, [alpha…]): cᵢ += αᵢ aᵢᵀaᵢ (syrk) or αᵢ aᵢᵀbᵢ, cᵢ float64.
Napi::Value ProductUpdatesCall(const Napi::CallbackInfo& info) {
  return Guarded(info.Env(), "productUpdates", [&] {
    const std::vector<at::Tensor> cs = TensorList(info[0], "c");
    const std::vector<at::Tensor> as = TensorList(info[1], "a");
    const bool symmetric = info[2].IsNull();
    const std::vector<at::Tensor> bs = symmetric ? std::vector<at::Tensor>{} : TensorList(info[2], "b");
    const Napi::Array alphaArray = info[3].As<Napi::Array>();
    std::vector<double> alphas;
    for (uint32_t i = 0; i < alphaArray.Length(); ++i) alphas.push_back(alphaArray.Get(i).As<Napi::Number>());
    TORCH_CHECK(!as.empty() && cs.size() == as.size() && alphas.size() == as.size() &&
                    (symmetric || bs.size() == as.size()),
                "c, a, b and alpha must be equally long lists");
    CheckComputeDtype(as[0], "a");
    const at::ScalarType dtype = as[0].scalar_type();
    for (size_t i = 0; i < as.size(); ++i) {
      CheckTokens(as[i], dtype, "a");
      TORCH_CHECK(as[i].dim() == 2, "a must be 2-D, got ", as[i].sizes());
      if (symmetric) {
        CheckAccumulator(cs[i], as[i].size(1), as[i].size(1), "c");
      } else {
        CheckTokens(bs[i], dtype, "b");
        TORCH_CHECK(bs[i].dim() == 2 && bs[i].size(0) == as[i].size(0), "a (k, m) and b (k, n) must share k, got ",
                    as[i].sizes(), " and ", bs[i].sizes());
        CheckAccumulator(cs[i], as[i].size(1), bs[i].size(1), "c");
      }
    }
    if (dtype == at::kFloat) {
      ProductUpdates<float>(cs, as, bs, alphas);
    } else {
      ProductUpdates<double>(cs, as, bs, alphas);
    }
    return info.Env().Undefined();
  });
}

// attentionSublayers([x…], [ctx…], queryMap, heads, outputMap, alpha): each x ← LN(αx + (1 − α) Ctx(x) W_O).
Napi::Value AttentionSublayersCall(const Napi::CallbackInfo& info) {
  return Guarded(info.Env(), "attentionSublayers", [&] {
    const std::vector<at::Tensor> xs = TensorList(info[0], "x");
    const std::vector<at::Tensor> ctxs = TensorList(info[1], "ctx");
    const at::Tensor& queryMap = TensorHandle::From(info[2], "queryMap");
    const int64_t heads = info[3].As<Napi::Number>().Int64Value();
    const at::Tensor& outputMap = TensorHandle::From(info[4], "outputMap");
    const double alpha = info[5].As<Napi::Number>().DoubleValue();
    TORCH_CHECK(!xs.empty() && xs.size() == ctxs.size(), "one ctx per x");
    CheckComputeDtype(xs[0], "x");
    const at::ScalarType dtype = xs[0].scalar_type();
    const int64_t width = xs[0].size(-1);
    CheckQueryMap(queryMap, heads, width, dtype);
    CheckTokens(outputMap, dtype, "outputMap");
    TORCH_CHECK(outputMap.dim() == 2 && outputMap.size(0) == heads * width && outputMap.size(1) == width,
                "outputMap must be (", heads * width, ", ", width, "), got ", outputMap.sizes());
    for (size_t i = 0; i < xs.size(); ++i) {
      CheckTokenBatch(xs[i], ctxs[i], dtype, width, heads, "ctx");
    }
    for (size_t i = 0; i < xs.size(); ++i) {
      if (dtype == at::kFloat) {
        AttentionSublayerInPlace<float>(xs[i], ctxs[i], queryMap, heads, outputMap, alpha);
      } else {
        AttentionSublayerInPlace<double>(xs[i], ctxs[i], queryMap, heads, outputMap, alpha);
      }
    }
    return info.Env().Undefined();
  });
}

// ffnSublayers([x…], ffn): each x ← LN(x + ReLU(x A_F)).
Napi::Value FfnSublayersCall(const Napi::CallbackInfo& info) {
  return Guarded(info.Env(), "ffnSublayers", [&] {
    const std::vector<at::Tensor> xs = TensorList(info[0], "x");
    const at::Tensor& ffn = TensorHandle::From(info[1], "ffn");
    TORCH_CHECK(!xs.empty(), "no tensors given");
    CheckComputeDtype(xs[0], "x");
    const int64_t width = xs[0].size(-1);
    CheckTokens(ffn, xs[0].scalar_type(), "ffn");
    TORCH_CHECK(ffn.dim() == 2 && ffn.size(0) == width && ffn.size(1) == width, "ffn must be (", width, ", ", width,
                "), got ", ffn.sizes());
    for (const at::Tensor& x : xs) CheckTokens(x, xs[0].scalar_type(), "x");
    for (const at::Tensor& x : xs) {
      if (x.scalar_type() == at::kFloat) {
        FfnSublayerInPlace<float>(x, ffn);
      } else {
        FfnSublayerInPlace<double>(x, ffn);
      }
    }
    return info.Env().Undefined();
  });
}

Napi::Value SumAndDifferenceCall(const Napi::CallbackInfo& info) {
  return Guarded(info.Env(), "sumAndDifference", [&] {
    const at::Tensor& a = TensorHandle::From(info[0], "sumAndDifference a");
    const at::Tensor& b = TensorHandle::From(info[1], "sumAndDifference b");
    const bool hasShift = !info[2].IsNull() && !info[2].IsUndefined();
    const at::Tensor* shift = hasShift ? &TensorHandle::From(info[2], "sumAndDifference shift") : nullptr;
    const at::Tensor& sum = TensorHandle::From(info[3], "sumAndDifference sum");
    const at::Tensor& diff = TensorHandle::From(info[4], "sumAndDifference diff");
    CheckComputeDtype(a, "a");
    for (const auto& [t, name] : {std::pair{&a, "a"}, {&b, "b"}, {&sum, "sum"}, {&diff, "diff"}}) {
      CheckTokens(*t, a.scalar_type(), name);
      TORCH_CHECK(t->sizes() == a.sizes(), name, " must have a's shape ", a.sizes(), ", got ", t->sizes());
    }
    TORCH_CHECK(a.dim() >= 1, "a must have a feature axis");
    if (shift) {
      CheckTokens(*shift, a.scalar_type(), "shift");
      TORCH_CHECK(shift->numel() == a.size(-1), "shift must have ", a.size(-1), " entries, got ", shift->numel());
    }
    const at::Tensor result = a.scalar_type() == at::kFloat ? SumAndDifference<float>(a, b, shift, sum, diff)
                                                            : SumAndDifference<double>(a, b, shift, sum, diff);
    return TensorHandle::Wrap(info.Env(), result);
  });
}

Napi::Value NormalizeColumnsCall(const Napi::CallbackInfo& info) {
  return Guarded(info.Env(), "normalizeColumns", [&] {
    const at::Tensor& x = TensorHandle::From(info[0], "normalizeColumns x");
    const at::Tensor& mean = TensorHandle::From(info[1], "normalizeColumns mean");
    const at::Tensor& scale = TensorHandle::From(info[2], "normalizeColumns scale");
    CheckComputeDtype(x, "x");
    CheckTokens(x, x.scalar_type(), "x");
    TORCH_CHECK(x.dim() >= 1, "x must have a feature axis");
    for (const auto& [t, name] : {std::pair{&mean, "mean"}, {&scale, "scale"}}) {
      CheckTokens(*t, x.scalar_type(), name);
      TORCH_CHECK(t->numel() == x.size(-1), name, " must have ", x.size(-1), " entries, got ", t->numel());
    }
    if (x.scalar_type() == at::kFloat) {
      NormalizeColumns<float>(x, mean, scale);
    } else {
      NormalizeColumns<double>(x, mean, scale);
    }
    return info.Env().Undefined();
  });
}

Napi::Value ColumnMomentsCall(const Napi::CallbackInfo& info) {
  return Guarded(info.Env(), "columnMoments", [&] {
    const at::Tensor& x = TensorHandle::From(info[0], "columnMoments x");
    const bool relu = info[1].ToBoolean().Value();
    CheckComputeDtype(x, "x");
    CheckTokens(x, x.scalar_type(), "x");
    TORCH_CHECK(x.dim() >= 1 && x.numel() > 0, "x must be non-empty with a feature axis, got ", x.sizes());
    const at::Tensor result =
        x.scalar_type() == at::kFloat ? ColumnMoments<float>(x, relu) : ColumnMoments<double>(x, relu);
    return TensorHandle::Wrap(info.Env(), result);
  });
}

// linearReluMoments(x, transform, out): out ← ReLU(x A), returns the moments of out as columnMoments does.
Napi::Value LinearReluMomentsCall(const Napi::CallbackInfo& info) {
  return Guarded(info.Env(), "linearReluMoments", [&] {
    const at::Tensor& x = TensorHandle::From(info[0], "linearReluMoments x");
    const at::Tensor& transform = TensorHandle::From(info[1], "linearReluMoments transform");
    const at::Tensor& out = TensorHandle::From(info[2], "linearReluMoments out");
    for (const at::Tensor* t : {&x, &transform, &out}) CheckTokens(*t, at::kDouble, "x, transform and out");
    TORCH_CHECK(x.dim() == 2 && x.size(0) > 0 && transform.dim() == 2 && transform.size(0) == x.size(1) &&
                    out.dim() == 2 && out.size(0) == x.size(0) && out.size(1) == transform.size(1),
                "expected x (n, k), transform (k, d), out (n, d), got ", x.sizes(), ", ", transform.sizes(), ", ",
                out.sizes());
    TORCH_CHECK(!out.is_alias_of(x), "out must not share storage with x");
    return TensorHandle::Wrap(info.Env(), LinearReluMoments(x, transform, out));
  });
}

}  // namespace

void InitSpectral(Napi::Env env, Napi::Object exports) {
  exports.Set("spectralContexts", Napi::Function::New(env, SpectralContextsCall, "spectralContexts"));
  exports.Set("productUpdates", Napi::Function::New(env, ProductUpdatesCall, "productUpdates"));
  exports.Set("attentionSublayers", Napi::Function::New(env, AttentionSublayersCall, "attentionSublayers"));
  exports.Set("ffnSublayers", Napi::Function::New(env, FfnSublayersCall, "ffnSublayers"));
  exports.Set("normalizeColumns", Napi::Function::New(env, NormalizeColumnsCall, "normalizeColumns"));
  exports.Set("columnMoments", Napi::Function::New(env, ColumnMomentsCall, "columnMoments"));
  exports.Set("linearReluMoments", Napi::Function::New(env, LinearReluMomentsCall, "linearReluMoments"));
  exports.Set("sumAndDifference", Napi::Function::New(env, SumAndDifferenceCall, "sumAndDifference"));
}

}  // namespace cfinit
