// Weight initialisation with PyTorch's defaults and draw order, on an optional seeded stream.
import { empty, noGrad, type Generator, type DType, type Tensor } from '../torch/index.ts';

/** U(low, high) of the given shape. */
export function uniform(
  shape: readonly number[],
  low: number,
  high: number,
  generator?: Generator,
  dtype: DType = 'float32',
): Tensor {
  const t = empty(shape, { dtype });
  noGrad(() => t.uniform_(low, high, generator));
  return t;
}

/** N(mean, std²) of the given shape. */
export function normal(
  shape: readonly number[],
  mean: number,
  std: number,
  generator?: Generator,
  dtype: DType = 'float32',
): Tensor {
  const t = empty(shape, { dtype });
  noGrad(() => t.normal_(mean, std, generator));
  return t;
}

/** nn.Linear's default: kaiming_uniform(a=√5) on the weight, i.e. U(±1/√fanIn). */
export function linearDefaultBound(fanIn: number): number {
  return fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
}

/** Xavier/Glorot uniform: U(±gain·√(6/(fanIn+fanOut))). */
export function xavierUniform(
  shape: readonly [number, number],
  gain = 1,
  generator?: Generator,
  dtype: DType = 'float32',
): Tensor {
  const [fanOut, fanIn] = shape;
  const bound = gain * Math.sqrt(6 / (fanIn + fanOut));
  return uniform(shape, -bound, bound, generator, dtype);
}
