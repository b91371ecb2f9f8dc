// Native memory: tidy scopes free intermediates, and a long training loop does not leak.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  tensor,
  randn,
  randint,
  tidy,
  keep,
  dispose,
  Generator,
  F,
  liveTensors,
  releaseFreeMemory,
  type Tensor,
} from '../../src/torch/index.ts';
import { Linear, LayerNorm, AdamW, trainStep } from '../../src/nn/index.ts';

test('tidy disposes intermediates but not what it returns or keeps', () => {
  let inner: Tensor | undefined;
  let kept: Tensor | undefined;
  const result = tidy(() => {
    const a = tensor([1, 2, 3]);
    inner = a.mul(2);
    kept = keep(a.add(1));
    return { sum: inner.add(a), list: [a.sub(1)] };
  });
  assert.equal(inner!.isDisposed, true);
  assert.equal(kept!.isDisposed, false);
  assert.deepEqual(result.sum.toArray(), [3, 6, 9]);
  assert.deepEqual(result.list[0]!.toArray(), [0, 1, 2]);
  dispose(result);
  assert.equal(result.sum.isDisposed, true);
  assert.throws(() => result.sum.toArray(), /disposed/);
});

test('nested tidy hands returned tensors to the enclosing scope', () => {
  let escaped: Tensor | undefined;
  tidy(() => {
    escaped = tidy(() => tensor([1]).add(1));
    assert.equal(escaped.isDisposed, false);
    return null;
  });
  assert.equal(escaped!.isDisposed, true);
});

test('tidy disposes its intermediates when fn throws', () => {
  let made: Tensor | undefined;
  assert.throws(
    () =>
      tidy(() => {
        made = tensor([1]).add(1);
        throw new Error('boom');
      }),
    /boom/,
  );
  assert.equal(made!.isDisposed, true);
});

test('5,000 training steps (forward, backward, AdamW) keep RSS flat', (t) => {
  const g = new Generator(0);
  const layers = [new Linear(64, 128, { generator: g }), new LayerNorm(128), new Linear(128, 10, { generator: g })];
  const params = layers.flatMap((l) => l.parameters());
  const opt = new AdamW(params, { lr: 1e-3 });
  const step = () =>
    trainStep(opt, () => {
      const x = randn([32, 64], { generator: g });
      const y = randint(0, 10, [32], { generator: g });
      const h = layers[1]!.forward(layers[0]!.forward(x).gelu());
      return F.crossEntropy(layers[2]!.forward(h), y);
    });
  // RSS is read after handing freed heap blocks back to the OS, so that it counts memory in use,
  // not what glibc keeps cached for reuse.
  const rssInUse = () => {
    releaseFreeMemory();
    return process.memoryUsage().rss;
  };
  for (let i = 0; i < 500; i++) step();
  const handlesAfterWarmup = liveTensors();
  const rssAfterWarmup = rssInUse();
  let last = 0;
  for (let i = 0; i < 5000; i++) last = step();
  const growthMb = (rssInUse() - rssAfterWarmup) / 2 ** 20;
  t.diagnostic(`RSS growth over 5,000 steps: ${growthMb.toFixed(1)} MB`);
  assert.ok(Number.isFinite(last));
  assert.equal(liveTensors(), handlesAfterWarmup, 'tensor handles leaked');
  assert.ok(growthMb < 50, `RSS grew by ${growthMb.toFixed(1)} MB over 5,000 steps`);
});
