// Numeric options must be finite and in range on every floor, and bad fit inputs are reported by the
// fit naming the argument and the element (not by eigh deep inside it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fitMlpEncoder, fitTransformerEncoder, FitInputError } from '../../src/closedform/index.ts';
import { buildCovtypeScenario, buildQnliScenario } from '../../src/data/index.ts';
import { ConfigError } from '../../src/errors.ts';
import { BaselineTransformer } from '../../src/nn/index.ts';
import { empty, Generator, randn, type Tensor } from '../../src/torch/index.ts';

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
