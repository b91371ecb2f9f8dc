// Operators against hand-computed values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  tensor,
  zeros,
  ones,
  full,
  eye,
  arange,
  linspace,
  rand,
  randn,
  randint,
  randperm,
  cat,
  stack,
  where,
  fromTypedArray,
  Generator,
  F,
} from '../../src/torch/index.ts';
import { assertClose } from '../helpers.ts';

test('creation: shapes, dtypes and values', () => {
  assert.deepEqual(zeros([2, 3]).shape, [2, 3]);
  assert.equal(zeros([2]).dtype, 'float32');
  assert.deepEqual(ones([2], { dtype: 'float64' }).toArray(), [1, 1]);
  assert.deepEqual(full([3], 2.5).toArray(), [2.5, 2.5, 2.5]);
  assert.deepEqual(eye(2).tolist(), [
    [1, 0],
    [0, 1],
  ]);
  assert.equal(arange(5).dtype, 'int64');
  assert.deepEqual(arange(1, 7, 2).toArray(), [1, 3, 5]);
  assertClose(linspace(0, 1, 5), [0, 0.25, 0.5, 0.75, 1]);
  assert.deepEqual(
    tensor([
      [1, 2],
      [3, 4],
    ]).tolist(),
    [
      [1, 2],
      [3, 4],
    ],
  );
  assert.equal(tensor([1, 2], { dtype: 'int32' }).dtype, 'int32');
  assert.equal(randint(0, 10, [50]).dtype, 'int64');
  assert.deepEqual([...randperm(6).toArray()].sort(), [0, 1, 2, 3, 4, 5]);
});

test('typed arrays round-trip in every supported dtype', () => {
  const cases = [
    new Float32Array([1.5, -2, 3]),
    new Float64Array([1e-300, 2, -3]),
    new Int32Array([-7, 0, 9]),
    new BigInt64Array([-(2n ** 40n), 0n, 5n]),
    new Uint8Array([0, 128, 255]),
  ];
  for (const data of cases) {
    const t = fromTypedArray(data, [3]);
    assert.deepEqual(Array.from(t.toTypedArray() as ArrayLike<unknown>), Array.from(data as ArrayLike<unknown>));
  }
  const b = tensor([1, 0, 1], { dtype: 'bool' });
  assert.equal(b.dtype, 'bool');
  assert.deepEqual(b.toArray(), [1, 0, 1]);
  assert.deepEqual(Array.from(tensor([1, 2]).toFloat32Array()), [1, 2]);
  assert.equal(tensor([[3]]).item(), 3);
});

test('elementwise math with tensors and scalars', () => {
  const a = tensor([1, 4, 9], { dtype: 'float64' });
  const b = tensor([2, 2, 3], { dtype: 'float64' });
  assert.deepEqual(a.add(b).toArray(), [3, 6, 12]);
  assert.deepEqual(a.add(b, 2).toArray(), [5, 8, 15]);
  assert.deepEqual(a.sub(1).toArray(), [0, 3, 8]);
  assert.deepEqual(a.mul(b).toArray(), [2, 8, 27]);
  assert.deepEqual(a.div(b).toArray(), [0.5, 2, 3]);
  assert.deepEqual(a.neg().toArray(), [-1, -4, -9]);
  assert.deepEqual(a.sqrt().toArray(), [1, 2, 3]);
  assertClose(a.rsqrt(), [1, 0.5, 1 / 3]);
  assert.deepEqual(b.pow(2).toArray(), [4, 4, 9]);
  assertClose(a.log(), [0, Math.log(4), Math.log(9)]);
  assertClose(tensor([0, 1], { dtype: 'float64' }).exp(), [1, Math.E]);
  assert.deepEqual(tensor([-2, 3]).abs().toArray(), [2, 3]);
  assert.deepEqual(tensor([-2, 0.5, 3]).clamp(-1, 1).toArray(), [-1, 0.5, 1]);
  assert.deepEqual(a.maximum(tensor([2, 2, 10], { dtype: 'float64' })).toArray(), [2, 4, 10]);
  assert.deepEqual(a.minimum(5).toArray(), [1, 4, 5]);
  assert.deepEqual(tensor([-1, 2]).relu().toArray(), [0, 2]);
  assertClose(tensor([0, 1], { dtype: 'float64' }).sigmoid(), [0.5, 1 / (1 + Math.exp(-1))]);
  assertClose(tensor([0.5], { dtype: 'float64' }).tanh(), [Math.tanh(0.5)]);
  assertClose(tensor([Math.PI / 6], { dtype: 'float64' }).sin(), [0.5], { atol: 1e-12 });
  assertClose(tensor([Math.PI / 3], { dtype: 'float64' }).cos(), [0.5], { atol: 1e-12 });
  // GELU(x) = x·Φ(x): Φ(1) = 0.8413447460685429
  assertClose(tensor([1], { dtype: 'float64' }).gelu(), [0.8413447460685429], { rtol: 1e-12 });
  assert.deepEqual(a.gt(3).toArray(), [0, 1, 1]);
  assert.deepEqual(a.eq(b).toArray(), [0, 0, 0]);
  assert.deepEqual(a.le(4).toArray(), [1, 1, 0]);
  assert.deepEqual(where(a.gt(3), a, -1).toArray(), [-1, 4, 9]);
});

