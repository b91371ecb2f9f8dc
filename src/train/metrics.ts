// Test-set metrics of a model's logits, as the reference benchmark computes them (all in float64).
import { F, tidy, type Tensor } from '../torch/index.ts';
import type { Scenario } from '../data/index.ts';
import type { EvalMetrics } from './api.ts';

/** Bins of the expected calibration error. */
export const ECE_BINS = 15;
/** Perplexity is exp(min(CE, cap)). */
export const PERPLEXITY_CE_CAP = 30;

function checkShapes(logits: Tensor, labels: Tensor, where: string): void {
  if (logits.ndim !== 2 || labels.ndim !== 1 || logits.size(0) !== labels.size(0) || logits.size(0) === 0) {
    throw new Error(
      `${where}: expected logits (N, C) and labels (N) with N ≥ 1, ` + `got [${logits.shape}] and [${labels.shape}]`,
    );
  }
}

/** Fraction of rows whose argmax (first maximum on ties) equals the label. */
export function accuracy(logits: Tensor, labels: Tensor): number {
  checkShapes(logits, labels, 'accuracy');
  return tidy(() => logits.argmax(1).eq(labels.long()).double().mean().item());
}

/** Mean negative log-likelihood −(1/N) Σ log softmax(z)_y, log-sum-exp in float64. */
export function nll(logits: Tensor, labels: Tensor): number {
  checkShapes(logits, labels, 'nll');
  return tidy(() => {
    const z = logits.double();
    const picked = z.gather(1, labels.long().unsqueeze(1)).squeeze(1);
    return z.logsumexp(1).sub(picked).mean().item();
  });
}

/**
 * ECE = Σ_b (n_b/N)·|acc_b − conf_b| over 15 equal-width bins of the max softmax probability: bin b holds
 * conf ∈ [b/15, (b+1)/15), the last bin also conf = 1.
 */
export function ece(logits: Tensor, labels: Tensor, bins = ECE_BINS): number {
  checkShapes(logits, labels, 'ece');
  const { conf, correct } = tidy(() => {
    const probs = F.softmax(logits.double(), 1);
    const { values, indices } = probs.max(1) as { values: Tensor; indices: Tensor };
    return { conf: values.toFloat64Array(), correct: indices.eq(labels.long()).toUint8Array() };
  });
  const count = new Float64Array(bins);
  const hits = new Float64Array(bins);
  const confSum = new Float64Array(bins);
  for (let i = 0; i < conf.length; i++) {
    let b = 0;
    while (b < bins - 1 && conf[i]! >= (b + 1) * (1 / bins)) b++; // edges i·(1/bins), as numpy.linspace
    count[b]++;
    hits[b] += correct[i]!;
    confSum[b] += conf[i]!;
  }
  let total = 0;
  for (let b = 0; b < bins; b++) {
    if (count[b] === 0) continue;
    total += (count[b]! / conf.length) * Math.abs(hits[b]! / count[b]! - confSum[b]! / count[b]!);
  }
  return total;
}

/** exp(min(CE, 30)). */
export function perplexity(crossEntropy: number): number {
  return Math.exp(Math.min(crossEntropy, PERPLEXITY_CE_CAP));
}

/** All metrics of one set of logits; the primary metric is accuracy, or the cross-entropy for next-token tasks. */
export function evaluateLogits(logits: Tensor, labels: Tensor, task: Scenario['task']): EvalMetrics {
  const acc = accuracy(logits, labels);
  const ce = nll(logits, labels);
  const nextToken = task === 'next_token';
  return {
    metricName: nextToken ? 'validation_cross_entropy' : 'accuracy',
    metricValue: nextToken ? ce : acc,
    accuracy: acc,
    nll: ce,
    ece: ece(logits, labels),
    perplexity: nextToken ? perplexity(ce) : null,
  };
}

/** round-half-to-even(step/steps·100) + '%'  (12.5 → '12%', 37.5 → '38%'). */
export function checkpointLabel(step: number, steps: number): string {
  const x = (step / steps) * 100;
  const f = Math.floor(x);
  const r = x - f > 0.5 || (x - f === 0.5 && f % 2 === 1) ? f + 1 : f;
  return `${r}%`;
}

/** The reference's checkpoint steps for budget fractions: max(1, min(steps, ceil(steps·f))), plus the last step. */
export function checkpointStepsFor(steps: number, fractions: readonly number[]): number[] {
  if (steps <= 0) return [];
  const set = new Set(fractions.map((f) => Math.max(1, Math.min(steps, Math.ceil(steps * f)))));
  set.add(steps);
  return [...set].sort((a, b) => a - b);
}
