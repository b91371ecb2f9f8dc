// The shrinkage layer: A = Σ̄^½ G Σ̄^-½, G the minimiser of tr(GᵀMG) + λ‖G − I‖²_F in whitened space.
import { positiveInt, positiveNumber } from '../checks.ts';
import { ShapeError } from '../errors.ts';
import { linalg, tidy, type Tensor } from '../torch/index.ts';
import { pairedStats, type PairedStats } from './stats.ts';
import { checkFitInput, FitInputError } from './validate.ts';

/** Eigenvalues of Σ̄ below this are raised to it before taking roots (rank-deficient inputs). */
export const EIGEN_FLOOR = 1e-4;

/**
 * Σ̄ = E diag(e) Eᵀ with e ← max(e, floor):  Σ̄^½ = E diag(√e) Eᵀ,  Σ̄^-½ = E diag(1/√e) Eᵀ.
 */
export function psdSqrtAndInvSqrt(sigma: Tensor, floor = EIGEN_FLOOR): { sqrt: Tensor; invSqrt: Tensor } {
  positiveNumber(floor, 'psdSqrtAndInvSqrt: floor');
  checkSquare(sigma, 'psdSqrtAndInvSqrt: sigma');
  checkFinite(sigma, 'psdSqrtAndInvSqrt: sigma');
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
  checkSquare(delta, 'whitenedDelta: delta', invSqrt.size(0));
  return tidy(() => linalg.sym(invSqrt.mm(delta).mm(invSqrt)));
}

/**
 * M = Q diag(m) Qᵀ (m ascending);  gᵢ = λ / (max(mᵢ, 0) + λ);  G = Q diag(g) Qᵀ.
 * Setting the gradient of tr(GᵀMG) + λ‖G − I‖² to zero gives (M + λI) G = λI, hence these gains.
 */
export function shrinkageGains(m: Tensor, lambda: number): { gains: Tensor; mEigenvalues: Tensor; g: Tensor } {
  positiveNumber(lambda, 'shrinkageGains: lambda');
  checkSquare(m, 'shrinkageGains: m');
  checkFinite(m, 'shrinkageGains: m');
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

function checkSquare(x: Tensor, name: string, size?: number): void {
  const d = size ?? x.size(0);
  if (x.ndim !== 2 || x.size(0) !== d || x.size(1) !== d) {
    throw new ShapeError(`${name} must be a square (${d}, ${d}) matrix, got [${x.shape}]`);
  }
}

function checkFinite(x: Tensor, name: string): void {
  if (!tidy(() => x.isfinite().all().item())) throw new FitInputError(`${name} contains NaN or ±Inf`);
}

/**
 * Throws a FitInputError when the statistics overflowed: finite inputs whose squares exceed float64 (|x| near
 * 1e154 and beyond) give an infinite Σ̄ that eigh would report as "input contains NaN or Inf".
 */
export function checkStatsFinite(stats: PairedStats, where: string): void {
  const finite = tidy(
    () =>
      stats.sigmaBar.isfinite().all().item() &&
      stats.delta.isfinite().all().item() &&
      stats.shared.isfinite().all().item(),
  );
  if (!finite) {
    throw new FitInputError(
      `${where}: the views' second moments overflow float64 (values too large to square); rescale the inputs`,
    );
  }
}

/** The shrinkage layer from already accumulated paired statistics: A = Σ̄^½ G Σ̄^-½. */
export function fitLayerFromStats(stats: PairedStats, lambda = 1): LayerFit {
  positiveNumber(lambda, 'fitLayerFromStats: lambda');
  checkStatsFinite(stats, 'fitLayerFromStats');
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
  positiveNumber(lambda, 'fitLayer: lambda');
  if (options.batchRows !== undefined) positiveInt(options.batchRows, 'fitLayer: batchRows');
  checkFitInput(h1, 'h1', 'fitLayer', 'float64');
  checkFitInput(h2, 'h2', 'fitLayer', 'float64');
  const stats = pairedStats(h1, h2, { batchRows: options.batchRows, computeDtype: 'float64' });
  try {
    checkStatsFinite(stats, 'fitLayer');
  } catch (err) {
    for (const t of [stats.mean, stats.sigmaBar, stats.shared, stats.delta]) t.dispose();
    throw err;
  }
  return fitLayerFromStats(stats, lambda);
}
