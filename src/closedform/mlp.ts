// The closed-form MLP encoder ("full-square": every layer is a d×d shrinkage transform, ReLU, then
// a joint per-feature re-normalisation of the base and view streams). float64 throughout.
import { empty, fused, keep, stack, tidy, type Tensor } from '../torch/index.ts';
import { fitLayerFromStats } from './layer.ts';
import { checkPair, pairedStats, subsetRows } from './stats.ts';
import { checkFitInputs } from './validate.ts';
import { positiveInt, positiveNumber } from '../checks.ts';
import { ShapeError } from '../errors.ts';

/** Floor on the joint variance before the square root (constant features). */
export const VARIANCE_FLOOR = 1e-6;

export interface Normalizer {
  /** m (1×d) */
  mean: Tensor;
  /** s (1×d) */
  scale: Tensor;
}

export interface MlpEncoderState {
  initial: Normalizer;
  layers: { transform: Tensor; norm: Normalizer }[];
  config: { depth: number; lambda: number };
}

export interface MlpStreams {
  base: Tensor;
  view1: Tensor;
  view2: Tensor;
}

/**
 * Joint normalisation over k arrays, per feature:
 *   m = (1/k) Σⱼ colmean(Xⱼ),  v = (1/k) Σⱼ colmean((Xⱼ − m)²),  s = √max(v, 1e-6),  Xⱼ ← (Xⱼ − m)/s.
 */
export function jointNormalize(streams: readonly Tensor[]): { normalized: Tensor[]; norm: Normalizer } {
  const normalized = streams.map((x) => x.contiguous().clone());
  return { normalized, norm: jointNormalize_(normalized) };
}

/** jointNormalize over the arrays' own storage (contiguous). */
function jointNormalize_(streams: readonly Tensor[]): Normalizer {
  if (streams.length === 0) throw new ShapeError('jointNormalize: need at least one array');
  return tidy(() =>
    normalizeByMoments_(
      streams,
      streams.map((x) => fused.columnMoments(x).to(x.dtype)),
    ),
  );
}

/**
 * The joint normalisation from each array's column mean mⱼ and centred squares M₂ⱼ ((2, d) [mⱼ | M₂ⱼ] in the
 * arrays' dtype, as fused.columnMoments or fused.linearReluMoments give them): colmean((Xⱼ − m)²) = M₂ⱼ/nⱼ + (mⱼ − m)².
 */
function normalizeByMoments_(streams: readonly Tensor[], moments: readonly Tensor[]): Normalizer {
  return tidy(() => {
    const means = moments.map((m) => m.narrow(0, 0, 1));
    const mean = stack(means).mean(0); // (1, d)
    const variance = stack(
      moments.map((m, j) => m.narrow(0, 1, 1).div(streams[j].size(0)).add(means[j].sub(mean).square())),
    ).mean(0);
    const scale = variance.clampMin(VARIANCE_FLOOR).sqrt();
    for (const x of streams) fused.normalizeColumns_(x, mean, scale);
    return { mean, scale };
  });
}

function checkStreams(streams: MlpStreams, where: string): void {
  checkPair(streams.view1, streams.view2, where);
  const d = streams.view1.size(-1);
  if (streams.base.ndim !== 2 || streams.base.size(1) !== d) {
    throw new ShapeError(`${where}: base must be (n, ${d}) like the views, got [${streams.base.shape}]`);
  }
  if (streams.view1.ndim !== 2) throw new ShapeError(`${where}: views must be (n, d), got [${streams.view1.shape}]`);
}

export interface FitMlpOptions {
  depth?: number;
  lambda?: number;
  /** Fit on this many rows (a seeded subset, the same rows of base, view1 and view2); default all. */
  fitRows?: number;
  /** Seed of the subset draw (default 0). */
  fitSeed?: number;
  /** false: a subset fit returns the state and its subset's streams, without encoding all rows. */
  propagate?: boolean;
}

/**
 * Fits the encoder on the view streams (base is only propagated):
 *   h ← jointNormalize(h);  per layer  A = fitLayer(view1, view2, λ);  h ← jointNormalize(ReLU(h·A)).
 * The streams live in buffers allocated once per fit and updated in place.
 * Returns the state and the propagated streams (all float64).
 */
