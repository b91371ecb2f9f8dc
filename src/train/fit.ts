// The closed-form fit of a scenario's encoder and the frozen-encoder features the CE head and ridge read.
import {
  applyTransformerLayer,
  disposeLayerCompute,
  fitMlpEncoder,
  fitTransformerEncoder,
  keepMlpState,
  layerCompute,
} from '../closedform/index.ts';
import { trainPairedViews, type Scenario } from '../data/index.ts';
import { REFERENCE } from '../reference.ts';
import { cat, dispose, empty, keep, noGrad, tidy, type Tensor } from '../torch/index.ts';
import type { ClosedFormFit, Features } from './api.ts';
import { poolTokens } from './models.ts';

/** Disposes tensors made from a scenario, sparing the scenario's own (encode may return its input unchanged). */
export function releaseDerived(scenario: Scenario, tensors: readonly Tensor[]): void {
  const own = new Set<Tensor>([
    scenario.train.raw,
    scenario.test.raw,
    scenario.train.labels,
    scenario.test.labels,
    ...Object.values(scenario.state),
  ]);
  dispose(tensors.filter((t) => !own.has(t)));
}

/** Rows per batch of feature extraction. */
const FEATURE_BATCH_ROWS = 512;

/**
 * Fits the scenario's closed-form encoder on its paired train views (seeds seed + 101, seed + 102, drawn
 * before the clock starts); fitSeconds is the fit alone.
 */
export function fitClosedForm(scenario: Scenario, options: { seed?: number } = {}): ClosedFormFit {
  const seed = options.seed ?? scenario.seed;
  const views = trainPairedViews({ ...scenario, seed });
  try {
    if (scenario.architecture === 'mlp') {
      const { depth, lambda } = REFERENCE.closedForm.mlp;
      const started = performance.now();
      const { state, streams } = fitMlpEncoder(views, { depth, lambda });
      const fitSeconds = (performance.now() - started) / 1000;
      keepMlpState(state);
      dispose([streams.base, streams.view1, streams.view2]);
      return { kind: 'mlp', state, fitSeconds };
    }
    const { depth, lambda, heads, landmarks } = REFERENCE.closedForm.transformer;
    const started = performance.now();
    const { state, streams } = fitTransformerEncoder(
      { view1: views.view1, view2: views.view2 },
      {
        depth,
        lambda,
        heads,
        landmarks,
        inPlace: true,
        seeds: {
          trainView1: seed + REFERENCE.seedOffsets.trainViews[0],
          trainView2: seed + REFERENCE.seedOffsets.trainViews[1],
        },
      },
    );
    const fitSeconds = (performance.now() - started) / 1000;
    for (const layer of state.layers) {
      keep(layer.attention.sigmaInvSqrt);
      keep(layer.attention.heads);
      keep(layer.attention.outputMap);
      keep(layer.ffn);
    }
    if (streams.view1 !== views.view1) dispose([streams.view1, streams.view2]);
    return { kind: 'transformer', state, fitSeconds };
  } finally {
    releaseDerived(scenario, [views.base, views.view1, views.view2]);
  }
}

/** Releases the tensors of a fit. */
export function disposeFit(fit: ClosedFormFit): void {
  if (fit.kind === 'mlp') {
    dispose([fit.state.initial.mean, fit.state.initial.scale]);
    for (const l of fit.state.layers) dispose([l.transform, l.norm.mean, l.norm.scale]);
  } else {
    for (const l of fit.state.layers) {
      dispose([l.attention.sigmaInvSqrt, l.attention.heads, l.attention.outputMap, l.ffn]);
    }
  }
}

/**
 * Frozen-encoder features of encoded inputs: [h₀, …, h_L] concatenated, float32. MLP: the normalised
 * streams, h₀ = (x − m₀)/s₀, hₗ = (ReLU(hₗ₋₁Aₗ) − mₗ)/sₗ (float64, as fitted); transformer: the pooled
 * input and the pooled output of every layer (the fit's compute dtype). (N, (L + 1)·d)
 */
export function encodeFeatures(fit: ClosedFormFit, inputs: Tensor, pooling: Scenario['pooling']): Tensor {
  return noGrad(() => {
    const n = inputs.size(0);
    const width = fit.kind === 'mlp' ? fit.state.initial.mean.size(1) : fit.state.dims.width;
    const out = empty([n, (fit.state.layers.length + 1) * width]);
    const computes =
      fit.kind === 'transformer' ? fit.state.layers.map((l) => layerCompute(l, fit.state.config.computeDtype)) : [];
    try {
      for (let start = 0; start < n; start += FEATURE_BATCH_ROWS) {
        tidy(() => {
          const x = inputs.narrow(0, start, Math.min(FEATURE_BATCH_ROWS, n - start));
          const parts: Tensor[] = [];
          if (fit.kind === 'mlp') {
            let h = x.double().sub(fit.state.initial.mean).div(fit.state.initial.scale);
            parts.push(h);
            for (const { transform, norm } of fit.state.layers) {
              h = h.mm(transform).relu().sub(norm.mean).div(norm.scale);
              parts.push(h);
            }
          } else {
            const pool = pooling === 'last' ? 'last' : 'mean';
            let h = x.to(fit.state.config.computeDtype);
            parts.push(poolTokens(h, pool));
            for (const c of computes) {
              h = applyTransformerLayer(h, c);
              parts.push(poolTokens(h, pool));
            }
          }
          out.narrow(0, start, x.size(0)).copy_(cat(parts, 1));
        });
      }
    } finally {
      for (const c of computes) disposeLayerCompute(c);
    }
    return out;
  });
}

/** Train and test features of a scenario, extracted once without augmentation; seconds = extraction only. */
export function extractFeatures(fit: ClosedFormFit, scenario: Scenario): Features {
  const [trainInputs, testInputs] = tidy(() => [scenario.train.raw, scenario.test.raw].map((r) => scenario.encode(r)));
  try {
    const started = performance.now();
    const train = encodeFeatures(fit, trainInputs!, scenario.pooling);
    const test = encodeFeatures(fit, testInputs!, scenario.pooling);
    return { train, test, seconds: (performance.now() - started) / 1000 };
  } finally {
    releaseDerived(scenario, [trainInputs!, testInputs!]);
  }
}
