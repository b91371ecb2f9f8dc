// The ergonomic Tensor: PyTorch-shaped methods over one native at::Tensor handle.
import { native, type NativeTensor } from './native.ts';
import { op, opInPlace, registerTensorWrapper, type OpArg } from './dispatch.ts';
import { dtypeCode, dtypeFromCode, type DType, type TypedArray } from './dtype.ts';
import { track } from './scope.ts';
import type { Generator } from './random.ts';

export type TensorOrScalar = Tensor | number;
type Dims = number | readonly number[];

const T = <R = Tensor>(name: string) => op<R>(name);

const ops = {
  add: T('aten::add.Tensor'),
  addS: T('aten::add.Scalar'),
  sub: T('aten::sub.Tensor'),
  subS: T('aten::sub.Scalar'),
  rsubS: T('aten::rsub.Scalar'),
  mul: T('aten::mul.Tensor'),
  mulS: T('aten::mul.Scalar'),
  div: T('aten::div.Tensor'),
  divS: T('aten::div.Scalar'),
  pow: T('aten::pow.Tensor_Tensor'),
  powS: T('aten::pow.Tensor_Scalar'),
  remainder: T('aten::remainder.Tensor'),
  remainderS: T('aten::remainder.Scalar'),
  maximum: T('aten::maximum'),
  minimum: T('aten::minimum'),
  neg: T('aten::neg'),
  sqrt: T('aten::sqrt'),
  rsqrt: T('aten::rsqrt'),
  exp: T('aten::exp'),
  log: T('aten::log'),
  log1p: T('aten::log1p'),
  abs: T('aten::abs'),
  sign: T('aten::sign'),
  square: T('aten::square'),
  reciprocal: T('aten::reciprocal'),
  floor: T('aten::floor'),
  ceil: T('aten::ceil'),
  round: T('aten::round'),
  relu: T('aten::relu'),
  gelu: T('aten::gelu'),
  sigmoid: T('aten::sigmoid'),
  tanh: T('aten::tanh'),
  sin: T('aten::sin'),
  cos: T('aten::cos'),
  clamp: T('aten::clamp'),
  isfinite: T('aten::isfinite'),
  isnan: T('aten::isnan'),
  logicalNot: T('aten::logical_not'),
  logicalAnd: T('aten::logical_and'),
  logicalOr: T('aten::logical_or'),
  eq: T('aten::eq.Tensor'),
  eqS: T('aten::eq.Scalar'),
  ne: T('aten::ne.Tensor'),
  neS: T('aten::ne.Scalar'),
  lt: T('aten::lt.Tensor'),
  ltS: T('aten::lt.Scalar'),
  le: T('aten::le.Tensor'),
  leS: T('aten::le.Scalar'),
  gt: T('aten::gt.Tensor'),
  gtS: T('aten::gt.Scalar'),
  ge: T('aten::ge.Tensor'),
  geS: T('aten::ge.Scalar'),
  sumAll: T('aten::sum'),
  sumDim: T('aten::sum.dim_IntList'),
  meanAll: T('aten::mean'),
  meanDim: T('aten::mean.dim'),
  maxAll: T('aten::max'),
  maxDim: T<[Tensor, Tensor]>('aten::max.dim'),
  minAll: T('aten::min'),
  minDim: T<[Tensor, Tensor]>('aten::min.dim'),
  argmax: T('aten::argmax'),
  argmin: T('aten::argmin'),
  varDim: T('aten::var.dim'),
  stdDim: T('aten::std.dim'),
  logsumexp: T('aten::logsumexp'),
  vectorNorm: T('aten::linalg_vector_norm'),
  prod: T('aten::prod'),
  cumsum: T('aten::cumsum'),
  all: T('aten::all'),
  any: T('aten::any'),
  reshape: T('aten::reshape'),
  view: T('aten::view'),
  permute: T('aten::permute'),
  transpose: T('aten::transpose.int'),
  unsqueeze: T('aten::unsqueeze'),
  squeeze: T('aten::squeeze'),
  squeezeDim: T('aten::squeeze.dim'),
  expand: T('aten::expand'),
  flatten: T('aten::flatten.using_ints'),
  narrow: T('aten::narrow'),
  slice: T('aten::slice.Tensor'),
  select: T('aten::select.int'),
  indexSelect: T('aten::index_select'),
  gather: T('aten::gather'),
  index: T('aten::index.Tensor'),
  maskedFillS: T('aten::masked_fill.Scalar'),
  maskedFill: T('aten::masked_fill.Tensor'),
  chunk: T<Tensor[]>('aten::chunk'),
  unbind: T<Tensor[]>('aten::unbind.int'),
  split: T<Tensor[]>('aten::split.Tensor'),
  splitSizes: T<Tensor[]>('aten::split_with_sizes'),
  contiguous: T('aten::contiguous'),
  repeat: T('aten::repeat'),
  flip: T('aten::flip'),
  tril: T('aten::tril'),
  triu: T('aten::triu'),
  diagonal: T('aten::diagonal'),
  diagEmbed: T('aten::diag_embed'),
  outer: T('aten::outer'),
  matmul: T('aten::matmul'),
  mm: T('aten::mm'),
  bmm: T('aten::bmm'),
  toDtype: T('aten::to.dtype'),
  clone: T('aten::clone'),
  detach: T('aten::detach'),
  sort: T<[Tensor, Tensor]>('aten::sort'),
  topk: T<[Tensor, Tensor]>('aten::topk'),
  add_: opInPlace('aten::add_.Tensor'),
  addS_: opInPlace('aten::add_.Scalar'),
  sub_: opInPlace('aten::sub_.Tensor'),
  subS_: opInPlace('aten::sub_.Scalar'),
  mul_: opInPlace('aten::mul_.Tensor'),
  mulS_: opInPlace('aten::mul_.Scalar'),
  div_: opInPlace('aten::div_.Tensor'),
  divS_: opInPlace('aten::div_.Scalar'),
  clamp_: opInPlace('aten::clamp_'),
  zero_: opInPlace('aten::zero_'),
  fillS_: opInPlace('aten::fill_.Scalar'),
  copy_: opInPlace('aten::copy_'),
  addcmul_: opInPlace('aten::addcmul_'),
  addmm_: opInPlace('aten::addmm_'),
  relu_: opInPlace('aten::relu_'),
  addcdiv_: opInPlace('aten::addcdiv_'),
  uniform_: opInPlace('aten::uniform_'),
  normal_: opInPlace('aten::normal_'),
  requiresGrad_: opInPlace('aten::requires_grad_'),
};

