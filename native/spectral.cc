// Fused kernels of the closed-form transformer fit (token products in float32 or float64, sums in float64). Each
// replaces a chain of ATen ops that made a fresh batch-sized temporary per step:
//   spectralContexts      normalised-query softmax attention with raw-token values, all heads, written
//                         side by side as (B, T, H·d), so Ctx W_O and the ridge Gram are single products
//   productUpdates        C += α AᵀA by BLAS syrk (half the FLOPs of AᵀA by gemm) or C += α AᵀB by one gemm,
//                         into float64
//   attentionSublayers, ffnSublayers   the encoder's two sublayers over the tokens' own storage
//   sumAndDifference      S = A + B − shift, D = A − B in one pass, with ΣS (per column), ‖S‖², ‖D‖² in float64
// List arguments (the two views of a batch) are processed one after another: running them side by side (one
// per core, BLAS single-threaded inside) was measured and lost, as OpenBLAS's two-threaded products are as
// fast as two single-threaded ones here and its spinning workers then compete with ATen's.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <immintrin.h>

#include <algorithm>
#include <cmath>
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

// out (M×N, row stride ldo) = a (M×K, row stride lda) · x (K×N, row stride ldx), for the small per-sequence
// products (every operand in L1 at the fit's shapes): two rows of out share each load of x.
__attribute__((target("avx2,fma"))) void SmallProductAvx2(const float* a, int lda, const float* x, int ldx, float* out,
                                                           int ldo, int M, int K, int N) {
  int j = 0;
  for (; j + 32 <= N; j += 32) {
    int t = 0;
    for (; t + 2 <= M; t += 2) {
      __m256 r00 = _mm256_setzero_ps(), r01 = _mm256_setzero_ps(), r02 = _mm256_setzero_ps(),
             r03 = _mm256_setzero_ps();
      __m256 r10 = _mm256_setzero_ps(), r11 = _mm256_setzero_ps(), r12 = _mm256_setzero_ps(),
             r13 = _mm256_setzero_ps();
      const float* a0 = a + t * lda;
      const float* a1 = a0 + lda;
      for (int s = 0; s < K; ++s) {
        const float* xs = x + s * ldx + j;
        const __m256 x0 = _mm256_loadu_ps(xs), x1 = _mm256_loadu_ps(xs + 8), x2 = _mm256_loadu_ps(xs + 16),
                     x3 = _mm256_loadu_ps(xs + 24);
        const __m256 w0 = _mm256_broadcast_ss(a0 + s), w1 = _mm256_broadcast_ss(a1 + s);
        r00 = _mm256_fmadd_ps(w0, x0, r00);
        r01 = _mm256_fmadd_ps(w0, x1, r01);
        r02 = _mm256_fmadd_ps(w0, x2, r02);
        r03 = _mm256_fmadd_ps(w0, x3, r03);
        r10 = _mm256_fmadd_ps(w1, x0, r10);
        r11 = _mm256_fmadd_ps(w1, x1, r11);
        r12 = _mm256_fmadd_ps(w1, x2, r12);
        r13 = _mm256_fmadd_ps(w1, x3, r13);
      }
      float* o0 = out + t * ldo + j;
      float* o1 = o0 + ldo;
      _mm256_storeu_ps(o0, r00);
      _mm256_storeu_ps(o0 + 8, r01);
      _mm256_storeu_ps(o0 + 16, r02);
      _mm256_storeu_ps(o0 + 24, r03);
      _mm256_storeu_ps(o1, r10);
      _mm256_storeu_ps(o1 + 8, r11);
      _mm256_storeu_ps(o1 + 16, r12);
      _mm256_storeu_ps(o1 + 24, r13);
    }
    for (; t < M; ++t) {
      __m256 r0 = _mm256_setzero_ps(), r1 = _mm256_setzero_ps(), r2 = _mm256_setzero_ps(), r3 = _mm256_setzero_ps();
      for (int s = 0; s < K; ++s) {
        const float* xs = x + s * ldx + j;
        const __m256 w = _mm256_broadcast_ss(a + t * lda + s);
        r0 = _mm256_fmadd_ps(w, _mm256_loadu_ps(xs), r0);
        r1 = _mm256_fmadd_ps(w, _mm256_loadu_ps(xs + 8), r1);
        r2 = _mm256_fmadd_ps(w, _mm256_loadu_ps(xs + 16), r2);
        r3 = _mm256_fmadd_ps(w, _mm256_loadu_ps(xs + 24), r3);
      }
      float* o = out + t * ldo + j;
      _mm256_storeu_ps(o, r0);
      _mm256_storeu_ps(o + 8, r1);
      _mm256_storeu_ps(o + 16, r2);
      _mm256_storeu_ps(o + 24, r3);
    }
  }
  for (; j + 8 <= N; j += 8) {
    for (int t = 0; t < M; ++t) {
      __m256 r = _mm256_setzero_ps();
      for (int s = 0; s < K; ++s)
        r = _mm256_fmadd_ps(_mm256_broadcast_ss(a + t * lda + s), _mm256_loadu_ps(x + s * ldx + j), r);
      _mm256_storeu_ps(out + t * ldo + j, r);
    }
  }
  for (; j < N; ++j) {
    for (int t = 0; t < M; ++t) {
      float r = 0.f;
      for (int s = 0; s < K; ++s) r += a[t * lda + s] * x[s * ldx + j];
      out[t * ldo + j] = r;
    }
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
  SmallProductPortable(a, lda, x, ldx, out, ldo, M, K, N);
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
// no BLAS call (whose pthread workers spin after each call) runs inside the pass.
template <typename scalar_t>
void SpectralContexts(const at::Tensor& x, const at::Tensor& queryMap, int64_t heads, const at::Tensor& out) {
  const int T = static_cast<int>(x.size(1)), d = static_cast<int>(x.size(2));
  const int k = static_cast<int>(queryMap.size(1) / heads), width = static_cast<int>(heads * k);
  const int64_t B = x.size(0);
  const scalar_t* xs = x.data_ptr<scalar_t>();
  const scalar_t* map = queryMap.data_ptr<scalar_t>();
  scalar_t* o = out.data_ptr<scalar_t>();
  const scalar_t scale = static_cast<scalar_t>(1.0 / std::sqrt(static_cast<double>(k)));
  const scalar_t floor = static_cast<scalar_t>(1e-8);
  at::parallel_for(0, B * heads, 1, [&](int64_t begin, int64_t end) {
    std::vector<scalar_t> q(T * k), qt(k * T), s(T * T);  // q/√k (T, k), qᵀ (k, T), scores (T, T)
    for (int64_t bh = begin; bh < end; ++bh) {
      const int64_t b = bh / heads, h = bh % heads;
      const scalar_t* xb = xs + b * T * d;
      SmallProduct(xb, d, map + h * k, width, q.data(), k, T, d, k);  // X Q_h (T, k)
      for (int t = 0; t < T; ++t) {
        scalar_t* row = q.data() + t * k;
        scalar_t norm = 0;
        for (int i = 0; i < k; ++i) norm += row[i] * row[i];
        const scalar_t length = std::max(static_cast<scalar_t>(std::sqrt(norm)), floor);
        for (int i = 0; i < k; ++i) {
          qt[i * T + t] = row[i] / length;
          row[i] = qt[i * T + t] * scale;
        }
      }
      SmallProduct(q.data(), k, qt.data(), T, s.data(), T, T, k, T);  // q qᵀ / √k (T, T)
      SoftmaxRows(s.data(), T, T);
      SmallProduct(s.data(), T, xb, d, o + b * T * heads * d + h * d, static_cast<int>(heads * d), T, T, d);  // A_h X
    }
  });
}

// c (n×n, float64) += alpha · aᵀa for a (k×n), by syrk into float32/64 scratch, both triangles filled.
template <typename scalar_t>
void SymmetricRankUpdate(const at::Tensor& c, const at::Tensor& a, double alpha, std::vector<scalar_t>& scratch) {
  const int n = static_cast<int>(a.size(1)), k = static_cast<int>(a.size(0));
  if (k == 0) return;
  scratch.assign(static_cast<size_t>(n) * n, scalar_t(0));
  SyrkUpper(n, k, a.data_ptr<scalar_t>(), scratch.data());
  double* out = c.data_ptr<double>();
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = i; j < n; ++j) {
      const double v = alpha * static_cast<double>(scratch[i * n + j]);
      out[i * n + j] += v;
      if (j != i) out[j * n + i] += v;
    }
  }
}

