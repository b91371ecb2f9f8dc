// Creating tensors: from JS data, constants, ranges and random draws.
import { native } from './native.ts';
import { op } from './dispatch.ts';
import { dtypeCode, dtypeOfTypedArray, isFloating, type DType, type TypedArray } from './dtype.ts';
import { Tensor } from './tensor.ts';
import type { Generator } from './random.ts';

export interface CreateOptions {
  dtype?: DType;
  requiresGrad?: boolean;
}
export interface RandomOptions extends CreateOptions {
  generator?: Generator;
}

const aten = {
  empty: op<Tensor>('aten::empty.memory_format'),
  zeros: op<Tensor>('aten::zeros'),
  ones: op<Tensor>('aten::ones'),
  full: op<Tensor>('aten::full'),
  eye: op<Tensor>('aten::eye'),
  arange: op<Tensor>('aten::arange.start_step'),
  linspace: op<Tensor>('aten::linspace'),
  rand: op<Tensor>('aten::rand.generator'),
  randn: op<Tensor>('aten::randn.generator'),
  randint: op<Tensor>('aten::randint.low_generator'),
  randperm: op<Tensor>('aten::randperm.generator'),
  zerosLike: op<Tensor>('aten::zeros_like'),
  onesLike: op<Tensor>('aten::ones_like'),
  fullLike: op<Tensor>('aten::full_like'),
  randnLike: op<Tensor>('aten::randn_like'),
  stack: op<Tensor>('aten::stack'),
  cat: op<Tensor>('aten::cat'),
  where: op<Tensor>('aten::where.self'),
  whereScalarOther: op<Tensor>('aten::where.ScalarOther'),
  whereScalarSelf: op<Tensor>('aten::where.ScalarSelf'),
  whereScalar: op<Tensor>('aten::where.Scalar'),
};

function checkShape(shape: readonly number[], where: string): number[] {
  if (!Array.isArray(shape)) throw new TypeError(`${where}: shape must be an array of integers`);
  for (const [i, d] of shape.entries()) {
    if (!Number.isInteger(d) || d < 0)
      throw new TypeError(`${where}: shape[${i}] must be a non-negative integer, got ${d}`);
  }
  return [...shape];
}

function finish(t: Tensor, options: CreateOptions): Tensor {
  if (options.requiresGrad) t.requiresGrad_(true);
  return t;
}

function code(options: CreateOptions, fallback: DType = 'float32'): number {
  return dtypeCode(options.dtype ?? fallback);
}

/** A tensor with a copy of a typed array's elements. */
export function fromTypedArray(
  data: TypedArray,
  shape: readonly number[] = [data.length],
  options: CreateOptions = {},
): Tensor {
  const own = dtypeOfTypedArray(data);
  const t = new Tensor(native.fromBuffer(data, checkShape(shape, 'fromTypedArray'), dtypeCode(own)));
  if (options.dtype && options.dtype !== own) {
    const converted = t.to(options.dtype);
    t.dispose();
    return finish(converted, options);
  }
  return finish(t, options);
}

type Nested = number | boolean | readonly Nested[];

/** A tensor from (nested) JS numbers or a typed array; float32 unless dtype says otherwise. */
export function tensor(data: Nested | TypedArray, options: CreateOptions & { shape?: readonly number[] } = {}): Tensor {
  if (ArrayBuffer.isView(data)) {
    return fromTypedArray(data as TypedArray, options.shape ?? [(data as TypedArray).length], options);
  }
  const shape: number[] = [];
  let probe: Nested = data;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    probe = probe[0] as Nested;
    if (probe === undefined) break;
  }
  const flat: number[] = [];
  const walk = (value: Nested, depth: number, path: string): void => {
    if (depth === shape.length) {
      if (typeof value === 'boolean') flat.push(value ? 1 : 0);
      else if (typeof value === 'number') flat.push(value);
      else
        throw new TypeError(
          `tensor(): expected a number at ${path || 'the top level'}, got ${Array.isArray(value) ? 'an array' : typeof value}`,
        );
      return;
    }
    if (!Array.isArray(value) || value.length !== shape[depth]) {
      throw new TypeError(
        `tensor(): ragged data at ${path || 'the top level'}: expected an array of length ${shape[depth]}`,
      );
    }
    value.forEach((v, i) => walk(v as Nested, depth + 1, `${path}[${i}]`));
  };
  walk(data, 0, '');
  const dtype = options.dtype ?? 'float32';
  const shaped = options.shape ?? shape;
  let typed: TypedArray;
  if (dtype === 'float64') typed = Float64Array.from(flat);
  else if (dtype === 'int64') typed = BigInt64Array.from(flat, (x) => BigInt(Math.trunc(x)));
  else if (dtype === 'int32') typed = Int32Array.from(flat);
  else if (dtype === 'bool') typed = Uint8Array.from(flat, (x) => (x ? 1 : 0));
  else if (dtype === 'uint8') typed = Uint8Array.from(flat);
  else typed = Float32Array.from(flat);
  const t = new Tensor(
    native.fromBuffer(
      typed,
      checkShape(shaped, 'tensor'),
      dtypeCode(dtype === 'bool' ? 'bool' : dtypeOfTypedArray(typed)),
    ),
  );
  if (dtypeOfTypedArray(typed) !== dtype && dtype !== 'bool') {
    const converted = t.to(dtype);
    t.dispose();
    return finish(converted, options);
  }
  return finish(t, options);
}

