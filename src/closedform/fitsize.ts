// How many rows a closed-form fit needs: an adaptive stopping rule on the first layer's paired statistics.
//
// Rows are taken in the order of a seeded permutation (its prefixes are exactly subsetRows(n, m, seed), so
// the fit that follows uses the rows the probe saw) and accumulated in doubling chunks m₀, 2m₀, 4m₀, … . After
// each chunk the estimates Σ̄_m and Δ_m are compared with those at the previous size:
//   change(m) = max(‖Σ̄_m − Σ̄_{m/2}‖_F / ‖Σ̄_m‖_F, ‖Δ_m − Δ_{m/2}‖_F / ‖Δ_m‖_F)
// and the probe stops at the first m with change(m) < tolerance (else at n). Σ̄ fixes the whitening and Δ the
// shrinkage of every spectral layer, so once both have settled, more rows move the fit little. Doubling (not
// fixed-size) chunks make change(m) a measure of the estimate's own sampling noise at m rows — half the
// distance between the m-row and the next m-row estimate — where a fixed chunk's change would shrink as 1/k
// whatever the noise. (HF PEFT's EVA stops its incremental SVD the same way, on the change between batches.)
import { finiteNumber, positiveInt } from '../checks.ts';
import { Generator, randperm, tidy, type Tensor } from '../torch/index.ts';
import { PairedStatsAccumulator, checkPair } from './stats.ts';

export interface FitSizeOptions {
  /** Seed of the row order (the fit's subset seed). */
  seed: number;
  /** Stop when the relative change of Σ̄ and Δ falls below this. */
  tolerance: number;
  /** First chunk m₀ (default max(⌈n / 64⌉, 8) rows). */
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

/** ‖a − b‖_F / ‖a‖_F */
function relativeChange(a: Tensor, b: Tensor): number {
  return tidy(() => a.sub(b).norm().item() / Math.max(a.norm().item(), Number.MIN_VALUE));
}

/** The adaptive fit size of two paired views (n, …, d); see the file comment. */
export function probeFitRows(view1: Tensor, view2: Tensor, options: FitSizeOptions): FitSizeProbe {
  checkPair(view1, view2, 'probeFitRows');
  finiteNumber(options.tolerance, 'probeFitRows: tolerance', { min: 0, exclusiveMin: true });
  const n = view1.size(0);
  const first = Math.min(n, options.firstRows ?? Math.max(Math.ceil(n / 64), 8));
  positiveInt(first, 'probeFitRows: firstRows');
  const order = randperm(n, { generator: new Generator(options.seed) });
  const acc = new PairedStatsAccumulator(view1.size(-1));
  const history: FitSizeProbe['history'] = [];
  let previous: { sigmaBar: Tensor; delta: Tensor } | null = null;
  try {
    let taken = 0;
    for (let target = first; ; target = Math.min(n, target * 2)) {
      tidy(() => {
        const rows = order.narrow(0, taken, target - taken);
        acc.add(view1.indexSelect(0, rows), view2.indexSelect(0, rows));
      });
      taken = target;
      const { sigmaBar, delta, mean, shared } = acc.finish();
      mean.dispose();
      shared.dispose();
      if (previous) {
        const change = Math.max(relativeChange(sigmaBar, previous.sigmaBar), relativeChange(delta, previous.delta));
        previous.sigmaBar.dispose();
        previous.delta.dispose();
        history.push({ rows: taken, change });
        if (change < options.tolerance) {
          sigmaBar.dispose();
          delta.dispose();
          previous = null;
          return { rows: taken, converged: true, history };
        }
      }
      previous = { sigmaBar, delta };
      if (taken === n) return { rows: n, converged: false, history };
    }
  } finally {
    if (previous) {
      previous.sigmaBar.dispose();
      previous.delta.dispose();
    }
    acc.dispose();
    order.dispose();
  }
}
