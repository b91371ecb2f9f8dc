// Spectral self-attention fitted in closed form: whitening and projection heads from the views'
// shared covariance, an output map by ridge regression, and a residual blend weight α.
// Token arrays are (B, T, d); the heads' contexts are computed together by one fused kernel and laid
// side by side, (B, T, H·d), so Ctx W_O and the ridge Gram are each one product.
import { empty, eye, fused, keep, linalg, tidy, zeros, type DType, type Tensor } from '../torch/index.ts';
import { positiveInt, positiveNumber } from '../checks.ts';
import { ConfigError, ShapeError } from '../errors.ts';
import { checkStatsFinite, psdSqrtAndInvSqrt } from './layer.ts';
import type { PairedStats } from './stats.ts';

/** Row norms below this are raised to it before normalising (zero tokens stay finite). */
export const ROW_NORM_FLOOR = 1e-8;
/** α's denominator at or below this means the views are already predicted exactly: α = 0. */
export const BLEND_DENOMINATOR_FLOOR = 1e-12;

export interface AttentionParams {
  /** Σ̄^-½ (d×d) */
  sigmaInvSqrt: Tensor;
  /** P_h stacked: (heads, d, r/heads), columns in descending eigenvalue order, canonical signs. */
  heads: Tensor;
  /** W_O (heads·d × d) */
  outputMap: Tensor;
  /** α ∈ [0, 1] */
  alpha: number;
}

export interface SpectralFit {
  sigmaInvSqrt: Tensor;
  sigmaSqrt: Tensor;
  heads: Tensor;
  /** The top-r eigenvalues of S, descending. */
  sharedEigenvalues: Tensor;
}

/**
 * S = sym(Σ̄^-½ C Σ̄^-½) = U diag(σ) Uᵀ, σ descending; keep the top r = heads × landmarks columns
 * and split them contiguously into heads P_h (d × r/heads). Each column's sign is fixed so that
 * its largest-|entry| is positive (q·kᵀ does not depend on it; this only makes the state canonical).
 */
export function spectralAttentionFit(stats: PairedStats, heads: number, landmarks: number): SpectralFit {
  const d = stats.sigmaBar.size(0);
  const rank = heads * landmarks;
  positiveInt(heads, 'spectralAttentionFit: heads');
  positiveInt(landmarks, 'spectralAttentionFit: landmarks');
  if (rank > d) throw new ConfigError(`spectralAttentionFit: heads × landmarks = ${rank} exceeds the token width ${d}`);
  checkStatsFinite(stats, 'spectralAttentionFit');
  return tidy(() => {
    const { sqrt, invSqrt } = psdSqrtAndInvSqrt(stats.sigmaBar);
    const s = linalg.sym(invSqrt.mm(stats.shared).mm(invSqrt));
    const { eigenvalues, eigenvectors } = linalg.eigh(s);
    const top = eigenvectors.flip(1).narrow(1, 0, rank); // descending order
    const pivot = top.abs().argmax(0, true);
    const signs = top.gather(0, pivot).sign().clampMin(0).mul(2).sub(1); // +1 unless the pivot is negative
    const canonical = top.mul(signs);
    const stacked = canonical.reshape(d, heads, landmarks).permute(1, 0, 2).contiguous();
    return {
      sigmaInvSqrt: invSqrt,
      sigmaSqrt: sqrt,
      heads: stacked,
      sharedEigenvalues: eigenvalues.flip(0).narrow(0, 0, rank),
    };
  });
}

/** The parameters cast once to the dtype of the big token products, plus Σ̄^-½·P_h fused. */
export interface AttentionCompute {
  /** Σ̄^-½ [P_1 | … | P_H]  (d × r) */
  queryMap: Tensor;
  heads: number;
  /** W_O (H·d × d) in the products' dtype. */
  outputMap: Tensor | null;
  alpha: number;
}

export function attentionCompute(
  params: Pick<AttentionParams, 'sigmaInvSqrt' | 'heads'> & Partial<AttentionParams>,
  dtype: DType,
): AttentionCompute {
  return tidy(() => {
    const [heads, d, headDim] = params.heads.shape;
    const projection = params.heads.permute(1, 0, 2).reshape(d, heads * headDim);
    const queryMap = params.sigmaInvSqrt.mm(projection).to(dtype);
    return {
      queryMap,
      heads,
      outputMap: params.outputMap ? params.outputMap.to(dtype).contiguous() : null,
      alpha: params.alpha ?? 0,
    };
  });
}

