// A JavaScript handle for an independent, seeded CPU random generator (at::Generator).
#pragma once

#include <napi.h>
#include <ATen/ATen.h>

namespace cfinit {

class GeneratorHandle : public Napi::ObjectWrap<GeneratorHandle> {
 public:
  static Napi::Object Init(Napi::Env env, Napi::Object exports);
  static bool IsHandle(const Napi::Value& value);
  static at::Generator From(const Napi::Value& value, const char* what);

  explicit GeneratorHandle(const Napi::CallbackInfo& info);

 private:
  Napi::Value ManualSeed(const Napi::CallbackInfo& info);
  Napi::Value InitialSeed(const Napi::CallbackInfo& info);
  Napi::Value GetState(const Napi::CallbackInfo& info);
  Napi::Value SetState(const Napi::CallbackInfo& info);

  at::Generator generator_;
  static Napi::FunctionReference* constructor_;
};

}  // namespace cfinit
