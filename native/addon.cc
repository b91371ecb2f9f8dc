#include <napi.h>

#include "generator.h"
#include "ops.h"
#include "tensor.h"

namespace cfinit {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  TensorHandle::Init(env, exports);
  GeneratorHandle::Init(env, exports);
  InitOps(env, exports);
  InitRuntime(env, exports);
  InitOptim(env, exports);
  InitAttention(env, exports);
  InitSpectral(env, exports);
  return exports;
}

NODE_API_MODULE(cfinit_native, Init)

}  // namespace cfinit
