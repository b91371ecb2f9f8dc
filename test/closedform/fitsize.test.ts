// The adaptive fit size: the probe stops once Σ̄ and Δ settle between doubling chunks, on a prefix of the
// seeded order the subset fit then uses; a fit at 'auto' equals a fit on the rows the probe chose.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { probeFitRows } from '../../src/closedform/index.ts';
import { Generator, randn, tidy } from '../../src/torch/index.ts';
import { fitClosedForm, disposeFit } from '../../src/train/index.ts';
import { disposeScenario, fitOptions, tinyTabular } from '../train/tiny.ts';

test('probeFitRows: a loose tolerance stops early, a tight one takes every row; the change shrinks with m', () =>
  tidy(() => {
    const g = new Generator(5);
    const x = randn([4096, 12], { generator: g });
    const v1 = x.add(randn([4096, 12], { generator: g }).mul(0.3));
    const v2 = x.add(randn([4096, 12], { generator: g }).mul(0.3));
    const loose = probeFitRows(v1, v2, { seed: 1, tolerance: 0.05, lambda: 1 });
    assert.ok(loose.converged && loose.rows < 4096, `stopped at ${loose.rows}`);
    assert.ok(loose.history.at(-1)!.change < 0.05);
    const tight = probeFitRows(v1, v2, { seed: 1, tolerance: 1e-9, lambda: 1 });
    assert.equal(tight.rows, 4096);
    assert.equal(tight.converged, false);
    // doubling chunks: 128, 256, …, 4096; the change falls roughly as 1/√m
    assert.deepEqual(
      tight.history.map((h) => h.rows),
      [256, 512, 1024, 2048, 4096],
    );
    assert.ok(tight.history.at(-1)!.change < tight.history[0]!.change / 2);
    assert.deepEqual(probeFitRows(v1, v2, { seed: 1, tolerance: 0.05, lambda: 1 }), loose, 'deterministic per seed');
    assert.throws(() => probeFitRows(v1, v2, { seed: 1, tolerance: 0, lambda: 1 }), /tolerance/);
  }));

test("fitRows 'auto' is the subset fit on the probe's rows, bit for bit", () => {
  const s = tinyTabular({ nTrain: 2000, features: 6 });
  const auto = fitClosedForm(s, { ...fitOptions(s, 3), fitRows: 'auto', tolerance: 0.3 });
  assert.ok(auto.fitRows < 2000 && auto.probeRows === auto.fitRows, `auto rows ${auto.fitRows}`);
  const fixed = fitClosedForm(s, { ...fitOptions(s, 3), fitRows: auto.fitRows });
  assert.equal(fixed.probeRows, 0);
  assert.ok(auto.kind === 'mlp' && fixed.kind === 'mlp');
  auto.state.layers.forEach((l, i) => {
    assert.equal(
      tidy(() => l.transform.sub(fixed.state.layers[i]!.transform).abs().max().item()),
      0,
    );
  });
  disposeFit(auto);
  disposeFit(fixed);
  disposeScenario(s);
});
