// Optimizer update kernels that run as one native call per step (the parameter loop in C++).
import { native } from './native.ts';
import type { Tensor } from './tensor.ts';

export interface AdamwHyper {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  maximize: boolean;
}

/**
 * PyTorch 1.13 AdamW on every parameter that has a grad, in place: p ← p(1 − lr·wd);
 * m ← β1 m + (1−β1) g; v ← β2 v + (1−β2) g²; p ← p − lr/(1−β1ᵗ) · m / (√v/√(1−β2ᵗ) + ε).
 * `step` is t after this update (1 on the first call). Dense float32/float64 parameters run a fused
 * one-pass kernel with the same arithmetic per element; others run PyTorch's own op sequence.
 */
export function adamwStep(
  params: readonly Tensor[],
  expAvgs: readonly Tensor[],
  expAvgSqs: readonly Tensor[],
  step: number,
  h: AdamwHyper,
): void {
  native.adamwStep(
    params.map((p) => p.native),
    expAvgs.map((t) => t.native),
    expAvgSqs.map((t) => t.native),
    step,
    h.lr,
    h.beta1,
    h.beta2,
    h.eps,
    h.weightDecay,
    h.maximize,
  );
}
