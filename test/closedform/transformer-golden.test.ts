import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BlendAccumulator,
  attentionCompute,
  attentionOutput,
  pairedStats,
  spectralAttentionFit,
  applyTransformerEncoder,
  attentionSublayer,
  ffnSublayer,
  fitTransformerEncoder,
  layerCompute,
  type TokenStreams,
} from '../../src/closedform/index.ts';
import { keep, type Tensor } from '../../src/torch/index.ts';
import { assertGolden, f64, loadGolden } from './golden.ts';

const golden = loadGolden('transformer_encoder');
const { inputs, outputs } = golden;
const depth = outputs.layers.length;
const heads = inputs.view1 && ((golden.meta as any).attn_cfg.analytic_num_heads as number);
const landmarks = (golden.meta as any).attn_cfg.num_landmarks as number;

function fit(computeDtype: 'float64' | 'float32', batchTokens?: number) {
  const recorded: Record<string, Tensor>[] = [];
  const snapshot = (s: TokenStreams) => ({
    base: keep(s.base!.clone()),
    view1: keep(s.view1.clone()),
    view2: keep(s.view2.clone()),
  });
  const result = fitTransformerEncoder(
    { base: f64(inputs.base), view1: f64(inputs.view1), view2: f64(inputs.view2) },
    {
      depth,
      heads,
      landmarks,
      lambda: 1,
      computeDtype,
      batchTokens,
      onStage: (layer, stage, streams) => {
        recorded[2 * layer + (stage === 'ffn' ? 1 : 0)] = snapshot(streams);
      },
    },
  );
  return { ...result, recorded };
}

test('fitTransformerEncoder matches the reference transformer fixture to 1e-8 (float64)', () => {
  const { state, recorded } = fit('float64');
  assert.equal(state.layers.length, depth);
  state.layers.forEach((layer, i) => {
    const want = outputs.layers[i];
    const at = `layer ${i + 1}`;
    assertGolden(layer.attention.sigmaInvSqrt, want.attention.sigma_inv_sqrt, `${at} Σ̄^-½`);
    assertGolden(
      layer.attention.heads,
      want.attention.projection_heads_sign_canonical,
      `${at} projection heads (canonical signs)`,
    );
    assertGolden(
      layer.attention.heads.matmul(layer.attention.heads.mT()),
      want.attention.projection_head_projectors,
      `${at} head projectors`,
    );
    assertGolden(layer.attention.outputMap, want.attention.output_map, `${at} output map`);
    assertGolden(layer.attention.alpha, want.attention.alpha, `${at} α`);
    assertGolden(layer.ffn, want.ffn.transform, `${at} FFN map`);
    for (const stream of ['base', 'view1', 'view2'] as const) {
      assertGolden(recorded[2 * i][stream], want.post_attention[stream], `${at} post-attention ${stream}`);
      assertGolden(recorded[2 * i + 1][stream], want.post_layer[stream], `${at} post-layer ${stream}`);
    }
  });
});

test('the fitted transformer state encodes the test tokens like the reference, layer by layer', () => {
  const { state } = fit('float64');
  let h = f64(inputs.test_tokens);
  state.layers.forEach((layer, i) => {
    const compute = layerCompute(layer, 'float64');
    h = attentionSublayer(h, compute.attention);
    assertGolden(h, outputs.layers[i].test_post_attention, `layer ${i + 1} test post-attention`);
    h = ffnSublayer(h, compute.ffn);
    assertGolden(h, outputs.layers[i].test_post_layer, `layer ${i + 1} test post-layer`);
  });
  assertGolden(
    applyTransformerEncoder(state, f64(inputs.test_tokens), { batchTokens: 18 }),
    outputs.test_encoded,
    'test encoded',
  );
});

test('streaming in mini-batches of 3 sequences gives the same fit (float64)', () => {
  const { state } = fit('float64', 3 * inputs.view1[0].length);
  const last = outputs.layers[depth - 1];
  assertGolden(state.layers[depth - 1].attention.outputMap, last.attention.output_map, 'output map (batched)');
  assertGolden(state.layers[depth - 1].ffn, last.ffn.transform, 'FFN map (batched)');
});

test('the float32 fast path stays close to the float64 reference', () => {
  const { state } = fit('float32');
  const encoded = applyTransformerEncoder(state, f64(inputs.test_tokens));
  assert.equal(encoded.dtype, 'float32');
  // float32 token products around a ridge Gram with condition number ~2.5e6 (the two heads' contexts
  // are nearly collinear): the fast path agrees to ~1e-3 of the scale, the float64 path to 1e-8.
  assertGolden(encoded, outputs.test_encoded, 'test encoded (float32 path)', 1e-3);
  assertGolden(state.layers[0].attention.alpha, outputs.layers[0].attention.alpha, 'α (float32 path)', 1e-5);
});

test('α from the ridge moments equals the reference second pass over the data (layer 1, float64)', () => {
  const { state } = fit('float64');
  const v1 = f64(inputs.view1);
  const v2 = f64(inputs.view2);
  const layer = state.layers[0].attention;
  const compute = attentionCompute(layer, 'float64');
  const target = v1.add(v2).mul(0.5);
  const blend = new BlendAccumulator();
  for (const v of [v1, v2]) blend.add(v, attentionOutput(v, compute), target);
  assertGolden(blend.alpha(), outputs.layers[0].attention.alpha, 'α (second pass)');
  assertGolden(layer.alpha, blend.alpha(), 'α (moments vs second pass)', 1e-12);
  // the heads come from the views' own statistics
  const spectral = spectralAttentionFit(pairedStats(v1, v2), heads, landmarks);
  assertGolden(spectral.sharedEigenvalues, outputs.layers[0].attention.shared_eigenvalues, 'shared eigenvalues');
});