export function scalarTensor(value: number, options: CreateOptions = {}): Tensor {
  return finish(aten.full([], value, code(options)), options);
}
export function empty(shape: readonly number[], options: CreateOptions = {}): Tensor {
  return finish(aten.empty(checkShape(shape, 'empty'), code(options)), options);
}
export function zeros(shape: readonly number[], options: CreateOptions = {}): Tensor {
  return finish(aten.zeros(checkShape(shape, 'zeros'), code(options)), options);
}
export function ones(shape: readonly number[], options: CreateOptions = {}): Tensor {
  return finish(aten.ones(checkShape(shape, 'ones'), code(options)), options);
}
export function full(shape: readonly number[], value: number, options: CreateOptions = {}): Tensor {
  return finish(aten.full(checkShape(shape, 'full'), value, code(options)), options);
}
export function zerosLike(t: Tensor, options: CreateOptions = {}): Tensor {
  return finish(aten.zerosLike(t, options.dtype ? dtypeCode(options.dtype) : null), options);
}
export function onesLike(t: Tensor, options: CreateOptions = {}): Tensor {
  return finish(aten.onesLike(t, options.dtype ? dtypeCode(options.dtype) : null), options);
}
export function fullLike(t: Tensor, value: number, options: CreateOptions = {}): Tensor {
  return finish(aten.fullLike(t, value, options.dtype ? dtypeCode(options.dtype) : null), options);
}
export function eye(n: number, options: CreateOptions = {}): Tensor {
  return finish(aten.eye(n, code(options)), options);
}
/** [start, end) with step; int64 when every argument is an integer and no dtype is given. */
export function arange(start: number, end?: number, step = 1, options: CreateOptions = {}): Tensor {
  const [lo, hi] = end === undefined ? [0, start] : [start, end];
  const integral = [lo, hi, step].every(Number.isInteger);
  return finish(aten.arange(lo, hi, step, code(options, integral ? 'int64' : 'float32')), options);
}
export function linspace(start: number, end: number, steps: number, options: CreateOptions = {}): Tensor {
  return finish(aten.linspace(start, end, steps, code(options)), options);
}

function floatCode(options: CreateOptions, where: string): number {
  const dtype = options.dtype ?? 'float32';
  if (!isFloating(dtype)) throw new TypeError(`${where}: dtype must be floating, got ${dtype}`);
  return dtypeCode(dtype);
}

/** Uniform [0, 1). */
export function rand(shape: readonly number[], options: RandomOptions = {}): Tensor {
  return finish(aten.rand(checkShape(shape, 'rand'), options.generator ?? null, floatCode(options, 'rand')), options);
}
/** Standard normal. */
export function randn(shape: readonly number[], options: RandomOptions = {}): Tensor {
  return finish(
    aten.randn(checkShape(shape, 'randn'), options.generator ?? null, floatCode(options, 'randn')),
    options,
  );
}
/** Integers uniform in [low, high); int64 by default. */
export function randint(low: number, high: number, shape: readonly number[], options: RandomOptions = {}): Tensor {
  return finish(
    aten.randint(low, high, checkShape(shape, 'randint'), options.generator ?? null, code(options, 'int64')),
    options,
  );
}
/** A random permutation of 0..n-1 (int64). */
export function randperm(n: number, options: RandomOptions = {}): Tensor {
  return finish(aten.randperm(n, options.generator ?? null, code(options, 'int64')), options);
}
export function randnLike(t: Tensor): Tensor {
  return aten.randnLike(t);
}

export function stack(tensors: readonly Tensor[], dim = 0): Tensor {
  return aten.stack([...tensors], dim);
}
export function cat(tensors: readonly Tensor[], dim = 0): Tensor {
  return aten.cat([...tensors], dim);
}
/** Elementwise condition ? a : b (either side may be a number). */
export function where(condition: Tensor, a: Tensor | number, b: Tensor | number): Tensor {
  if (a instanceof Tensor && b instanceof Tensor) return aten.where(condition, a, b);
  if (a instanceof Tensor) return aten.whereScalarOther(condition, a, b as number);
  if (b instanceof Tensor) return aten.whereScalarSelf(condition, a, b);
  return aten.whereScalar(condition, a, b);
}
