// Closed-form state pairs: saved as one unit, and every manifest field and tensor checked on load.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import {
  fitMlpEncoder,
  fitTransformerEncoder,
  loadMlpEncoder,
  loadTransformerEncoder,
  saveMlpEncoder,
  saveTransformerEncoder,
  StateFileError,
  type TransformerEncoderState,
} from '../../src/closedform/index.ts';
import { Generator, randn, saveSafetensorsSync, loadSafetensors, type TensorMap } from '../../src/torch/index.ts';
import { tempDir } from '../data/fixtures.ts';

const dir = tempDir('h11-state');

function fit(seed: number, depth = 2): TransformerEncoderState {
  const g = new Generator(seed);
  const base = randn([20, 4, 6], { generator: g, dtype: 'float64' });
  const view = () => base.add(randn([20, 4, 6], { generator: g, dtype: 'float64' }).mul(0.3));
  const options = { depth, heads: 1, landmarks: 2, computeDtype: 'float64' } as const;
  return fitTransformerEncoder({ view1: view(), view2: view() }, options).state;
}

const manifestOf = (base: string) => JSON.parse(readFileSync(`${base}.json`, 'utf8'));
const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

function rejects(base: string, pattern: RegExp, load: (b: string) => unknown = loadTransformerEncoder): void {
  assert.throws(
    () => load(base),
    (err: Error) => {
      assert.ok(err instanceof StateFileError, `expected a StateFileError, got ${err.stack}`);
      assert.match(err.message, pattern);
      assert.ok(!err.message.includes('\n'));
      return true;
    },
  );
}

test('a failed save leaves the previous pair intact and loadable, with no staging files', () => {
  const base = join(dir, 'unit');
  const first = fit(1);
  saveTransformerEncoder(base, first);
  const before = { tensors: sha(`${base}.safetensors`), manifest: sha(`${base}.json`) };
  // an unserialisable field (a BigInt seed) and a non-finite field both fail before anything is written
  const second = fit(2);
  assert.throws(
    () => saveTransformerEncoder(base, { ...second, seeds: { views: 5n as unknown as number } }),
    (err: Error) => err instanceof StateFileError && /field 'seeds\.views' must be integer, got 5n/.test(err.message),
  );
  assert.throws(
    () => saveTransformerEncoder(base, { ...second, fitSeconds: Infinity }),
    (err: Error) => err instanceof StateFileError && /field 'fitSeconds'/.test(err.message),
  );
  assert.deepEqual({ tensors: sha(`${base}.safetensors`), manifest: sha(`${base}.json`) }, before);
  assert.deepEqual(
    readdirSync(dir).filter((f) => f.startsWith('unit') && f.includes('partial')),
    [],
  );
  assert.equal(loadTransformerEncoder(base).layers[0].attention.alpha, first.layers[0].attention.alpha);
});

test('staging files of a save that was killed are removed by the next save', () => {
  const base = join(dir, 'killed');
  const deadPid = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
  writeFileSync(`${base}.safetensors.partial-${deadPid}`, 'half a file');
  writeFileSync(`${base}.json.partial-${deadPid}`, '{');
  writeFileSync(join(dir, `other.json.partial-${deadPid}`), 'not ours');
  saveTransformerEncoder(base, fit(9, 1));
  const left = readdirSync(dir)
    .filter((f) => f.startsWith('killed'))
    .sort();
  assert.deepEqual(left, ['killed.json', 'killed.safetensors']);
  assert.ok(readdirSync(dir).includes(`other.json.partial-${deadPid}`));
});

test('a pair that was not saved together (new tensors beside an old manifest) is rejected on load', () => {
  const a = join(dir, 'pair-a');
  const b = join(dir, 'pair-b');
  saveTransformerEncoder(a, fit(3));
  saveTransformerEncoder(b, fit(4)); // same config and shapes: only the checksum tells them apart
  copyFileSync(`${b}.safetensors`, `${a}.safetensors`);
  rejects(a, /pair-a\.safetensors: sha256 .* does not match .*pair-a\.json.*not saved together/);
});

