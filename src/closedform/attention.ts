// Spectral self-attention fitted in closed form: whitening and projection heads from the views'
// shared covariance, an output map by ridge regression, and a residual blend weight α.
// Token arrays are (B, T, d); each head is one batched product over the B sequences.
import { F, cat, eye, keep, linalg, tidy, zeros, type DType, type Tensor } from '../torch/index.ts';
import { psdSqrtAndInvSqrt } from './layer.ts';
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
  if (!Number.isInteger(heads) || heads < 1)
    throw new RangeError(`spectralAttentionFit: heads must be a positive integer, got ${heads}`);
  if (!Number.isInteger(landmarks) || landmarks < 1) {
    throw new RangeError(`spectralAttentionFit: landmarks must be a positive integer, got ${landmarks}`);
  }
  if (rank > d) throw new RangeError(`spectralAttentionFit: heads × landmarks = ${rank} exceeds the token width ${d}`);
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
  headDim: number;
  /** W_O split into its per-head row blocks W_h (d × d), so Ctx W_O = Σ_h ctx_h W_h. */
  outputBlocks: Tensor[] | null;
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
      headDim,
      outputBlocks: params.outputMap ? splitOutputMap(params.outputMap, heads, dtype) : null,
      alpha: params.alpha ?? 0,
    };
  });
}

/** W_O (H·d × d) → [W_1, …, W_H], each (d × d) and contiguous in dtype. */
export function splitOutputMap(outputMap: Tensor, heads: number, dtype: DType): Tensor[] {
  const d = outputMap.size(1);
  return tidy(() =>
    Array.from({ length: heads }, (_, h) =>
      outputMap
        .narrow(0, h * d, d)
        .to(dtype)
        .contiguous(),
    ),
  );
}

/**
 * Per-head contexts of sequences X (B, T, d): q = k = rownormalize(X Σ̄^-½ P_h) (norm floored at
 * 1e-8), A_h = softmax(q kᵀ / √(r/heads)), ctx_h = A_h X (values are the raw tokens) → H × (B, T, d).
 * The reference clips the max-shifted scores to [-40, 40] and floors the softmax denominator at
 * 1e-12; with unit-norm q, k the scores lie in [-1, 1]/√(r/heads), so neither ever binds and the
 * plain softmax is the same function.
 */
export function headContexts(x: Tensor, compute: AttentionCompute): Tensor[] {
  return tidy(() => {
    const { heads, headDim } = compute;
    const projected = x.matmul(compute.queryMap); // (B, T, r)
    return Array.from({ length: heads }, (_, h) => {
      const p = projected.narrow(-1, h * headDim, headDim);
      const q = p.div(p.norm(2, -1, true).clampMin(ROW_NORM_FLOOR));
      const scores = q.bmm(q.mT()).mul(1 / Math.sqrt(headDim)); // (B, T, T)
      return F.softmax(scores, -1).bmm(x);
    });
  });
}

/** Ctx(X) = [ctx_1 | … | ctx_H]  (B, T, H·d). */
export function attentionContext(x: Tensor, compute: AttentionCompute): Tensor {
  return tidy(() => cat(headContexts(x, compute), -1));
}

/**
 * Streams the ridge normal equations and the moments α needs, without materialising the design
 * D = [flat Ctx(V₁); flat Ctx(V₂)]. With Y = ½(V₁ + V₂) (the target of both views), E = ½(V₁ − V₂)
 * and Cᵢ = flat Ctx(Vᵢ):
 *   G = DᵀD = C₁ᵀC₁ + C₂ᵀC₂ (built from its H(H+1)/2 distinct d×d head blocks),
 *   R = DᵀY = (C₁ + C₂)ᵀY,   K = (C₂ − C₁)ᵀE,   y = ‖Y‖²,   e = ‖E‖².
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

  /** ctx1, ctx2: the per-head contexts of the view batches v1, v2 (B, T, d). */
  add(ctx1: Tensor[], ctx2: Tensor[], v1: Tensor, v2: Tensor): void {
    const d = this.width;
    tidy(() => {
      const flat = (t: Tensor) => t.reshape(-1, d);
      const c1 = ctx1.map(flat);
      const c2 = ctx2.map(flat);
      const y = flat(v1).add(flat(v2)).mul(0.5);
      const e = flat(v1).sub(flat(v2)).mul(0.5);
      for (let h = 0; h < this.heads; h++) {
        for (let g = h; g < this.heads; g++) {
          const block = c1[h].t().mm(c1[g]).add(c2[h].t().mm(c2[g]));
          this.gram
            .narrow(0, h * d, d)
            .narrow(1, g * d, d)
            .add_(block.double());
        }
        this.rhs.narrow(0, h * d, d).add_(c1[h].add(c2[h]).t().mm(y).double());
        this.cross.narrow(0, h * d, d).add_(c2[h].sub(c1[h]).t().mm(e).double());
      }
      this.yy += y.square().sum(undefined, false, 'float64').item();
      this.ee += e.square().sum(undefined, false, 'float64').item();
    });
  }

  /** G with its lower head blocks filled in from the upper ones. */
  private fullGram(): Tensor {
    const d = this.width;
    const g = this.gram.clone();
    for (let h = 0; h < this.heads; h++) {
      for (let k = h + 1; k < this.heads; k++)
        g.narrow(0, k * d, d)
          .narrow(1, h * d, d)
          .copy_(
            g
              .narrow(0, h * d, d)
              .narrow(1, k * d, d)
              .t(),
          );
    }
    return g;
  }

  /**
   * W_O = (G + λI)⁻¹ R (the Gram is not divided by n), and α from the moments, with Pᵢ = Cᵢ W_O:
   *   Σᵢ⟨Vᵢ − Pᵢ, Y − Pᵢ⟩ = 2y − 2tr(WᵀR) + tr(WᵀK) + tr(WᵀGW)
   *   Σᵢ‖Vᵢ − Pᵢ‖²       = 2y + 2e − 2tr(WᵀR) + 2tr(WᵀK) + tr(WᵀGW)
   * which equal the reference's second pass over the data (BlendAccumulator) term by term.
   */
  solve(lambda: number): { outputMap: Tensor; alpha: number } {
    return tidy(() => {
      const gram = this.fullGram();
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
  if (!(lambda > 0)) throw new RangeError(`ridgeSolve: lambda must be positive, got ${lambda}`);
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

/** Ctx(X) W_O = Σ_h ctx_h W_h. */
export function attentionOutput(x: Tensor, compute: AttentionCompute): Tensor {
  const blocks = compute.outputBlocks;
  if (!blocks) throw new Error('attention: the output map has not been fitted');
  return tidy(() =>
    headContexts(x, compute)
      .map((ctx, h) => ctx.matmul(blocks[h]))
      .reduce((a, b) => a.add_(b)),
  );
}

/** H = LN(α X + (1 − α) Ctx(X) W_O), per-token layer norm without affine parameters. */
export function attentionSublayer(x: Tensor, compute: AttentionCompute): Tensor {
  return tidy(() =>
    tokenLayerNorm(
      attentionOutput(x, compute)
        .mul_(1 - compute.alpha)
        .add_(x, compute.alpha),
    ),
  );
}

/** LN(x) = (x − mean)/√(var + 1e-5) over the last dim, biased variance, no affine. */
export function tokenLayerNorm(x: Tensor): Tensor {
  return F.layerNorm(x, [x.size(-1)], null, null, 1e-5);
}
