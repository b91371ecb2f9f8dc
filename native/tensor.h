// A JavaScript handle owning one at::Tensor. The handle reports the tensor's bytes to V8 so that
// garbage collection sees native memory, and can be disposed eagerly.
#pragma once

#include <napi.h>
#include <ATen/ATen.h>

namespace cfinit {

class TensorHandle : public Napi::ObjectWrap<TensorHandle> {
 public:
  static Napi::Object Init(Napi::Env env, Napi::Object exports);
  // Wraps a tensor in a new JS handle (null for an undefined tensor).
  static Napi::Value Wrap(Napi::Env env, at::Tensor tensor);
  // The tensor behind a JS value; throws a JS TypeError when it is not a live handle.
  static const at::Tensor& From(const Napi::Value& value, const char* what);
  static bool IsHandle(const Napi::Value& value);
  // Handles whose tensor is still held (neither disposed nor finalized): a leak check for tests.
  static int64_t LiveCount();

  explicit TensorHandle(const Napi::CallbackInfo& info);
  ~TensorHandle() override;

 private:
  void Release();
  void Report(Napi::Env env);
  // Throws a JS Error when the handle was disposed (its tensor is gone).
  void RequireLive(const Napi::CallbackInfo& info, const char* what) const;

  Napi::Value Shape(const Napi::CallbackInfo& info);
  Napi::Value Dtype(const Napi::CallbackInfo& info);
  Napi::Value Numel(const Napi::CallbackInfo& info);
  Napi::Value Dispose(const Napi::CallbackInfo& info);
  Napi::Value IsDisposed(const Napi::CallbackInfo& info);
  Napi::Value RequiresGrad(const Napi::CallbackInfo& info);
  Napi::Value SetRequiresGrad(const Napi::CallbackInfo& info);
  Napi::Value IsLeaf(const Napi::CallbackInfo& info);
  Napi::Value Grad(const Napi::CallbackInfo& info);
  Napi::Value SetGrad(const Napi::CallbackInfo& info);
  Napi::Value Item(const Napi::CallbackInfo& info);
  Napi::Value ToBuffer(const Napi::CallbackInfo& info);
  Napi::Value CopyFrom(const Napi::CallbackInfo& info);
  Napi::Value SameStorage(const Napi::CallbackInfo& info);

  at::Tensor tensor_;
  int64_t reportedBytes_ = 0;
  Napi::Env env_;
  bool disposed_ = false;

  static Napi::FunctionReference* constructor_;
};

}  // namespace cfinit
