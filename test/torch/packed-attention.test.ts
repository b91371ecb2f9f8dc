// F.packedAttention (the fused float32 native node) against an independent 4-D matmul formula in
// float64, forward and backward; and the Tensor methods nn/ uses instead of ATen names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { F, Generator, empty, rand, randn, tidy, type Tensor } from '../../src/torch/index.ts';

// softmax(q kᵀ/√hd) v per head with heads as a 4-D batch dim: (B, T, 3d) → (B, T, d).
function attentionByMatmul(qkv: Tensor, heads: number): Tensor {
  const [batch, tokens, width] = qkv.shape as [number, number, number];
  const dim = width / 3;
  const hd = dim / heads;
  const [q, k, v] = qkv.split(dim, 2).map((t) => t.reshape(batch, tokens, heads, hd).transpose(1, 2)) as [
    Tensor,
    Tensor,
    Tensor,
  ];
  const probs = F.softmax(q.matmul(k.mT()).div(Math.sqrt(hd)), -1); // (B, H, T, T)
  return probs.matmul(v).transpose(1, 2).reshape(batch, tokens, dim);
}

test('fused float32 attention matches the float64 formula in value and gradient', () => {
  for (const [batch, tokens, dim, heads] of [
    [3, 16, 48, 4],
    [2, 20, 12, 3],
    [1, 1, 8, 2],
  ] as const) {
    tidy(() => {
      const g = new Generator(7);
      const qkv = randn([batch, tokens, 3 * dim], { generator: g, dtype: 'float64' }).mul(2);
      const weight = randn([batch, tokens, dim], { generator: g, dtype: 'float64' });
      const fast = qkv.float().detach().requiresGrad_();
      const exact = qkv.clone().detach().requiresGrad_();
      const yFast = F.packedAttention(fast, heads);
      const yExact = attentionByMatmul(exact, heads);
      assert.equal(yFast.dtype, 'float32');
      assert.deepEqual(yFast.shape, [batch, tokens, dim]);
      yFast.mul(weight.float()).sum().backward();
      yExact.mul(weight).sum().backward();
      // float32 rounding: a few ulps of the largest magnitude
      const outErr = yFast.double().sub(yExact).abs().max().item() / yExact.abs().max().item();
      const gradErr = fast.grad!.double().sub(exact.grad!).abs().max().item() / exact.grad!.abs().max().item();
      assert.ok(outErr < 2e-6, `output differs by ${outErr} (relative) at ${[batch, tokens, dim, heads]}`);
      assert.ok(gradErr < 2e-6, `gradient differs by ${gradErr} (relative) at ${[batch, tokens, dim, heads]}`);
      assert.ok(exact.grad!.abs().max().item() > 0.1, 'the gradient is not trivially zero');
    });
  }
});

test('float64 attention runs the ATen path with the same formula', () => {
  tidy(() => {
    const qkv = randn([2, 5, 36], { generator: new Generator(3), dtype: 'float64' });
    const err = F.packedAttention(qkv, 3).sub(attentionByMatmul(qkv, 3)).abs().max().item();
    assert.ok(err < 1e-12, `float64 paths differ by ${err}`);
  });
});

test('packedAttention rejects shapes whose width is not 3·dim with heads dividing dim', () => {
  tidy(() => {
    assert.throws(() => F.packedAttention(randn([2, 4, 30]), 4), /packedAttention: expected qkv .* 4 heads/);
    assert.throws(() => F.packedAttention(randn([4, 30]), 2), /packedAttention: expected qkv/);
  });
});

test('uniform_ and normal_ draw what rand and randn draw from the same seed; unbind slices a dim', () => {
  tidy(() => {
    const u = empty([1000]).uniform_(-2, 3, new Generator(5));
    const expectedU = rand([1000], { generator: new Generator(5) })
      .mul(5)
      .sub(2);
    assert.ok(u.sub(expectedU).abs().max().item() < 1e-6);
    assert.ok(u.min().item() >= -2 && u.max().item() < 3);
    const n = empty([1000]).normal_(1, 0.5, new Generator(6));
    const expectedN = randn([1000], { generator: new Generator(6) })
      .mul(0.5)
      .add(1);
    assert.ok(n.sub(expectedN).abs().max().item() < 1e-6);
    const parts = randn([3, 4, 2], { generator: new Generator(1) }).unbind(1);
    assert.equal(parts.length, 4);
    assert.deepEqual(parts[2]!.shape, [3, 2]);
  });
});
