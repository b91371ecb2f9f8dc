#pragma once

#include <napi.h>

namespace cfinit {

void InitOps(Napi::Env env, Napi::Object exports);
void InitRuntime(Napi::Env env, Napi::Object exports);
void InitOptim(Napi::Env env, Napi::Object exports);
void InitAttention(Napi::Env env, Napi::Object exports);
void InitSpectral(Napi::Env env, Napi::Object exports);

}  // namespace cfinit
