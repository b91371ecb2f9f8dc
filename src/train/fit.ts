// The closed-form fit of a scenario's encoder and the frozen-encoder features the CE head and ridge read.
import {
  applyTransformerLayer,
  disposeLayerCompute,
  fitMlpEncoder,
  fitTransformerEncoder,
  keepMlpState,
  layerCompute,
  probeFitRows,
} from '../closedform/index.ts';
import { positiveInt, seedValue } from '../checks.ts';
import { ConfigError } from '../errors.ts';
import { trainPairedViews, type Scenario } from '../data/index.ts';
import { REFERENCE } from '../reference.ts';
import { cat, dispose, empty, keep, noGrad, tidy, type Tensor } from '../torch/index.ts';
import type { ClosedFormFit, Features, FitOptions } from './api.ts';
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

/** The rows a fit on a fraction of n training rows uses: ⌈f·n⌉ (all for 1), or 'auto' for the adaptive size. */
export function fitRowsOf(fitFraction: number | 'auto', n: number): number | 'auto' {
  return fitFraction === 'auto' ? 'auto' : Math.min(n, Math.ceil(fitFraction * n));
}

/** The rows a fit's statistics use: all for fitRows unset or ≥ N, else a count. */
function resolvedRows(fitRows: FitOptions['fitRows'], n: number): number | 'auto' {
  if (fitRows === undefined) return n;
  if (fitRows === 'auto') return fitRows;
  return Math.min(positiveInt(fitRows, 'fitRows'), n);
}

/**
 * Fits the scenario's closed-form encoder on its paired train views (seeds seed + 101, seed + 102, drawn before
 * the clock starts). A fit on fewer rows than N takes its statistics on the rows subsetRows(N, m, seed + 4000)
 * and encodes nothing (the features are extracted separately); 'auto' first probes the size (timed with the
 * fit). fitSeconds is the fit (and probe) alone.
 */
export function fitClosedForm(scenario: Scenario, options: FitOptions): ClosedFormFit {
  const { seed, depth, lambda } = options;
  seedValue(seed, 'seed');
  const n = scenario.train.labels.size(0);
  const wanted = resolvedRows(options.fitRows, n);
  const fitSeed = seed + REFERENCE.seedOffsets.fitSubset;
  const views = trainPairedViews({ ...scenario, seed });
  try {
    const started = performance.now();
    let probeRows = 0;
    let rows = n;
    if (wanted === 'auto') {
      const tolerance = options.tolerance ?? REFERENCE.fitSize.tolerance;
      rows = probeFitRows(views.view1, views.view2, { seed: fitSeed, tolerance, lambda }).rows;
      probeRows = rows;
    } else {
      rows = wanted;
    }
    const subset = rows < n ? { fitRows: rows, fitSeed, propagate: false } : {};
    if (scenario.architecture === 'mlp') {
      const { state, streams } = fitMlpEncoder(views, { depth, lambda, ...subset });
      const fitSeconds = (performance.now() - started) / 1000;
      keepMlpState(state);
      releaseDerived(scenario, [streams.base, streams.view1, streams.view2]);
      return { kind: 'mlp', state, fitSeconds, fitRows: rows, probeRows };
    }
    const { heads, landmarks } = options;
    if (heads === undefined || landmarks === undefined) {
      throw new ConfigError(`${scenario.name}: a transformer fit needs heads and landmarks`);
    }
    const { state, streams } = fitTransformerEncoder(
      { view1: views.view1, view2: views.view2 },
      {
        depth,
        lambda,
        heads,
        landmarks,
        inPlace: true,
        ...subset,
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
    return { kind: 'transformer', state, fitSeconds, fitRows: rows, probeRows };
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
