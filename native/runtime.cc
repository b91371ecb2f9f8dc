// Tensor creation from typed arrays, threads, grad mode and backward.
#include <ATen/Parallel.h>
#include <c10/core/CPUAllocator.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/version.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <dlfcn.h>

#include "blas.h"
#include "errors.h"
#include "ops.h"
#include "tensor.h"

namespace cfinit {

namespace {

std::vector<int64_t> ToShape(const Napi::Value& v, const char* where) {
  if (!v.IsArray()) throw Napi::TypeError::New(v.Env(), std::string(where) + ": the shape must be an array");
  const Napi::Array arr = v.As<Napi::Array>();
  std::vector<int64_t> shape(arr.Length());
  for (uint32_t i = 0; i < arr.Length(); ++i) {
    const Napi::Value d = arr.Get(i);
    const double x = d.IsNumber() ? d.As<Napi::Number>().DoubleValue() : -1;
    if (!(x >= 0) || x != static_cast<double>(static_cast<int64_t>(x))) {
      throw Napi::TypeError::New(v.Env(), std::string(where) + ": shape[" + std::to_string(i) +
                                              "] must be a non-negative integer");
    }
    shape[i] = static_cast<int64_t>(x);
  }
  return shape;
}

// fromBuffer(typedArray, shape, dtype) copies the typed array's bytes into a new tensor.
Napi::Value FromBuffer(const Napi::CallbackInfo& info) {
  return Guarded(info.Env(), "fromBuffer", [&]() -> Napi::Value {
    if (!info[0].IsTypedArray()) throw Napi::TypeError::New(info.Env(), "fromBuffer: expected a typed array");
    const Napi::TypedArray array = info[0].As<Napi::TypedArray>();
    const auto shape = ToShape(info[1], "fromBuffer");
    const auto dtype = static_cast<at::ScalarType>(info[2].As<Napi::Number>().Int32Value());
    at::Tensor t = at::empty(shape, at::TensorOptions().dtype(dtype));
    const size_t bytes = static_cast<size_t>(t.numel()) * t.element_size();
    if (array.ByteLength() != bytes) {
      throw std::runtime_error("the data holds " + std::to_string(array.ByteLength()) + " bytes but shape " +
                               c10::str(t.sizes()) + " of " + std::string(c10::toString(dtype)) + " needs " +
                               std::to_string(bytes));
    }
    if (bytes > 0) {
      const auto* src = static_cast<const uint8_t*>(array.ArrayBuffer().Data()) + array.ByteOffset();
      std::memcpy(t.data_ptr(), src, bytes);
    }
    return TensorHandle::Wrap(info.Env(), std::move(t));
  });
}

Napi::Value SetNumThreads(const Napi::CallbackInfo& info) {
  const int n = info[0].As<Napi::Number>().Int32Value();
  if (n < 1) throw Napi::RangeError::New(info.Env(), "setNumThreads: need at least 1 thread");
  at::set_num_threads(n);
  return info.Env().Undefined();
}

Napi::Value GetNumThreads(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), at::get_num_threads());
}

// OpenBLAS's own thread count (its pthread pool, separate from ATen's): found by name in the loaded library, so a
// libtorch on another BLAS (MKL) simply reports 0 and ignores the setting.
struct OpenBlasThreadFns {
  void (*set)(int) = nullptr;
  int (*get)() = nullptr;
};

const OpenBlasThreadFns& OpenBlasThreads() {
  static const OpenBlasThreadFns fns = [] {
    void* lib = dlopen("libopenblas.so.0", RTLD_LAZY | RTLD_NOLOAD);
    const auto find = [lib](const char* name) {
      void* f = dlsym(RTLD_DEFAULT, name);
      return f == nullptr && lib != nullptr ? dlsym(lib, name) : f;
    };
    OpenBlasThreadFns out;
    out.set = reinterpret_cast<void (*)(int)>(find("openblas_set_num_threads"));
    out.get = reinterpret_cast<int (*)()>(find("openblas_get_num_threads"));
    if (out.set == nullptr || out.get == nullptr) out = {};
    return out;
  }();
  return fns;
}

// blasThreads() → OpenBLAS's thread count (0: not OpenBLAS); blasThreads(n) sets it and returns the previous one.
Napi::Value BlasThreads(const Napi::CallbackInfo& info) {
  const OpenBlasThreadFns& fns = OpenBlasThreads();
  if (fns.get == nullptr) return Napi::Number::New(info.Env(), 0);
  if (info.Length() == 0 || info[0].IsUndefined()) return Napi::Number::New(info.Env(), fns.get());
  const int n = info[0].As<Napi::Number>().Int32Value();
  if (n < 1) throw Napi::RangeError::New(info.Env(), "blasThreads: need at least 1 thread");
  return Napi::Number::New(info.Env(), SetBlasThreads(n));
}

Napi::Value ParallelInfo(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), at::get_parallel_info());
}

Napi::Value SetGradEnabled(const Napi::CallbackInfo& info) {
  const bool previous = c10::GradMode::is_enabled();
  c10::GradMode::set_enabled(info[0].ToBoolean().Value());
  return Napi::Boolean::New(info.Env(), previous);
}

Napi::Value IsGradEnabled(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), c10::GradMode::is_enabled());
}

