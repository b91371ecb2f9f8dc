import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  fitLayer,
  fitMlpEncoder,
  fitTransformerEncoder,
  shrinkageGains,
  whitenedDelta,
} from '../../src/closedform/index.ts';
import { Generator, cat, eye, randn, tidy, type Tensor } from '../../src/torch/index.ts';

/** Two correlated (n, d) views with feature-dependent noise. */
function views(seed: number, n = 400, d = 8): { h1: Tensor; h2: Tensor } {
  const g = new Generator(seed);
  const z = randn([n, d], { generator: g, dtype: 'float64' });
  const mix = randn([d, d], { generator: g, dtype: 'float64' })
    .div(Math.sqrt(d))
    .add(eye(d, { dtype: 'float64' }));
  const base = z.mm(mix);
  const h1 = base.add(randn([n, d], { generator: g, dtype: 'float64' }).mul(0.4));
  const h2 = base.add(randn([n, d], { generator: g, dtype: 'float64' }).mul(0.4));
  return { h1, h2 };
}

function objective(g: Tensor, m: Tensor, lambda: number): number {
  return tidy(() => {
    const d = g.size(0);
    const fit = g.t().mm(m).mm(g).diagonal().sum().item();
    return (
      fit +
      lambda *
        g
          .sub(eye(d, { dtype: 'float64' }))
          .square()
          .sum()
          .item()
    );
  });
}

test('G minimises tr(GᵀMG) + λ‖G − I‖²: every random perturbation increases the objective', () => {
  const { h1, h2 } = views(11);
  for (const lambda of [0.3, 1, 5]) {
    const fit = fitLayer(h1, h2, lambda);
    const best = objective(fit.gMatrix, fit.mMatrix, lambda);
    const g = new Generator(5);
    for (let i = 0; i < 20; i++) {
      const step = randn(fit.gMatrix.shape, { generator: g, dtype: 'float64' }).mul(1e-3 * (1 + i));
      const worse = objective(fit.gMatrix.add(step), fit.mMatrix, lambda);
      assert.ok(worse > best, `λ=${lambda}: perturbation ${i} gave ${worse} ≤ ${best}`);
    }
  }
});

test('gains lie in (0, 1], also for an indefinite M', () => {
  const { h1, h2 } = views(12);
  const fit = fitLayer(h1, h2, 1);
  for (const gain of fit.gains.toArray()) assert.ok(gain > 0 && gain <= 1, `gain ${gain} outside (0, 1]`);
  const indefinite = randn([6, 6], { generator: new Generator(3), dtype: 'float64' });
  const { gains } = shrinkageGains(indefinite.add(indefinite.t()), 2);
  for (const gain of gains.toArray())
    assert.ok(gain > 0 && gain <= 1, `gain ${gain} outside (0, 1] for an indefinite M`);
});

test('identical views give the identity transform', () => {
  const { h1 } = views(13);
  const fit = fitLayer(h1, h1.clone(), 1);
  const err = fit.transform
    .sub(eye(8, { dtype: 'float64' }))
    .abs()
    .max()
    .item();
  assert.ok(err < 1e-10, `‖A − I‖_max = ${err}`);
});

test('a rank-deficient Σ̄ (constant feature, duplicated feature) fits without NaN', () => {
  const { h1, h2 } = views(14, 300, 6);
  const constant = (h: Tensor) => h.narrow(1, 0, 1).mul(0).add(3);
  const deficient = (h: Tensor) => cat([h, constant(h), h.narrow(1, 2, 1)], 1);
  const d1 = deficient(h1);
  const d2 = deficient(h2);
  const fit = fitLayer(d1, d2, 1);
  for (const [name, t] of Object.entries({ transform: fit.transform, gains: fit.gains, invSqrt: fit.sigmaInvSqrt })) {
    assert.equal(t.isfinite().all().item(), 1, `${name} has NaN/Inf`);
  }
  for (const gain of fit.gains.toArray()) assert.ok(gain > 0 && gain <= 1);
  const mlp = fitMlpEncoder({ base: d1, view1: d1, view2: d2 });
  assert.equal(mlp.streams.base.isfinite().all().item(), 1, 'MLP streams have NaN/Inf');
  // tokens: a constant feature and a duplicated feature in every token
  const tok = (h: Tensor) => h.reshape(50, 6, 8);
  const { streams } = fitTransformerEncoder(
    { view1: tok(d1), view2: tok(d2) },
    { depth: 2, heads: 2, landmarks: 2, computeDtype: 'float64' },
  );
  assert.equal(streams.view1.isfinite().all().item(), 1, 'transformer streams have NaN/Inf');
});

test('M is exactly symmetric and A = Σ̄^½ G Σ̄^-½', () => {
  const { h1, h2 } = views(15);
  const fit = fitLayer(h1, h2, 1);
  const m = whitenedDelta(fit.stats.delta, fit.sigmaInvSqrt);
  assert.ok(m.sub(m.t()).abs().max().item() === 0, 'M is not exactly symmetric');
  const a = fit.transform;
  assert.ok(a.sub(fit.sigmaSqrt.mm(fit.gMatrix).mm(fit.sigmaInvSqrt)).abs().max().item() < 1e-12);
});

test('invalid inputs raise clear errors', () => {
  const { h1, h2 } = views(16);
  assert.throws(() => fitLayer(h1, h2.narrow(1, 0, 4)), /same shape/);
  assert.throws(() => fitLayer(h1, h2, 0), /fitLayer: lambda must be a finite number > 0/);
  assert.throws(
    () =>
      fitTransformerEncoder({ view1: h1.reshape(50, 8, 8), view2: h2.reshape(50, 8, 8) }, { heads: 2, landmarks: 8 }),
    /exceeds the token width/,
  );
  assert.throws(
    () => fitMlpEncoder({ base: h1, view1: h1, view2: h2 }, { depth: 0 }),
    /depth must be a positive integer/,
  );
});
