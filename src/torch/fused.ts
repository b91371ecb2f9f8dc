// Fused kernels of the closed-form fit (native/spectral.cc): token products in float32 or float64, sums
// in float64. Each replaces a chain of ATen ops that made batch-sized temporaries; list arguments (the two
// views of a batch) go in one call.
import { native } from './native.ts';
import { Tensor } from './tensor.ts';

const handles = (ts: readonly Tensor[]) => ts.map((t) => t.native);

/**
 * Normalised-query self-attention contexts with the raw tokens as values, all heads at once: with
 * P = x · queryMap (B, T, heads·k) and q_h = rownormalize(P_h) (norm floored at 1e-8),
 * out[..., h·d:(h+1)·d] = softmax(q_h q_hᵀ / √k) x. Each x (B, T, d) into its out (B, T, heads·d);
 * queryMap (d, heads·k); one dtype, contiguous.
 */
export function spectralContexts(
  xs: readonly Tensor[],
  queryMap: Tensor,
  heads: number,
  outs: readonly Tensor[],
): void {
  native.spectralContexts(handles(xs), queryMap.native, heads, handles(outs));
}

/** cᵢ += alphaᵢ · aᵢᵀaᵢ by BLAS syrk (half a gemm's FLOPs); aᵢ (k, n), cᵢ (n, n) float64. */
export function symmetricRankUpdates_(cs: readonly Tensor[], as: readonly Tensor[], alphas: readonly number[]): void {
  native.productUpdates(handles(cs), handles(as), null, [...alphas]);
}

/** cᵢ += alphaᵢ · aᵢᵀbᵢ by one gemm each; aᵢ (k, m), bᵢ (k, n), cᵢ (m, n) float64. */
export function transposedProductUpdates_(
  cs: readonly Tensor[],
  as: readonly Tensor[],
  bs: readonly Tensor[],
  alphas: readonly number[],
): void {
  native.productUpdates(handles(cs), handles(as), handles(bs), [...alphas]);
}

/**
 * The attention sublayer over each x's own storage (contiguous (B, T, d)): x ← α x + (1 − α) Ctx(x) W_O as
 * one gemm into x, then x ← LN(x) (no affine, eps 1e-5). ctx: scratch (B, T, heads·d) per x.
 */
export function attentionSublayers_(
  xs: readonly Tensor[],
  ctxs: readonly Tensor[],
  queryMap: Tensor,
  heads: number,
  outputMap: Tensor,
  alpha: number,
): void {
  native.attentionSublayers(handles(xs), handles(ctxs), queryMap.native, heads, outputMap.native, alpha);
}

/** The feed-forward sublayer over each x's own storage: x ← LN(x + ReLU(x A_F)). */
export function ffnSublayers_(xs: readonly Tensor[], ffn: Tensor): void {
  native.ffnSublayers(handles(xs), ffn.native);
}

/**
 * One pass over two equally shaped tensors: sum ← (a + b) − shift, diff ← a − b (rounded as the ATen ops
 * round them; in place when sum/diff are a/b). Returns float64 [column sums of sum (d) | ‖sum‖² | ‖diff‖²].
 */
export function sumAndDifference(a: Tensor, b: Tensor, shift: Tensor | null, sum: Tensor, diff: Tensor): Tensor {
  return new Tensor(native.sumAndDifference(a.native, b.native, shift?.native ?? null, sum.native, diff.native));
}

/**
 * Per-column moments of x (rows, d), float32 or float64, contiguous; with relu, x ← max(x, 0) in place first.
 * Returns float64 (2, d): [mean | Σ(x − mean)²], from 256-row blocks merged in order (independent of threads).
 */
export function columnMoments(x: Tensor, options: { relu?: boolean } = {}): Tensor {
  return new Tensor(native.columnMoments(x.native, options.relu ?? false));
}

/**
 * out ← ReLU(x·transform) for float64 x (n, k), transform (k, d), out (n, d), all contiguous, out not sharing x's
 * storage; returns columnMoments(out) (the moments taken block by block as the product is written).
 */
export function linearReluMoments(x: Tensor, transform: Tensor, out: Tensor): Tensor {
  return new Tensor(native.linearReluMoments(x.native, transform.native, out.native));
}

/** x ← (x − mean) / scale per column, in place, in one pass; x (rows, d) contiguous, mean and scale d entries. */
export function normalizeColumns_(x: Tensor, mean: Tensor, scale: Tensor): void {
  native.normalizeColumns(x.native, mean.contiguous().native, scale.contiguous().native);
}
