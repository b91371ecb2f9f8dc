#include "tensor.h"

#include <cstring>

#include "errors.h"

namespace cfinit {

Napi::FunctionReference* TensorHandle::constructor_ = nullptr;

namespace {
// Wrap() hands the tensor to the JS constructor through this slot: ObjectWrap constructors only
// receive JS values.
thread_local at::Tensor pendingTensor;
thread_local bool pendingSet = false;
int64_t liveHandles = 0;  // touched on the JS thread only

// The bytes V8 is told a handle holds: its storage's, when no other tensor shares it. A view of memory another
// tensor holds adds none: counting every narrow()/view() again made V8 start a major collection every ~30 ms in
// loops that only take views of preallocated buffers (measured in the MLP fit).
int64_t OwnedBytes(const at::Tensor& t) {
  if (!t.defined() || !t.has_storage()) return 0;
  const c10::Storage& storage = t.storage();
  return storage.use_count() == 1 ? static_cast<int64_t>(storage.nbytes()) : 0;
}
}  // namespace

Napi::Object TensorHandle::Init(Napi::Env env, Napi::Object exports) {
  Napi::Function fn = DefineClass(
      env, "TensorHandle",
      {
          InstanceMethod<&TensorHandle::Shape>("shape"),
          InstanceMethod<&TensorHandle::Dtype>("dtype"),
          InstanceMethod<&TensorHandle::Numel>("numel"),
          InstanceMethod<&TensorHandle::Dispose>("dispose"),
          InstanceMethod<&TensorHandle::IsDisposed>("isDisposed"),
          InstanceMethod<&TensorHandle::RequiresGrad>("requiresGrad"),
          InstanceMethod<&TensorHandle::SetRequiresGrad>("setRequiresGrad"),
          InstanceMethod<&TensorHandle::IsLeaf>("isLeaf"),
          InstanceMethod<&TensorHandle::Grad>("grad"),
          InstanceMethod<&TensorHandle::SetGrad>("setGrad"),
          InstanceMethod<&TensorHandle::Item>("item"),
          InstanceMethod<&TensorHandle::ToBuffer>("toBuffer"),
          InstanceMethod<&TensorHandle::CopyFrom>("copyFrom"),
          InstanceMethod<&TensorHandle::SameStorage>("sameStorage"),
      });
  constructor_ = new Napi::FunctionReference(Napi::Persistent(fn));
  exports.Set("TensorHandle", fn);
  return exports;
}

TensorHandle::TensorHandle(const Napi::CallbackInfo& info)
    : Napi::ObjectWrap<TensorHandle>(info), env_(info.Env()) {
  if (!pendingSet) {
    throw Napi::TypeError::New(info.Env(), "TensorHandle cannot be constructed from JavaScript");
  }
  tensor_ = std::move(pendingTensor);
  pendingTensor = at::Tensor();
  pendingSet = false;
  if (tensor_.defined()) ++liveHandles;
  Report(info.Env());
}

TensorHandle::~TensorHandle() { Release(); }

void TensorHandle::Report(Napi::Env env) {
  reportedBytes_ = OwnedBytes(tensor_);
  if (reportedBytes_ > 0) Napi::MemoryManagement::AdjustExternalMemory(env, reportedBytes_);
}

void TensorHandle::Release() {
  if (reportedBytes_ > 0) {
    Napi::MemoryManagement::AdjustExternalMemory(env_, -reportedBytes_);
    reportedBytes_ = 0;
  }
  if (tensor_.defined()) --liveHandles;
  tensor_ = at::Tensor();
}

int64_t TensorHandle::LiveCount() { return liveHandles; }

Napi::Value TensorHandle::Wrap(Napi::Env env, at::Tensor tensor) {
  if (!tensor.defined()) return env.Null();
  pendingTensor = std::move(tensor);
  pendingSet = true;
  return constructor_->New({});
}

bool TensorHandle::IsHandle(const Napi::Value& value) {
  return value.IsObject() && value.As<Napi::Object>().InstanceOf(constructor_->Value());
}

const at::Tensor& TensorHandle::From(const Napi::Value& value, const char* what) {
  if (!IsHandle(value)) {
    throw Napi::TypeError::New(value.Env(), std::string(what) + ": expected a Tensor");
  }
  TensorHandle* handle = Napi::ObjectWrap<TensorHandle>::Unwrap(value.As<Napi::Object>());
  if (handle->disposed_) {
    throw Napi::Error::New(value.Env(), std::string(what) + ": the tensor was disposed");
  }
  return handle->tensor_;
}

void TensorHandle::RequireLive(const Napi::CallbackInfo& info, const char* what) const {
  if (disposed_) throw Napi::Error::New(info.Env(), std::string(what) + ": the tensor was disposed");
}

Napi::Value TensorHandle::Shape(const Napi::CallbackInfo& info) {
  RequireLive(info, "shape");
  const auto sizes = tensor_.sizes();
  Napi::Array out = Napi::Array::New(info.Env(), sizes.size());
  for (size_t i = 0; i < sizes.size(); ++i) out.Set(i, Napi::Number::New(info.Env(), static_cast<double>(sizes[i])));
  return out;
}

Napi::Value TensorHandle::Dtype(const Napi::CallbackInfo& info) {
  RequireLive(info, "dtype");
  return Napi::Number::New(info.Env(), static_cast<int>(tensor_.scalar_type()));
}

Napi::Value TensorHandle::Numel(const Napi::CallbackInfo& info) {
  RequireLive(info, "numel");
  return Napi::Number::New(info.Env(), static_cast<double>(tensor_.numel()));
}

Napi::Value TensorHandle::Dispose(const Napi::CallbackInfo& info) {
  Release();
  disposed_ = true;
  return info.Env().Undefined();
}

Napi::Value TensorHandle::IsDisposed(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), disposed_);
}