function dimList(dim: Dims): number[] {
  return typeof dim === 'number' ? [dim] : [...dim];
}

export class Tensor {
  readonly native: NativeTensor;
  private cachedShape: number[] | undefined;

  constructor(handle: NativeTensor) {
    this.native = handle;
    track(this);
  }

  // ---- metadata -------------------------------------------------------------------------------
  get shape(): number[] {
    return (this.cachedShape ??= this.native.shape());
  }
  get ndim(): number {
    return this.shape.length;
  }
  get dtype(): DType {
    return dtypeFromCode(this.native.dtype());
  }
  numel(): number {
    return this.native.numel();
  }
  size(dim: number): number {
    const shape = this.shape;
    const d = dim < 0 ? dim + shape.length : dim;
    if (d < 0 || d >= shape.length) throw new RangeError(`size(${dim}): tensor has ${shape.length} dims`);
    return shape[d];
  }
  get isDisposed(): boolean {
    return this.native.isDisposed();
  }
  dispose(): void {
    this.native.dispose();
  }
  toString(): string {
    return `Tensor(shape=[${this.shape.join(', ')}], dtype=${this.dtype})`;
  }

  // ---- reading values -------------------------------------------------------------------------
  item(): number {
    const v = this.native.item();
    return typeof v === 'boolean' ? Number(v) : v;
  }
  private bufferAs(dtype: DType): ArrayBuffer {
    if (this.dtype === dtype) return this.native.toBuffer();
    const converted = ops.toDtype(this.detach(), dtypeCode(dtype));
    try {
      return converted.native.toBuffer();
    } finally {
      converted.dispose();
    }
  }
  toFloat32Array(): Float32Array {
    return new Float32Array(this.bufferAs('float32'));
  }
  toFloat64Array(): Float64Array {
    return new Float64Array(this.bufferAs('float64'));
  }
  toInt32Array(): Int32Array {
    return new Int32Array(this.bufferAs('int32'));
  }
  toBigInt64Array(): BigInt64Array {
    return new BigInt64Array(this.bufferAs('int64'));
  }
  toUint8Array(): Uint8Array {
    return new Uint8Array(this.bufferAs(this.dtype === 'bool' ? 'bool' : 'uint8'));
  }
  /** The raw elements in this tensor's own dtype (bool as Uint8Array). */
  toTypedArray(): TypedArray {
    const buffer = this.native.toBuffer();
    switch (this.dtype) {
      case 'float32':
        return new Float32Array(buffer);
      case 'float64':
        return new Float64Array(buffer);
      case 'int64':
        return new BigInt64Array(buffer);
      case 'int32':
        return new Int32Array(buffer);
      case 'int16':
        return new Int16Array(buffer);
      case 'int8':
        return new Int8Array(buffer);
      case 'uint8':
      case 'bool':
        return new Uint8Array(buffer);
      default:
        return new Float32Array(this.bufferAs('float32'));
    }
  }
  /** All elements, row-major, as JS numbers (float64 precision). */
  toArray(): number[] {
    return Array.from(this.toFloat64Array());
  }
  /** Nested arrays shaped like the tensor. */
  tolist(): unknown {
    const flat = this.toArray();
    const build = (dim: number, offset: number): unknown => {
      if (dim === this.ndim) return flat[offset];
      const stride = this.shape.slice(dim + 1).reduce((a, b) => a * b, 1);
      return Array.from({ length: this.shape[dim] }, (_, i) => build(dim + 1, offset + i * stride));
    };
    return build(0, 0);
  }

