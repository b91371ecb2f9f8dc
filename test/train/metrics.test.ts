import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor, tidy } from '../../src/torch/index.ts';
import {
  accuracy,
  checkpointLabel,
  checkpointStepsFor,
  ece,
  evaluateLogits,
  nll,
  perplexity,
} from '../../src/train/index.ts';

test('accuracy takes the argmax (first maximum on ties)', () =>
  tidy(() => {
    const logits = tensor([
      [1, 2, 0],
      [3, 3, 0],
      [0, 0, 5],
      [2, 1, 0],
    ]);
    assert.equal(accuracy(logits, tensor([1, 0, 2, 1], { dtype: 'int64' })), 0.75);
    assert.equal(accuracy(logits, tensor([1, 1, 2, 0], { dtype: 'int64' })), 0.75); // the tie picks class 0
  }));

test('NLL is the mean −log softmax of the label, computed in float64 even for huge logits', () =>
  tidy(() => {
    // row 1: log(1 + e^-1 + e^-2)... by hand; row 2: logits 1000 apart would overflow a naive exp.
    const logits = tensor(
      [
        [2, 1, 0],
        [1000, 0, -1000],
      ],
      { dtype: 'float32' },
    );
    const labels = tensor([1, 1], { dtype: 'int64' });
    const row1 = Math.log(Math.exp(2) + Math.exp(1) + 1) - 1;
    const row2 = 1000; // lse = 1000 (+ e^-1000 terms), minus z_y = 0
    assert.ok(Math.abs(nll(logits, labels) - (row1 + row2) / 2) < 1e-9);
  }));

test('ECE: 15 equal-width bins on the max probability, the last bin includes 1.0', () =>
  tidy(() => {
    // Two classes; confidences p = σ(z0 − z1). Row A: conf 0.9 correct; row B: conf 0.9 wrong; row C: conf 1.0 correct.
    const z = Math.log(0.9 / 0.1);
    const logits = tensor(
      [
        [z, 0],
        [z, 0],
        [200, 0],
      ],
      { dtype: 'float64' },
    );
    const labels = tensor([0, 1, 0], { dtype: 'int64' });
    // bin [0.8667, 0.9333): 2 rows, acc 0.5, conf 0.9 → 2/3·0.4; last bin: 1 row, acc 1, conf 1 → 0.
    assert.ok(Math.abs(ece(logits, labels) - (2 / 3) * 0.4) < 1e-9);
    // A confidence exactly on an inner edge (0.6 = 9/15) falls in the upper bin [0.6, 0.6667).
    const edge = Math.log(0.6 / 0.4);
    const e2 = ece(
      tensor(
        [
          [edge, 0],
          [0, 0],
        ],
        { dtype: 'float64' },
      ),
      tensor([0, 0], { dtype: 'int64' }),
    );
    // bins: {0.6 correct} → |1 − 0.6|, {0.5 correct} → |1 − 0.5|; each weight 1/2
    assert.ok(Math.abs(e2 - (0.5 * 0.4 + 0.5 * 0.5)) < 1e-9);
    // a perfectly calibrated pair in one bin gives 0
    const calibrated = tensor([...Array.from({ length: 9 }, () => [z, 0]), [0, z]], { dtype: 'float64' });
    assert.ok(ece(calibrated, tensor(new Array(10).fill(0), { dtype: 'int64' })) < 1e-12);
  }));

test('perplexity is exp(min(CE, 30)); next-token metrics have the cross-entropy as primary metric', () =>
  tidy(() => {
    assert.equal(perplexity(Math.log(7)), Math.exp(Math.log(7)));
    assert.equal(perplexity(45), Math.exp(30));
    const logits = tensor([[0, 0, 0, 0]], { dtype: 'float32' });
    const m = evaluateLogits(logits, tensor([2], { dtype: 'int64' }), 'next_token');
    assert.equal(m.metricName, 'validation_cross_entropy');
    assert.ok(Math.abs(m.metricValue - Math.log(4)) < 1e-7);
    assert.ok(Math.abs(m.perplexity! - 4) < 1e-6);
    const c = evaluateLogits(logits, tensor([2], { dtype: 'int64' }), 'classification');
    assert.equal(c.metricName, 'accuracy');
    assert.equal(c.perplexity, null);
  }));

test('checkpoint labels round half to even; checkpoint steps follow the reference ceil rule', () => {
  assert.equal(checkpointLabel(1, 8), '12%'); // 12.5
  assert.equal(checkpointLabel(3, 8), '38%'); // 37.5
  assert.equal(checkpointLabel(1, 200), '0%'); // 0.5
  assert.equal(checkpointLabel(3, 200), '2%'); // 1.5
  assert.equal(checkpointLabel(2, 3), '67%');
  assert.equal(checkpointLabel(7, 7), '100%');
  // 140 steps: ceil(1.4000000000000001) = 2, 7, 14, 35, 70, 140 (the same float arithmetic as Python's math.ceil)
  assert.deepEqual(checkpointStepsFor(140, [0.01, 0.05, 0.1, 0.25, 0.5, 1]), [2, 7, 14, 35, 70, 140]);
  assert.deepEqual(checkpointStepsFor(3, [0.01, 0.5]), [1, 2, 3]);
  assert.deepEqual(checkpointStepsFor(0, [0.5]), []);
});
