// Every entry point converts C++ exceptions (c10::Error from libtorch included) into JS errors,
// so bad input never takes the process down.
#pragma once

#include <napi.h>
#include <c10/util/Exception.h>
#include <string>

namespace cfinit {

inline std::string FirstLines(const std::string& message) {
  // libtorch appends C++ backtraces; users need the sentence, not the frames.
  const auto cut = message.find("\nException raised from");
  return cut == std::string::npos ? message : message.substr(0, cut);
}

template <typename Fn>
Napi::Value Guarded(Napi::Env env, const char* where, Fn&& fn) {
  try {
    return fn();
  } catch (const Napi::Error&) {
    throw;
  } catch (const c10::Error& e) {
    throw Napi::Error::New(env, std::string(where) + ": " + FirstLines(e.what_without_backtrace()));
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, std::string(where) + ": " + FirstLines(e.what()));
  }
}

}  // namespace cfinit