// backward(tensors[], grads[] (null entries allowed), retainGraph, createGraph)
Napi::Value Backward(const Napi::CallbackInfo& info) {
  return Guarded(info.Env(), "backward", [&] {
    const Napi::Array outs = info[0].As<Napi::Array>();
    const Napi::Array grads = info[1].As<Napi::Array>();
    torch::autograd::variable_list tensors, gradients;
    for (uint32_t i = 0; i < outs.Length(); ++i) {
      tensors.push_back(TensorHandle::From(outs.Get(i), "backward"));
      const Napi::Value g = i < grads.Length() ? grads.Get(i) : info.Env().Undefined();
      gradients.push_back(g.IsNull() || g.IsUndefined() ? at::Tensor() : TensorHandle::From(g, "backward"));
    }
    const bool retain = info[2].ToBoolean().Value();
    const bool create = info[3].ToBoolean().Value();
    torch::autograd::backward(tensors, gradients, retain, create);
    return info.Env().Undefined();
  });
}

// Returns freed heap memory to the OS (glibc keeps it for reuse otherwise); true if any was released.
Napi::Value ReleaseFreeMemory(const Napi::CallbackInfo& info) {
#if defined(__GLIBC__)
  return Napi::Boolean::New(info.Env(), malloc_trim(0) != 0);
#else
  return Napi::Boolean::New(info.Env(), false);
#endif
}

Napi::Value LiveTensors(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(TensorHandle::LiveCount()));
}

Napi::Value Version(const Napi::CallbackInfo& info) {
  Napi::Object out = Napi::Object::New(info.Env());
  out.Set("torch", TORCH_VERSION);
  out.Set("napi", NAPI_VERSION);
  return out;
}

// ATen's default CPU allocator takes posix_memalign(64) blocks. glibc serves an aligned request only from a free chunk
// with room to align in, so a freed tensor block hemmed in by small live objects (the JS handles' native halves live
// until V8 collects them) is never reused for a tensor of the same size: each pass of a fit grew the heap and
// page-faulted fresh memory (7,600 faults, 30 MB, per covtype MLP fit). malloc(n + 64) aligned by hand is the
// request the freed block was made for, so glibc hands that block back.
class AlignedMallocAllocator final : public c10::Allocator {
 public:
  static constexpr uintptr_t kAlignment = 64;  // c10's gAlignment

  // [malloc'd block … | the block's address | data (aligned) …]: data is also the context, as raw_allocate() wants
  c10::DataPtr allocate(size_t nbytes) const override {
    const c10::Device cpu(c10::DeviceType::CPU);
    if (nbytes == 0) return {nullptr, nullptr, &Free, cpu};
    void* raw = std::malloc(nbytes + kAlignment + sizeof(void*));
    TORCH_CHECK(raw != nullptr, "CPU allocator: out of memory allocating ", nbytes, " bytes");
    const uintptr_t start = reinterpret_cast<uintptr_t>(raw) + sizeof(void*);
    void* data = reinterpret_cast<void*>((start + kAlignment - 1) & ~(kAlignment - 1));
    static_cast<void**>(data)[-1] = raw;
    return {data, data, &Free, cpu};
  }

  c10::DeleterFnPtr raw_deleter() const override { return &Free; }

 private:
  static void Free(void* data) {
    if (data != nullptr) std::free(static_cast<void**>(data)[-1]);
  }
};

// A training step frees and re-allocates tensors of the same sizes every step. glibc hands out
// blocks above 128 KiB as fresh mmap()s, so each step would page-fault and zero its activations
// again (a large share of a small model's step). Serving them from the heap, and not trimming it,
// lets freed blocks be reused. CFINIT_MALLOC_TUNING=0 keeps glibc's defaults.
void TuneAllocator() {
#if defined(__GLIBC__)
  const char* env = std::getenv("CFINIT_MALLOC_TUNING");
  if (env != nullptr && std::string(env) == "0") return;
  // One arena: tensors freed on the main thread after ATen's workers and Node's threads made glibc
  // open more arenas were not reused by the next allocation, so RSS climbed by an op's output size
  // per call in training loops (measured: +1.5 GB over 2,000 multiplies of 800 KB).
  if (std::getenv("MALLOC_ARENA_MAX") == nullptr) mallopt(M_ARENA_MAX, 1);
  mallopt(M_MMAP_THRESHOLD, 32 << 20);  // glibc's maximum on 64-bit
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  static AlignedMallocAllocator allocator;
  c10::SetCPUAllocator(&allocator, /*priority=*/1);
#endif
}

}  // namespace

int SetBlasThreads(int n) {
  const OpenBlasThreadFns& fns = OpenBlasThreads();
  if (fns.get == nullptr) return 0;
  const int previous = fns.get();
  if (n != previous) fns.set(n);
  return previous;
}

void InitRuntime(Napi::Env env, Napi::Object exports) {
  TuneAllocator();
  exports.Set("releaseFreeMemory", Napi::Function::New(env, ReleaseFreeMemory, "releaseFreeMemory"));
  exports.Set("liveTensors", Napi::Function::New(env, LiveTensors, "liveTensors"));
  exports.Set("fromBuffer", Napi::Function::New(env, FromBuffer, "fromBuffer"));
  exports.Set("setNumThreads", Napi::Function::New(env, SetNumThreads, "setNumThreads"));
  exports.Set("getNumThreads", Napi::Function::New(env, GetNumThreads, "getNumThreads"));
  exports.Set("blasThreads", Napi::Function::New(env, BlasThreads, "blasThreads"));
  exports.Set("parallelInfo", Napi::Function::New(env, ParallelInfo, "parallelInfo"));
  exports.Set("setGradEnabled", Napi::Function::New(env, SetGradEnabled, "setGradEnabled"));
  exports.Set("isGradEnabled", Napi::Function::New(env, IsGradEnabled, "isGradEnabled"));
  exports.Set("backward", Napi::Function::New(env, Backward, "backward"));
  exports.Set("version", Napi::Function::New(env, Version, "version"));
}

}  // namespace cfinit
