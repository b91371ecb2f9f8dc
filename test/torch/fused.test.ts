// The fused kernels of the closed-form fit (src/torch/fused.ts) against the same formulas written as plain
// ATen ops in float64, at shapes that reach every tail of the AVX2 micro-kernel (widths not multiples of
// 8 or 32, odd token counts), in float32 and float64.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  F,
  Generator,
  cat,
  empty,
  fused,
  getNumThreads,
  randn,
  setNumThreads,
  zeros,
  type DType,
  type Tensor,
} from '../../src/torch/index.ts';

const SHAPES: [batch: number, tokens: number, width: number, heads: number, k: number][] = [
  [3, 16, 192, 2, 8],
  [2, 5, 13, 3, 4],
  [4, 80, 64, 2, 8],
  [1, 1, 40, 1, 3],
];

function maxAbsDiff(a: Tensor, b: Tensor): number {
  return a.double().sub(b.double()).abs().max().item() as number;
}

const TOLERANCE: Record<DType & ('float32' | 'float64'), number> = { float32: 2e-5, float64: 1e-12 };

// Ctx(X) by the formula: per head, q = rownormalize(X Q_h) (floored at 1e-8), softmax(q qᵀ/√k) X.
function contextsByFormula(x: Tensor, queryMap: Tensor, heads: number): Tensor {
  const k = queryMap.size(1) / heads;
  const p = x.double().matmul(queryMap.double());
  const parts = Array.from({ length: heads }, (_, h) => {
    const q = p.narrow(-1, h * k, k);
    const unit = q.div(q.norm(2, -1, true).clampMin(1e-8));
    return F.softmax(unit.bmm(unit.mT()).mul(1 / Math.sqrt(k)), -1).bmm(x.double());
  });
  return cat(parts, -1);
}

