// The closed-form spectral transformer encoder. Each layer is fitted on the two view streams
// (N, T, d) in three streaming passes over mini-batches of sequences (statistics fused into the
// previous propagation); base streams are only propagated. Statistics and d×d algebra are float64; the token
// products run in computeDtype.
import { empty, fused, keep, releaseFreeMemory, tidy, type DType, type Tensor } from '../torch/index.ts';
import {
  RidgeAccumulator,
  attentionCompute,
  attentionContexts,
  attentionSublayer,
  attentionSublayers_,
  disposeAttentionCompute,
  spectralAttentionFit,
  type AttentionCompute,
  type AttentionParams,
} from './attention.ts';
import { fitLayerFromStats } from './layer.ts';
import { PairedStatsAccumulator, checkPair, subsetRows } from './stats.ts';
import { checkFitInputs } from './validate.ts';
import { oneOf, positiveInt, positiveNumber } from '../checks.ts';
import { ConfigError, ShapeError } from '../errors.ts';

export type ComputeDtype = 'float64' | 'float32';

export interface TransformerEncoderConfig {
  depth: number;
  lambda: number;
  /** Analytic attention heads. */
  heads: number;
  /** Projection columns per head; the spectral rank is heads × landmarks. */
  landmarks: number;
  /** 'float64' everywhere, or float32 token products with float64 statistics and d×d algebra. */
  computeDtype: ComputeDtype;
  /** Tokens per mini-batch (rounded down to whole sequences, at least one). */
  batchTokens: number;
}

export const DEFAULT_TRANSFORMER_CONFIG: TransformerEncoderConfig = {
  depth: 3,
  lambda: 1,
  heads: 2,
  landmarks: 8,
  computeDtype: 'float32',
  batchTokens: 8192,
};

export interface TransformerLayerState {
  attention: AttentionParams;
  /** A_F (d×d): out = LN(H + ReLU(H A_F)). */
  ffn: Tensor;
}

export interface TransformerEncoderState {
  config: TransformerEncoderConfig;
  dims: { width: number; tokens: number };
  layers: TransformerLayerState[];
  /** Wall-clock seconds of the fit. */
  fitSeconds: number;
  /** Seeds the caller used to make the views (recorded, not drawn from). */
  seeds: Record<string, number>;
}

export interface TokenStreams {
  view1: Tensor;
  view2: Tensor;
  base?: Tensor;
}

export interface FitTransformerOptions extends Partial<TransformerEncoderConfig> {
  /** Propagate the given streams in place (saves a copy; they must already be computeDtype). */
  inPlace?: boolean;
  seeds?: Record<string, number>;
  /** Called after each sublayer with the propagated streams (e.g. to inspect or record them). */
  onStage?: (layer: number, stage: 'attention' | 'ffn', streams: TokenStreams) => void;
  /** When given, wall-clock seconds of each pass are added into it by pass name. */
  profile?: Record<string, number>;
  /**
   * Fit the statistics on this many sequences (a seeded subset of view1/view2, drawn by fitSeed) instead
   * of all N; the default (undefined, or ≥ N) is the reference's full fit, bit for bit.
   */
  fitRows?: number;
  /** Seed of the subset draw (default 0); recorded in the state's seeds as `fitSubset`. */
  fitSeed?: number;
  /**
   * true (default): return every given stream propagated (a subset fit then encodes all N sequences
   * of base, view1 and view2 with the fitted state). false: only the state is needed, so the base stream
   * is not propagated and a subset fit returns just its subset's views.
   */
  propagate?: boolean;
}

/** out = LN(H + ReLU(H A_F)): fused.ffnSublayers_ on a copy, so fitting and encoding run the same kernel. */
export function ffnSublayer(h: Tensor, ffn: Tensor): Tensor {
  return tidy(() => {
    const out = h.contiguous().clone();
    fused.ffnSublayers_([out], ffn);
    return out;
  });
}

export interface LayerCompute {
  attention: AttentionCompute;
  ffn: Tensor;
}

