// Gradient mode scopes and multi-output backward.
import { native } from './native.ts';
import type { Tensor } from './tensor.ts';

/** Runs fn with gradient recording off (torch.no_grad). fn must be synchronous. */
export function noGrad<T>(fn: () => T): T {
  const previous = native.setGradEnabled(false);
  try {
    return fn();
  } finally {
    native.setGradEnabled(previous);
  }
}

/** Runs fn with gradient recording on, even inside noGrad. */
export function enableGrad<T>(fn: () => T): T {
  const previous = native.setGradEnabled(true);
  try {
    return fn();
  } finally {
    native.setGradEnabled(previous);
  }
}

export function isGradEnabled(): boolean {
  return native.isGradEnabled();
}

/** Accumulates gradients of several outputs into the leaves (torch.autograd.backward). */
export function backward(
  outputs: readonly Tensor[],
  grads: readonly (Tensor | null)[] = [],
  options: { retainGraph?: boolean; createGraph?: boolean } = {},
): void {
  native.backward(
    outputs.map((t) => t.native),
    outputs.map((_, i) => grads[i]?.native ?? null),
    options.retainGraph ?? false,
    options.createGraph ?? false,
  );
}