for (const dtype of ['float32', 'float64'] as const) {
  test(`spectralContexts equals the per-head softmax formula (${dtype})`, () => {
    const g = new Generator(3);
    for (const [b, t, d, heads, k] of SHAPES) {
      const xs = [randn([b, t, d], { generator: g, dtype }), randn([b, t, d], { generator: g, dtype })];
      const queryMap = randn([d, heads * k], { generator: g, dtype });
      const outs = xs.map(() => empty([b, t, heads * d], { dtype }));
      fused.spectralContexts(xs, queryMap, heads, outs);
      xs.forEach((x, i) => {
        const diff = maxAbsDiff(outs[i], contextsByFormula(x, queryMap, heads));
        assert.ok(diff < TOLERANCE[dtype] * 10, `[${b}, ${t}, ${d}] × ${heads} heads: ${diff}`);
      });
    }
  });

  test(`product updates accumulate αAᵀA (syrk) and αAᵀB into float64, both triangles (${dtype})`, () => {
    const g = new Generator(4);
    for (const [rows, m, n] of [
      [300, 13, 7],
      [1024, 96, 40],
      [5, 1, 1],
    ]) {
      const a = randn([rows, m], { generator: g, dtype });
      const b = randn([rows, n], { generator: g, dtype });
      const start = randn([m, m], { generator: g, dtype: 'float64' });
      const sym = start.clone();
      fused.symmetricRankUpdates_([sym, sym], [a, a.mul(2)], [0.5, -0.25]); // ½AᵀA − ¼(2A)ᵀ(2A) = −½AᵀA
      const want = start.add(a.double().t().mm(a.double()).mul(-0.5));
      const scale = a.double().square().sum(0).max().item() as number;
      assert.ok(maxAbsDiff(sym, want) < TOLERANCE[dtype] * scale, `syrk ${rows}×${m}`);
      const cross = zeros([m, n], { dtype: 'float64' });
      fused.transposedProductUpdates_([cross], [a], [b], [3]);
      assert.ok(maxAbsDiff(cross, a.double().t().mm(b.double()).mul(3)) < TOLERANCE[dtype] * 3 * rows, 'gemm');
    }
  });

  test(`sumAndDifference rounds like the ATen ops and sums in float64, in place too (${dtype})`, () => {
    const g = new Generator(5);
    const a = randn([37, 11], { generator: g, dtype });
    const b = randn([37, 11], { generator: g, dtype });
    const shift = randn([1, 11], { generator: g, dtype });
    const [s, d] = [empty([37, 11], { dtype }), empty([37, 11], { dtype })];
    const stats = fused.sumAndDifference(a, b, shift, s, d).toArray();
    const wantS = a.add(b).sub(shift);
    const wantD = a.sub(b);
    assert.equal(maxAbsDiff(s, wantS), 0);
    assert.equal(maxAbsDiff(d, wantD), 0);
    const colSums = wantS.double().sum(0).toArray();
    colSums.forEach((v, j) => assert.ok(Math.abs(stats[j] - v) < 1e-9, `column ${j}`));
    assert.ok(Math.abs(stats[11] - (wantS.double().square().sum().item() as number)) < 1e-9);
    assert.ok(Math.abs(stats[12] - (wantD.double().square().sum().item() as number)) < 1e-9);
    const [ia, ib] = [a.clone(), b.clone()];
    fused.sumAndDifference(ia, ib, null, ia, ib);
    assert.equal(maxAbsDiff(ia, a.add(b)), 0);
    assert.equal(maxAbsDiff(ib, wantD), 0);
  });

  test(`columnMoments gives the column means and centred squares, ReLU in place, any thread count (${dtype})`, () => {
    const g = new Generator(8);
    for (const rows of [1, 255, 256, 1000]) {
      const x = randn([rows, 13], { generator: g, dtype }).add(3);
      const want = x.double();
      const got = fused.columnMoments(x);
      const mean = want.mean(0);
      assert.ok(maxAbsDiff(got.narrow(0, 0, 1).view(13), mean) < 1e-12, `mean, ${rows} rows`);
      const m2 = want.sub(mean).square().sum(0);
      assert.ok(maxAbsDiff(got.narrow(0, 1, 1).view(13), m2) < 1e-9 * rows, `M2, ${rows} rows`);
      assert.equal(maxAbsDiff(x, want), 0, 'x unchanged without relu');
      const y = randn([rows, 13], { generator: g, dtype });
      const relu = y.relu();
      const [reluMean, reluM2] = [relu.double().mean(0), relu.double().var(0, { unbiased: false }).mul(rows)];
      const threads = getNumThreads();
      const serial = (() => {
        const copy = y.clone();
        setNumThreads(1);
        try {
          return fused.columnMoments(copy, { relu: true });
        } finally {
          setNumThreads(threads);
        }
      })();
      const moments = fused.columnMoments(y, { relu: true });
      assert.equal(maxAbsDiff(y, relu), 0, 'relu in place');
      assert.ok(maxAbsDiff(moments.narrow(0, 0, 1).view(13), reluMean) < 1e-12);
      assert.ok(maxAbsDiff(moments.narrow(0, 1, 1).view(13), reluM2) < 1e-9 * rows);
      assert.equal(maxAbsDiff(moments, serial), 0, 'the same bits on one thread');
    }
  });

  test(`normalizeColumns_ rounds like (x − mean) / scale (${dtype})`, () => {
    const g = new Generator(9);
    const x = randn([300, 13], { generator: g, dtype });
    const [mean, scale] = [randn([1, 13], { generator: g, dtype }), randn([1, 13], { generator: g, dtype }).abs()];
    const want = x.sub(mean).div(scale);
    fused.normalizeColumns_(x, mean, scale);
    assert.equal(maxAbsDiff(x, want), 0);
    assert.throws(() => fused.normalizeColumns_(x, mean.narrow(1, 0, 4), scale), /mean must have 13 entries/);
  });

  test(`the in-place attention and FFN sublayers equal their formulas (${dtype})`, () => {
    const g = new Generator(6);
    for (const [b, t, d, heads, k] of SHAPES) {
      const x = randn([b, t, d], { generator: g, dtype });
      const queryMap = randn([d, heads * k], { generator: g, dtype });
      const outputMap = randn([heads * d, d], { generator: g, dtype }).mul(0.1);
      const alpha = 0.3;
      const ln = (h: Tensor) => F.layerNorm(h, [d], null, null, 1e-5);
      const want = ln(
        contextsByFormula(x, queryMap, heads)
          .matmul(outputMap.double())
          .mul(1 - alpha)
          .add(x.double().mul(alpha)),
      );
      const h = x.clone();
      fused.attentionSublayers_([h], [empty([b, t, heads * d], { dtype })], queryMap, heads, outputMap, alpha);
      assert.ok(maxAbsDiff(h, want) < TOLERANCE[dtype] * 100, `attention [${b}, ${t}, ${d}]`);
      const ffn = randn([d, d], { generator: g, dtype }).mul(0.2);
      const wantFfn = ln(h.double().add(h.double().matmul(ffn.double()).relu()));
      fused.ffnSublayers_([h], ffn);
      assert.ok(maxAbsDiff(h, wantFfn) < TOLERANCE[dtype] * 100, `ffn [${b}, ${t}, ${d}]`);
    }
  });
}