  // ---- dtype and copies -----------------------------------------------------------------------
  to(dtype: DType): Tensor {
    return ops.toDtype(this, dtypeCode(dtype));
  }
  float(): Tensor {
    return this.to('float32');
  }
  double(): Tensor {
    return this.to('float64');
  }
  long(): Tensor {
    return this.to('int64');
  }
  int(): Tensor {
    return this.to('int32');
  }
  bool(): Tensor {
    return this.to('bool');
  }
  clone(): Tensor {
    return ops.clone(this);
  }
  contiguous(): Tensor {
    return ops.contiguous(this);
  }
  detach(): Tensor {
    return ops.detach(this);
  }

  // ---- autograd -------------------------------------------------------------------------------
  get requiresGrad(): boolean {
    return this.native.requiresGrad();
  }
  requiresGrad_(requiresGrad = true): this {
    this.native.setRequiresGrad(requiresGrad);
    return this;
  }
  get isLeaf(): boolean {
    return this.native.isLeaf();
  }
  /** The accumulated gradient (a new handle on it), or null. */
  get grad(): Tensor | null {
    const g = this.native.grad();
    return g ? new Tensor(g) : null;
  }
  set grad(value: Tensor | null) {
    this.native.setGrad(value ? value.native : null);
  }
  backward(gradient?: Tensor, options: { retainGraph?: boolean; createGraph?: boolean } = {}): void {
    native.backward(
      [this.native],
      [gradient ? gradient.native : null],
      options.retainGraph ?? false,
      options.createGraph ?? false,
    );
  }