/** A layer's parameters cast to the dtype of the token products. */
export function layerCompute(layer: TransformerLayerState, dtype: DType): LayerCompute {
  return tidy(() => ({ attention: attentionCompute(layer.attention, dtype), ffn: layer.ffn.to(dtype) }));
}

export function disposeLayerCompute(compute: LayerCompute): void {
  compute.ffn.dispose();
  disposeAttentionCompute(compute.attention);
}

/** One encoder layer: H = LN(α X + (1 − α) Ctx(X) W_O);  out = LN(H + ReLU(H A_F)). */
export function applyTransformerLayer(x: Tensor, layer: LayerCompute): Tensor {
  return tidy(() => ffnSublayer(attentionSublayer(x, layer.attention), layer.ffn));
}

function resolveConfig(options: Partial<TransformerEncoderConfig>): TransformerEncoderConfig {
  const config = { ...DEFAULT_TRANSFORMER_CONFIG };
  for (const key of Object.keys(config) as (keyof TransformerEncoderConfig)[]) {
    if (options[key] !== undefined) (config as Record<string, unknown>)[key] = options[key];
  }
  for (const key of ['depth', 'heads', 'landmarks', 'batchTokens'] as const) {
    positiveInt(config[key], `transformer encoder: ${key}`);
  }
  positiveNumber(config.lambda, 'transformer encoder: lambda');
  oneOf(config.computeDtype, 'transformer encoder: computeDtype', ['float64', 'float32'] as const);
  return config;
}

function checkTokens(x: Tensor, width: number, where: string): void {
  if (x.ndim !== 3 || x.size(2) !== width)
    throw new ShapeError(`${where}: expected tokens (N, T, ${width}), got [${x.shape}]`);
}

/**
 * Calls fn on aligned slices [start, start + len) along dim 0 of equally long tensors (and the first len
 * rows of each scratch tensor), then returns the pass's freed temporaries to the OS.
 */
function forEachBatch(
  tensors: readonly Tensor[],
  batch: number,
  fn: (slices: Tensor[], scratch: Tensor[]) => void,
  scratch: readonly Tensor[] = [],
): void {
  const n = tensors[0].size(0);
  const started = performance.now();
  for (let start = 0; start < n; start += batch) {
    const len = Math.min(batch, n - start);
    tidy(() =>
      fn(
        tensors.map((t) => t.narrow(0, start, len)),
        scratch.map((t) => t.narrow(0, 0, len)),
      ),
    );
  }
  releaseFreeMemory();
  if (passProfile) {
    const { record, name } = passProfile;
    record[name] = (record[name] ?? 0) + (performance.now() - started) / 1000;
  }
}

/** The pass forEachBatch is timing, when the caller asked for a profile. */
let passProfile: { record: Record<string, number>; name: string } | null = null;
function pass(profile: Record<string, number> | undefined, name: string): void {
  passProfile = profile ? { record: profile, name } : null;
}

/**
 * Batch scratch reused by every pass of a fit, B sequences per batch: two contexts buffers (B, T, H·d) and two
 * token-shaped buffers (B, T, d), one of each per view.
 */
function fitScratch(batch: number, tokens: number, width: number, heads: number, dtype: DType): Tensor[] {
  return [heads * width, heads * width, width, width].map((w) => keep(empty([batch, tokens, w], { dtype })));
}

