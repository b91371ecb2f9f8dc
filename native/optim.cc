// One native call per optimizer step: the loop over parameters runs in C++. Dense float tensors
// take a fused one-pass kernel (PyTorch 1.13's single-tensor AdamW makes about ten passes over
// memory per parameter); anything else runs PyTorch's own sequence of ATen ops.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <cmath>

#include "errors.h"
#include "ops.h"
#include "tensor.h"

namespace cfinit {

namespace {

std::vector<at::Tensor> Tensors(const Napi::Value& v, const char* where) {
  const Napi::Array arr = v.As<Napi::Array>();
  std::vector<at::Tensor> out;
  out.reserve(arr.Length());
  for (uint32_t i = 0; i < arr.Length(); ++i) out.push_back(TensorHandle::From(arr.Get(i), where));
  return out;
}

struct AdamwScalars {
  double decay;       // 1 − lr·wd
  double beta1, beta2;
  double biasCorrection2Sqrt;
  double eps;
  double negStepSize;  // −lr / (1 − β1ᵗ)
};

bool Fusable(const at::Tensor& p, const at::Tensor& g, const at::Tensor& m, const at::Tensor& v) {
  const auto t = p.scalar_type();
  if (t != at::kFloat && t != at::kDouble) return false;
  for (const at::Tensor* x : {&p, &g, &m, &v}) {
    if (x->scalar_type() != t || !x->is_contiguous() || x->device().type() != at::kCPU || x->numel() != p.numel()) return false;
  }
  return true;
}

// The same arithmetic, in the same order and precision, as PyTorch's ops below, one element at a time.
template <typename T>
void FusedAdamw(at::Tensor& param, const at::Tensor& grad, at::Tensor& expAvg, at::Tensor& expAvgSq,
                const AdamwScalars& s, bool maximize) {
  T* p = param.data_ptr<T>();
  const T* g = grad.data_ptr<T>();
  T* m = expAvg.data_ptr<T>();
  T* v = expAvgSq.data_ptr<T>();
  const T decay = static_cast<T>(s.decay), b1 = static_cast<T>(s.beta1), b2 = static_cast<T>(s.beta2);
  const T oneMinusB1 = static_cast<T>(1 - s.beta1), oneMinusB2 = static_cast<T>(1 - s.beta2);
  const T bc2 = static_cast<T>(s.biasCorrection2Sqrt), eps = static_cast<T>(s.eps), step = static_cast<T>(s.negStepSize);
  const T sign = maximize ? T(-1) : T(1);
  at::parallel_for(0, param.numel(), 1 << 15, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const T gi = sign * g[i];
      const T mi = m[i] * b1 + oneMinusB1 * gi;
      const T vi = v[i] * b2 + oneMinusB2 * gi * gi;
      m[i] = mi;
      v[i] = vi;
      p[i] = p[i] * decay + step * (mi / (std::sqrt(vi) / bc2 + eps));
    }
  });
}

// adamwStep(params, expAvgs, expAvgSqs, step, lr, beta1, beta2, eps, weightDecay, maximize)
// `step` is the step count after this update (1 on the first call). Parameters without a grad
// are skipped, as in PyTorch.
Napi::Value AdamwStep(const Napi::CallbackInfo& info) {
  return Guarded(info.Env(), "AdamW.step", [&] {
    const auto params = Tensors(info[0], "AdamW.step params");
    const auto expAvgs = Tensors(info[1], "AdamW.step expAvg");
    const auto expAvgSqs = Tensors(info[2], "AdamW.step expAvgSq");
    const double step = info[3].As<Napi::Number>().DoubleValue();
    const double lr = info[4].As<Napi::Number>().DoubleValue();
    const double beta1 = info[5].As<Napi::Number>().DoubleValue();
    const double beta2 = info[6].As<Napi::Number>().DoubleValue();
    const double eps = info[7].As<Napi::Number>().DoubleValue();
    const double weightDecay = info[8].As<Napi::Number>().DoubleValue();
    const bool maximize = info[9].ToBoolean().Value();
    if (expAvgs.size() != params.size() || expAvgSqs.size() != params.size()) {
      throw std::runtime_error("state lists must match the parameter list");
    }
    at::NoGradGuard noGrad;
    const double biasCorrection1 = 1 - std::pow(beta1, step);
    const double biasCorrection2Sqrt = std::sqrt(1 - std::pow(beta2, step));
    const double stepSize = lr / biasCorrection1;
    for (size_t i = 0; i < params.size(); ++i) {
      at::Tensor param = params[i];
      const at::Tensor& rawGrad = param.grad();
      if (!rawGrad.defined()) continue;
      at::Tensor expAvg = expAvgs[i];
      at::Tensor expAvgSq = expAvgSqs[i];
      if (Fusable(param, rawGrad, expAvg, expAvgSq)) {
        const AdamwScalars s{1 - lr * weightDecay, beta1, beta2, biasCorrection2Sqrt, eps, -stepSize};
        if (param.scalar_type() == at::kFloat) FusedAdamw<float>(param, rawGrad, expAvg, expAvgSq, s, maximize);
        else FusedAdamw<double>(param, rawGrad, expAvg, expAvgSq, s, maximize);
        continue;
      }
      const at::Tensor grad = maximize ? -rawGrad : rawGrad;
      param.mul_(1 - lr * weightDecay);
      expAvg.mul_(beta1).add_(grad, 1 - beta1);
      expAvgSq.mul_(beta2).addcmul_(grad, grad, 1 - beta2);
      const at::Tensor denom = (expAvgSq.sqrt() / biasCorrection2Sqrt).add_(eps);
      param.addcdiv_(expAvg, denom, -stepSize);
    }
    return info.Env().Undefined();
  });
}

}  // namespace

void InitOptim(Napi::Env env, Napi::Object exports) {
  exports.Set("adamwStep", Napi::Function::New(env, AdamwStep, "adamwStep"));
}

}  // namespace cfinit