  // ---- elementwise math -----------------------------------------------------------------------
  add(other: TensorOrScalar, alpha = 1): Tensor {
    return other instanceof Tensor ? ops.add(this, other, alpha) : ops.addS(this, other, alpha);
  }
  sub(other: TensorOrScalar, alpha = 1): Tensor {
    return other instanceof Tensor ? ops.sub(this, other, alpha) : ops.subS(this, other, alpha);
  }
  /** other - this */
  rsub(other: number): Tensor {
    return ops.rsubS(this, other, 1);
  }
  mul(other: TensorOrScalar): Tensor {
    return other instanceof Tensor ? ops.mul(this, other) : ops.mulS(this, other);
  }
  div(other: TensorOrScalar): Tensor {
    return other instanceof Tensor ? ops.div(this, other) : ops.divS(this, other);
  }
  pow(exponent: TensorOrScalar): Tensor {
    return exponent instanceof Tensor ? ops.pow(this, exponent) : ops.powS(this, exponent);
  }
  remainder(other: TensorOrScalar): Tensor {
    return other instanceof Tensor ? ops.remainder(this, other) : ops.remainderS(this, other);
  }
  maximum(other: TensorOrScalar): Tensor {
    return other instanceof Tensor ? ops.maximum(this, other) : ops.clamp(this, other, null);
  }
  minimum(other: TensorOrScalar): Tensor {
    return other instanceof Tensor ? ops.minimum(this, other) : ops.clamp(this, null, other);
  }
  neg(): Tensor {
    return ops.neg(this);
  }
  sqrt(): Tensor {
    return ops.sqrt(this);
  }
  rsqrt(): Tensor {
    return ops.rsqrt(this);
  }
  exp(): Tensor {
    return ops.exp(this);
  }
  log(): Tensor {
    return ops.log(this);
  }
  log1p(): Tensor {
    return ops.log1p(this);
  }
  abs(): Tensor {
    return ops.abs(this);
  }
  sign(): Tensor {
    return ops.sign(this);
  }
  square(): Tensor {
    return ops.square(this);
  }
  reciprocal(): Tensor {
    return ops.reciprocal(this);
  }
  floor(): Tensor {
    return ops.floor(this);
  }
  ceil(): Tensor {
    return ops.ceil(this);
  }
  round(): Tensor {
    return ops.round(this);
  }
  relu(): Tensor {
    return ops.relu(this);
  }
  /** approximate: 'none' (erf, PyTorch's default) or 'tanh'. */
  gelu(approximate: 'none' | 'tanh' = 'none'): Tensor {
    return ops.gelu(this, approximate);
  }
  sigmoid(): Tensor {
    return ops.sigmoid(this);
  }
  tanh(): Tensor {
    return ops.tanh(this);
  }
  sin(): Tensor {
    return ops.sin(this);
  }
  cos(): Tensor {
    return ops.cos(this);
  }
  clamp(min: number | null, max: number | null = null): Tensor {
    return ops.clamp(this, min, max);
  }
  clampMin(min: number): Tensor {
    return ops.clamp(this, min, null);
  }
  clampMax(max: number): Tensor {
    return ops.clamp(this, null, max);
  }
  isfinite(): Tensor {
    return ops.isfinite(this);
  }
  isnan(): Tensor {
    return ops.isnan(this);
  }
  logicalNot(): Tensor {
    return ops.logicalNot(this);
  }
  logicalAnd(other: Tensor): Tensor {
    return ops.logicalAnd(this, other);
  }
  logicalOr(other: Tensor): Tensor {
    return ops.logicalOr(this, other);
  }

  // ---- comparisons ----------------------------------------------------------------------------
  eq(other: TensorOrScalar): Tensor {
    return other instanceof Tensor ? ops.eq(this, other) : ops.eqS(this, other);
  }
  ne(other: TensorOrScalar): Tensor {
    return other instanceof Tensor ? ops.ne(this, other) : ops.neS(this, other);
  }
  lt(other: TensorOrScalar): Tensor {
    return other instanceof Tensor ? ops.lt(this, other) : ops.ltS(this, other);
  }
  le(other: TensorOrScalar): Tensor {
    return other instanceof Tensor ? ops.le(this, other) : ops.leS(this, other);
  }
  gt(other: TensorOrScalar): Tensor {
    return other instanceof Tensor ? ops.gt(this, other) : ops.gtS(this, other);
  }
  ge(other: TensorOrScalar): Tensor {
    return other instanceof Tensor ? ops.ge(this, other) : ops.geS(this, other);
  }