/** Fits the encoder on view1/view2 and returns its state and the propagated streams. */
export function fitTransformerEncoder(
  streams: TokenStreams,
  options: FitTransformerOptions = {},
): { state: TransformerEncoderState; streams: TokenStreams } {
  const started = performance.now();
  const config = resolveConfig(options);
  checkFitInputs(streams, 'fitTransformerEncoder', config);
  checkPair(streams.view1, streams.view2, 'fitTransformerEncoder');
  const width = streams.view1.size(-1);
  checkTokens(streams.view1, width, 'fitTransformerEncoder: view1');
  if (streams.base) checkTokens(streams.base, width, 'fitTransformerEncoder: base');
  const tokens = streams.view1.size(1);
  const dtype = config.computeDtype;
  const n = streams.view1.size(0);
  const badBase = (rows: boolean) =>
    streams.base && (streams.base.size(1) !== tokens || (rows && streams.base.size(0) !== n));
  const baseError = () =>
    new ShapeError(
      `fitTransformerEncoder: base must be (${n}, ${tokens}, ${width}) like the views, got [${streams.base!.shape}]`,
    );
  if (badBase(false)) throw baseError();
  if (options.fitRows !== undefined) positiveInt(options.fitRows, 'fitTransformerEncoder: fitRows');
  if (options.fitRows !== undefined && options.fitRows < n) return fitOnSubset(streams, options, config, started);
  if (badBase(true) && options.propagate !== false) throw baseError(); // a full fit propagates base with the views
  const own = (x: Tensor, name: string): Tensor => {
    if (!options.inPlace) return x.dtype === dtype ? x.clone() : x.to(dtype);
    if (x.dtype !== dtype)
      throw new ConfigError(`fitTransformerEncoder: inPlace needs ${name} in ${dtype}, got ${x.dtype}`);
    if (!tidy(() => x.contiguous().sameStorage(x)))
      throw new ConfigError(`fitTransformerEncoder: inPlace needs ${name} to be contiguous`);
    return x;
  };
  const work: TokenStreams = { view1: own(streams.view1, 'view1'), view2: own(streams.view2, 'view2') };
  if (streams.base && options.propagate !== false) work.base = own(streams.base, 'base');
  const views = [work.view1, work.view2];
  const batch = Math.max(1, Math.floor(config.batchTokens / tokens));

  const profile = options.profile;
  const [ctx1, ctx2, tok1, tok2] = fitScratch(Math.min(batch, n), tokens, width, config.heads, dtype);
  pass(profile, 'stats');
  let stats = new PairedStatsAccumulator(width);
  forEachBatch(views, batch, ([v1, v2], [s1, s2]) => stats.add(v1, v2, [s1, s2]), [tok1, tok2]);
  const layers: TransformerLayerState[] = [];
  for (let layer = 0; layer < config.depth; layer++) {
    const last = layer === config.depth - 1;
    const fitted = tidy(() => {
      // attention: whitening and heads from the paired statistics
      const spectral = spectralAttentionFit(stats.finish(), config.heads, config.landmarks);
      stats.dispose();
      const compute = attentionCompute(spectral, dtype);
      // output map and blend weight: ridge normal equations and moments streamed over both views
      const ridge = new RidgeAccumulator(config.heads, width);
      pass(profile, 'ridge');
      forEachBatch(
        views,
        batch,
        ([v1, v2], [c1, c2, y, e]) => {
          attentionContexts(v1, v2, compute, c1, c2);
          ridge.add(v1, v2, c1, c2, y, e);
        },
        [ctx1, ctx2, tok1, tok2],
      );
      const { outputMap, alpha } = ridge.solve(config.lambda);
      ridge.dispose();
      compute.outputMap = outputMap.to(dtype).contiguous();
      compute.alpha = alpha;
      // propagate through the attention sublayer, collecting the FFN's paired statistics
      const ffnStats = new PairedStatsAccumulator(width);
      pass(profile, 'attention propagate + ffn stats');
      forEachBatch(
        views,
        batch,
        ([v1, v2], [c1, c2, s1, s2]) => {
          attentionSublayers_([v1, v2], compute, [c1, c2]);
          ffnStats.add(v1, v2, [s1, s2]);
        },
        [ctx1, ctx2, tok1, tok2],
      );
      pass(profile, 'base propagate');
      if (work.base) forEachBatch([work.base], batch, ([x], [c]) => attentionSublayers_([x], compute, [c]), [ctx1]);
      options.onStage?.(layer, 'attention', work);
      const ffn = fitLayerFromStats(ffnStats.finish(), config.lambda).transform;
      ffnStats.dispose();
      // propagate through the FFN, collecting the next layer's attention statistics
      const ffnCompute = ffn.to(dtype);
      const next = last ? null : new PairedStatsAccumulator(width);
      pass(profile, 'ffn propagate + next stats');
      forEachBatch(
        views,
        batch,
        ([v1, v2], [s1, s2]) => {
          fused.ffnSublayers_([v1, v2], ffnCompute);
          next?.add(v1, v2, [s1, s2]);
        },
        [tok1, tok2],
      );
      pass(profile, 'base propagate');
      if (work.base) forEachBatch([work.base], batch, ([x]) => fused.ffnSublayers_([x], ffnCompute));
      options.onStage?.(layer, 'ffn', work);
      const attention: AttentionParams = {
        sigmaInvSqrt: spectral.sigmaInvSqrt,
        heads: spectral.heads,
        outputMap,
        alpha,
      };
      return { layerState: { attention, ffn }, next };
    });
    layers.push(fitted.layerState);
    if (fitted.next) stats = fitted.next;
  }
  for (const t of [ctx1, ctx2, tok1, tok2]) t.dispose();
  pass(undefined, '');
  const state: TransformerEncoderState = {
    config,
    dims: { width, tokens },
    layers,
    fitSeconds: (performance.now() - started) / 1000,
    seeds: { ...options.seeds },
  };
  return { state, streams: work };
}

