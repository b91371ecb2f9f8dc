// Autograd gradients against central finite differences (float64).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor, randn, Generator, F, noGrad, linalg, fromTypedArray, type Tensor } from '../../src/torch/index.ts';
import { assertClose } from '../helpers.ts';

/** d f(x) / dx by autograd and by central differences; f returns a scalar tensor. */
function gradcheck(name: string, f: (x: Tensor) => Tensor, x0: Tensor, eps = 1e-6): void {
  const x = x0.detach().clone().requiresGrad_(true);
  f(x).backward();
  const analytic = x.grad!.toArray();
  const base = x0.toFloat64Array();
  const numeric = noGrad(() =>
    Array.from(base, (_, i) => {
      const plus = Float64Array.from(base);
      plus[i]! += eps;
      const minus = Float64Array.from(base);
      minus[i]! -= eps;
      const fp = f(fromTypedArray(plus, x0.shape)).item();
      const fm = f(fromTypedArray(minus, x0.shape)).item();
      return (fp - fm) / (2 * eps);
    }),
  );
  assertClose(analytic, numeric, { rtol: 1e-5, atol: 1e-7, what: `d(${name})/dx` });
}

const g = new Generator(42);
const r = (...shape: number[]) => randn(shape, { generator: g, dtype: 'float64' });
// Positive inputs for log/sqrt/pow.
const pos = (...shape: number[]) =>
  r(...shape)
    .abs()
    .add(0.5);
// A fixed weighting so that every output element matters in the scalar objective.
const weigh = (y: Tensor) => y.mul(randn(y.shape, { generator: new Generator(1), dtype: 'float64' })).sum();

test('gradients of elementwise ops match finite differences', () => {
  gradcheck('mul', (x) => weigh(x.mul(x.sin())), r(2, 3));
  gradcheck('div', (x) => weigh(x.div(x.square().add(1))), r(2, 3));
  gradcheck('exp', (x) => weigh(x.exp()), r(2, 3));
  gradcheck('log', (x) => weigh(x.log()), pos(2, 3));
  gradcheck('sqrt', (x) => weigh(x.sqrt()), pos(2, 3));
  gradcheck('pow', (x) => weigh(x.pow(3)), pos(2, 3));
  gradcheck('tanh', (x) => weigh(x.tanh()), r(2, 3));
  gradcheck('sigmoid', (x) => weigh(x.sigmoid()), r(2, 3));
  gradcheck('gelu', (x) => weigh(x.gelu()), r(2, 3));
  // Keep entries away from the kink at 0.
  gradcheck(
    'relu',
    (x) => weigh(x.relu()),
    tensor(
      [
        [0.5, -0.7, 1.2],
        [-0.3, 0.9, -1.1],
      ],
      { dtype: 'float64' },
    ),
  );
});

test('gradients of reductions, matmul and nn functions match finite differences', () => {
  const w = r(3, 4);
  gradcheck('matmul', (x) => weigh(x.matmul(w)), r(2, 3));
  gradcheck('bmm', (x) => weigh(x.bmm(x.transpose(1, 2))), r(2, 2, 3));
  gradcheck('logsumexp', (x) => weigh(x.logsumexp(1)), r(2, 3));
  gradcheck('var', (x) => weigh(x.var(1)), r(2, 4));
  gradcheck('norm', (x) => weigh(x.norm(2, 1)), r(2, 3));
  gradcheck('softmax', (x) => weigh(F.softmax(x, 1)), r(2, 3));
  gradcheck('layerNorm', (x) => weigh(F.layerNorm(x, [4])), r(2, 4));
  const targets = tensor([2, 0], { dtype: 'int64' });
  gradcheck('crossEntropy', (x) => F.crossEntropy(x, targets), r(2, 3));
  gradcheck('normalize', (x) => weigh(F.normalize(x)), r(2, 3));
  const b = r(3);
  gradcheck('linear (input)', (x) => weigh(F.linear(x, w, b)), r(2, 4));
  const input = r(2, 4);
  gradcheck('linear (weight)', (x) => weigh(F.linear(input, x, b)), r(3, 4));
});

test('gradients through linear algebra match finite differences', () => {
  const base = r(3, 3);
  const spd = (x: Tensor) => x.matmul(x.t()).add(tensorEye3().mul(3));
  gradcheck('solve', (x) => weigh(linalg.solve(spd(x), tensor([[1], [2], [3]], { dtype: 'float64' }))), base);
  gradcheck('cholesky', (x) => weigh(linalg.cholesky(spd(x))), base);
  gradcheck('eigvalsh', (x) => weigh(linalg.eigvalsh(spd(x))), base);
});

test('grad accumulates across backward calls until cleared', () => {
  const x = tensor([1, 2], { dtype: 'float64' }).requiresGrad_(true);
  x.mul(3).sum().backward();
  x.mul(3).sum().backward();
  assert.deepEqual(x.grad!.toArray(), [6, 6]);
  x.grad = null;
  assert.equal(x.grad, null);
  const y = x.detach();
  assert.equal(y.requiresGrad, false);
  const z = noGrad(() => x.mul(2));
  assert.equal(z.requiresGrad, false);
});

function tensorEye3(): Tensor {
  return tensor(
    [
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
    ],
    { dtype: 'float64' },
  );
}
