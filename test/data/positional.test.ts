// Patch order and the sin-cos position tables against hand-computed values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { arange } from '../../src/torch/index.ts';
import { patchify, sincos1d, sincos2d } from '../../src/data/index.ts';
import { assertClose } from '../helpers.ts';

test('patchify: tokens row-major over the grid, features ordered (channel, row, column)', () => {
  // image value = 16·c + 4·y + x on a 2-channel 4×4 image, patch 2 → 4 tokens of 8 features
  const img = arange(0, 2 * 4 * 4).reshape(1, 2, 4, 4);
  const v = (c: number, y: number, x: number) => c * 16 + y * 4 + x;
  const tokens = patchify(img, 2);
  assert.deepEqual(tokens.shape, [1, 4, 8]);
  // token 1 = grid row 0, grid column 1 → pixels y ∈ {0,1}, x ∈ {2,3}
  assert.deepEqual(tokens.select(0, 0).select(0, 1).toArray(), [
    v(0, 0, 2),
    v(0, 0, 3),
    v(0, 1, 2),
    v(0, 1, 3),
    v(1, 0, 2),
    v(1, 0, 3),
    v(1, 1, 2),
    v(1, 1, 3),
  ]);
  // token 2 = grid row 1, grid column 0
  assert.deepEqual(tokens.select(0, 0).select(0, 2).toArray().slice(0, 4), [
    v(0, 2, 0),
    v(0, 2, 1),
    v(0, 3, 0),
    v(0, 3, 1),
  ]);
  assert.throws(() => patchify(img, 3), /divisible by 3/);
});

test('1-D table: row p = [sin(p·ω_k) | cos(p·ω_k)], ω_k = 10000^(−k/(d/2))', () => {
  const table = sincos1d(5, 8);
  assert.deepEqual(table.shape, [5, 8]);
  const omega = [0, 1, 2, 3].map((k) => 10000 ** (-k / 4));
  const expected = [3, 4].flatMap((p) => [...omega.map((w) => Math.sin(p * w)), ...omega.map((w) => Math.cos(p * w))]);
  assertClose(table.slice(0, 3, 5).reshape(-1), expected, { what: 'sincos1d rows 3-4' });
  assertClose(table.select(0, 0), [0, 0, 0, 0, 1, 1, 1, 1]);
});

test('2-D table for d=192: dims 0-47 sin(col·ω), 48-95 cos(col·ω), 96-143 sin(row·ω), 144-191 cos(row·ω)', () => {
  const table = sincos2d(4, 192);
  assert.deepEqual(table.shape, [16, 192]);
  const omega = Array.from({ length: 48 }, (_, k) => 10000 ** (-k / 48));
  const token = 2 * 4 + 3; // row 2, column 3
  const expected = [
    ...omega.map((w) => Math.sin(3 * w)),
    ...omega.map((w) => Math.cos(3 * w)),
    ...omega.map((w) => Math.sin(2 * w)),
    ...omega.map((w) => Math.cos(2 * w)),
  ];
  assertClose(table.select(0, token), expected, { what: 'token (2, 3)' });
  assert.throws(() => sincos2d(4, 190), /multiple of 4/);
});
