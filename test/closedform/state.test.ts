import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  applyMlpEncoder,
  applyTransformerEncoder,
  fitMlpEncoder,
  fitTransformerEncoder,
  loadMlpEncoder,
  loadTransformerEncoder,
  saveMlpEncoder,
  saveTransformerEncoder,
} from '../../src/closedform/index.ts';
import { Generator, randn } from '../../src/torch/index.ts';
import { assertClose } from '../helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'cfinit-state-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

function tokens(seed: number) {
  const g = new Generator(seed);
  const base = randn([30, 5, 12], { generator: g, dtype: 'float64' });
  const noisy = () => base.add(randn([30, 5, 12], { generator: g, dtype: 'float64' }).mul(0.2));
  return { base, view1: noisy(), view2: noisy(), test: randn([7, 5, 12], { generator: g, dtype: 'float64' }) };
}

test('a saved and reloaded transformer state reproduces the parameters exactly and the outputs to rounding', () => {
  const t = tokens(21);
  const { state } = fitTransformerEncoder(
    { view1: t.view1, view2: t.view2 },
    { depth: 2, heads: 2, landmarks: 3, computeDtype: 'float64', seeds: { views: 21 } },
  );
  const path = join(dir, 'transformer');
  saveTransformerEncoder(path, state);
  const loaded = loadTransformerEncoder(path);
  assert.deepEqual(loaded.config, state.config);
  assert.deepEqual(loaded.seeds, { views: 21 });
  assert.equal(loaded.fitSeconds, state.fitSeconds);
  // the parameters come back bit for bit; outputs agree to rounding (BLAS paths depend on alignment)
  state.layers.forEach((layer, i) => {
    assert.deepEqual(loaded.layers[i].attention.outputMap.toArray(), layer.attention.outputMap.toArray());
    assert.deepEqual(loaded.layers[i].attention.heads.toArray(), layer.attention.heads.toArray());
    assert.deepEqual(loaded.layers[i].attention.sigmaInvSqrt.toArray(), layer.attention.sigmaInvSqrt.toArray());
    assert.deepEqual(loaded.layers[i].ffn.toArray(), layer.ffn.toArray());
    assert.equal(loaded.layers[i].attention.alpha, layer.attention.alpha);
  });
  assertClose(applyTransformerEncoder(loaded, t.test), applyTransformerEncoder(state, t.test), {
    rtol: 1e-13,
    atol: 1e-13,
    what: 'encoded',
  });
  const manifest = JSON.parse(readFileSync(`${path}.json`, 'utf8'));
  assert.equal(manifest.dims.width, 12);
});

test('a saved and reloaded MLP state reproduces the parameters exactly and the outputs to rounding', () => {
  const t = tokens(22);
  const flat = (x: typeof t.base) => x.reshape(-1, 12);
  const { state } = fitMlpEncoder({ base: flat(t.base), view1: flat(t.view1), view2: flat(t.view2) });
  const path = join(dir, 'mlp');
  saveMlpEncoder(path, state, { seeds: { views: 22 } });
  const loaded = loadMlpEncoder(path);
  assert.deepEqual(
    loaded.layers.map((l) => l.transform.toArray()),
    state.layers.map((l) => l.transform.toArray()),
  );
  assertClose(applyMlpEncoder(loaded, flat(t.test)), applyMlpEncoder(state, flat(t.test)), {
    rtol: 1e-13,
    atol: 1e-13,
    what: 'encoded',
  });
});

test('loading a damaged state names the file and the field', () => {
  const t = tokens(23);
  const { state } = fitTransformerEncoder(
    { view1: t.view1, view2: t.view2 },
    { depth: 1, heads: 1, landmarks: 2, computeDtype: 'float64' },
  );
  const path = join(dir, 'damaged');
  saveTransformerEncoder(path, state);
  const manifest = JSON.parse(readFileSync(`${path}.json`, 'utf8'));
  writeFileSync(`${path}.json`, JSON.stringify({ ...manifest, config: { ...manifest.config, depth: 2 } }));
  assert.throws(
    () => loadTransformerEncoder(path),
    /damaged\.safetensors: tensor 'layers\.1\.attention\.sigma_inv_sqrt' is missing/,
  );
  writeFileSync(`${path}.json`, JSON.stringify({ ...manifest, kind: 'mlp' }));
  assert.throws(() => loadTransformerEncoder(path), /damaged\.json: field 'kind'/);
  assert.throws(() => loadMlpEncoder(join(dir, 'nope')), /nope\.json: cannot read the state manifest/);
});
