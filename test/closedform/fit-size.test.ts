// The fast fit's paths and the fit-size knob: float32 streaming with reused workspaces stays within the
// float32 golden tolerance, fitRows = N is the full fit bit for bit, a subset fit is a function of its
// seed, and repeated fits at a scaled-down reference shape leave memory flat.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  applyTransformerEncoder,
  fitMlpEncoder,
  fitTransformerEncoder,
  subsetRows,
  type TransformerEncoderState,
} from '../../src/closedform/index.ts';
import { Generator, liveTensors, randn, releaseFreeMemory, tidy, type Tensor } from '../../src/torch/index.ts';
import { assertGolden, f64, loadGolden } from './golden.ts';

const golden = loadGolden('transformer_encoder');
const { inputs, outputs } = golden;
const depth = outputs.layers.length;
const heads = (golden.meta as any).attn_cfg.analytic_num_heads as number;
const landmarks = (golden.meta as any).attn_cfg.num_landmarks as number;
const goldenStreams = () => ({ base: f64(inputs.base), view1: f64(inputs.view1), view2: f64(inputs.view2) });

function same(a: Tensor, b: Tensor, what: string): void {
  assert.deepEqual(a.shape, b.shape, `${what}: shape`);
  assert.equal(
    tidy(() => a.ne(b).sum().item()),
    0,
    `${what}: differs`,
  );
}

function sameState(a: TransformerEncoderState, b: TransformerEncoderState): void {
  a.layers.forEach((layer, i) => {
    same(layer.attention.outputMap, b.layers[i].attention.outputMap, `layer ${i} output map`);
    same(layer.attention.heads, b.layers[i].attention.heads, `layer ${i} heads`);
    same(layer.ffn, b.layers[i].ffn, `layer ${i} FFN`);
    assert.equal(layer.attention.alpha, b.layers[i].attention.alpha, `layer ${i} α`);
  });
}

/** Random paired token views: base ~ N(0, 1), view = base + 0.3 N(0, 1). */
function randomViews(n: number, t: number, d: number, seed: number) {
  const g = new Generator(seed);
  const base = randn([n, t, d], { generator: g });
  return {
    view1: base.add(randn([n, t, d], { generator: g }).mul(0.3)),
    view2: base.add(randn([n, t, d], { generator: g }).mul(0.3)),
  };
}

test('float32 products in uneven batches (workspaces reused, then resized) keep the float32 golden tolerance', () => {
  const tokens = inputs.view1[0].length as number;
  // 4 sequences per batch: full batches share the workspaces, the last partial batch reallocates them
  const { state } = fitTransformerEncoder(goldenStreams(), {
    depth,
    heads,
    landmarks,
    lambda: 1,
    computeDtype: 'float32',
    batchTokens: 4 * tokens,
  });
  const encoded = applyTransformerEncoder(state, f64(inputs.test_tokens));
  assertGolden(encoded, outputs.test_encoded, 'test encoded (float32, batched)', 1e-3);
  assertGolden(state.layers[0].attention.alpha, outputs.layers[0].attention.alpha, 'α (float32, batched)', 1e-5);
});

test('fitRows = N is the full fit bit for bit (transformer and MLP)', () => {
  const n = inputs.view1.length as number;
  const options = { depth, heads, landmarks, lambda: 1, computeDtype: 'float64' as const };
  const full = fitTransformerEncoder(goldenStreams(), options);
  const knob = fitTransformerEncoder(goldenStreams(), { ...options, fitRows: n, fitSeed: 5 });
  sameState(knob.state, full.state);
  for (const s of ['base', 'view1', 'view2'] as const) same(knob.streams[s]!, full.streams[s]!, `transformer ${s}`);

  const mlp = loadGolden('mlp_encoder').inputs;
  const mlpStreams = () => ({ base: f64(mlp.base), view1: f64(mlp.view1), view2: f64(mlp.view2) });
  const mlpFull = fitMlpEncoder(mlpStreams());
  const mlpKnob = fitMlpEncoder(mlpStreams(), { fitRows: mlp.view1.length, fitSeed: 5 });
  mlpFull.state.layers.forEach((layer, i) => {
    same(mlpKnob.state.layers[i].transform, layer.transform, `MLP layer ${i}`);
  });
  for (const s of ['base', 'view1', 'view2'] as const) same(mlpKnob.streams[s], mlpFull.streams[s], `MLP ${s}`);
});

test('a subset fit is a function of its seed, and encodes every sequence', () => {
  const views = randomViews(48, 6, 16, 3);
  const options = { depth: 2, heads: 2, landmarks: 4, fitRows: 20 };
  const a = fitTransformerEncoder(views, { ...options, fitSeed: 11 });
  const b = fitTransformerEncoder(views, { ...options, fitSeed: 11 });
  const c = fitTransformerEncoder(views, { ...options, fitSeed: 12 });
  sameState(a.state, b.state);
  same(a.streams.view1, b.streams.view1, 'subset fit view1');
  const changed = tidy(() => a.state.layers[0].ffn.ne(c.state.layers[0].ffn).sum().item());
  assert.notEqual(changed, 0, 'another seed, another subset');
  assert.deepEqual(a.streams.view1.shape, [48, 6, 16], 'every sequence is encoded');
  assert.deepEqual(a.state.seeds, { fitSubset: 11, fitRows: 20 });
  // the subset is 20 distinct rows, in order, and the encoded streams are the state applied to all rows
  const rows = subsetRows(48, 20, 11).toArray() as number[];
  assert.equal(new Set(rows).size, 20);
  assert.deepEqual(
    rows,
    [...rows].sort((x, y) => x - y),
  );
  same(a.streams.view2, applyTransformerEncoder(a.state, views.view2), 'encoded view2');
  const onlyState = fitTransformerEncoder(views, { ...options, fitSeed: 11, propagate: false });
  sameState(onlyState.state, a.state);
  assert.equal(onlyState.streams.view1.size(0), 20, 'propagate: false returns the subset only');
});

test('repeated fits at a scaled-down reference shape keep memory flat', () => {
  // cifar's shape with N scaled 8000 → 400 (several batches of 512 tokens): growth would show as handles or RSS
  const views = randomViews(400, 16, 192, 9);
  const fit = () => {
    const { state, streams } = fitTransformerEncoder(views, { batchTokens: 512 });
    for (const s of Object.values(streams)) s.dispose();
    for (const layer of state.layers) {
      const { heads, outputMap, sigmaInvSqrt } = layer.attention;
      for (const t of [layer.ffn, heads, outputMap, sigmaInvSqrt]) t.dispose();
    }
  };
  fit();
  const rssInUse = () => {
    releaseFreeMemory();
    return process.memoryUsage().rss;
  };
  const handles = liveTensors();
  const rss = rssInUse();
  for (let r = 0; r < 3; r++) fit();
  // ≤: handles other tests left to the garbage collector may be finalised meanwhile
  assert.ok(liveTensors() <= handles, `tensor handles leaked by the fit: ${liveTensors()} > ${handles}`);
  const growthMib = (rssInUse() - rss) / 2 ** 20;
  assert.ok(growthMib < 24, `RSS grew by ${growthMib.toFixed(1)} MiB over 3 fits`);
});
