import { test } from 'node:test';
import { applyMlpEncoder, fitMlpEncoder } from '../../src/closedform/index.ts';
import { assertGolden, f64, loadGolden } from './golden.ts';

const golden = loadGolden('mlp_encoder');

test('fitMlpEncoder matches the reference MLP encoder fixture to 1e-8 (float64)', () => {
  const { inputs, outputs } = golden;
  const { state, streams } = fitMlpEncoder(
    { base: f64(inputs.base), view1: f64(inputs.view1), view2: f64(inputs.view2) },
    { depth: 3, lambda: 1 },
  );
  assertGolden(state.initial.mean, outputs.initial_mean, 'initial mean');
  assertGolden(state.initial.scale, outputs.initial_scale, 'initial scale');
  state.layers.forEach((layer, i) => {
    const want = outputs.layers[i];
    assertGolden(layer.transform, want.transform, `layer ${i + 1} transform`);
    assertGolden(layer.norm.mean, want.norm_mean, `layer ${i + 1} norm mean`);
    assertGolden(layer.norm.scale, want.norm_scale, `layer ${i + 1} norm scale`);
  });
  const last = outputs.layers[2];
  assertGolden(streams.base, last.base, 'final base stream');
  assertGolden(streams.view1, last.view1, 'final view1 stream');
  assertGolden(streams.view2, last.view2, 'final view2 stream');
  assertGolden(streams.base, outputs.final_base_features, 'final base features');
});

test('applyMlpEncoder on the raw base reproduces the fitted base features', () => {
  const { inputs, outputs } = golden;
  const { state } = fitMlpEncoder({ base: f64(inputs.base), view1: f64(inputs.view1), view2: f64(inputs.view2) });
  assertGolden(applyMlpEncoder(state, f64(inputs.base)), outputs.final_base_features, 'encoded base');
});