test('linearReluMoments writes ReLU(x·A) and returns its column moments, the same bits on any thread count', () => {
  const g = new Generator(12);
  // widths around the kernel's 16/8/4-column tiles and its masked tail; rows around the 256-row blocks
  for (const [rows, k, d] of [
    [1, 5, 3],
    [255, 54, 54],
    [256, 7, 13],
    [1000, 64, 64],
    [513, 20, 1],
  ]) {
    const x = randn([rows, k], { generator: g, dtype: 'float64' });
    const a = randn([k, d], { generator: g, dtype: 'float64' });
    const out = empty([rows, d], { dtype: 'float64' });
    const moments = fused.linearReluMoments(x, a, out);
    const want = x.mm(a).relu();
    assert.ok(maxAbsDiff(out, want) < 1e-12 * k, `product, ${rows}×${k}×${d}`);
    const wantMoments = fused.columnMoments(want.clone());
    assert.ok(maxAbsDiff(moments, wantMoments) < 1e-9 * rows, `moments, ${rows}×${k}×${d}`);
    const threads = getNumThreads();
    setNumThreads(1);
    try {
      const serialOut = empty([rows, d], { dtype: 'float64' });
      assert.equal(maxAbsDiff(fused.linearReluMoments(x, a, serialOut), moments), 0, 'moments on one thread');
      assert.equal(maxAbsDiff(serialOut, out), 0, 'product on one thread');
    } finally {
      setNumThreads(threads);
    }
  }
  const x = randn([10, 4], { generator: g, dtype: 'float64' });
  assert.throws(() => fused.linearReluMoments(x, randn([5, 3], { dtype: 'float64' }), empty([10, 3])), /transform/);
  assert.throws(() => fused.linearReluMoments(x, randn([4, 4], { dtype: 'float64' }), x), /share storage/);
});

test('fused kernels reject mismatched shapes and dtypes with the culprit named', () => {
  const x = randn([2, 4, 8]);
  assert.throws(
    () => fused.spectralContexts([x], randn([8, 5]), 2, [empty([2, 4, 16])]),
    /queryMap must be \(8, heads·k\) with 2 heads/,
  );
  assert.throws(
    () => fused.spectralContexts([x], randn([8, 4]), 2, [empty([2, 4, 8])]),
    /out must be \(2, 4, 16\), got \[2, 4, 8\]/,
  );
  assert.throws(
    () => fused.spectralContexts([x], randn([8, 4], { dtype: 'float64' }), 2, [empty([2, 4, 16])]),
    /queryMap must be a Double CPU tensor|queryMap must be a Float CPU tensor/,
  );
  assert.throws(
    () => fused.symmetricRankUpdates_([zeros([3, 3])], [randn([5, 3])], [1]),
    /c must be a contiguous float64 \(3, 3\) tensor/,
  );
  assert.throws(
    () => fused.sumAndDifference(randn([3, 2]), randn([2, 3]), null, empty([3, 2]), empty([3, 2])),
    /b must/,
  );
});
