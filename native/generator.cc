#include "generator.h"

#include <ATen/CPUGeneratorImpl.h>
#include <mutex>

#include "errors.h"
#include "tensor.h"

namespace cfinit {

Napi::FunctionReference* GeneratorHandle::constructor_ = nullptr;

Napi::Object GeneratorHandle::Init(Napi::Env env, Napi::Object exports) {
  Napi::Function fn = DefineClass(env, "GeneratorHandle",
                                  {
                                      InstanceMethod<&GeneratorHandle::ManualSeed>("manualSeed"),
                                      InstanceMethod<&GeneratorHandle::InitialSeed>("initialSeed"),
                                      InstanceMethod<&GeneratorHandle::GetState>("getState"),
                                      InstanceMethod<&GeneratorHandle::SetState>("setState"),
                                  });
  constructor_ = new Napi::FunctionReference(Napi::Persistent(fn));
  exports.Set("GeneratorHandle", fn);
  return exports;
}

// new GeneratorHandle(seed) makes an independent stream; new GeneratorHandle() shares the global
// default generator (the one torch.manual_seed seeds).
GeneratorHandle::GeneratorHandle(const Napi::CallbackInfo& info) : Napi::ObjectWrap<GeneratorHandle>(info) {
  if (info.Length() == 0 || info[0].IsUndefined()) {
    generator_ = at::detail::getDefaultCPUGenerator();
    return;
  }
  if (!info[0].IsNumber() && !info[0].IsBigInt()) {
    throw Napi::TypeError::New(info.Env(), "Generator: the seed must be a non-negative integer");
  }
  const double seed = info[0].IsBigInt() ? static_cast<double>(info[0].As<Napi::BigInt>().Uint64Value(nullptr))
                                         : info[0].As<Napi::Number>().DoubleValue();
  if (!(seed >= 0) || seed != static_cast<double>(static_cast<uint64_t>(seed))) {
    throw Napi::TypeError::New(info.Env(), "Generator: the seed must be a non-negative integer");
  }
  generator_ = at::make_generator<at::CPUGeneratorImpl>(static_cast<uint64_t>(seed));
}

bool GeneratorHandle::IsHandle(const Napi::Value& value) {
  return value.IsObject() && value.As<Napi::Object>().InstanceOf(constructor_->Value());
}

at::Generator GeneratorHandle::From(const Napi::Value& value, const char* what) {
  if (!IsHandle(value)) throw Napi::TypeError::New(value.Env(), std::string(what) + ": expected a Generator");
  return Napi::ObjectWrap<GeneratorHandle>::Unwrap(value.As<Napi::Object>())->generator_;
}

Napi::Value GeneratorHandle::ManualSeed(const Napi::CallbackInfo& info) {
  const double seed = info[0].As<Napi::Number>().DoubleValue();
  if (!(seed >= 0) || seed != static_cast<double>(static_cast<uint64_t>(seed))) {
    throw Napi::TypeError::New(info.Env(), "manualSeed: the seed must be a non-negative integer");
  }
  std::lock_guard<std::mutex> lock(generator_.mutex());
  generator_.set_current_seed(static_cast<uint64_t>(seed));
  return info.Env().Undefined();
}

Napi::Value GeneratorHandle::InitialSeed(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(generator_.current_seed()));
}

// The full generator state as a uint8 tensor, so a killed run can resume its random streams.
Napi::Value GeneratorHandle::GetState(const Napi::CallbackInfo& info) {
  return Guarded(info.Env(), "Generator.getState", [&] {
    std::lock_guard<std::mutex> lock(generator_.mutex());
    return TensorHandle::Wrap(info.Env(), generator_.get_state());
  });
}

Napi::Value GeneratorHandle::SetState(const Napi::CallbackInfo& info) {
  return Guarded(info.Env(), "Generator.setState", [&] {
    const at::Tensor& state = TensorHandle::From(info[0], "Generator.setState");
    std::lock_guard<std::mutex> lock(generator_.mutex());
    generator_.set_state(state);
    return info.Env().Undefined();
  });
}

}  // namespace cfinit
