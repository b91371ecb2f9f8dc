// Numeric options must be finite and in range on every floor, and bad fit inputs are reported by the
// fit naming the argument and the element (not by eigh deep inside it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  fitLayer,
  fitMlpEncoder,
  fitTransformerEncoder,
  FitInputError,
  PairedStatsAccumulator,
  pairedStats,
  psdSqrtAndInvSqrt,
  ridgeSolve,
  shrinkageGains,
  spectralAttentionFit,
  subsetRows,
} from '../../src/closedform/index.ts';
import { buildCovtypeScenario, buildQnliScenario } from '../../src/data/index.ts';
import { CfinitError, ConfigError, ShapeError } from '../../src/errors.ts';
import { BaselineTransformer } from '../../src/nn/index.ts';
import {
  deserialize,
  empty,
  Generator,
  randn,
  SafetensorsError,
  serialize,
  type Tensor,
} from '../../src/torch/index.ts';

function streams(seed: number) {
  const g = new Generator(seed);
  const base = randn([10, 3, 4], { generator: g, dtype: 'float64' });
  return { base, view1: base.add(randn([10, 3, 4], { generator: g, dtype: 'float64' })), view2: base.mul(0.9) };
}

const configError = (pattern: RegExp) => (err: Error) => err instanceof ConfigError && pattern.test(err.message);
const rejects = (fn: () => unknown, pattern: RegExp) => assert.throws(fn, configError(pattern));

test('every numeric option is finite and in range: Infinity, NaN, strings and out-of-range values are named', () => {
  const s = streams(1);
  const flat = { base: s.base.reshape(-1, 4), view1: s.view1.reshape(-1, 4), view2: s.view2.reshape(-1, 4) };
  for (const lambda of [Infinity, NaN, -1, 0, '1' as unknown as number]) {
    rejects(() => fitTransformerEncoder(s, { lambda }), /transformer encoder: lambda must be a finite number > 0/);
    rejects(() => fitMlpEncoder(flat, { lambda }), /fitMlpEncoder: lambda must be a finite number > 0/);
  }
  rejects(() => fitTransformerEncoder(s, { heads: Infinity }), /heads must be a positive integer, got Infinity/);
  rejects(
    () => fitTransformerEncoder(s, { computeDtype: 'int8' as 'float32' }),
    /computeDtype must be one of float64, float32, got 'int8'/,
  );
  const config = { tokenDim: 8, numClasses: 3, depth: 1, numHeads: 2, mlpRatio: 2, pooling: 'mean' as const };
  rejects(
    () => new BaselineTransformer({ ...config, mlpRatio: Infinity }),
    /TransformerConfig\.mlpRatio must be a finite number > 0, got Infinity/,
  );
  rejects(() => new BaselineTransformer({ ...config, layerNormEps: NaN }), /TransformerConfig\.layerNormEps/);
  rejects(() => new BaselineTransformer({ ...config, numHeads: 3 }), /numHeads \(3\) must divide tokenDim \(8\)/);
  const features = new Float32Array(30 * 54).map((_, i) => i % 7);
  const table = { file: 't.csv', rows: 30, features, labels: new Int32Array(30) };
  rejects(
    () => buildCovtypeScenario(table, { nTrain: 10, nTest: 5, maskProb: Infinity }),
    /covtype_mlp: maskProb must be a finite number ≥ 0 and < 1/,
  );
  rejects(() => buildCovtypeScenario(table, { nTrain: 10, nTest: 5, noiseStd: -0.1 }), /covtype_mlp: noiseStd/);
  rejects(
    () => buildCovtypeScenario(table, { nTrain: 2.5 }),
    /covtype_mlp: nTrain must be a positive integer, got 2\.5$/,
  );
  const example = (label: number) => ({ question: 'a', sentence: 'b', label });
  const qnli = { folder: 'q', train: [example(0)], dev: [example(1)] };
  rejects(
    () => buildQnliScenario(qnli, { nTest: 1, dropProb: 1 }),
    /qnli_transformer: dropProb must be a finite number ≥ 0 and < 1, got 1/,
  );
});

