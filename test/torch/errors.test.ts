// Bad input throws a clear JavaScript error; the process never crashes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor, zeros, randn, fromTypedArray, F, linalg, op, native } from '../../src/torch/index.ts';

test('shape mismatches name the operator and both shapes', () => {
  assert.throws(() => zeros([2, 3]).matmul(zeros([4, 5])), /aten::matmul.*2x3.*4x5|shapes cannot be multiplied/);
  assert.throws(() => zeros([2, 3]).add(zeros([4])), /aten::add.*size of tensor a \(3\) must match .* b \(4\)/);
  assert.throws(() => zeros([6]).view(4), /aten::view.*shape '\[4\]' is invalid for input of size 6/);
  assert.throws(() => fromTypedArray(new Float32Array(5), [2, 3]), /5 elements|shape \[2, 3\]|byte/i);
});

test('wrong dtypes are rejected with the expected and actual types', () => {
  const logits = randn([4, 3]);
  assert.throws(
    () => F.crossEntropy(logits, tensor([0, 1, 2, 0], { dtype: 'float32' })),
    /cross_entropy|expected|Long|Float/,
  );
  assert.throws(() => F.embedding(randn([5, 2]), tensor([0.5, 1])), /embedding.*(Long|Int)/i);
  assert.throws(() => randn([2], { dtype: 'int64' }), /randn: dtype must be floating, got int64/);
  assert.throws(
    () =>
      linalg.eigh(
        tensor(
          [
            [1, 2],
            [2, 1],
          ],
          { dtype: 'int32' },
        ),
      ),
    /eigh|floating|Int/i,
  );
});

test('non-finite input is refused where results would be meaningless', () => {
  const bad = tensor(
    [
      [1, Infinity],
      [Infinity, 1],
    ],
    { dtype: 'float64' },
  );
  assert.throws(() => linalg.eigh(bad), /contains NaN or Inf/);
  assert.throws(() => linalg.solve(bad, tensor([[1], [1]], { dtype: 'float64' })), /contains NaN or Inf/);
});

test('malformed arguments and misuse of handles are reported, not crashes', () => {
  assert.throws(() => tensor([[1, 2], [3]]), /ragged data at \[1\]: expected an array of length 2/);
  assert.throws(() => zeros([2, -1]), /shape\[1\] must be a non-negative integer, got -1/);
  const sum = op('aten::sum.dim_IntList');
  assert.throws(() => sum(zeros([2]), 'zero'), /aten::sum.*dim.*expected/i);
  assert.throws(() => op('aten::no_such_op')(), /no ATen operator aten::no_such_op/);
  assert.throws(() => op('not a name')(), /bad operator name/);
  assert.throws(() => native.callOp(native.opId('aten::neg', ''), [{}]), /aten::neg.*expected a Tensor/);
  const t = zeros([3]);
  t.dispose();
  assert.throws(() => t.shape, /disposed/);
  assert.throws(() => t.add(1), /disposed/);
  assert.throws(() => tensor([1, 2]).item(), /exactly one element/);
  // After all of that the runtime still works.
  assert.deepEqual(tensor([1, 2]).add(1).toArray(), [2, 3]);
});
