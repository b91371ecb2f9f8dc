// Neural-network functions (torch.nn.functional), all differentiable through ATen's autograd.
import { op } from './dispatch.ts';
import { native } from './native.ts';
import { Tensor } from './tensor.ts';
import type { Generator } from './random.ts';

const aten = {
  linear: op<Tensor>('aten::linear'),
  layerNorm: op<Tensor>('aten::layer_norm'),
  softmax: op<Tensor>('aten::softmax.int'),
  logSoftmax: op<Tensor>('aten::log_softmax.int'),
  crossEntropy: op<Tensor>('aten::cross_entropy_loss'),
  mseLoss: op<Tensor>('aten::mse_loss'),
  embedding: op<Tensor>('aten::embedding'),
  dropout: op<Tensor>('aten::dropout'),
  bernoulli: op<Tensor>('aten::bernoulli.p'),
  affineGrid: op<Tensor>('aten::affine_grid_generator'),
  gridSampler: op<Tensor>('aten::grid_sampler'),
  oneHot: op<Tensor>('aten::one_hot'),
};

export type Reduction = 'none' | 'mean' | 'sum';
const REDUCTION: Record<Reduction, number> = { none: 0, mean: 1, sum: 2 };

/** x Wᵀ + b, with W of shape (out, in). */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  return aten.linear(x, weight, bias ?? null);
}

/**
 * Multi-head self-attention core on a packed projection: qkv (B, T, 3d) holds q, k, v side by side
 * (nn.MultiheadAttention's in_proj layout); per head h, softmax(q_h k_hᵀ / √(d/heads)) v_h, heads
 * concatenated → (B, T, d). float32 runs as one fused native autograd node (q, k, v read in place,
 * only the probabilities saved); other dtypes run the same arithmetic as ATen ops.
 */
export function packedAttention(qkv: Tensor, heads: number): Tensor {
  const [batch, tokens, width] = qkv.shape as [number, number, number];
  if (qkv.ndim !== 3 || width % (3 * heads) !== 0) {
    throw new RangeError(
      `packedAttention: expected qkv (batch, tokens, 3·dim) with ${heads} heads dividing dim, ` + `got [${qkv.shape}]`,
    );
  }
  if (qkv.dtype === 'float32') return new Tensor(native.packedAttention(qkv.native, heads));
  const dim = width / 3;
  const headDim = dim / heads;
  // (B, T, 3d) → q, k, v of shape (B·heads, T, headDim)
  const [q, k, v] = qkv
    .view(batch, tokens, 3, heads, headDim)
    .permute(2, 0, 3, 1, 4)
    .reshape(3, batch * heads, tokens, headDim)
    .unbind(0) as [Tensor, Tensor, Tensor];
  const weights = softmax(q.mul(1 / Math.sqrt(headDim)).bmm(k.transpose(1, 2)), -1); // (B·heads, T, T)
  return weights.bmm(v).view(batch, heads, tokens, headDim).transpose(1, 2).reshape(batch, tokens, dim);
}

/**
 * One query per sequence against all its keys: softmax(q kᵀ / √(d/heads)) v per head, heads concatenated, from
 * q (B, 1, d) and kv (B, T, 2d) packed keys then values (in_proj_weight's order) → (B, 1, d). What the last token
 * of packedAttention's output is, without the other T − 1 queries; ATen ops (a (B·heads, 1, T) score row is small).
 */
export function lastQueryAttention(q: Tensor, kv: Tensor, heads: number): Tensor {
  const [batch, tokens, width] = kv.shape as [number, number, number];
  const dim = width / 2;
  if (kv.ndim !== 3 || width % (2 * heads) !== 0 || q.ndim !== 3 || q.size(1) !== 1 || q.size(2) !== dim) {
    throw new RangeError(
      `lastQueryAttention: expected q (batch, 1, dim) and kv (batch, tokens, 2·dim) with ${heads} heads dividing ` +
        `dim, got [${q.shape}] and [${kv.shape}]`,
    );
  }
  const headDim = dim / heads;
  const query = q.reshape(batch * heads, 1, headDim).mul(1 / Math.sqrt(headDim)); // (B·heads, 1, hd)
  const [k, v] = kv
    .view(batch, tokens, 2, heads, headDim)
    .permute(2, 0, 3, 1, 4)
    .reshape(2, batch * heads, tokens, headDim)
    .unbind(0) as [Tensor, Tensor]; // (B·heads, T, hd) each
  const weights = softmax(query.bmm(k.transpose(1, 2)), -1); // (B·heads, 1, T)
  return weights.bmm(v).reshape(batch, 1, dim);
}

