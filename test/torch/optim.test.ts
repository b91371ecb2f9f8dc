// Optimizers follow PyTorch's update rules, checked against the rules computed by hand in float64.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor, type Tensor } from '../../src/torch/index.ts';
import { AdamW, SGD, type Optimizer } from '../../src/nn/index.ts';
import { assertClose } from '../helpers.ts';

// f(p) = ½ Σ aᵢ pᵢ² + Σ bᵢ pᵢ, so ∇f = a ⊙ p + b.
const a = [1, 3, 0.5, 2];
const b = [0.1, -0.2, 0.3, 0];
const start = [1, -2, 0.5, 3];
const gradOf = (p: number[]) => p.map((x, i) => a[i]! * x + b[i]!);

function runSteps(opt: Optimizer, p: Tensor, steps: number): number[][] {
  const at = tensor(a, { dtype: 'float64' });
  const bt = tensor(b, { dtype: 'float64' });
  const trace: number[][] = [];
  for (let s = 0; s < steps; s++) {
    opt.zeroGrad();
    p.square().mul(at).mul(0.5).sum().add(p.mul(bt).sum()).backward();
    opt.step();
    trace.push(p.toArray());
  }
  return trace;
}

test('AdamW matches the PyTorch rule computed by hand', () => {
  const lr = 0.05,
    beta1 = 0.9,
    beta2 = 0.99,
    eps = 1e-8,
    wd = 0.1;
  const p = tensor(start, { dtype: 'float64' }).requiresGrad_(true);
  const got = runSteps(new AdamW([p], { lr, betas: [beta1, beta2], eps, weightDecay: wd }), p, 6);
  // p ← p(1 − lr·wd); m ← β1m + (1−β1)g; v ← β2v + (1−β2)g²;
  // p ← p − lr/(1−β1ᵗ) · m / (√v/√(1−β2ᵗ) + eps)
  let x = [...start];
  const m = [0, 0, 0, 0],
    v = [0, 0, 0, 0];
  for (let t = 1; t <= 6; t++) {
    const g = gradOf(x);
    x = x.map((xi, i) => {
      const decayed = xi * (1 - lr * wd);
      m[i] = beta1 * m[i]! + (1 - beta1) * g[i]!;
      v[i] = beta2 * v[i]! + (1 - beta2) * g[i]! ** 2;
      const denom = Math.sqrt(v[i]!) / Math.sqrt(1 - beta2 ** t) + eps;
      return decayed - (lr / (1 - beta1 ** t)) * (m[i]! / denom);
    });
    assertClose(got[t - 1]!, x, { rtol: 1e-12, atol: 1e-14, what: `AdamW step ${t}` });
  }
});

test('AdamW state round-trips: a resumed optimizer continues exactly like the original', () => {
  const p32 = tensor(start, { dtype: 'float32' }).requiresGrad_(true);
  const opt = new AdamW([p32], { lr: 0.01 });
  runSteps(opt, p32, 3);
  const state = opt.stateDict();
  assert.equal(state.step, 3);
  const q = tensor(p32.toArray(), { dtype: 'float32' }).requiresGrad_(true);
  const resumed = new AdamW([q], { lr: 0.01 });
  resumed.loadStateDict(state);
  const next = runSteps(opt, p32, 2);
  const nextResumed = runSteps(resumed, q, 2);
  assertClose(nextResumed[1]!, next[1]!, { rtol: 1e-6, what: 'resumed AdamW' });
});

for (const nesterov of [false, true]) {
  test(`SGD with momentum and weight decay matches PyTorch's rule (nesterov=${nesterov})`, () => {
    const lr = 0.1,
      momentum = 0.9,
      wd = 0.01;
    const p = tensor(start, { dtype: 'float64' }).requiresGrad_(true);
    const got = runSteps(new SGD([p], { lr, momentum, weightDecay: wd, nesterov }), p, 5);
    // d = g + wd·p; buf = d (first step) else momentum·buf + d; p ← p − lr·(nesterov ? d + momentum·buf : buf)
    let x = [...start];
    let buf: number[] | null = null;
    for (let t = 1; t <= 5; t++) {
      const d = gradOf(x).map((gi, i) => gi + wd * x[i]!);
      buf = buf ? buf.map((bi, i) => momentum * bi + d[i]!) : [...d];
      const step = nesterov ? d.map((di, i) => di + momentum * buf![i]!) : buf;
      x = x.map((xi, i) => xi - lr * step[i]!);
      assertClose(got[t - 1]!, x, { rtol: 1e-12, atol: 1e-14, what: `SGD step ${t}` });
    }
  });
}

test('optimizers reject invalid hyper-parameters', () => {
  const p = tensor([1]).requiresGrad_(true);
  assert.throws(() => new AdamW([p], { lr: -1 }), /learning rate/);
  assert.throws(() => new AdamW([p], { betas: [1, 0.9] }), /betas/);
  assert.throws(() => new SGD([p], { lr: 0.1, nesterov: true }), /Nesterov/);
});
