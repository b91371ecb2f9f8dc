// One native call per optimizer step: the loop over parameters runs in C++, with exactly the
// ATen ops (and so the rounding) of PyTorch 1.13's single-tensor AdamW.
#include <ATen/ATen.h>

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
      const at::Tensor grad = maximize ? -rawGrad : rawGrad;
      at::Tensor expAvg = expAvgs[i];
      at::Tensor expAvgSq = expAvgSqs[i];
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
