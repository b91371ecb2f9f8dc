import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fitMlpEncoder, fitTransformerEncoder } from '../../src/closedform/index.ts';
import { trainPairedViews } from '../../src/data/index.ts';
import { REFERENCE, SCENARIO_SHAPES } from '../../src/reference.ts';
import { Generator, cat, noGrad, tidy, type Tensor } from '../../src/torch/index.ts';
import {
  BackpropMlp,
  ClosedFormMlp,
  ClosedFormTransformer,
  backpropTransformer,
  depthLoss,
  encodeFeatures,
  initClosedFormMlp,
  initClosedFormTransformer,
} from '../../src/train/index.ts';
import { assertClose } from '../helpers.ts';
import { disposeScenario, tinyTabular, tinyTokens } from './tiny.ts';

const count = (m: { parameters(): Tensor[] }) => m.parameters().reduce((n, p) => n + p.numel(), 0);
const cfShape = (dim: number, classes: number, pooling: 'mean' | 'last') => ({
  dim,
  classes,
  pooling,
  depth: REFERENCE.closedForm.transformer.depth,
  heads: REFERENCE.closedForm.transformer.heads,
  landmarks: REFERENCE.closedForm.transformer.landmarks,
});

test('parameter counts match the reference models', () =>
  tidy(() => {
    const { covtype_mlp: cov, cifar100_transformer: cifar, qnli_transformer: qnli } = SCENARIO_SHAPES;
    const wiki = SCENARIO_SHAPES.wikitext2_next_token_transformer;
    const g = new Generator(0);
    assert.equal(count(new BackpropMlp(cov.features, cov.classes, { generator: g })), 545_032);
    assert.equal(count(new ClosedFormMlp(cov.features, cov.classes, REFERENCE.closedForm.mlp.depth, 0)), 9_882);
    assert.equal(count(backpropTransformer(cifar.dim, cifar.classes, 'mean', g)), 948_972);
    assert.equal(count(backpropTransformer(qnli.dim, qnli.classes, 'mean', g)), 100_806);
    assert.equal(count(backpropTransformer(wiki.dim, wiki.classes, 'last', g)), 899_136);
    assert.equal(count(new ClosedFormTransformer(cfShape(cifar.dim, cifar.classes, 'mean'), 0)), 509_187);
    assert.equal(count(new ClosedFormTransformer(cfShape(qnli.dim, qnli.classes, 'mean'), 0)), 52_611);
    assert.equal(count(new ClosedFormTransformer(cfShape(wiki.dim, wiki.classes, 'last'), 0)), 838_659);
  }));

test('the backprop transformer starts every block from the same weights; its heads differ', () =>
  tidy(() => {
    const model = backpropTransformer(16, 3, 'mean', new Generator(4));
    const state = model.stateDict();
    const blockNames = Object.keys(state).filter((k) => k.startsWith('blocks.0.'));
    assert.ok(blockNames.length >= 10);
    for (const name of blockNames) {
      for (const i of [1, 2]) {
        const other = state[name.replace('blocks.0.', `blocks.${i}.`)]!;
        assert.deepEqual(state[name]!.toArray(), other.toArray(), `${name} vs block ${i}`);
      }
    }
    assert.notDeepEqual(state['output_heads.0.weight']!.toArray(), state['output_heads.1.weight']!.toArray());
  }));

test('CF MLP at step 0 reproduces the fitted encoder: streams and features (float32, 1e-5)', () => {
  const s = tinyTabular();
  tidy(() => {
    const views = trainPairedViews(s);
    const { state, streams } = fitMlpEncoder(views, REFERENCE.closedForm.mlp);
    const model = initClosedFormMlp(new ClosedFormMlp(6, 3, 3, 0), state);
    const { features } = model.layers(s.train.raw);
    assertClose(features[3]!, streams.base.float(), { rtol: 1e-5, atol: 1e-5, what: 'h3 vs the fit base stream' });
    const expected = encodeFeatures(
      { kind: 'mlp', state, fitSeconds: 0, fitRows: 240, probeRows: 0 },
      s.train.raw,
      'none',
    );
    assertClose(cat(features, 1), expected, { rtol: 1e-5, atol: 1e-5, what: 'features' });
    // weights are copies: changing the model leaves the state alone
    noGrad(() => model.hidden[0]!.weight.zero_());
    assert.ok(state.layers[0]!.transform.abs().sum().item() > 0);
  });
  disposeScenario(s);
});

