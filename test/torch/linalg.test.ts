// Linear algebra: decompositions reconstruct their inputs, solves have small residuals.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randn, eye, Generator, linalg, tensor, type DType, type Tensor } from '../../src/torch/index.ts';
import { getBlasThreads, withBlasThreads } from '../../src/torch/threads.ts';
import { assertClose, maxAbs } from '../helpers.ts';

const TOL: Record<string, number> = { float64: 1e-10, float32: 2e-4 };

function spd(n: number, dtype: DType, seed: number): Tensor {
  const x = randn([n, n], { generator: new Generator(seed), dtype });
  return x.matmul(x.t()).add(eye(n, { dtype }).mul(n));
}

for (const dtype of ['float64', 'float32'] as const) {
  test(`eigh (${dtype}) reconstructs its input with ascending, orthonormal eigenpairs`, () => {
    const a = spd(24, dtype, 1);
    const { eigenvalues: e, eigenvectors: v } = linalg.eigh(a);
    assert.equal(e.dtype, dtype);
    const values = e.toArray();
    for (let i = 1; i < values.length; i++) assert.ok(values[i]! >= values[i - 1]!, `eigenvalue ${i} not ascending`);
    const rebuilt = v.matmul(e.diagEmbed()).matmul(v.t());
    assert.ok(maxAbs(rebuilt.sub(a)) / maxAbs(a) < TOL[dtype]!, 'V diag(e) Vᵀ ≠ A');
    assert.ok(maxAbs(v.t().matmul(v).sub(eye(24, { dtype }))) < TOL[dtype]! * 10, 'VᵀV ≠ I');
    assertClose(linalg.eigvalsh(a), e, { rtol: TOL[dtype]!, atol: TOL[dtype]! });
  });

  test(`solve, cholesky, choleskySolve and inv (${dtype}) have small residuals`, () => {
    const a = spd(16, dtype, 2);
    const b = randn([16, 3], { generator: new Generator(3), dtype });
    const scale = maxAbs(b);
    const x = linalg.solve(a, b);
    assert.ok(maxAbs(a.matmul(x).sub(b)) / scale < TOL[dtype]!, 'A·solve(A,B) ≠ B');
    const l = linalg.cholesky(a);
    assert.equal(maxAbs(l.triu(1)), 0, 'cholesky factor is not lower triangular');
    assert.ok(maxAbs(l.matmul(l.t()).sub(a)) / maxAbs(a) < TOL[dtype]!, 'L Lᵀ ≠ A');
    const y = linalg.choleskySolve(b, l);
    assert.ok(maxAbs(a.matmul(y).sub(b)) / scale < TOL[dtype]!, 'choleskySolve residual');
    assert.ok(maxAbs(a.matmul(linalg.inv(a)).sub(eye(16, { dtype }))) < TOL[dtype]!, 'A·inv(A) ≠ I');
  });
}

test('eigh of a known matrix', () => {
  const { eigenvalues, eigenvectors } = linalg.eigh(
    tensor(
      [
        [2, 1],
        [1, 2],
      ],
      { dtype: 'float64' },
    ),
  );
  assertClose(eigenvalues, [1, 3], { rtol: 1e-14, atol: 1e-14 });
  const v = eigenvectors.abs().toArray();
  assertClose(v, [Math.SQRT1_2, Math.SQRT1_2, Math.SQRT1_2, Math.SQRT1_2], { rtol: 1e-14 });
});

test('linear algebra rejects bad input with clear errors', () => {
  const notSquare = randn([3, 4], { dtype: 'float64' });
  assert.throws(() => linalg.eigh(notSquare), /square|3x4|3 by 4|must be batches of square/i);
  const indefinite = tensor(
    [
      [1, 0],
      [0, -1],
    ],
    { dtype: 'float64' },
  );
  assert.throws(() => linalg.cholesky(indefinite), /positive-definite|not positive/i);
  const nan = tensor(
    [
      [1, NaN],
      [NaN, 1],
    ],
    { dtype: 'float64' },
  );
  assert.throws(() => linalg.eigh(nan), /non-finite|NaN/i);
  assert.throws(
    () => linalg.solve(eye(2, { dtype: 'float64' }), randn([3, 1], { dtype: 'float64' })),
    /shape|size|incompatible/i,
  );
});

test("withBlasThreads sets OpenBLAS's thread count for its callback and restores it, also when the callback throws", () => {
  const before = getBlasThreads();
  if (before === 0) return; // libtorch on another BLAS: the setting is a documented no-op
  assert.equal(
    withBlasThreads(1, () => getBlasThreads()),
    1,
  );
  assert.equal(getBlasThreads(), before);
  assert.throws(
    () =>
      withBlasThreads(1, () => {
        throw new Error('inside');
      }),
    /inside/,
  );
  assert.equal(getBlasThreads(), before);
  assert.throws(() => withBlasThreads(0, () => 0), /positive integer/);
});
