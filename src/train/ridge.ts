// The closed-form classifier (cf-ridge): residual ridge read-outs with no gradient steps,
//   W_ℓ = (X_ℓᵀX_ℓ + λI)⁻¹ X_ℓᵀ(Y − Ŷ),  Ŷ += X_ℓ W_ℓ,
// one-hot Y, no intercept, float64. Ŷ is never materialised (N × C is 500 MB for WikiText):
// X_ℓᵀŶ = Σ_{j<ℓ} (X_ℓᵀX_j) W_j. Next-token logits are then scaled by the temperature s > 0 that
// minimises the train cross-entropy on at most 4096 seeded rows.
import { ridgeSolve } from '../closedform/index.ts';
import { sampleIndices, type Scenario } from '../data/index.ts';
import { REFERENCE } from '../reference.ts';
import { F, Generator, keep, tidy, zeros, type Tensor } from '../torch/index.ts';
import type { ClosedFormFit } from './api.ts';

export interface RidgeReadout {
  /** W_ℓ (F_ℓ × C) float64, one per read-out. */
  weights: Tensor[];
  /** 1 unless fitted (next-token). */
  temperature: number;
}

/** Rows per chunk of the one-hot products. */
const ONE_HOT_CHUNK_ROWS = 2048;
/** Upper end of the temperature search (separable train rows drive the optimum to infinity). */
export const MAX_TEMPERATURE = 1e4;

/**
 * The read-out inputs from frozen features [h₀, …, h_L] (N, (L+1)·d): MLP, the post-ReLU, pre-normalisation
 * activations hₗ·sₗ + mₗ of layers 1..L (where the fine-tune heads sit); transformer, the pooled inputs
 * of blocks 1..L (h₀ … h_{L−1}), as the reference's per-block read-outs.
 */
export function readoutInputs(fit: ClosedFormFit, features: Tensor): Tensor[] {
  return tidy(() => {
    const depth = fit.state.layers.length;
    const d = features.size(1) / (depth + 1);
    if (fit.kind === 'mlp') {
      return fit.state.layers.map((layer, l) =>
        features
          .narrow(1, (l + 1) * d, d)
          .double()
          .mul(layer.norm.scale)
          .add(layer.norm.mean),
      );
    }
    return Array.from({ length: depth }, (_, l) => features.narrow(1, l * d, d).double());
  });
}

/** Xᵀ onehot(y) (F × C), in row chunks. */
function transposeTimesOneHot(x: Tensor, labels: Tensor, classes: number): Tensor {
  return tidy(() => {
    const out = zeros([x.size(1), classes], { dtype: 'float64' });
    for (let start = 0; start < x.size(0); start += ONE_HOT_CHUNK_ROWS) {
      tidy(() => {
        const len = Math.min(ONE_HOT_CHUNK_ROWS, x.size(0) - start);
        const y = F.oneHot(labels.narrow(0, start, len).long(), classes).double();
        out.add_(x.narrow(0, start, len).t().mm(y));
      });
    }
    return out;
  });
}

/** The residual read-outs W_ℓ on inputs X_ℓ (each (N, F_ℓ)). */
export function fitReadouts(
  inputs: readonly Tensor[],
  labels: Tensor,
  classes: number,
  lambda: number = REFERENCE.ridge.lambda,
): Tensor[] {
  const weights: Tensor[] = [];
  for (let l = 0; l < inputs.length; l++) {
    const w = tidy(() => {
      const x = inputs[l]!;
      let rhs = transposeTimesOneHot(x, labels, classes);
      for (let j = 0; j < l; j++) rhs = rhs.sub(x.t().mm(inputs[j]!).mm(weights[j]!));
      return ridgeSolve(x.t().mm(x), rhs, lambda);
    });
    weights.push(keep(w));
  }
  return weights;
}

/** Σ_ℓ X_ℓ W_ℓ · temperature (N × C) float64. */
export function readoutLogits(readout: RidgeReadout, inputs: readonly Tensor[]): Tensor {
  return tidy(() => {
    let z = inputs[0]!.mm(readout.weights[0]!);
    for (let l = 1; l < inputs.length; l++) z = z.add(inputs[l]!.mm(readout.weights[l]!));
    return readout.temperature === 1 ? z : z.mul(readout.temperature);
  });
}

/**
 * argmin_{s>0} CE(s·z, y). f(s) = mean(lse(s z) − s z_y) is convex: f′ = mean(E_p[z] − z_y),
 * f″ = mean(Var_p[z]) ≥ 0. Safeguarded Newton on f′ inside a bracket [lo, hi] with f′(lo) < 0 < f′(hi).
 */
export function fitTemperature(logits: Tensor, labels: Tensor): number {
  return tidy(() => {
    const z = logits.double();
    const zy = z.gather(1, labels.long().unsqueeze(1)).squeeze(1);
    const derivatives = (s: number): [number, number] =>
      tidy(() => {
        const p = F.softmax(z.mul(s), 1);
        const mean = p.mul(z).sum(1); // E_p[z] (N)
        const second = p.mul(z.square()).sum(1);
        return [mean.sub(zy).mean().item(), second.sub(mean.square()).mean().item()];
      });
    let lo = 0;
    let hi = 1;
    while (derivatives(hi)[0] < 0) {
      lo = hi;
      hi *= 2;
      if (hi >= MAX_TEMPERATURE) return MAX_TEMPERATURE;
    }
    if (derivatives(0)[0] >= 0) return Number.MIN_VALUE; // f increasing from 0: the infimum is s → 0
    let s = (lo + hi) / 2;
    for (let i = 0; i < 100; i++) {
      const [g, h] = derivatives(s);
      if (g < 0) lo = s;
      else hi = s;
      if (Math.abs(g) < 1e-12 || hi - lo <= 1e-12 * s) break;
      const newton = h > 0 ? s - g / h : NaN;
      s = newton > lo && newton < hi ? newton : (lo + hi) / 2;
    }
    return s;
  });
}

/** Fits cf-ridge on train read-out inputs; next-token scenarios also fit the temperature. */
export function fitRidgeClassifier(
  inputs: readonly Tensor[],
  labels: Tensor,
  scenario: Pick<Scenario, 'numClasses' | 'task'>,
  seed: number,
): RidgeReadout {
  const weights = fitReadouts(inputs, labels, scenario.numClasses);
  const readout: RidgeReadout = { weights, temperature: 1 };
  if (scenario.task === 'next_token') {
    readout.temperature = tidy(() => {
      const n = labels.size(0);
      const generator = new Generator(seed + REFERENCE.seedOffsets.temperatureRows);
      const rows = sampleIndices(n, Math.min(n, REFERENCE.ridge.temperatureRows), generator);
      const sampled = inputs.map((x) => x.indexSelect(0, rows));
      return fitTemperature(readoutLogits(readout, sampled), labels.indexSelect(0, rows));
    });
  }
  return readout;
}