export function fitMlpEncoder(
  streams: MlpStreams,
  options: FitMlpOptions = {},
): { state: MlpEncoderState; streams: MlpStreams } {
  const depth = options.depth ?? 3;
  const lambda = options.lambda ?? 1;
  positiveInt(depth, 'fitMlpEncoder: depth');
  positiveNumber(lambda, 'fitMlpEncoder: lambda');
  checkFitInputs(streams, 'fitMlpEncoder', { computeDtype: 'float64' });
  checkStreams(streams, 'fitMlpEncoder');
  const n = streams.view1.size(0);
  if (options.fitRows !== undefined) positiveInt(options.fitRows, 'fitMlpEncoder: fitRows');
  if (options.fitRows !== undefined && options.fitRows < n) return fitMlpOnSubset(streams, options);
  return tidy(() => {
    // the fit's own float64 buffers, allocated once: the three streams, a product output, S and D of the stats
    const inputs = [streams.base, streams.view1, streams.view2];
    const rows = inputs.map((x) => x.size(0));
    const width = streams.view1.size(1);
    const buffer = () => empty([Math.max(...rows), width], { dtype: 'float64' });
    const buffers = inputs.map(buffer);
    let spare = buffer();
    const h = () => buffers.map((b, j) => b.narrow(0, 0, rows[j]));
    h().forEach((x, j) => x.copy_(inputs[j]));
    const scratch = [empty([n, width], { dtype: 'float64' }), empty([n, width], { dtype: 'float64' })] as const;
    const initial = jointNormalize_(h());
    const layers: MlpEncoderState['layers'] = [];
    for (let layer = 0; layer < depth; layer++) {
      // a scope per layer: its views of the buffers and its small tensors go at once
      const fitted = tidy(() => {
        const [, view1, view2] = h();
        const transform = fitLayerFromStats(pairedStats(view1, view2, { scratch }), lambda).transform;
        // ReLU(h·A) into the spare buffer with its moments, then the joint normalisation
        const moments = h().map((x, j) => {
          const m = fused.linearReluMoments(x, transform, spare.narrow(0, 0, rows[j]));
          [buffers[j], spare] = [spare, buffers[j]];
          return m;
        });
        return { transform, norm: normalizeByMoments_(h(), moments) };
      });
      layers.push(fitted);
    }
    const [base, view1, view2] = h();
    return { state: { initial, layers, config: { depth, lambda } }, streams: { base, view1, view2 } };
  });
}

/** The fit-size knob: the state from fitRows rows drawn by fitSeed, then (unless propagate: false) every row
 * encoded. */
function fitMlpOnSubset(streams: MlpStreams, options: FitMlpOptions): { state: MlpEncoderState; streams: MlpStreams } {
  const n = streams.view1.size(0);
  const fitRows = options.fitRows!;
  const seed = options.fitSeed ?? 0;
  // the same rows of every stream; a base of another length gets its own draw of min(fitRows, n_base) rows
  const pick = (x: Tensor) => tidy(() => x.indexSelect(0, subsetRows(x.size(0), Math.min(fitRows, x.size(0)), seed)));
  const subset = { base: pick(streams.base), view1: pick(streams.view1), view2: pick(streams.view2) };
  const fitted = fitMlpEncoder(subset, { depth: options.depth, lambda: options.lambda });
  if (options.propagate === false) return fitted;
  const encode = (x: Tensor) => applyMlpEncoder(fitted.state, x);
  return {
    state: fitted.state,
    streams: { base: encode(streams.base), view1: encode(streams.view1), view2: encode(streams.view2) },
  };
}

/** h₀ = (x − m₀)/s₀;  hₗ = (ReLU(hₗ₋₁ Aₗ) − mₗ)/sₗ. */
export function applyMlpEncoder(state: MlpEncoderState, x: Tensor): Tensor {
  const d = state.initial.mean.size(1);
  if (x.ndim !== 2 || x.size(1) !== d)
    throw new ShapeError(`applyMlpEncoder: expected (n, ${d}) inputs, got [${x.shape}]`);
  return tidy(() => {
    let h = x.to(state.initial.mean.dtype).sub(state.initial.mean).div(state.initial.scale);
    for (const { transform, norm } of state.layers) h = h.mm(transform).relu().sub(norm.mean).div(norm.scale);
    return h;
  });
}

/** Keeps every tensor of a state alive past the enclosing tidy scopes. */
export function keepMlpState(state: MlpEncoderState): MlpEncoderState {
  keep(state.initial.mean);
  keep(state.initial.scale);
  for (const l of state.layers) {
    keep(l.transform);
    keep(l.norm.mean);
    keep(l.norm.scale);
  }
  return state;
}
