// The shrinkage layer: A = Σ̄^½ G Σ̄^-½, G the minimiser of tr(GᵀMG) + λ‖G − I‖²_F in whitened space.
import { linalg, tidy, type Tensor } from '../torch/index.ts';
import { pairedStats, type PairedStats } from './stats.ts';

/** Eigenvalues of Σ̄ below this are raised to it before taking roots (rank-deficient inputs). */
export const EIGEN_FLOOR = 1e-4;

/**
 * Σ̄ = E diag(e) Eᵀ with e ← max(e, floor):  Σ̄^½ = E diag(√e) Eᵀ,  Σ̄^-½ = E diag(1/√e) Eᵀ.
 */
export function psdSqrtAndInvSqrt(sigma: Tensor, floor = EIGEN_FLOOR): { sqrt: Tensor; invSqrt: Tensor } {
  return tidy(() => {
    const { eigenvalues, eigenvectors: e } = linalg.eigh(linalg.sym(sigma));
    const root = eigenvalues.clampMin(floor).sqrt();
    return {
      sqrt: e.mul(root.unsqueeze(0)).mm(e.t()),
      invSqrt: e.div(root.unsqueeze(0)).mm(e.t()),
    };
  });
}

/** M = sym(Σ̄^-½ Δ Σ̄^-½): the views' disagreement in whitened coordinates. */
export function whitenedDelta(delta: Tensor, invSqrt: Tensor): Tensor {
  return tidy(() => linalg.sym(invSqrt.mm(delta).mm(invSqrt)));
}

/**
 * M = Q diag(m) Qᵀ (m ascending);  gᵢ = λ / (max(mᵢ, 0) + λ);  G = Q diag(g) Qᵀ.
 * Setting the gradient of tr(GᵀMG) + λ‖G − I‖² to zero gives (M + λI) G = λI, hence these gains.
 */
export function shrinkageGains(m: Tensor, lambda: number): { gains: Tensor; mEigenvalues: Tensor; g: Tensor } {
  if (!(lambda > 0)) throw new RangeError(`shrinkageGains: lambda must be positive, got ${lambda}`);
  return tidy(() => {
    const { eigenvalues, eigenvectors: q } = linalg.eigh(m);
    const gains = eigenvalues.clampMin(0).add(lambda).reciprocal().mul(lambda);
    return { gains, mEigenvalues: eigenvalues, g: q.mul(gains.unsqueeze(0)).mm(q.t()) };
  });
}

export interface LayerFit {
  /** A = Σ̄^½ G Σ̄^-½ (d×d); a layer maps X ↦ X·A. */
  transform: Tensor;
  gains: Tensor;
  mEigenvalues: Tensor;
  gMatrix: Tensor;
  mMatrix: Tensor;
  sigmaSqrt: Tensor;
  sigmaInvSqrt: Tensor;
  stats: PairedStats;
}

/** The shrinkage layer from already accumulated paired statistics: A = Σ̄^½ G Σ̄^-½. */
export function fitLayerFromStats(stats: PairedStats, lambda = 1): LayerFit {
  return tidy(() => {
    const { sqrt, invSqrt } = psdSqrtAndInvSqrt(stats.sigmaBar);
    const mMatrix = whitenedDelta(stats.delta, invSqrt);
    const { gains, mEigenvalues, g } = shrinkageGains(mMatrix, lambda);
    const transform = sqrt.mm(g).mm(invSqrt);
    return { transform, gains, mEigenvalues, gMatrix: g, mMatrix, sigmaSqrt: sqrt, sigmaInvSqrt: invSqrt, stats };
  });
}

/** fitLayer(H₁, H₂, λ): paired statistics of the two (n, d) views, then the shrinkage layer. */
export function fitLayer(h1: Tensor, h2: Tensor, lambda = 1, options: { batchRows?: number } = {}): LayerFit {
  const stats = pairedStats(h1, h2, { batchRows: options.batchRows, computeDtype: 'float64' });
  return fitLayerFromStats(stats, lambda);
}
