// safetensors: round trips, a file laid out by hand from the format spec, and corrupt files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  tensor,
  randn,
  Generator,
  saveSafetensors,
  saveSafetensorsSync,
  loadSafetensors,
  serialize,
  deserialize,
} from '../../src/torch/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'cfinit-st-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('save/load round-trips every dtype, shape and the metadata', async () => {
  const tensors = {
    weight: randn([3, 4], { generator: new Generator(1) }),
    double: randn([2, 2, 2], { generator: new Generator(2), dtype: 'float64' }),
    ids: tensor([1, -5, 7], { dtype: 'int64' }),
    small: tensor([1, 2], { dtype: 'int32' }),
    bytes: tensor([0, 255], { dtype: 'uint8' }),
    mask: tensor([1, 0, 1], { dtype: 'bool' }),
    scalar: tensor(3.5),
    empty: tensor([], { dtype: 'float32' }),
  };
  const path = join(dir, 'round.safetensors');
  await saveSafetensors(path, tensors, { config: '{"depth":3}' });
  const { tensors: back, metadata } = loadSafetensors(path);
  assert.deepEqual(metadata, { config: '{"depth":3}' });
  assert.deepEqual(Object.keys(back).sort(), Object.keys(tensors).sort());
  for (const [name, t] of Object.entries(tensors)) {
    assert.equal(back[name]!.dtype, t.dtype, name);
    assert.deepEqual(back[name]!.shape, t.shape, name);
    assert.deepEqual(back[name]!.toArray(), t.toArray(), name);
  }
  saveSafetensorsSync(path, { only: tensor([1]) });
  assert.deepEqual(Object.keys(loadSafetensors(path).tensors), ['only']);
});

test('a file written byte by byte from the spec loads', () => {
  // 8-byte little-endian header length, JSON header, then the raw little-endian data.
  const header = JSON.stringify({
    __metadata__: { format: 'pt' },
    b: { dtype: 'I64', shape: [2], data_offsets: [8, 24] },
    a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
  });
  const headerBytes = Buffer.from(header.padEnd(Math.ceil(header.length / 8) * 8, ' '), 'utf8');
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(headerBytes.length));
  const data = Buffer.alloc(24);
  data.writeFloatLE(1.5, 0);
  data.writeFloatLE(-2, 4);
  data.writeBigInt64LE(7n, 8);
  data.writeBigInt64LE(-(2n ** 40n), 16);
  const path = join(dir, 'spec.safetensors');
  writeFileSync(path, Buffer.concat([prefix, headerBytes, data]));
  const { tensors, metadata } = loadSafetensors(path);
  assert.deepEqual(metadata, { format: 'pt' });
  assert.deepEqual(tensors.a!.toArray(), [1.5, -2]);
  assert.equal(tensors.b!.dtype, 'int64');
  assert.deepEqual(Array.from(tensors.b!.toTypedArray() as BigInt64Array), [7n, -(2n ** 40n)]);
  // and our writer produces the same layout: header length prefix, then JSON, then data.
  const ours = serialize({ a: tensor([1.5, -2]) });
  const n = Number(ours.readBigUInt64LE(0));
  assert.equal(JSON.parse(ours.subarray(8, 8 + n).toString()).a.dtype, 'F32');
  assert.equal(ours.readFloatLE(8 + n), 1.5);
});

test('corrupt files fail with an error naming the file and the problem', () => {
  const good = serialize({ a: tensor([1, 2, 3]) });
  const write = (name: string, bytes: Uint8Array) => {
    const path = join(dir, name);
    writeFileSync(path, bytes);
    return path;
  };
  const tooShort = write('short.safetensors', good.subarray(0, 5));
  assert.throws(
    () => loadSafetensors(tooShort),
    (e: Error) => e.message.includes(tooShort) && /shorter/.test(e.message),
  );
  const hugeHeader = Buffer.from(good);
  hugeHeader.writeBigUInt64LE(10n ** 12n);
  assert.throws(() => loadSafetensors(write('huge.safetensors', hugeHeader)), /header length/);
  const notJson = Buffer.from(good);
  notJson[8] = '!'.charCodeAt(0);
  assert.throws(() => loadSafetensors(write('json.safetensors', notJson)), /not JSON/);
  const truncated = good.subarray(0, good.length - 4);
  assert.throws(() => loadSafetensors(write('trunc.safetensors', truncated)), /data_offsets|bytes/);
  const n = Number(good.readBigUInt64LE(0));
  const badDtype = Buffer.from(good.toString('latin1').replace('"F32"', '"X32"'), 'latin1');
  assert.equal(Number(badDtype.readBigUInt64LE(0)), n);
  assert.throws(() => deserialize(badDtype, 'model.safetensors'), /model\.safetensors.*unsupported dtype "X32"/);
  assert.throws(() => loadSafetensors(join(dir, 'missing.safetensors')), /ENOENT|no such file/);
  assert.ok(readFileSync(tooShort).length === 5);
});