  // ---- reductions -----------------------------------------------------------------------------
  sum(dim?: Dims, keepdim = false, dtype?: DType): Tensor {
    const code = dtype ? dtypeCode(dtype) : null;
    return dim === undefined ? ops.sumAll(this, code) : ops.sumDim(this, dimList(dim), keepdim, code);
  }
  mean(dim?: Dims, keepdim = false, dtype?: DType): Tensor {
    const code = dtype ? dtypeCode(dtype) : null;
    return dim === undefined ? ops.meanAll(this, code) : ops.meanDim(this, dimList(dim), keepdim, code);
  }
  /** The maximum of all elements. */
  max(): Tensor;
  /** Values and indices of the maximum along a dim. */
  max(dim: number, keepdim?: boolean): { values: Tensor; indices: Tensor };
  max(dim?: number, keepdim = false): Tensor | { values: Tensor; indices: Tensor } {
    if (dim === undefined) return ops.maxAll(this);
    const [values, indices] = ops.maxDim(this, dim, keepdim);
    return { values, indices };
  }
  min(): Tensor;
  min(dim: number, keepdim?: boolean): { values: Tensor; indices: Tensor };
  min(dim?: number, keepdim = false): Tensor | { values: Tensor; indices: Tensor } {
    if (dim === undefined) return ops.minAll(this);
    const [values, indices] = ops.minDim(this, dim, keepdim);
    return { values, indices };
  }
  argmax(dim?: number, keepdim = false): Tensor {
    return ops.argmax(this, dim ?? null, keepdim);
  }
  argmin(dim?: number, keepdim = false): Tensor {
    return ops.argmin(this, dim ?? null, keepdim);
  }
  /** Variance; unbiased (Bessel-corrected) by default like PyTorch. */
  var(dim?: Dims, options: { unbiased?: boolean; keepdim?: boolean } = {}): Tensor {
    return ops.varDim(
      this,
      dim === undefined ? null : dimList(dim),
      options.unbiased ?? true,
      options.keepdim ?? false,
    );
  }
  std(dim?: Dims, options: { unbiased?: boolean; keepdim?: boolean } = {}): Tensor {
    return ops.stdDim(
      this,
      dim === undefined ? null : dimList(dim),
      options.unbiased ?? true,
      options.keepdim ?? false,
    );
  }
  logsumexp(dim: Dims, keepdim = false): Tensor {
    return ops.logsumexp(this, dimList(dim), keepdim);
  }
  /** Vector p-norm over dims (all elements when dim is omitted). */
  norm(p = 2, dim?: Dims, keepdim = false): Tensor {
    return ops.vectorNorm(this, p, dim === undefined ? null : dimList(dim), keepdim, null);
  }
  prod(dtype?: DType): Tensor {
    return ops.prod(this, dtype ? dtypeCode(dtype) : null);
  }
  cumsum(dim: number): Tensor {
    return ops.cumsum(this, dim);
  }
  all(): Tensor {
    return ops.all(this);
  }
  any(): Tensor {
    return ops.any(this);
  }
  sort(dim = -1, descending = false): { values: Tensor; indices: Tensor } {
    const [values, indices] = ops.sort(this, dim, descending);
    return { values, indices };
  }
  topk(k: number, dim = -1, largest = true, sorted = true): { values: Tensor; indices: Tensor } {
    const [values, indices] = ops.topk(this, k, dim, largest, sorted);
    return { values, indices };
  }

  // ---- shape ----------------------------------------------------------------------------------
  reshape(...shape: number[] | [readonly number[]]): Tensor {
    return ops.reshape(this, flatShape(shape));
  }
  view(...shape: number[] | [readonly number[]]): Tensor {
    return ops.view(this, flatShape(shape));
  }
  permute(...dims: number[] | [readonly number[]]): Tensor {
    return ops.permute(this, flatShape(dims));
  }
  transpose(dim0: number, dim1: number): Tensor {
    return ops.transpose(this, dim0, dim1);
  }
  /** Transpose of a matrix. */
  t(): Tensor {
    if (this.ndim !== 2) throw new Error(`t() expects a 2-D tensor, got shape [${this.shape}]`);
    return ops.transpose(this, 0, 1);
  }
  /** Swaps the last two dims. */
  mT(): Tensor {
    return ops.transpose(this, -2, -1);
  }
  unsqueeze(dim: number): Tensor {
    return ops.unsqueeze(this, dim);
  }
  squeeze(dim?: number): Tensor {
    return dim === undefined ? ops.squeeze(this) : ops.squeezeDim(this, dim);
  }
  expand(...shape: number[] | [readonly number[]]): Tensor {
    return ops.expand(this, flatShape(shape), false);
  }
  expandAs(other: Tensor): Tensor {
    return ops.expand(this, other.shape, false);
  }
  flatten(startDim = 0, endDim = -1): Tensor {
    return ops.flatten(this, startDim, endDim);
  }
  narrow(dim: number, start: number, length: number): Tensor {
    return ops.narrow(this, dim, start, length);
  }
  /** Python's x[start:end:step] along dim; end may be omitted. */
  slice(dim: number, start: number, end?: number, step = 1): Tensor {
    return ops.slice(this, dim, start, end ?? null, step);
  }
  select(dim: number, index: number): Tensor {
    return ops.select(this, dim, index);
  }
  indexSelect(dim: number, index: Tensor): Tensor {
    return ops.indexSelect(this, dim, index);
  }
  gather(dim: number, index: Tensor): Tensor {
    return ops.gather(this, dim, index, false);
  }
  /** Advanced indexing x[i0, i1, ...] with tensors (null keeps a dim whole). */
  index(indices: readonly (Tensor | null)[]): Tensor {
    return ops.index(this, indices as OpArg[]);
  }
  maskedFill(mask: Tensor, value: TensorOrScalar): Tensor {
    return value instanceof Tensor ? ops.maskedFill(this, mask, value) : ops.maskedFillS(this, mask, value);
  }
  chunk(chunks: number, dim = 0): Tensor[] {
    return ops.chunk(this, chunks, dim);
  }
  /** The slices along dim as views; backward is one stack (three selects would each scatter into zeros). */
  unbind(dim = 0): Tensor[] {
    return ops.unbind(this, dim);
  }
  split(size: number | readonly number[], dim = 0): Tensor[] {
    return typeof size === 'number' ? ops.split(this, size, dim) : ops.splitSizes(this, [...size], dim);
  }
  repeat(...repeats: number[] | [readonly number[]]): Tensor {
    return ops.repeat(this, flatShape(repeats));
  }
  flip(dims: Dims): Tensor {
    return ops.flip(this, dimList(dims));
  }
  tril(diagonal = 0): Tensor {
    return ops.tril(this, diagonal);
  }
  triu(diagonal = 0): Tensor {
    return ops.triu(this, diagonal);
  }
  diagonal(offset = 0, dim1 = 0, dim2 = 1): Tensor {
    return ops.diagonal(this, offset, dim1, dim2);
  }
  diagEmbed(): Tensor {
    return ops.diagEmbed(this, 0, -2, -1);
  }
  outer(other: Tensor): Tensor {
    return ops.outer(this, other);
  }