// c (m×n, float64) += alpha · aᵀb for a (k×m), b (k×n), by one gemm into float32/64 scratch.
template <typename scalar_t>
void TransposedProductUpdate(const at::Tensor& c, const at::Tensor& a, const at::Tensor& b, double alpha,
                             std::vector<scalar_t>& scratch) {
  const int k = static_cast<int>(a.size(0)), m = static_cast<int>(a.size(1)), n = static_cast<int>(b.size(1));
  if (k == 0) return;
  scratch.resize(static_cast<size_t>(m) * n);
  Gemm<scalar_t>(true, false, m, n, k, 1, a.data_ptr<scalar_t>(), m, b.data_ptr<scalar_t>(), n, 0, scratch.data(), n);
  double* out = c.data_ptr<double>();
  for (size_t i = 0; i < scratch.size(); ++i) out[i] += alpha * static_cast<double>(scratch[i]);
}

// cᵢ += alphaᵢ · aᵢᵀaᵢ (bs empty) or cᵢ += alphaᵢ · aᵢᵀbᵢ, in order (an accumulator may appear more than once).
template <typename scalar_t>
void ProductUpdates(const std::vector<at::Tensor>& cs, const std::vector<at::Tensor>& as,
                    const std::vector<at::Tensor>& bs, const std::vector<double>& alphas) {
  std::vector<scalar_t> scratch;
  for (size_t i = 0; i < as.size(); ++i) {
    if (bs.empty()) {
      SymmetricRankUpdate(cs[i], as[i], alphas[i], scratch);
    } else {
      TransposedProductUpdate(cs[i], as[i], bs[i], alphas[i], scratch);
    }
  }
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

// Each token row of x (rows, d) ← LN(x + ReLU(t)) in place (t null: LN(x)); no affine, eps 1e-5, the row's mean
// and biased variance by two passes over the row while it is in L1.
template <typename scalar_t>
void ResidualLayerNormInPlace(const at::Tensor& x, const scalar_t* t) {
  const int64_t d = x.size(-1), rows = x.numel() / d;
  scalar_t* p = x.data_ptr<scalar_t>();
  at::parallel_for(0, rows, 64, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
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
  });
}