test('reductions over dims with keepdim', () => {
  const x = tensor(
    [
      [1, 2, 3],
      [4, 5, 6],
    ],
    { dtype: 'float64' },
  );
  assert.equal(x.sum().item(), 21);
  assert.deepEqual(x.sum(0).toArray(), [5, 7, 9]);
  assert.deepEqual(x.sum(1, true).shape, [2, 1]);
  assert.deepEqual(x.mean(1).toArray(), [2, 5]);
  assert.equal(x.max().item(), 6);
  const m = x.max(1);
  assert.deepEqual(m.values.toArray(), [3, 6]);
  assert.deepEqual(m.indices.toArray(), [2, 2]);
  assert.deepEqual(x.min(0).values.toArray(), [1, 2, 3]);
  assert.deepEqual(x.argmax(0).toArray(), [1, 1, 1]);
  assert.deepEqual(x.var(1).toArray(), [1, 1]); // unbiased by default
  assert.deepEqual(
    x
      .var(1, { unbiased: false })
      .toArray()
      .map((v) => +v.toFixed(12)),
    [0.666666666667, 0.666666666667],
  );
  assertClose(x.std(0), [Math.sqrt(4.5), Math.sqrt(4.5), Math.sqrt(4.5)]);
  assertClose(
    x.logsumexp(1),
    [Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3)), 6 + Math.log(1 + Math.exp(-1) + Math.exp(-2))],
    { rtol: 1e-12 },
  );
  assertClose(tensor([3, 4], { dtype: 'float64' }).norm(), [5]);
  assertClose(x.norm(2, 1), [Math.sqrt(14), Math.sqrt(77)]);
});

test('shape operations', () => {
  const x = arange(6, undefined, 1, { dtype: 'float32' }).reshape(2, 3);
  assert.deepEqual(x.tolist(), [
    [0, 1, 2],
    [3, 4, 5],
  ]);
  assert.deepEqual(x.transpose(0, 1).tolist(), [
    [0, 3],
    [1, 4],
    [2, 5],
  ]);
  assert.deepEqual(x.permute(1, 0).contiguous().view(6).toArray(), [0, 3, 1, 4, 2, 5]);
  assert.deepEqual(x.unsqueeze(0).shape, [1, 2, 3]);
  assert.deepEqual(x.unsqueeze(0).squeeze(0).shape, [2, 3]);
  assert.deepEqual(
    tensor([[1], [2]])
      .expand(2, 3)
      .tolist(),
    [
      [1, 1, 1],
      [2, 2, 2],
    ],
  );
  assert.deepEqual(cat([x, x], 0).shape, [4, 3]);
  assert.deepEqual(stack([x, x], 1).shape, [2, 2, 3]);
  assert.deepEqual(x.narrow(1, 1, 2).tolist(), [
    [1, 2],
    [4, 5],
  ]);
  assert.deepEqual(x.slice(1, 0, 3, 2).tolist(), [
    [0, 2],
    [3, 5],
  ]);
  assert.deepEqual(x.indexSelect(1, tensor([2, 0], { dtype: 'int64' })).tolist(), [
    [2, 0],
    [5, 3],
  ]);
  assert.deepEqual(x.gather(1, tensor([[1], [0]], { dtype: 'int64' })).tolist(), [[1], [3]]);
  assert.deepEqual(x.maskedFill(x.gt(3), -1).tolist(), [
    [0, 1, 2],
    [3, -1, -1],
  ]);
  assert.deepEqual(x.reshape(1, 2, 3).flatten().shape, [6]);
  assert.deepEqual(
    x.chunk(3, 1).map((c) => c.shape),
    [
      [2, 1],
      [2, 1],
      [2, 1],
    ],
  );
  assert.deepEqual(
    x.split([1, 2], 1).map((c) => c.tolist()),
    [
      [[0], [3]],
      [
        [1, 2],
        [4, 5],
      ],
    ],
  );
});

test('matmul, bmm and linear', () => {
  const a = tensor(
    [
      [1, 2],
      [3, 4],
    ],
    { dtype: 'float64' },
  );
  const b = tensor(
    [
      [5, 6],
      [7, 8],
    ],
    { dtype: 'float64' },
  );
  assert.deepEqual(a.matmul(b).tolist(), [
    [19, 22],
    [43, 50],
  ]);
  assert.deepEqual(
    stack([a, b])
      .bmm(stack([b, a]))
      .tolist(),
    [
      [
        [19, 22],
        [43, 50],
      ],
      [
        [23, 34],
        [31, 46],
      ],
    ],
  );
  // linear(x, W, b) = x Wᵀ + b
  const y = F.linear(tensor([[1, 1]], { dtype: 'float64' }), a, tensor([10, 20], { dtype: 'float64' }));
  assert.deepEqual(y.tolist(), [[13, 27]]);
});