/**
 * The fit-size knob: the state from fitRows sequences drawn by fitSeed (their views copied, then fitted
 * in place), then, when propagate is not false, every given stream encoded with it.
 */
function fitOnSubset(
  streams: TokenStreams,
  options: FitTransformerOptions,
  config: TransformerEncoderConfig,
  started: number,
): { state: TransformerEncoderState; streams: TokenStreams } {
  const fitRows = options.fitRows!;
  const fitSeed = options.fitSeed ?? 0;
  const n = streams.view1.size(0);
  const rows = subsetRows(n, fitRows, fitSeed);
  const pick = (x: Tensor) => tidy(() => x.indexSelect(0, rows).to(config.computeDtype).contiguous());
  const subset: TokenStreams = { view1: pick(streams.view1), view2: pick(streams.view2) };
  rows.dispose();
  const { state, streams: fitted } = fitTransformerEncoder(subset, {
    ...config,
    inPlace: true,
    profile: options.profile,
    seeds: options.seeds,
  });
  state.seeds = { ...state.seeds, fitSubset: fitSeed, fitRows };
  if (options.propagate === false) {
    state.fitSeconds = (performance.now() - started) / 1000;
    return { state, streams: fitted };
  }
  fitted.view1.dispose();
  fitted.view2.dispose();
  const encode = (x: Tensor) => applyTransformerEncoder(state, x);
  const out: TokenStreams = { view1: encode(streams.view1), view2: encode(streams.view2) };
  if (streams.base) out.base = encode(streams.base);
  state.fitSeconds = (performance.now() - started) / 1000;
  return { state, streams: out };
}

/** Encodes tokens (N, T, d) with a fitted state, in mini-batches; returns a new (N, T, d) tensor. */
export function applyTransformerEncoder(
  state: TransformerEncoderState,
  x: Tensor,
  options: { computeDtype?: ComputeDtype; batchTokens?: number } = {},
): Tensor {
  checkTokens(x, state.dims.width, 'applyTransformerEncoder');
  pass(undefined, '');
  const dtype = options.computeDtype ?? state.config.computeDtype;
  const batch = Math.max(1, Math.floor((options.batchTokens ?? state.config.batchTokens) / Math.max(1, x.size(1))));
  const computes = state.layers.map((layer) => layerCompute(layer, dtype));
  const out = empty(x.shape, { dtype });
  try {
    forEachBatch([x, out], batch, ([slice, target]) => {
      let h = slice.to(dtype);
      for (const layer of computes) h = applyTransformerLayer(h, layer);
      target.copy_(h);
    });
  } finally {
    for (const c of computes) disposeLayerCompute(c);
  }
  return out;
}