/** Frees the tensors of an AttentionCompute. */
export function disposeAttentionCompute(compute: AttentionCompute): void {
  compute.queryMap.dispose();
  compute.outputMap?.dispose();
}

/**
 * Ctx(X) = [ctx_1 | … | ctx_H]  (B, T, H·d) of sequences X (B, T, d), written into out when given:
 * q = k = rownormalize(X Σ̄^-½ P_h) (norm floored at 1e-8), A_h = softmax(q kᵀ / √(r/heads)),
 * ctx_h = A_h X (values are the raw tokens). The reference clips the max-shifted scores to [-40, 40]
 * and floors the softmax denominator at 1e-12; with unit-norm q, k the scores lie in [-1, 1]/√(r/heads),
 * so neither ever binds and the plain softmax is the same function.
 */
export function attentionContext(x: Tensor, compute: AttentionCompute, out?: Tensor): Tensor {
  const [b, t, d] = x.shape;
  const target = out ?? empty([b, t, compute.heads * d], { dtype: x.dtype });
  fused.spectralContexts([x.contiguous()], compute.queryMap, compute.heads, [target]);
  return target;
}

/** The contexts of two view batches (B, T, d) into out1 and out2 (B, T, H·d). */
export function attentionContexts(v1: Tensor, v2: Tensor, compute: AttentionCompute, out1: Tensor, out2: Tensor): void {
  fused.spectralContexts([v1, v2], compute.queryMap, compute.heads, [out1, out2]);
}

/**
 * Streams the ridge normal equations and the moments α needs, without materialising the design
 * D = [flat Ctx(V₁); flat Ctx(V₂)]. With Y = ½(V₁ + V₂) (the target of both views), E = ½(V₁ − V₂),
 * Cᵢ = flat Ctx(Vᵢ), S = C₁ + C₂ and D = C₁ − C₂:
 *   G = DᵀD = C₁ᵀC₁ + C₂ᵀC₂ = ½(SᵀS + DᵀD) (two syrks),
 *   R = DᵀY = SᵀY,   K = (C₂ − C₁)ᵀE = −DᵀE,   y = ‖Y‖²,   e = ‖E‖².
 * Sums are float64; each batch's products run in the batch dtype.
 */
export class RidgeAccumulator {
  private readonly gram: Tensor;
  private readonly rhs: Tensor;
  private readonly cross: Tensor;
  private yy = 0;
  private ee = 0;

  constructor(
    readonly heads: number,
    readonly width: number,
  ) {
    const f = heads * width;
    this.gram = keep(zeros([f, f], { dtype: 'float64' }));
    this.rhs = keep(zeros([f, width], { dtype: 'float64' }));
    this.cross = keep(zeros([f, width], { dtype: 'float64' }));
  }

  /**
   * v1, v2: a batch of the two views (B, T, d); ctx1, ctx2: their contexts (B, T, H·d), overwritten
   * (with S and D); y, e: scratch of v1's shape, overwritten (with V₁ + V₂ and V₁ − V₂).
   */
  add(v1: Tensor, v2: Tensor, ctx1: Tensor, ctx2: Tensor, y: Tensor, e: Tensor): void {
    const d = this.width;
    const f = this.heads * d;
    tidy(() => {
      const c1 = ctx1.view(-1, f);
      const c2 = ctx2.view(-1, f);
      fused.sumAndDifference(c1, c2, null, c1, c2); // S, D in place
      const norms = fused.sumAndDifference(v1.contiguous(), v2.contiguous(), null, y, e).toArray();
      fused.symmetricRankUpdates_([this.gram, this.gram], [c1, c2], [0.5, 0.5]);
      // R = Sᵀ(V₁ + V₂)/2,  K = −Dᵀ(V₁ − V₂)/2
      fused.transposedProductUpdates_([this.rhs, this.cross], [c1, c2], [y.view(-1, d), e.view(-1, d)], [0.5, -0.5]);
      this.yy += norms[d] / 4;
      this.ee += norms[d + 1] / 4;
    });
  }

