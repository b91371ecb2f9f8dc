// Fused multi-head self-attention core for the packed (B, T, 3d) projection, as one autograd
// node. ATen's path (view, permute, reshape copy, unbind, scale, bmm, softmax, bmm, transpose,
// reshape copy) makes ~5 passes over memory forward and as many backward (the stack of unbind
// included); here each (batch, head) reads q, k, v in place through row strides and writes its
// columns of the output, so the only saved tensors are qkv and the probabilities.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/csrc/autograd/custom_function.h>

#include <cmath>

#include "blas.h"
#include "errors.h"
#include "ops.h"
#include "tensor.h"

namespace cfinit {

namespace {

struct Dims {
  int64_t batch, tokens, dim, heads, headDim;
};

Dims DimsOf(const at::Tensor& qkv, int64_t heads) {
  const int64_t dim = qkv.size(2) / 3;
  return {qkv.size(0), qkv.size(1), dim, heads, dim / heads};
}

class PackedAttention : public torch::autograd::Function<PackedAttention> {
 public:
  // qkv (B, T, 3d) → context (B, T, d): per head, softmax(q kᵀ · scale) v.
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& qkvIn, int64_t heads) {
    const at::Tensor qkv = qkvIn.contiguous();
    const Dims s = DimsOf(qkv, heads);
    const int T = static_cast<int>(s.tokens), hd = static_cast<int>(s.headDim), d = static_cast<int>(s.dim);
    const int ld = 3 * d;
    const float scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(s.headDim)));
    at::Tensor scores = at::empty({s.batch, s.heads, s.tokens, s.tokens}, qkv.options());  // (B, H, T, T)
    at::Tensor out = at::empty({s.batch, s.tokens, s.dim}, qkv.options());                 // (B, T, d)
    const float* base = qkv.data_ptr<float>();
    float* o = out.data_ptr<float>();
    at::parallel_for(0, s.batch * s.heads, 1, [&](int64_t begin, int64_t end) {
      for (int64_t bh = begin; bh < end; ++bh) {
        const int64_t b = bh / s.heads, h = bh % s.heads;
        const float* q = base + b * T * ld + h * hd;
        Gemm(false, true, T, T, hd, scale, q, ld, q + d, ld, 0.f, scores.data_ptr<float>() + bh * T * T, T);
      }
    });
    // ATen's softmax is vectorised (AVX2 exp); a scalar exp per score costs more than the products.
    at::Tensor probs = at::_softmax(scores, -1, false);
    scores.reset();
    const float* p = probs.data_ptr<float>();
    at::parallel_for(0, s.batch * s.heads, 1, [&](int64_t begin, int64_t end) {
      for (int64_t bh = begin; bh < end; ++bh) {
        const int64_t b = bh / s.heads, h = bh % s.heads;
        const float* v = base + b * T * ld + 2 * d + h * hd;
        Gemm(false, false, T, hd, T, 1.f, p + bh * T * T, T, v, ld, 0.f, o + b * T * d + h * hd, d);  // (T, hd)
      }
    });
    ctx->save_for_backward({qkv, probs});
    ctx->saved_data["heads"] = heads;
    return out;
  }

  // dV = Pᵀ dO; dP = dO Vᵀ; dS = P ⊙ (dP − rowsum(dP ⊙ P)); dQ = scale · dS K; dK = scale · dSᵀ Q.
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const at::Tensor& qkv = saved[0];
    const at::Tensor& probs = saved[1];
    const Dims s = DimsOf(qkv, ctx->saved_data["heads"].toInt());
    const at::Tensor dOut = grads[0].contiguous();
    const int T = static_cast<int>(s.tokens), hd = static_cast<int>(s.headDim), d = static_cast<int>(s.dim);
    const int ld = 3 * d;
    const float scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(s.headDim)));
    at::Tensor dQkv = at::empty_like(qkv);  // every (b, h) writes its own columns of q, k and v
    at::Tensor dProbs = at::empty_like(probs);  // (B, H, T, T)
    const float* base = qkv.data_ptr<float>();
    const float* p = probs.data_ptr<float>();
    const float* dO = dOut.data_ptr<float>();
    float* g = dQkv.data_ptr<float>();
    at::parallel_for(0, s.batch * s.heads, 1, [&](int64_t begin, int64_t end) {
      for (int64_t bh = begin; bh < end; ++bh) {
        const int64_t b = bh / s.heads, h = bh % s.heads;
        const float* v = base + b * T * ld + 2 * d + h * hd;
        const float* dOb = dO + b * T * d + h * hd;
        float* dV = g + b * T * ld + 2 * d + h * hd;
        Gemm(true, false, T, hd, T, 1.f, p + bh * T * T, T, dOb, d, 0.f, dV, ld);                 // dV (T, hd)
        Gemm(false, true, T, T, hd, 1.f, dOb, d, v, ld, 0.f, dProbs.data_ptr<float>() + bh * T * T, T);  // dP
      }
    });
    const at::Tensor dScores = at::_softmax_backward_data(dProbs, probs, -1, at::kFloat);  // P ⊙ (dP − Σ dP ⊙ P)
    dProbs.reset();
    const float* dS = dScores.data_ptr<float>();
    at::parallel_for(0, s.batch * s.heads, 1, [&](int64_t begin, int64_t end) {
      for (int64_t bh = begin; bh < end; ++bh) {
        const int64_t b = bh / s.heads, h = bh % s.heads;
        const float* q = base + b * T * ld + h * hd;
        float* gq = g + b * T * ld + h * hd;
        Gemm(false, false, T, hd, T, scale, dS + bh * T * T, T, q + d, ld, 0.f, gq, ld);  // dQ (T, hd)
        Gemm(true, false, T, hd, T, scale, dS + bh * T * T, T, q, ld, 0.f, gq + d, ld);   // dK (T, hd)
      }
    });
    return {dQkv, at::Tensor()};
  }
};

// packedAttention(qkv, heads): qkv float32 (B, T, 3d) with heads | d.
Napi::Value PackedAttentionCall(const Napi::CallbackInfo& info) {
  return Guarded(info.Env(), "packedAttention", [&] {
    const at::Tensor& qkv = TensorHandle::From(info[0], "packedAttention qkv");
    const int64_t heads = info[1].As<Napi::Number>().Int64Value();
    TORCH_CHECK(qkv.dim() == 3 && qkv.size(2) % 3 == 0, "qkv must be (batch, tokens, 3·dim), got ", qkv.sizes());
    TORCH_CHECK(qkv.scalar_type() == at::kFloat && qkv.device().is_cpu(), "qkv must be a float32 CPU tensor");
    TORCH_CHECK(heads > 0 && (qkv.size(2) / 3) % heads == 0, "heads (", heads, ") must divide ", qkv.size(2) / 3);
    return TensorHandle::Wrap(info.Env(), PackedAttention::apply(qkv, heads));
  });
}

}  // namespace

void InitAttention(Napi::Env env, Napi::Object exports) {
  exports.Set("packedAttention", Napi::Function::New(env, PackedAttentionCall, "packedAttention"));
}

}  // namespace cfinit