test('CF transformer at step 0 reproduces the fitted encoder: token streams, pooled features (float32, 1e-5)', () => {
  const s = tinyTokens();
  tidy(() => {
    const views = trainPairedViews(s);
    const { depth, lambda, heads, landmarks } = REFERENCE.closedForm.transformer;
    const { state, streams } = fitTransformerEncoder({ ...views }, { depth, lambda, heads, landmarks });
    const model = initClosedFormTransformer(new ClosedFormTransformer(cfShape(16, 2, 'mean'), 0), state);
    let h = s.train.raw;
    for (const block of model.blocks) h = block.forward(h);
    assertClose(h, streams.base!, { rtol: 1e-5, atol: 1e-5, what: 'token stream after 3 blocks' });
    const { features, depthLogits } = model.layers(s.train.raw);
    const expected = encodeFeatures(
      { kind: 'transformer', state, fitSeconds: 0, fitRows: 96, probeRows: 0 },
      s.train.raw,
      'mean',
    );
    assertClose(cat(features, 1), expected, { rtol: 1e-5, atol: 1e-5, what: 'pooled features' });
    // forward (which skips the unused last block) gives the same logits as layers()
    assertClose(model.forward(s.train.raw)[2]!, depthLogits[2]!, { rtol: 1e-6, atol: 1e-6, what: 'logits' });
  });
  disposeScenario(s);
});

test('gradients reach every trainable parameter that reaches the loss, and none of the last CF block', () => {
  const s = tinyTokens();
  tidy(() => {
    const views = trainPairedViews(s);
    const { depth, lambda, heads, landmarks } = REFERENCE.closedForm.transformer;
    const { state } = fitTransformerEncoder(
      { view1: views.view1, view2: views.view2 },
      { depth, lambda, heads, landmarks },
    );
    const model = initClosedFormTransformer(new ClosedFormTransformer(cfShape(16, 2, 'mean'), 5), state);
    depthLoss(model.forward(s.train.raw), s.train.labels).backward();
    for (const [name, p] of model.namedParameters()) {
      const g = p.grad;
      const norm = g ? g.abs().sum().item() : 0;
      if (name.startsWith('blocks.2.')) assert.equal(norm, 0, `${name} must not reach the loss`);
      else assert.ok(norm > 0 && Number.isFinite(norm), `${name} has no gradient`);
    }
    const mlpScenario = tinyTabular();
    const mlpState = fitMlpEncoder(trainPairedViews(mlpScenario), REFERENCE.closedForm.mlp).state;
    const mlp = initClosedFormMlp(new ClosedFormMlp(6, 3, 3, 9), mlpState);
    depthLoss(mlp.forward(mlpScenario.train.raw), mlpScenario.train.labels).backward();
    for (const [name, p] of mlp.namedParameters()) {
      assert.ok(p.grad && p.grad.abs().sum().item() > 0, `${name} has no gradient`);
    }
    disposeScenario(mlpScenario);
  });
  disposeScenario(s);
});

test('CF transformer predict (fused kernels, no autograd) equals forward to float32 rounding, α clamped', () => {
  const s = tinyTokens();
  tidy(() => {
    const views = trainPairedViews(s);
    const { depth, lambda, heads, landmarks } = REFERENCE.closedForm.transformer;
    const { state } = fitTransformerEncoder({ ...views }, { depth, lambda, heads, landmarks });
    const model = initClosedFormTransformer(new ClosedFormTransformer(cfShape(16, 2, 'mean'), 3), state);
    for (const alpha of [0.3, 1.4]) {
      noGrad(() => model.blocks.forEach((b) => b.attention.mix_scale.fill_(alpha)));
      const plain = noGrad(() => model.forward(s.test.raw).at(-1)!);
      assertClose(model.predict(s.test.raw), plain, { rtol: 1e-5, atol: 1e-5, what: `logits at α ${alpha}` });
    }
  });
  disposeScenario(s);
});
