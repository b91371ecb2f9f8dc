// How many rows a closed-form fit needs: an adaptive stopping rule on the first layer's paired statistics.
//
// Rows are taken in the order of a seeded permutation (its prefixes are exactly subsetRows(n, m, seed), so
// the fit that follows uses the rows the probe saw) and accumulated in doubling chunks m₀, 2m₀, 4m₀, … . After
// each chunk the first layer's shrinkage spectrum is computed from Σ̄_m and Δ_m — the gains
//   gᵢ = λ / (max(μᵢ, 0) + λ),  μ the eigenvalues (ascending) of the whitened disagreement Σ̄^-½ Δ Σ̄^-½
// — and compared with the one at the previous size:  change(m) = ‖g(m) − g(m/2)‖₂ / ‖g(m)‖₂ (a whitened direction
// has unit variance, so this is the relative change of the layer's output energy).  The probe stops at the
// first m with change(m) < tolerance (else at n). The gains are what the layer applies per whitened direction,
// in [0, 1] whatever the data's scale (the largest single gain's move was tried too: on covtype one rare
// direction kept it at ~0.13 at every size); a relative Frobenius change of Σ̄ and Δ was tried first and never settled
// on covtype (0.42 between 6,000 and 12,000 rows), whose rare one-hot columns z-score to values near 100 and
// dominate any unwhitened norm. Doubling (not fixed-size) chunks make change(m) a measure of the estimate's own
// sampling noise at m rows, where a fixed chunk's change would shrink as 1/k whatever the noise. (HF PEFT's EVA
// stops its incremental SVD the same way, on the change between consecutive estimates.)
import { finiteNumber, positiveInt } from '../checks.ts';
import { Generator, keep, randperm, tidy, type Tensor } from '../torch/index.ts';
import { fitLayerFromStats } from './layer.ts';
import { PairedStatsAccumulator, checkPair } from './stats.ts';

export interface FitSizeOptions {
  /** Seed of the row order (the fit's subset seed). */
  seed: number;
  /** Stop when the gains move by less than this (relative, in norm) between doubling chunks. */
  tolerance: number;
  /** λ of the first layer (the gains depend on it). */
  lambda: number;
  /** First chunk m₀ (default max(⌈n / 32⌉, 8) rows, so the earliest stop is at n/16). */
  firstRows?: number;
}

export interface FitSizeProbe {
  /** Rows the fit should use (the probe stopped here). */
  rows: number;
  /** Whether the rule was met before all n rows were taken. */
  converged: boolean;
  /** change(m) at each chunk boundary after the first. */
  history: { rows: number; change: number }[];
}

/** The first layer's shrinkage gains (descending) from the statistics accumulated so far. (d) */
function gainsOf(acc: PairedStatsAccumulator, lambda: number): Tensor {
  return tidy(() => {
    const stats = acc.finish();
    return keep(fitLayerFromStats(stats, lambda).gains);
  });
}

/** The adaptive fit size of two paired views (n, …, d); see the file comment. */
export function probeFitRows(view1: Tensor, view2: Tensor, options: FitSizeOptions): FitSizeProbe {
  checkPair(view1, view2, 'probeFitRows');
  finiteNumber(options.tolerance, 'probeFitRows: tolerance', { min: 0, exclusiveMin: true });
  finiteNumber(options.lambda, 'probeFitRows: lambda', { min: 0, exclusiveMin: true });
  const n = view1.size(0);
  const first = Math.min(n, options.firstRows ?? Math.max(Math.ceil(n / 32), 8));
  positiveInt(first, 'probeFitRows: firstRows');
  const order = randperm(n, { generator: new Generator(options.seed) });
  const acc = new PairedStatsAccumulator(view1.size(-1));
  const history: FitSizeProbe['history'] = [];
  let previous: Tensor | null = null;
  try {
    let taken = 0;
    for (let target = first; ; target = Math.min(n, target * 2)) {
      tidy(() => {
        const rows = order.narrow(0, taken, target - taken);
        acc.add(view1.indexSelect(0, rows), view2.indexSelect(0, rows));
      });
      taken = target;
      const gains = gainsOf(acc, options.lambda);
      const last = previous;
      previous = gains;
      if (last) {
        const change = tidy(() => gains.sub(last).norm().item() / gains.norm().item());
        last.dispose();
        history.push({ rows: taken, change });
        if (change < options.tolerance) return { rows: taken, converged: true, history };
      }
      if (taken === n) return { rows: n, converged: false, history };
    }
  } finally {
    previous?.dispose();
    acc.dispose();
    order.dispose();
  }
}
