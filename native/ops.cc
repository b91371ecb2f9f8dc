// Any ATen operator, called by schema name through the boxed dispatcher. JS arguments are
// converted by the operator's own schema, so one conversion layer covers every op, and autograd
// comes for free: the dispatcher routes through the autograd kernels when inputs require grad.
#include "ops.h"

#include <ATen/core/dispatch/Dispatcher.h>
#include <cmath>
#include <string>
#include <unordered_map>
#include <vector>

#include "errors.h"
#include "generator.h"
#include "tensor.h"

namespace cfinit {

namespace {

struct OpEntry {
  c10::OperatorHandle handle;
  std::string label;  // "aten::add.Tensor", for error messages
};

std::vector<OpEntry>& Registry() {
  static std::vector<OpEntry> registry;
  return registry;
}

std::unordered_map<std::string, int>& RegistryIndex() {
  static std::unordered_map<std::string, int> index;
  return index;
}

struct ArgContext {
  const OpEntry& op;
  const c10::Argument& arg;
  std::string Where() const { return op.label + " argument '" + arg.name() + "'"; }
};

[[noreturn]] void Fail(const ArgContext& ctx, const std::string& expected, const Napi::Value& got) {
  std::string kind = got.IsNull() ? "null" : got.IsUndefined() ? "undefined" : got.IsArray() ? "array"
                   : got.IsNumber() ? "number" : got.IsString() ? "string" : got.IsBoolean() ? "boolean" : "object";
  throw Napi::TypeError::New(got.Env(), ctx.Where() + ": expected " + expected + ", got " + kind);
}

int64_t ToInt(const ArgContext& ctx, const Napi::Value& v) {
  if (v.IsBoolean()) return v.As<Napi::Boolean>().Value() ? 1 : 0;
  if (!v.IsNumber()) Fail(ctx, "an integer", v);
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || std::floor(d) != d) {
    throw Napi::TypeError::New(v.Env(), ctx.Where() + ": expected an integer, got " + std::to_string(d));
  }
  return static_cast<int64_t>(d);
}

double ToDouble(const ArgContext& ctx, const Napi::Value& v) {
  if (!v.IsNumber()) Fail(ctx, "a number", v);
  return v.As<Napi::Number>().DoubleValue();
}

// JS has one number type: integral values become integer Scalars (so int tensors stay int),
// everything else a double.
c10::Scalar ToScalar(const ArgContext& ctx, const Napi::Value& v) {
  if (v.IsBoolean()) return c10::Scalar(v.As<Napi::Boolean>().Value());
  if (!v.IsNumber()) Fail(ctx, "a number", v);
  const double d = v.As<Napi::Number>().DoubleValue();
  if (std::isfinite(d) && std::floor(d) == d && std::fabs(d) < 9007199254740992.0) {
    return c10::Scalar(static_cast<int64_t>(d));
  }
  return c10::Scalar(d);
}

c10::IValue ToIValue(const ArgContext& ctx, const Napi::Value& v, const c10::TypePtr& type);

c10::IValue ToList(const ArgContext& ctx, const Napi::Value& v, const c10::TypePtr& elem) {
  const auto kind = elem->kind();
  const bool intLike = kind == c10::TypeKind::IntType || kind == c10::TypeKind::SymIntType;
  if (v.IsNumber() && intLike) return c10::IValue(c10::List<int64_t>({ToInt(ctx, v)}));  // int[1] shorthand
  if (!v.IsArray()) Fail(ctx, "an array", v);
  const Napi::Array arr = v.As<Napi::Array>();
  const uint32_t n = arr.Length();
  if (intLike) {
    c10::List<int64_t> out;
    out.reserve(n);
    for (uint32_t i = 0; i < n; ++i) out.push_back(ToInt(ctx, arr.Get(i)));
    return out;
  }
  switch (kind) {
    case c10::TypeKind::FloatType: {
      c10::List<double> out;
      for (uint32_t i = 0; i < n; ++i) out.push_back(ToDouble(ctx, arr.Get(i)));
      return out;
    }
    case c10::TypeKind::BoolType: {
      c10::List<bool> out;
      for (uint32_t i = 0; i < n; ++i) out.push_back(arr.Get(i).ToBoolean().Value());
      return out;
    }
    case c10::TypeKind::TensorType: {
      c10::List<at::Tensor> out;
      out.reserve(n);
      for (uint32_t i = 0; i < n; ++i) out.push_back(TensorHandle::From(arr.Get(i), ctx.Where().c_str()));
      return out;
    }
    case c10::TypeKind::OptionalType: {
      if (elem->containedType(0)->kind() == c10::TypeKind::TensorType) {
        c10::List<c10::optional<at::Tensor>> out;
        for (uint32_t i = 0; i < n; ++i) {
          const Napi::Value item = arr.Get(i);
          if (item.IsNull() || item.IsUndefined()) out.push_back(c10::nullopt);
          else out.push_back(TensorHandle::From(item, ctx.Where().c_str()));
        }
        return out;
      }
      break;
    }
    default:
      break;
  }
  throw Napi::TypeError::New(v.Env(), ctx.Where() + ": unsupported list type " + elem->str());
}

c10::IValue ToIValue(const ArgContext& ctx, const Napi::Value& v, const c10::TypePtr& type) {
  switch (type->kind()) {
    case c10::TypeKind::TensorType:
      return TensorHandle::From(v, ctx.Where().c_str());
    case c10::TypeKind::OptionalType:
      if (v.IsNull() || v.IsUndefined()) return c10::IValue();
      return ToIValue(ctx, v, type->containedType(0));
    case c10::TypeKind::IntType:
    case c10::TypeKind::SymIntType:
    case c10::TypeKind::ScalarTypeType:
    case c10::TypeKind::LayoutType:
    case c10::TypeKind::MemoryFormatType:
      return ToInt(ctx, v);
    case c10::TypeKind::FloatType:
      return ToDouble(ctx, v);
    case c10::TypeKind::BoolType:
      if (!v.IsBoolean()) Fail(ctx, "a boolean", v);
      return v.As<Napi::Boolean>().Value();
    case c10::TypeKind::NumberType:
      return ToScalar(ctx, v);
    case c10::TypeKind::StringType:
      if (!v.IsString()) Fail(ctx, "a string", v);
      return v.As<Napi::String>().Utf8Value();
    case c10::TypeKind::ListType:
      return ToList(ctx, v, type->containedType(0));
    case c10::TypeKind::GeneratorType:
      return GeneratorHandle::From(v, ctx.Where().c_str());
    case c10::TypeKind::DeviceObjType:
      if (!v.IsString()) Fail(ctx, "a device string", v);
      return c10::Device(v.As<Napi::String>().Utf8Value());
    default:
      throw Napi::TypeError::New(v.Env(), ctx.Where() + ": unsupported argument type " + type->str());
  }
}

Napi::Value FromIValue(Napi::Env env, c10::IValue&& v) {
  if (v.isTensor()) return TensorHandle::Wrap(env, std::move(v).toTensor());
  if (v.isNone()) return env.Null();
  if (v.isDouble()) return Napi::Number::New(env, v.toDouble());
  if (v.isInt()) return Napi::Number::New(env, static_cast<double>(v.toInt()));
  if (v.isBool()) return Napi::Boolean::New(env, v.toBool());
  if (v.isString()) return Napi::String::New(env, v.toStringRef());
  if (v.isTensorList()) {
    auto list = std::move(v).toTensorList();
    Napi::Array out = Napi::Array::New(env, list.size());
    for (size_t i = 0; i < list.size(); ++i) out.Set(i, TensorHandle::Wrap(env, list.get(i)));
    return out;
  }
  if (v.isTuple()) {
    auto tuple = std::move(v).toTuple();
    const auto& elems = tuple->elements();
    Napi::Array out = Napi::Array::New(env, elems.size());
    for (size_t i = 0; i < elems.size(); ++i) out.Set(i, FromIValue(env, c10::IValue(elems[i])));
    return out;
  }
  if (v.isList()) {
    auto list = std::move(v).toList();
    Napi::Array out = Napi::Array::New(env, list.size());
    for (size_t i = 0; i < list.size(); ++i) out.Set(i, FromIValue(env, list.get(i)));
    return out;
  }
  if (v.isScalar()) return Napi::Number::New(env, v.toScalar().toDouble());
  throw Napi::TypeError::New(env, "unsupported operator result type " + v.tagKind());
}

// opId(name, overload) -> integer id; lookups by string happen once per op, not per call.
Napi::Value OpId(const Napi::CallbackInfo& info) {
  return Guarded(info.Env(), "opId", [&]() -> Napi::Value {
    const std::string name = info[0].As<Napi::String>().Utf8Value();
    const std::string overload = info.Length() > 1 && info[1].IsString() ? info[1].As<Napi::String>().Utf8Value() : "";
    const std::string key = name + "." + overload;
    auto& index = RegistryIndex();
    auto found = index.find(key);
    if (found != index.end()) return Napi::Number::New(info.Env(), found->second);
    auto handle = c10::Dispatcher::singleton().findSchema({name, overload});
    if (!handle) {
      throw std::runtime_error("no ATen operator " + name + (overload.empty() ? "" : "." + overload));
    }
    Registry().push_back(OpEntry{*handle, overload.empty() ? name : name + "." + overload});
    const int id = static_cast<int>(Registry().size() - 1);
    index.emplace(key, id);
    return Napi::Number::New(info.Env(), id);
  });
}

// callOp(id, args[], discardResult?) -> result (one value, or an array for several returns)
Napi::Value CallOp(const Napi::CallbackInfo& info) {
  const int id = info[0].As<Napi::Number>().Int32Value();
  auto& registry = Registry();
  if (id < 0 || static_cast<size_t>(id) >= registry.size()) {
    throw Napi::RangeError::New(info.Env(), "callOp: unknown operator id");
  }
  const OpEntry& op = registry[id];
  return Guarded(info.Env(), op.label.c_str(), [&]() -> Napi::Value {
    const Napi::Array args = info[1].As<Napi::Array>();
    const bool discard = info.Length() > 2 && info[2].ToBoolean().Value();
    const auto& schema = op.handle.schema();
    const auto& params = schema.arguments();
    const uint32_t given = args.Length();
    if (given > params.size()) {
      throw std::runtime_error("expected at most " + std::to_string(params.size()) + " arguments, got " +
                               std::to_string(given));
    }
    torch::jit::Stack stack;
    stack.reserve(params.size());
    for (size_t i = 0; i < params.size(); ++i) {
      const c10::Argument& param = params[i];
      const Napi::Value v = i < given ? args.Get(static_cast<uint32_t>(i)) : info.Env().Undefined();
      if (!v.IsUndefined()) {
        stack.emplace_back(ToIValue(ArgContext{op, param}, v, param.type()));
      } else if (param.default_value()) {
        stack.emplace_back(*param.default_value());
      } else if (param.type()->kind() == c10::TypeKind::OptionalType) {
        stack.emplace_back();
      } else {
        throw std::runtime_error("missing argument '" + param.name() + "'");
      }
    }
    op.handle.callBoxed(&stack);
    if (discard) return info.Env().Undefined();
    if (stack.size() == 1) return FromIValue(info.Env(), std::move(stack[0]));
    Napi::Array out = Napi::Array::New(info.Env(), stack.size());
    for (size_t i = 0; i < stack.size(); ++i) out.Set(i, FromIValue(info.Env(), std::move(stack[i])));
    return out;
  });
}

// opSchema(id) -> the schema text, for diagnostics and generated docs.
Napi::Value OpSchema(const Napi::CallbackInfo& info) {
  const int id = info[0].As<Napi::Number>().Int32Value();
  auto& registry = Registry();
  if (id < 0 || static_cast<size_t>(id) >= registry.size()) {
    throw Napi::RangeError::New(info.Env(), "opSchema: unknown operator id");
  }
  return Napi::String::New(info.Env(), c10::toString(registry[id].handle.schema()));
}

}  // namespace

void InitOps(Napi::Env env, Napi::Object exports) {
  exports.Set("opId", Napi::Function::New(env, OpId, "opId"));
  exports.Set("callOp", Napi::Function::New(env, CallOp, "callOp"));
  exports.Set("opSchema", Napi::Function::New(env, OpSchema, "opSchema"));
}

}  // namespace cfinit
