// Random views, OOD shifts and low-data subsets: known warps, rates within tolerance, seeded determinism.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { arange, Generator, ones, rand, tensor, zeros } from '../../src/torch/index.ts';
import {
  affineTheta,
  centerMask,
  lowDataSeed,
  PAD,
  pixelNoise,
  randomAffine,
  subsetIndices,
  tabularView,
  tokenDropout,
  truncateHalf,
  warpAffine,
} from '../../src/data/index.ts';
import { assertClose } from '../helpers.ts';

function markedImage(row: number, col: number) {
  const img = zeros([1, 1, 8, 8]);
  img.select(0, 0).select(0, 0).select(0, row).narrow(0, col, 1).fill_(1);
  return img;
}

test('affine warp: identity parameters give back the image', () => {
  const images = rand([2, 3, 8, 8], { generator: new Generator(1) });
  const one = tensor([0, 0], { dtype: 'float64' });
  const theta = affineTheta(one, tensor([1, 1], { dtype: 'float64' }), one, one);
  assertClose(warpAffine(images, theta), images, { atol: 1e-6, what: 'identity warp' });
});

test('affine warp: a 90° rotation moves pixel (row 1, col 5) of an 8×8 image to (row 2, col 1)', () => {
  // The grid maps output (x, y) to input (−y, x); with align_corners=false pixel centres map exactly, so
  // input (row r, col c) lands at output (row H−1−c, col r).
  const theta = affineTheta(
    tensor([Math.PI / 2], { dtype: 'float64' }),
    tensor([1], { dtype: 'float64' }),
    tensor([0], { dtype: 'float64' }),
    tensor([0], { dtype: 'float64' }),
  );
  const out = warpAffine(markedImage(1, 5), theta);
  assertClose(out, markedImage(2, 1), { atol: 1e-5, what: 'rotated image' });
});

test('random affine: seeded, within range (a small warp keeps most of the mass), different seeds differ', () => {
  const images = rand([4, 3, 32, 32], { generator: new Generator(2) });
  const a = randomAffine(images, new Generator(7));
  const b = randomAffine(images, new Generator(7));
  const c = randomAffine(images, new Generator(8));
  assert.deepEqual(a.toArray(), b.toArray());
  assert.notDeepEqual(a.toArray(), c.toArray());
  const ratio = a.sum().item() / images.sum().item();
  assert.ok(ratio > 0.7 && ratio < 1.3, `mass ratio ${ratio}`);
});

test('tabular view: mask rate ≈ 0.15 and noise std ≈ 0.1; same seed, same tensor', () => {
  const x = ones([200, 500]);
  const masked = tabularView(x, new Generator(3), 0.15, 0);
  const rate = masked.eq(0).float().mean().item();
  assert.ok(Math.abs(rate - 0.15) < 0.006, `mask rate ${rate}`);
  const noisy = tabularView(zeros([200, 500]), new Generator(3), 0, 0.1);
  const std = noisy.std().item();
  assert.ok(Math.abs(std - 0.1) < 0.002, `noise std ${std}`);
  assert.deepEqual(
    tabularView(x, new Generator(5), 0.15, 0.1).toArray(),
    tabularView(x, new Generator(5), 0.15, 0.1).toArray(),
  );
});

test('token dropout: rate ≈ p among non-PAD ids, PAD never changes, dropped ids become PAD', () => {
  const ids = arange(0, 100000).remainder(7).reshape(400, 250); // 1/7 of ids are PAD (0)
  const out = tokenDropout(ids, new Generator(4), 0.12);
  const nonPad = ids.ne(PAD);
  const dropped = out.ne(ids);
  assert.equal(dropped.logicalAnd(nonPad.logicalNot()).sum().item(), 0);
  assert.equal(out.index([dropped]).ne(PAD).sum().item(), 0);
  const rate = dropped.sum().item() / nonPad.sum().item();
  assert.ok(Math.abs(rate - 0.12) < 0.006, `dropout rate ${rate}`);
  assert.deepEqual(tokenDropout(ids, new Generator(4), 0.12).toArray(), out.toArray());
});

test('OOD shifts: center mask zeroes [8, 24)², pixel noise stays in [0, 1], truncate-half pads positions ≥ T/2', () => {
  const images = ones([2, 3, 32, 32]);
  const masked = centerMask(images);
  assert.equal(masked.sum().item(), 2 * 3 * (32 * 32 - 16 * 16));
  assert.equal(masked.narrow(2, 8, 16).narrow(3, 8, 16).abs().sum().item(), 0);
  assert.equal(masked.select(2, 7).sum().item(), 2 * 3 * 32);
  const noisy = pixelNoise(images.mul(0.5), new Generator(9), 0.15);
  assert.ok(noisy.min().item() >= 0 && noisy.max().item() <= 1);
  assert.ok(Math.abs(noisy.std().item() - 0.15) < 0.01);
  const ids = arange(1, 11).reshape(2, 5);
  assert.deepEqual(truncateHalf(ids).tolist(), [
    [1, 2, 0, 0, 0],
    [6, 7, 0, 0, 0],
  ]);
});

test('low-data subsets: round(N·frac) sorted distinct indices, seeded; fraction 1 keeps every row', () => {
  assert.equal(lowDataSeed(7, 0.1), 7 + 100 + 7000);
  const idx = subsetIndices(1000, 0.1, 42).toArray();
  assert.equal(idx.length, 100);
  assert.deepEqual(
    idx,
    [...idx].sort((a, b) => a - b),
  );
  assert.equal(new Set(idx).size, 100);
  assert.deepEqual(subsetIndices(1000, 0.1, 42).toArray(), idx);
  assert.notDeepEqual(subsetIndices(1000, 0.1, 43).toArray(), idx);
  assert.equal(subsetIndices(1000, 0.0001, 1).numel(), 1);
  assert.deepEqual(subsetIndices(5, 1, 1).toArray(), [0, 1, 2, 3, 4]);
});