test('NaN, Inf and float32 overflow in fit inputs are named by argument and index', () => {
  const fitError = (pattern: RegExp) => (err: Error) => err instanceof FitInputError && pattern.test(err.message);
  const withValue = (x: Tensor, index: number[], value: number) => {
    const y = x.clone();
    y.select(0, index[0]).select(0, index[1]).select(0, index[2]).fill_(value);
    return y;
  };
  const s = streams(2);
  assert.throws(
    () => fitTransformerEncoder({ ...s, view1: withValue(s.view1, [4, 1, 2], NaN) }),
    fitError(/^fitTransformerEncoder: view1 contains NaN at \[4, 1, 2\]$/),
  );
  assert.throws(
    () => fitTransformerEncoder({ ...s, view2: withValue(s.view2, [0, 2, 3], -Infinity) }),
    fitError(/view2 contains -Infinity at \[0, 2, 3\]/),
  );
  assert.throws(
    () => fitTransformerEncoder({ ...s, base: withValue(s.base, [9, 0, 0], Infinity) }),
    fitError(/base contains Infinity at \[9, 0, 0\]/),
  );
  // 1e39 is finite in the float64 input but not in the float32 token products
  const big = withValue(s.view1, [3, 0, 1], 1e39);
  assert.throws(
    () => fitTransformerEncoder({ ...s, view1: big }, { computeDtype: 'float32' }),
    fitError(/view1 contains 1e\+39, beyond float32's range .* at \[3, 0, 1\]/),
  );
  const small = { computeDtype: 'float64', depth: 1, heads: 1, landmarks: 2 } as const;
  assert.equal(fitTransformerEncoder({ view1: big, view2: s.view2 }, small).state.layers.length, 1);
  rejects(
    () => fitTransformerEncoder(s, { heads: 2, landmarks: 3 }),
    /heads × landmarks = 2 × 3 exceeds the token width 4/,
  );
  assert.throws(
    () => fitTransformerEncoder({ ...s, base: empty([0, 3, 4], { dtype: 'float64' }) }),
    fitError(/base is empty \(shape \[0,3,4\]\)/),
  );
  const flat = (x: Tensor) => x.reshape(-1, 4);
  const views = { view1: flat(s.view1), view2: flat(s.view2) };
  assert.throws(
    () => fitMlpEncoder({ base: empty([0, 4], { dtype: 'float64' }), ...views }),
    fitError(/fitMlpEncoder: base is empty/),
  );
  assert.throws(
    () => fitMlpEncoder({ ...views, base: flat(s.base), view2: flat(withValue(s.view2, [1, 1, 1], NaN)) }),
    fitError(/fitMlpEncoder: view2 contains NaN at \[4, 1\]/),
  );
});

test('covtype: a column constant in the train rows is scaled by 1, not 1/1e-6 (as sklearn StandardScaler)', () => {
  const rows = 20;
  const features = new Float32Array(rows * 54);
  for (let i = 0; i < rows; i++) for (let j = 0; j < 10; j++) features[i * 54 + j] = Math.sin(i * 7 + j) * 100 + 2000;
  features[3 * 54 + 20] = 1; // soil type 20 is 1 in row 3 only, 0 elsewhere
  for (let i = 0; i < rows; i++) features[i * 54 + 30] = 1e6; // a large constant: σ is rounding noise, not 0
  const table = { file: 'fixture', rows, features, labels: Int32Array.from({ length: rows }, (_, i) => i % 7) };
  let inTest = 0;
  for (let seed = 0; seed < 8; seed++) {
    const s = buildCovtypeScenario(table, { seed, nTrain: 10, nTest: 10 });
    const test = s.test.raw.toArray();
    const train = s.train.raw.toArray();
    const max = Math.max(...test.map(Math.abs), ...train.map(Math.abs));
    assert.ok(max < 10, `seed ${seed}: |z| up to ${max}`);
    const col20 = Array.from({ length: 10 }, (_, i) => test[i * 54 + 20]!);
    if (col20.includes(1)) inTest++; // constant 0 in the train rows: z = (1 − 0) / 1
    assert.ok(Array.from({ length: 10 }, (_, i) => test[i * 54 + 30]).every((z) => z === 0));
  }
  assert.ok(inTest > 0, 'some seed put row 3 in the test rows');
});

test('the generator refuses seeds at or above 2^32 (libtorch keeps 32 bits: 0 and 2^32 gave the same draws)', () => {
  assert.throws(() => new Generator(2 ** 32), configError(/seed must be an integer in \[0, 2\^32\), got 4294967296/));
  assert.throws(() => new Generator(Number.MAX_SAFE_INTEGER), configError(/seed must be an integer in \[0, 2\^32\)/));
  assert.equal(new Generator(2 ** 32 - 1).initialSeed(), 2 ** 32 - 1);
  const table = { file: 'fixture', rows: 4, features: new Float32Array(4 * 54), labels: new Int32Array(4) };
  rejects(
    () => buildCovtypeScenario(table, { seed: 2 ** 32, nTrain: 2, nTest: 2 }),
    /covtype_mlp: seed must be an integer in \[0, 4294901759\]/,
  );
});

test('fitLayer and the closed-form building blocks check every numeric argument where it enters', () => {
  const g = new Generator(3);
  const h1 = randn([12, 4], { generator: g, dtype: 'float64' });
  const h2 = randn([12, 4], { generator: g, dtype: 'float64' });
  for (const lambda of [Infinity, NaN, 0, -1]) {
    rejects(() => fitLayer(h1, h2, lambda), /fitLayer: lambda must be a finite number > 0/);
    rejects(() => shrinkageGains(h1.t().mm(h1), lambda), /shrinkageGains: lambda must be a finite number > 0/);
    rejects(() => ridgeSolve(h1.t().mm(h1), h1.t(), lambda), /ridgeSolve: lambda must be a finite number > 0/);
  }
  rejects(() => fitLayer(h1, h2, 1, { batchRows: 0 }), /fitLayer: batchRows must be a positive integer/);
  rejects(() => pairedStats(h1, h2, { batchRows: 1.5 }), /pairedStats: batchRows must be a positive integer/);
  rejects(() => psdSqrtAndInvSqrt(h1.t().mm(h1), -1), /psdSqrtAndInvSqrt: floor must be a finite number > 0/);
  rejects(() => subsetRows(5, 10, 1), /subsetRows: rows must be ≤ n = 5, got 10/);
  rejects(() => subsetRows(5, -1, 1), /subsetRows: rows must be a non-negative integer/);
  rejects(
    () => spectralAttentionFit(pairedStats(h1, h2), 0, 2),
    /spectralAttentionFit: heads must be a positive integer/,
  );
  assert.ok(fitLayer(h1, h2, 1).transform.isfinite().all().item());
});

test('library misuse is a CfinitError naming the argument, never a raw ATen or eigh message', () => {
  const g = new Generator(4);
  const r = (shape: number[]) => randn(shape, { generator: g, dtype: 'float64' });
  const named = (fn: () => unknown, type: typeof ShapeError | typeof FitInputError, pattern: RegExp) =>
    assert.throws(fn, (err: Error) => {
      assert.ok(err instanceof type, `expected a ${type.name}, got ${err.stack}`);
      assert.ok(err instanceof CfinitError);
      assert.match(err.message, pattern);
      assert.doesNotMatch(err.message, /aten::|eigh:/);
      return true;
    });
  named(
    () =>
      fitTransformerEncoder(
        { base: r([17, 4, 6]), view1: r([10, 4, 6]), view2: r([10, 4, 6]) },
        { depth: 1, heads: 1, landmarks: 2 },
      ),
    ShapeError,
    /fitTransformerEncoder: base must be \(10, 4, 6\) like the views, got \[17,4,6\]/,
  );
  named(
    () =>
      fitTransformerEncoder(
        { base: r([10, 5, 6]), view1: r([10, 4, 6]), view2: r([10, 4, 6]) },
        { depth: 1, heads: 1, landmarks: 2 },
      ),
    ShapeError,
    /base must be \(10, 4, 6\)/,
  );
  named(
    () => fitLayer(r([10, 4]).mul(1e200), r([10, 4]).mul(1e200)),
    FitInputError,
    /fitLayer: the views' second moments overflow float64/,
  );
  named(
    () =>
      fitTransformerEncoder(
        { view1: r([10, 4, 6]).mul(1e200), view2: r([10, 4, 6]).mul(1e200) },
        { depth: 1, heads: 1, landmarks: 2, computeDtype: 'float64' },
      ),
    FitInputError,
    /overflow float64/,
  );
  named(() => pairedStats(r([3]), r([3])), ShapeError, /pairedStats: views must have a batch and a feature axis/);
  named(() => new PairedStatsAccumulator(4).add(r([3, 5]), r([3, 5])), ShapeError, /expected 4 features/);
  named(() => ridgeSolve(r([3, 4]), r([3, 1]), 1), ShapeError, /ridgeSolve: gram must be square/);
  named(() => serialize({ a: 5 as unknown as Tensor }), ShapeError, /safetensors: 'a' must be a Tensor/);
  assert.throws(
    () => deserialize(new Uint8Array(3)),
    (e: Error) => e instanceof SafetensorsError && e instanceof CfinitError,
  );
});
