import { test } from 'node:test';
import assert from 'node:assert/strict';
import { REFERENCE } from '../../src/reference.ts';
import { Generator, F, fromTypedArray, randn, tensor, tidy, type Tensor } from '../../src/torch/index.ts';
import { fitReadouts, fitTemperature, readoutLogits, runModel } from '../../src/train/index.ts';
import { disposeScenario, fitOptions, tabularScenario } from './tiny.ts';

type Mat = number[][];
const fromTensor = (t: Tensor): Mat => t.double().tolist() as Mat;
const mmJs = (a: Mat, b: Mat): Mat =>
  a.map((row) => b[0]!.map((_, j) => row.reduce((s, v, k) => s + v * b[k]![j]!, 0)));
const tJs = (a: Mat): Mat => a[0]!.map((_, j) => a.map((row) => row[j]!));
/** Gauss–Jordan elimination with partial pivoting: A⁻¹B. */
function solveJs(a: Mat, b: Mat): Mat {
  const n = a.length;
  const m = a.map((row, i) => [...row, ...b[i]!]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r]![c]!) > Math.abs(m[p]![c]!)) p = r;
    [m[c], m[p]] = [m[p]!, m[c]!];
    const pivot = m[c]![c]!;
    m[c] = m[c]!.map((v) => v / pivot);
    for (let r = 0; r < n; r++)
      if (r !== c) {
        const f = m[r]![c]!;
        m[r] = m[r]!.map((v, j) => v - f * m[c]![j]!);
      }
  }
  return m.map((row) => row.slice(n));
}

/** Three well separated clusters in 6 dims (centres 4·e_c), labels = cluster. */
function clusters(n: number, g: Generator): { x: Tensor; y: Tensor } {
  return tidy(() => {
    const y = tensor(
      Array.from({ length: n }, (_, i) => i % 3),
      { dtype: 'int64' },
    );
    const centres = F.oneHot(y, 6).float().mul(4);
    return { x: centres.add(randn([n, 6], { generator: g }).mul(0.3)), y };
  });
}

test('residual ridge read-outs match a hand solve of (XᵀX + λI)⁻¹Xᵀ(Y − Ŷ) with Ŷ accumulated', () =>
  tidy(() => {
    const g = new Generator(3);
    const { x, y } = clusters(30, g);
    const x2 = x
      .relu()
      .add(randn([30, 6], { generator: g }).mul(0.5))
      .double();
    const inputs = [x.double(), x2];
    const weights = fitReadouts(inputs, y, 3);
    const lambda = REFERENCE.ridge.lambda;
    const Y: Mat = y.toArray().map((c) => [0, 1, 2].map((k) => (k === c ? 1 : 0)));
    let yHat: Mat = Y.map((row) => row.map(() => 0));
    inputs.forEach((input, l) => {
      const X = fromTensor(input);
      const gram = mmJs(tJs(X), X).map((row, i) => row.map((v, j) => v + (i === j ? lambda : 0)));
      const W = solveJs(
        gram,
        mmJs(
          tJs(X),
          Y.map((row, i) => row.map((v, j) => v - yHat[i]![j]!)),
        ),
      );
      const got = fromTensor(weights[l]!);
      W.forEach((row, i) =>
        row.forEach((v, j) => {
          assert.ok(Math.abs(got[i]![j]! - v) < 1e-10, `W${l}[${i}][${j}] ${got[i]![j]} vs ${v}`);
        }),
      );
      const XW = mmJs(X, W);
      yHat = yHat.map((row, i) => row.map((v, j) => v + XW[i]![j]!));
    });
    const logits = fromTensor(readoutLogits({ weights, temperature: 1 }, inputs));
    logits.forEach((row, i) => row.forEach((v, j) => assert.ok(Math.abs(v - yHat[i]![j]!) < 1e-10)));
    for (const w of weights) w.dispose();
  }));

test('cf-ridge reaches 100% on a linearly separable tabular set, with no gradient steps', () => {
  const g = new Generator(11);
  const train = clusters(150, g);
  const testSplit = clusters(60, g);
  const s = tabularScenario(
    { train: { raw: train.x, labels: train.y }, test: { raw: testSplit.x, labels: testSplit.y } },
    6,
    3,
  );
  const record = runModel(s, 'cf-ridge', { seed: 7, fitOptions: fitOptions(s, 7) });
  assert.equal(record.stepsTotal, 0);
  assert.equal(record.trainableParams, 0);
  assert.equal(record.checkpoints.length, 1);
  assert.equal(record.checkpoints[0]!.label, 'init');
  assert.equal(record.checkpoints[0]!.metrics.accuracy, 1);
  // 3 layers of 6×6 plus 3 read-outs of 6×3
  assert.equal(record.totalParams, 3 * 36 + 3 * 18);
  disposeScenario(s);
});

test('the next-token temperature is the exact 1-D minimiser of the train cross-entropy', () =>
  tidy(() => {
    const g = new Generator(5);
    const logits = randn([200, 7], { generator: g, dtype: 'float64' }).mul(3);
    const labels = fromTypedArray(new BigInt64Array(200).map((_, i) => BigInt((i * 5) % 7)));
    const ce = (s: number) => F.crossEntropy(logits.mul(s), labels).item();
    const s = fitTemperature(logits, labels);
    assert.ok(s > 0 && s < 1, `random logits are over-confident, so s < 1 (got ${s})`);
    for (const eps of [1e-3, 1e-5]) {
      assert.ok(ce(s) <= ce(s + eps) && ce(s) <= ce(s - eps), `not a minimum at ${s} (±${eps})`);
    }
    // a golden-section search on [0, 4] agrees
    let [a, b] = [0, 4];
    const phi = (Math.sqrt(5) - 1) / 2;
    for (let i = 0; i < 80; i++) {
      const c = b - phi * (b - a);
      const d = a + phi * (b - a);
      if (ce(c) < ce(d)) b = d;
      else a = c;
    }
    assert.ok(Math.abs(s - (a + b) / 2) < 1e-6, `${s} vs golden section ${(a + b) / 2}`);
  }));