  /**
   * W_O = (G + λI)⁻¹ R (the Gram is not divided by n), and α from the moments, with Pᵢ = Cᵢ W_O:
   *   Σᵢ⟨Vᵢ − Pᵢ, Y − Pᵢ⟩ = 2y − 2tr(WᵀR) + tr(WᵀK) + tr(WᵀGW)
   *   Σᵢ‖Vᵢ − Pᵢ‖²       = 2y + 2e − 2tr(WᵀR) + 2tr(WᵀK) + tr(WᵀGW)
   * which equal the reference's second pass over the data (BlendAccumulator) term by term.
   */
  solve(lambda: number): { outputMap: Tensor; alpha: number } {
    return tidy(() => {
      const gram = this.gram;
      const w = ridgeSolve(gram, this.rhs, lambda);
      const wr = w.mul(this.rhs).sum().item();
      const wk = w.mul(this.cross).sum().item();
      const wgw = w.mul(gram.mm(w)).sum().item();
      const numerator = 2 * this.yy - 2 * wr + wk + wgw;
      const denominator = 2 * this.yy + 2 * this.ee - 2 * wr + 2 * wk + wgw;
      return { outputMap: w, alpha: blendAlpha(numerator, denominator) };
    });
  }

  dispose(): void {
    this.gram.dispose();
    this.rhs.dispose();
    this.cross.dispose();
  }
}

/** W = (G + λI)⁻¹ R. */
export function ridgeSolve(gram: Tensor, rhs: Tensor, lambda: number): Tensor {
  positiveNumber(lambda, 'ridgeSolve: lambda');
  const d = gram.size(0);
  if (gram.ndim !== 2 || gram.size(1) !== d)
    throw new ShapeError(`ridgeSolve: gram must be square, got [${gram.shape}]`);
  if (rhs.ndim !== 2 || rhs.size(0) !== d)
    throw new ShapeError(`ridgeSolve: rhs must be (${d}, k), got [${rhs.shape}]`);
  return tidy(() => linalg.solve(linalg.sym(gram).add(eye(gram.size(0), { dtype: 'float64' }).mul(lambda)), rhs));
}

/**
 * The blend weight as the reference computes it, in a second pass with the fitted map
 * (Pᵢ = Ctx(Vᵢ) W_O, Y = ½(V₁ + V₂)):
 *   α = clip(Σᵢ⟨Vᵢ − Pᵢ, Y − Pᵢ⟩ / Σᵢ‖Vᵢ − Pᵢ‖², 0, 1),  0 when the denominator is ≤ 1e-12.
 * The encoder fit gets α from RidgeAccumulator's moments instead, saving that pass.
 */
export class BlendAccumulator {
  private numerator = 0;
  private denominator = 0;

  add(view: Tensor, prediction: Tensor, target: Tensor): void {
    tidy(() => {
      const residual = view.sub(prediction);
      this.numerator += residual.mul(target.sub(prediction)).sum(undefined, false, 'float64').item();
      this.denominator += residual.square().sum(undefined, false, 'float64').item();
    });
  }

  alpha(): number {
    return blendAlpha(this.numerator, this.denominator);
  }
}

/** α = clip(num / den, 0, 1), or 0 when den ≤ 1e-12. */
export function blendAlpha(numerator: number, denominator: number): number {
  if (!(denominator > BLEND_DENOMINATOR_FLOOR)) return 0;
  return Math.min(1, Math.max(0, numerator / denominator));
}

/** Ctx(X) W_O  (B, T, d). */
export function attentionOutput(x: Tensor, compute: AttentionCompute): Tensor {
  const outputMap = compute.outputMap;
  if (!outputMap) throw new ConfigError('attention: the output map has not been fitted');
  return tidy(() => attentionContext(x, compute).matmul(outputMap));
}

/**
 * H = LN(α X + (1 − α) Ctx(X) W_O), per-token layer norm without affine parameters: attentionSublayers_ on a
 * copy, so fitting and encoding run the same kernel.
 */
export function attentionSublayer(x: Tensor, compute: AttentionCompute): Tensor {
  return tidy(() => {
    const [b, t, d] = x.shape;
    const h = x.contiguous().clone();
    attentionSublayers_([h], compute, [empty([b, t, compute.heads * d], { dtype: x.dtype })]);
    return h;
  });
}

/**
 * The attention sublayer written over each x itself (contiguous (B, T, d)):
 * x ← LN(α x + (1 − α) Ctx(x) W_O). ctxs: scratch (B, T, H·d), one per x.
 */
export function attentionSublayers_(xs: readonly Tensor[], compute: AttentionCompute, ctxs: readonly Tensor[]): void {
  const outputMap = compute.outputMap;
  if (!outputMap) throw new ConfigError('attention: the output map has not been fitted');
  fused.attentionSublayers_(xs, ctxs, compute.queryMap, compute.heads, outputMap, compute.alpha);
}
