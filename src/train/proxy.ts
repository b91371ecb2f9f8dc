// The reference benchmark's FLOPs proxy (multiply-accumulates, forward only) and its compute matching: how many
// fine-tune steps a start may take so that init + steps × step cost ≤ backprop's whole budget. Widths come from
// the scenario, depths from the closed-form fit's configuration; the backprop networks are the reference's.
import type { Scenario } from '../data/index.ts';
import { REFERENCE } from '../reference.ts';

/** What the proxy needs of a scenario and of the closed-form fit. */
export interface ProxyInput {
  architecture: 'mlp' | 'transformer';
  /** N_tr, N_te */
  nTrain: number;
  nTest: number;
  /** C */
  classes: number;
  /** Transformer: T tokens per sequence (0 for the MLP). */
  tokens: number;
  /** Width of one input: the MLP's feature columns, or the transformer's token width d. */
  dim: number;
  /** The closed-form encoder: depth L (number of read-outs), heads H and landmarks (rank r = H · landmarks). */
  closedForm: { depth: number; heads: number; landmarks: number };
  /** Rows the closed-form fit took its statistics over (nTrain for the reference's full fit). */
  fitRows: number;
  /** Rows an adaptive fit-size probe accumulated first-layer statistics over before fitting (0: none). */
  probeRows: number;
}

export interface Budgets {
  /** epochs · N · (forward MACs per row) */
  backprop: number;
  /** epochs · ceil(N / batch) */
  backpropSteps: number;
  stepsPerEpoch: number;
  /** closed-form fit on fitRows rows (+ the probe's statistics) */
  init: number;
  fineTuneEpoch: number;
  /** fineTuneEpoch / stepsPerEpoch */
  fineTuneStepCost: number;
  /** floor((backprop − init) / fineTuneStepCost), 0 if not positive */
  fineTuneSteps: number;
  /** (N_tr + N_te) · encoder MACs per row */
  frozenEncode: number;
  /** 2 · 24 · N · F · C with F = (L + 1) · dim (not compute-matched) */
  ceHead: number;
  /** init + Σ_ℓ (N·F_ℓ² + N·F_ℓ·C) */
  ridge: number;
}

/** The closed-form depth, heads and landmarks a proxy needs (the MLP has no heads: 0). */
export interface ClosedFormShape {
  depth: number;
  heads?: number;
  landmarks?: number;
}

/** The proxy input of a loaded scenario (its actual rows and widths) for a closed-form fit of the given shape. */
export function proxyInputOf(
  scenario: Scenario,
  closedForm: ClosedFormShape,
  fit: { fitRows?: number; probeRows?: number } = {},
): ProxyInput {
  const shape = scenario.inputShape;
  const transformer = scenario.architecture === 'transformer';
  const nTrain = scenario.train.labels.size(0);
  return {
    architecture: scenario.architecture,
    nTrain,
    nTest: scenario.test.labels.size(0),
    classes: scenario.numClasses,
    tokens: transformer ? shape[0]! : 0,
    dim: shape[shape.length - 1]!,
    closedForm: { depth: closedForm.depth, heads: closedForm.heads ?? 0, landmarks: closedForm.landmarks ?? 0 },
    fitRows: Math.min(fit.fitRows ?? nTrain, nTrain),
    probeRows: fit.probeRows ?? 0,
  };
}

/**
 * Σ over `depth` layers of d_in · width on the reference MLP's nominal dims [dim, width, width, …]: the backprop
 * MLP's forward MACs per row (depth = its depth), and, as the reference charges it, the closed-form MLP's
 * per-row encoder and fit cost (depth = the fit's depth): (54 + 507 + 507) · 507 at the reference shapes.
 */
function nominalMlpLayers(dim: number, depth: number): number {
  const width = REFERENCE.mlp.width;
  let total = 0;
  for (let l = 0; l < depth; l++) total += (l === 0 ? dim : width) * width;
  return total;
}

/** FLOPs-proxy budgets of every model and the compute-matched fine-tune step count. */
export function budgets(input: ProxyInput): Budgets {
  const { nTrain: n, nTest, classes: c, dim, fitRows, probeRows } = input;
  const depth = input.closedForm.depth;
  const opt = input.architecture === 'mlp' ? REFERENCE.mlp : REFERENCE.transformer;
  const stepsPerEpoch = Math.ceil(n / opt.batch);
  const backpropSteps = opt.epochs * stepsPerEpoch;
  let backprop: number, init: number, fineTuneEpoch: number, frozenEncode: number;
  if (input.architecture === 'mlp') {
    const width = REFERENCE.mlp.width;
    backprop = opt.epochs * n * (nominalMlpLayers(dim, REFERENCE.mlp.depth) + width * c);
    const encoder = nominalMlpLayers(dim, depth);
    fineTuneEpoch = n * (encoder + depth * width * c);
    init = 5 * fitRows * encoder;
    frozenEncode = (n + nTest) * encoder;
  } else {
    const { tokens: t } = input;
    const d = dim;
    const h = input.closedForm.heads;
    const r = h * input.closedForm.landmarks;
    const f = REFERENCE.transformer.mlpRatio * d;
    backprop = opt.epochs * n * REFERENCE.transformer.depth * (4 * t * d * d + 2 * t * t * d + 2 * t * d * f + d * c);
    fineTuneEpoch = n * depth * (t * d * d + t * d * r + t * t * r + h * t * t * d + t * h * d * d + t * d * d + d * c);
    const encoder = t * d * r + t * t * r + t * t * d + t * d * d; // per row and layer
    init = depth * 5 * fitRows * encoder;
    frozenEncode = depth * (n + nTest) * encoder;
  }
  // the probe's paired statistics: two d×d Gram updates per (token) row
  if (probeRows > 0) init += probeRows * Math.max(input.tokens, 1) * 2 * dim * dim;
  const fineTuneStepCost = fineTuneEpoch / stepsPerEpoch;
  const matched = Math.floor((backprop - init) / fineTuneStepCost);
  const features = (depth + 1) * dim;
  const ceHead = 2 * REFERENCE.ceHead.epochs * n * features * c;
  const ridge = init + depth * (n * dim ** 2 + n * dim * c);
  return {
    backprop,
    backpropSteps,
    stepsPerEpoch,
    init,
    fineTuneEpoch,
    fineTuneStepCost,
    fineTuneSteps: matched > 0 ? matched : 0,
    frozenEncode,
    ceHead,
    ridge,
  };
}

/** A closed-form fine-tune checkpoint's compute: init + steps × step cost. */
export function fineTuneCompute(b: Budgets, steps: number): number {
  return b.init + steps * b.fineTuneStepCost;
}

/** Backprop's compute after `steps` of its own budget (linear in steps). */
export function backpropCompute(b: Budgets, steps: number): number {
  return b.backpropSteps > 0 ? (b.backprop * steps) / b.backpropSteps : 0;
}

/**
 * Steps of the backprop network left after an initializer that cost `initMacs`: the whole budget when it
 * cost nothing, else floor((backprop − init) / backprop's step cost), 0 if not positive.
 */
export function backpropStepsAfter(b: Budgets, initMacs: number): number {
  if (initMacs <= 0) return b.backpropSteps;
  const steps = Math.floor(((b.backprop - initMacs) * b.backpropSteps) / b.backprop);
  return steps > 0 ? steps : 0;
}
