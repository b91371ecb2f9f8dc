// Calls ATen operators by schema name ("aten::add.Tensor"). Arguments are passed positionally as
// in the schema; trailing defaults may be omitted. Tensors and generators are unwrapped to their
// native handles here, and native tensor results are wrapped back by the registered wrapper.
import { native, type NativeGenerator, type NativeTensor } from './native.ts';

export interface HasNativeTensor {
  readonly native: NativeTensor;
}
export interface HasNativeGenerator {
  readonly nativeGenerator: NativeGenerator;
}

export type OpArg =
  HasNativeTensor | HasNativeGenerator | number | boolean | string | null | undefined | readonly OpArg[];

let wrapTensor: (handle: NativeTensor) => unknown = () => {
  throw new Error('cfinit: tensor wrapper not registered');
};

/** Registered once by tensor.ts; keeps this module free of an import cycle. */
export function registerTensorWrapper(wrap: (handle: NativeTensor) => unknown): void {
  wrapTensor = wrap;
}

function unwrap(arg: OpArg): unknown {
  if (arg === null || typeof arg !== 'object') return arg;
  if ('native' in arg) return arg.native;
  if ('nativeGenerator' in arg) return arg.nativeGenerator;
  if (Array.isArray(arg)) {
    return arg.length > 0 && typeof arg[0] === 'number' ? arg : arg.map(unwrap);
  }
  return arg;
}

function wrap(result: unknown): unknown {
  if (result instanceof native.TensorHandle) return wrapTensor(result as NativeTensor);
  if (Array.isArray(result)) return result.map(wrap);
  return result;
}

function resolve(qualified: string): number {
  const m = /^([a-z_]+::[A-Za-z0-9_]+)(?:\.([A-Za-z0-9_]+))?$/.exec(qualified);
  if (!m) throw new Error(`bad operator name '${qualified}'; expected e.g. 'aten::add.Tensor'`);
  return native.opId(m[1], m[2] ?? '');
}

/** An operator returning whatever its schema returns (tensors wrapped, tuples as arrays). */
export function op<R = unknown>(qualified: string): (...args: OpArg[]) => R {
  let id = -1;
  return (...args) => {
    if (id < 0) id = resolve(qualified);
    return wrap(native.callOp(id, args.map(unwrap))) as R;
  };
}

/** An in-place operator: its result (the mutated input) is not wrapped again. */
export function opInPlace(qualified: string): (...args: OpArg[]) => void {
  let id = -1;
  return (...args) => {
    if (id < 0) id = resolve(qualified);
    native.callOp(id, args.map(unwrap), true);
  };
}

/** Calls any operator once by name, e.g. callOp('aten::cumsum', x, 0). */
export function callOp<R = unknown>(qualified: string, ...args: OpArg[]): R {
  return wrap(native.callOp(resolve(qualified), args.map(unwrap))) as R;
}

/** The schema text of an operator, e.g. for error messages and docs. */
export function schemaOf(qualified: string): string {
  return native.opSchema(resolve(qualified));
}