Napi::Value TensorHandle::RequiresGrad(const Napi::CallbackInfo& info) {
  RequireLive(info, "requiresGrad");
  return Napi::Boolean::New(info.Env(), tensor_.requires_grad());
}

Napi::Value TensorHandle::SetRequiresGrad(const Napi::CallbackInfo& info) {
  RequireLive(info, "requiresGrad_");
  return Guarded(info.Env(), "requiresGrad", [&] {
    tensor_.set_requires_grad(info[0].ToBoolean().Value());
    return info.Env().Undefined();
  });
}

Napi::Value TensorHandle::IsLeaf(const Napi::CallbackInfo& info) {
  RequireLive(info, "isLeaf");
  return Napi::Boolean::New(info.Env(), tensor_.is_leaf());
}

Napi::Value TensorHandle::Grad(const Napi::CallbackInfo& info) {
  RequireLive(info, "grad");
  return Wrap(info.Env(), tensor_.grad());
}

Napi::Value TensorHandle::SetGrad(const Napi::CallbackInfo& info) {
  RequireLive(info, "grad");
  return Guarded(info.Env(), "setGrad", [&] {
    if (info[0].IsNull() || info[0].IsUndefined()) {
      tensor_.mutable_grad() = at::Tensor();
    } else {
      tensor_.mutable_grad() = From(info[0], "setGrad");
    }
    return info.Env().Undefined();
  });
}

Napi::Value TensorHandle::Item(const Napi::CallbackInfo& info) {
  RequireLive(info, "item");
  return Guarded(info.Env(), "item", [&]() -> Napi::Value {
    if (tensor_.numel() != 1) {
      throw std::runtime_error("item() needs a tensor with exactly one element, got shape " +
                               c10::str(tensor_.sizes()));
    }
    const at::Scalar s = tensor_.item();
    if (s.isBoolean()) return Napi::Boolean::New(info.Env(), s.toBool());
    return Napi::Number::New(info.Env(), s.toDouble());
  });
}

// Copies the tensor's elements (row-major) into a fresh ArrayBuffer.
Napi::Value TensorHandle::ToBuffer(const Napi::CallbackInfo& info) {
  RequireLive(info, "toArray");
  return Guarded(info.Env(), "toBuffer", [&]() -> Napi::Value {
    const at::Tensor c = tensor_.detach().contiguous();
    const size_t bytes = static_cast<size_t>(c.numel()) * c.element_size();
    Napi::ArrayBuffer buffer = Napi::ArrayBuffer::New(info.Env(), bytes);
    if (bytes > 0) std::memcpy(buffer.Data(), c.data_ptr(), bytes);
    return buffer;
  });
}

// In-place copy of another tensor's values (broadcast, dtype converted), outside autograd.
Napi::Value TensorHandle::CopyFrom(const Napi::CallbackInfo& info) {
  RequireLive(info, "copy_");
  return Guarded(info.Env(), "copyFrom", [&] {
    const at::Tensor& src = From(info[0], "copyFrom");
    at::NoGradGuard noGrad;
    tensor_.copy_(src);
    return info.Env().Undefined();
  });
}

Napi::Value TensorHandle::SameStorage(const Napi::CallbackInfo& info) {
  RequireLive(info, "sameStorage");
  const at::Tensor& other = From(info[0], "sameStorage");
  return Napi::Boolean::New(info.Env(), tensor_.defined() && other.defined() &&
                                            tensor_.storage().is_alias_of(other.storage()));
}

}  // namespace cfinit
