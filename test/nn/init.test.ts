// In-place initialisation (torch.nn.init): each function fills the tensor it is given from its generator only,
// with the distribution's defining property; layers allocate, then reset in place, in PyTorch's draw order.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BaselineTransformer, Linear, baselineConfig, init } from '../../src/nn/index.ts';
import { Generator, eye, tidy, zeros } from '../../src/torch/index.ts';

const maxAbs = (t: { abs(): { max(): { item(): number } } }): number => t.abs().max().item();

test('orthogonal_: WᵀW = gain²·I (tall) and W Wᵀ = gain²·I (wide) to 1e-5, deterministic per seed', () =>
  tidy(() => {
    for (const [rows, cols] of [
      [64, 16],
      [16, 64],
      [32, 32],
    ] as const) {
      const w = init.orthogonal_(zeros([rows, cols]), { gain: Math.SQRT2, generator: new Generator(3) });
      const gram = rows >= cols ? w.t().mm(w) : w.mm(w.t());
      const k = Math.min(rows, cols);
      assert.ok(maxAbs(gram.sub(eye(k).mul(2))) < 1e-5, `${rows}×${cols}: ‖gram − 2I‖∞`);
      const again = init.orthogonal_(zeros([rows, cols]), { gain: Math.SQRT2, generator: new Generator(3) });
      assert.equal(maxAbs(w.sub(again)), 0);
      const other = init.orthogonal_(zeros([rows, cols]), { gain: Math.SQRT2, generator: new Generator(4) });
      assert.ok(maxAbs(w.sub(other)) > 1e-3);
    }
    assert.throws(() => init.orthogonal_(zeros([5])), /rank ≥ 2/);
  }));

test('kaiming, xavier and uniform fill in place within their bounds; zeros_ and ones_', () =>
  tidy(() => {
    const w = zeros([200, 50]);
    const same = init.kaimingUniform_(w, { generator: new Generator(1) });
    assert.equal(same, w, 'returns the tensor it filled');
    const bound = Math.sqrt(6 / 50); // √3 · √2 / √fanIn
    assert.ok(maxAbs(w) <= bound && maxAbs(w) > 0.9 * bound);
    init.xavierUniform_(w, { generator: new Generator(1) });
    assert.ok(maxAbs(w) <= Math.sqrt(6 / 250));
    init.zeros_(w);
    assert.equal(maxAbs(w), 0);
    init.ones_(w);
    assert.equal(w.sum().item(), 200 * 50);
    assert.deepEqual(init.fans(zeros([8, 4, 3, 3])), { fanIn: 36, fanOut: 72 });
    assert.ok(Math.abs(init.gain('relu') - Math.SQRT2) < 1e-15);
  }));

test('layers allocate then reset in place: resetParameters redraws what construction drew; init: false is zero', () =>
  tidy(() => {
    const a = new Linear(7, 5, { generator: new Generator(9) });
    const b = new Linear(7, 5, { init: false });
    assert.equal(maxAbs(b.weight) + maxAbs(b.bias!), 0);
    b.resetParameters(new Generator(9));
    assert.equal(maxAbs(a.weight.sub(b.weight)), 0);
    assert.equal(maxAbs(a.bias!.sub(b.bias!)), 0);
    const t1 = new BaselineTransformer(baselineConfig(8, 3, 'mean'), { generator: new Generator(2) });
    const t2 = new BaselineTransformer(baselineConfig(8, 3, 'mean'), { init: false });
    t2.resetParameters(new Generator(2));
    const s1 = t1.stateDict();
    const s2 = t2.stateDict();
    for (const k of Object.keys(s1)) assert.equal(maxAbs(s1[k]!.sub(s2[k]!)), 0, k);
  }));