/** Layer norm over the trailing dims in normalizedShape; biased variance; affine when given. */
export function layerNorm(
  x: Tensor,
  normalizedShape: readonly number[],
  weight?: Tensor | null,
  bias?: Tensor | null,
  eps = 1e-5,
): Tensor {
  return aten.layerNorm(x, [...normalizedShape], weight ?? null, bias ?? null, eps, true);
}

export function softmax(x: Tensor, dim: number): Tensor {
  return aten.softmax(x, dim, null);
}

export function logSoftmax(x: Tensor, dim: number): Tensor {
  return aten.logSoftmax(x, dim, null);
}

/** Cross-entropy of logits (N, C) against integer class targets (N). */
export function crossEntropy(
  logits: Tensor,
  targets: Tensor,
  options: { reduction?: Reduction; ignoreIndex?: number; labelSmoothing?: number; weight?: Tensor } = {},
): Tensor {
  return aten.crossEntropy(
    logits,
    targets,
    options.weight ?? null,
    REDUCTION[options.reduction ?? 'mean'],
    options.ignoreIndex ?? -100,
    options.labelSmoothing ?? 0,
  );
}

export function mseLoss(input: Tensor, target: Tensor, reduction: Reduction = 'mean'): Tensor {
  return aten.mseLoss(input, target, REDUCTION[reduction]);
}

/** x / max(‖x‖_p, eps) along dim (torch.nn.functional.normalize). */
export function normalize(x: Tensor, p = 2, dim = 1, eps = 1e-12): Tensor {
  const norm = x.norm(p, dim, true).clampMin(eps);
  return x.div(norm.expandAs(x));
}

/** Rows of weight picked by integer indices. */
export function embedding(weight: Tensor, indices: Tensor, paddingIdx = -1): Tensor {
  return aten.embedding(weight, indices, paddingIdx, false, false);
}

/**
 * Inverted dropout: zero each element with probability p, scale the rest by 1/(1-p). With a
 * generator the mask comes from that stream; otherwise from the global one.
 */
export function dropout(x: Tensor, p: number, options: { training?: boolean; generator?: Generator } = {}): Tensor {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`dropout: p must be in [0, 1], got ${p}`);
  if (options.training === false || p === 0) return x;
  if (!options.generator) return aten.dropout(x, p, true);
  if (p === 1) return x.mul(0);
  const keep = aten.bernoulli(x.detach(), 1 - p, options.generator);
  return x.mul(keep).div(1 - p);
}

export function oneHot(indices: Tensor, numClasses: number): Tensor {
  return aten.oneHot(indices, numClasses);
}

/** Sampling grid (N, H, W, 2) for 2-D affine matrices theta (N, 2, 3). */
export function affineGrid(
  theta: Tensor,
  size: readonly [number, number, number, number],
  alignCorners = false,
): Tensor {
  return aten.affineGrid(theta, [...size], alignCorners);
}

const INTERPOLATION = { bilinear: 0, nearest: 1, bicubic: 2 } as const;
const PADDING = { zeros: 0, border: 1, reflection: 2 } as const;

/** Samples input (N, C, H, W) at grid (N, Ho, Wo, 2) in normalised [-1, 1] coordinates. */
export function gridSample(
  input: Tensor,
  grid: Tensor,
  options: { mode?: keyof typeof INTERPOLATION; paddingMode?: keyof typeof PADDING; alignCorners?: boolean } = {},
): Tensor {
  return aten.gridSampler(
    input,
    grid,
    INTERPOLATION[options.mode ?? 'bilinear'],
    PADDING[options.paddingMode ?? 'zeros'],
    options.alignCorners ?? false,
  );
}

export function relu(x: Tensor): Tensor {
  return x.relu();
}
export function gelu(x: Tensor, approximate: 'none' | 'tanh' = 'none'): Tensor {
  return x.gelu(approximate);
}