test('nn functional: layerNorm, softmax, crossEntropy, normalize, embedding', () => {
  const x = tensor([[1, 2, 3, 4]], { dtype: 'float64' });
  // mean 2.5, biased var 1.25
  const z = [-1.5, -0.5, 0.5, 1.5].map((v) => v / Math.sqrt(1.25 + 1e-5));
  assertClose(F.layerNorm(x, [4]), z, { rtol: 1e-12 });
  const w = tensor([2, 2, 2, 2], { dtype: 'float64' });
  const bias = tensor([1, 1, 1, 1], { dtype: 'float64' });
  assertClose(
    F.layerNorm(x, [4], w, bias),
    z.map((v) => 2 * v + 1),
    { rtol: 1e-12 },
  );
  const e = [1, 2, 3, 4].map(Math.exp);
  const s = e.reduce((p, q) => p + q);
  assertClose(
    F.softmax(x, 1),
    e.map((v) => v / s),
    { rtol: 1e-12 },
  );
  assertClose(
    F.logSoftmax(x, 1),
    e.map((v) => Math.log(v / s)),
    { rtol: 1e-12 },
  );
  const logits = tensor(
    [
      [1, 2, 3, 4],
      [0, 0, 0, 0],
    ],
    { dtype: 'float64' },
  );
  const ce = F.crossEntropy(logits, tensor([3, 1], { dtype: 'int64' }));
  assertClose(ce, [(-Math.log(e[3]! / s) + Math.log(4)) / 2], { rtol: 1e-12 });
  assertClose(F.normalize(tensor([[3, 4]], { dtype: 'float64' })), [0.6, 0.8], { rtol: 1e-12 });
  const table = tensor([
    [0, 0],
    [1, 2],
    [3, 4],
  ]);
  assert.deepEqual(F.embedding(table, tensor([2, 1, 2], { dtype: 'int64' })).tolist(), [
    [3, 4],
    [1, 2],
    [3, 4],
  ]);
  assert.deepEqual(F.oneHot(tensor([0, 2], { dtype: 'int64' }), 3).tolist(), [
    [1, 0, 0],
    [0, 0, 1],
  ]);
});

test('dropout with a generator is reproducible and scales the kept entries', () => {
  const x = ones([10000]);
  const a = F.dropout(x, 0.25, { generator: new Generator(3) });
  const b = F.dropout(x, 0.25, { generator: new Generator(3) });
  assert.deepEqual(a.toArray(), b.toArray());
  const kept = a.gt(0).float().mean().item();
  assert.ok(Math.abs(kept - 0.75) < 0.02, `kept fraction ${kept}`);
  assertClose(a.max(), [1 / 0.75]);
  assert.equal(F.dropout(x, 0.25, { training: false }), x);
});

test('affineGrid + gridSample: identity returns the image, translation shifts it', () => {
  const img = arange(16, undefined, 1, { dtype: 'float64' }).reshape(1, 1, 4, 4);
  const identity = tensor(
    [
      [
        [1, 0, 0],
        [0, 1, 0],
      ],
    ],
    { dtype: 'float64' },
  );
  const same = F.gridSample(img, F.affineGrid(identity, [1, 1, 4, 4]));
  assertClose(same, img, { atol: 1e-12 });
  // Shifting the sampling grid by one pixel (2/4 in normalised units) along x reads the next column;
  // the last column samples outside the image → zeros padding.
  const shift = tensor(
    [
      [
        [1, 0, 0.5],
        [0, 1, 0],
      ],
    ],
    { dtype: 'float64' },
  );
  const moved = F.gridSample(img, F.affineGrid(shift, [1, 1, 4, 4]))
    .reshape(4, 4)
    .tolist() as number[][];
  assert.deepEqual(moved[0], [1, 2, 3, 0]);
  assert.deepEqual(moved[2], [9, 10, 11, 0]);
});

test('random draws: seeded generators are reproducible and independent of the global stream', () => {
  const g1 = new Generator(7);
  const first = randn([5], { generator: g1 }).toArray();
  const g2 = new Generator(7);
  randn([3]); // the global stream must not affect g2
  assert.deepEqual(randn([5], { generator: g2 }).toArray(), first);
  assert.notDeepEqual(randn([5], { generator: g1 }).toArray(), first);
  const u = rand([20000], { generator: new Generator(1), dtype: 'float64' });
  assert.ok(u.min().item() >= 0 && u.max().item() < 1);
  assert.ok(Math.abs(u.mean().item() - 0.5) < 0.01);
  const n = randn([20000], { generator: new Generator(2), dtype: 'float64' });
  assert.ok(Math.abs(n.std().item() - 1) < 0.02);
});