  // ---- products -------------------------------------------------------------------------------
  matmul(other: Tensor): Tensor {
    return ops.matmul(this, other);
  }
  mm(other: Tensor): Tensor {
    return ops.mm(this, other);
  }
  bmm(other: Tensor): Tensor {
    return ops.bmm(this, other);
  }

  // ---- in place (outside autograd on leaves that require grad, as in PyTorch) ----------------------
  add_(other: TensorOrScalar, alpha = 1): this {
    if (other instanceof Tensor) ops.add_(this, other, alpha);
    else ops.addS_(this, other, alpha);
    return this;
  }
  sub_(other: TensorOrScalar, alpha = 1): this {
    if (other instanceof Tensor) ops.sub_(this, other, alpha);
    else ops.subS_(this, other, alpha);
    return this;
  }
  mul_(other: TensorOrScalar): this {
    if (other instanceof Tensor) ops.mul_(this, other);
    else ops.mulS_(this, other);
    return this;
  }
  div_(other: TensorOrScalar): this {
    if (other instanceof Tensor) ops.div_(this, other);
    else ops.divS_(this, other);
    return this;
  }
  clamp_(min: number | null, max: number | null = null): this {
    ops.clamp_(this, min, max);
    return this;
  }
  zero_(): this {
    ops.zero_(this);
    return this;
  }
  fill_(value: number): this {
    ops.fillS_(this, value);
    return this;
  }
  copy_(source: Tensor): this {
    ops.copy_(this, source, false);
    return this;
  }
  addcmul_(t1: Tensor, t2: Tensor, value = 1): this {
    ops.addcmul_(this, t1, t2, value);
    return this;
  }
  addcdiv_(t1: Tensor, t2: Tensor, value = 1): this {
    ops.addcdiv_(this, t1, t2, value);
    return this;
  }
  /** this ← beta · this + alpha · (m1 m2), one gemm writing into this. */
  addmm_(m1: Tensor, m2: Tensor, beta = 1, alpha = 1): this {
    ops.addmm_(this, m1, m2, beta, alpha);
    return this;
  }
  relu_(): this {
    ops.relu_(this);
    return this;
  }
  /** Fills with U(low, high) drawn from generator (the global stream when omitted). */
  uniform_(low = 0, high = 1, generator?: Generator): this {
    ops.uniform_(this, low, high, generator ?? null);
    return this;
  }
  /** Fills with N(mean, std²) drawn from generator (the global stream when omitted). */
  normal_(mean = 0, std = 1, generator?: Generator): this {
    ops.normal_(this, mean, std, generator ?? null);
    return this;
  }
  sameStorage(other: Tensor): boolean {
    return this.native.sameStorage(other.native);
  }
}

function flatShape(args: number[] | [readonly number[]]): number[] {
  return args.length === 1 && Array.isArray(args[0]) ? [...(args[0] as readonly number[])] : (args as number[]);
}

registerTensorWrapper((handle) => new Tensor(handle));

export const tensorOps = ops;