// x ← LN(α x + (1 − α) Ctx(x) W_O): one gemm into x, then the norm in place.
template <typename scalar_t>
void AttentionSublayerInPlace(const at::Tensor& x, const at::Tensor& ctx, const at::Tensor& queryMap, int64_t heads,
                              const at::Tensor& outputMap, double alpha) {
  SpectralContexts<scalar_t>(x, queryMap, heads, ctx);
  const int64_t d = x.size(-1);
  at::Tensor flat = x.view({-1, d});
  flat.addmm_(ctx.view({-1, heads * d}), outputMap, alpha, 1 - alpha);
  ResidualLayerNormInPlace<scalar_t>(x, nullptr);
}

// x ← LN(x + ReLU(x A_F)).
template <typename scalar_t>
void FfnSublayerInPlace(const at::Tensor& x, const at::Tensor& ffn) {
  const at::Tensor t = at::matmul(x, ffn);
  ResidualLayerNormInPlace<scalar_t>(x, t.data_ptr<scalar_t>());
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
template <typename scalar_t>
at::Tensor ColumnMoments(const at::Tensor& x, bool relu) {
  constexpr int64_t kBlock = 256;
  const int64_t d = x.size(-1), rows = x.numel() / d, blocks = (rows + kBlock - 1) / kBlock;
  scalar_t* p = x.data_ptr<scalar_t>();
  std::vector<double> partial(static_cast<size_t>(blocks) * 2 * d);  // per block [mean | M₂]
  at::parallel_for(0, blocks, 1, [&](int64_t begin, int64_t end) {
    for (int64_t blk = begin; blk < end; ++blk) {
      const int64_t r0 = blk * kBlock, r1 = std::min(rows, r0 + kBlock);
      scalar_t* __restrict__ block = p + r0 * d;
      double* __restrict__ mean = partial.data() + blk * 2 * d;
      double* __restrict__ m2 = mean + d;
      const int64_t count = (r1 - r0) * d;
      if (relu)
        for (int64_t i = 0; i < count; ++i) block[i] = std::max(block[i], scalar_t(0));
      for (int64_t i = 0; i < count; i += d)
        for (int64_t j = 0; j < d; ++j) mean[j] += block[i + j];
      const double inv = 1.0 / static_cast<double>(r1 - r0);
      for (int64_t j = 0; j < d; ++j) mean[j] *= inv;
      for (int64_t i = 0; i < count; i += d)
        for (int64_t j = 0; j < d; ++j) {
          const double c = block[i + j] - mean[j];
          m2[j] += c * c;
        }
    }
  });
  at::Tensor result = at::empty({2, d}, x.options().dtype(at::kDouble));
  double* mean = result.data_ptr<double>();
  double* m2 = mean + d;
  std::copy(partial.begin(), partial.begin() + 2 * d, mean);
  for (int64_t blk = 1; blk < blocks; ++blk) {
    const double na = static_cast<double>(blk * kBlock);
    const double nb = static_cast<double>(std::min(kBlock, rows - blk * kBlock));
    const double* bm = partial.data() + blk * 2 * d;
    for (int64_t j = 0; j < d; ++j) {
      const double delta = bm[j] - mean[j];
      mean[j] += delta * nb / (na + nb);
      m2[j] += bm[d + j] + delta * delta * na * nb / (na + nb);
    }
  }
  return result;
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

}  // namespace

void InitSpectral(Napi::Env env, Napi::Object exports) {
  exports.Set("spectralContexts", Napi::Function::New(env, SpectralContextsCall, "spectralContexts"));
  exports.Set("productUpdates", Napi::Function::New(env, ProductUpdatesCall, "productUpdates"));
  exports.Set("attentionSublayers", Napi::Function::New(env, AttentionSublayersCall, "attentionSublayers"));
  exports.Set("ffnSublayers", Napi::Function::New(env, FfnSublayersCall, "ffnSublayers"));
  exports.Set("normalizeColumns", Napi::Function::New(env, NormalizeColumnsCall, "normalizeColumns"));
  exports.Set("columnMoments", Napi::Function::New(env, ColumnMomentsCall, "columnMoments"));
  exports.Set("sumAndDifference", Napi::Function::New(env, SumAndDifferenceCall, "sumAndDifference"));
}

}  // namespace cfinit