test('the manifest is validated against the schema: types, ranges, enums, required and unknown fields', () => {
  const base = join(dir, 'schema');
  saveTransformerEncoder(base, fit(5));
  const good = manifestOf(base);
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ ...good, config: { ...good.config, lambda: 'abc' } }, /field 'config\.lambda' must be number, got "abc"/],
    [{ ...good, config: { ...good.config, lambda: null } }, /field 'config\.lambda' must be number, got null/],
    [{ ...good, dims: { ...good.dims, width: -6 } }, /field 'dims\.width' must be >= 1, got -6/],
    [
      { ...good, config: { ...good.config, computeDtype: 'int8' } },
      /field 'config\.computeDtype' must be one of float32, float64, got "int8"/,
    ],
    [{ ...good, config: { ...good.config, depth: 1.5 } }, /field 'config\.depth' must be integer/],
    [{ ...good, config: undefined }, /field 'config' is missing/],
    [{ ...good, config: { ...good.config, extra: 1 } }, /field 'config\.extra' is not part of the format/],
    [{ ...good, version: 1 }, /field 'version' must be 2, got 1/],
    [{ ...good, kind: 'mlp' }, /field 'kind' is 'mlp' but a transformer state was requested/],
  ];
  for (const [manifest, pattern] of cases) {
    writeFileSync(`${base}.json`, JSON.stringify(manifest));
    rejects(base, pattern);
  }
  writeFileSync(`${base}.json`, Buffer.from([0x7b, 0, 1, 2, 0xff]));
  rejects(base, /schema\.json: expected a JSON state manifest, found binary data/);
});

test('the tensors are validated against the manifest: none missing, none extra, float64, right shapes', () => {
  const base = join(dir, 'tensors');
  saveTransformerEncoder(base, fit(6, 2));
  const good = manifestOf(base);
  const original: TensorMap = loadSafetensors(`${base}.safetensors`).tensors;
  /** Rewrites the tensors file and a manifest that carries its checksum, as a consistent (but wrong) pair. */
  const rewrite = (tensors: TensorMap, manifest = good) => {
    saveSafetensorsSync(`${base}.safetensors`, tensors);
    writeFileSync(`${base}.json`, JSON.stringify({ ...manifest, tensorsSha256: sha(`${base}.safetensors`) }));
  };
  // a lowered depth: layer 1's tensors are left over
  rewrite(original, { ...good, config: { ...good.config, depth: 1 } });
  rejects(base, /tensor 'layers\.1\.attention\.alpha' is not part of this state \(nor 4 more\)/);
  // a raised depth: layer 2 is missing
  rewrite(original, { ...good, config: { ...good.config, depth: 3 } });
  rejects(base, /tensor 'layers\.2\.attention\.sigma_inv_sqrt' is missing/);
  // int64 tensors
  rewrite({ ...original, 'layers.0.ffn': original['layers.0.ffn'].long() });
  rejects(base, /tensor 'layers\.0\.ffn' is int64, expected float64/);
  // a wrong shape and a non-finite value
  rewrite({ ...original, 'layers.0.ffn': original['layers.0.ffn'].narrow(0, 0, 3).contiguous() });
  rejects(base, /tensor 'layers\.0\.ffn' has shape \[3,6\], expected \[6,6\]/);
  rewrite({ ...original, 'layers.1.ffn': original['layers.1.ffn'].mul(Infinity) });
  rejects(base, /tensor 'layers\.1\.ffn' contains NaN or Inf/);
});

test('the MLP state goes through the same schema and checks', () => {
  const g = new Generator(8);
  const x = randn([40, 5], { generator: g, dtype: 'float64' });
  const { state } = fitMlpEncoder({ base: x, view1: x.add(0.1), view2: x.sub(0.1) }, { depth: 1 });
  const base = join(dir, 'mlp');
  saveMlpEncoder(base, state);
  assert.equal(loadMlpEncoder(base).config.lambda, 1);
  const good = manifestOf(base);
  writeFileSync(`${base}.json`, JSON.stringify({ ...good, config: { ...good.config, lambda: -1 } }));
  rejects(base, /field 'config\.lambda' must be > 0, got -1/, loadMlpEncoder);
  rejects(base, /field 'kind' is 'mlp' but a transformer state was requested/);
});
