// The reference benchmark's FLOPs proxy (multiply-accumulates, forward only) and its compute matching: how many
// fine-tune steps a closed-form start may take so that init + steps × step cost ≤ backprop's whole budget.
import type { Scenario } from '../data/index.ts';
import { REFERENCE, SCENARIO_SHAPES, type ReferenceScenario } from '../reference.ts';

/** What the proxy needs of a scenario: its architecture and sizes (MLP dims are the nominal ones). */
export interface ProxyInput {
  architecture: 'mlp' | 'transformer';
  /** N_tr, N_te */
  nTrain: number;
  nTest: number;
  /** C */
  classes: number;
  /** Transformer T tokens of width d (ignored by the MLP). */
  tokens: number;
  dim: number;
  /** Width F_ℓ of each closed-form read-out (MLP: the 54 input columns; transformer: d). */
  readoutDim: number;
  /** Depth of the closed-form encoder (number of read-outs; CE-head features are (depth + 1)·F_ℓ). */
  depth: number;
}

export interface Budgets {
  /** epochs · N · (forward MACs per row) */
  backprop: number;
  /** epochs · ceil(N / batch) */
  backpropSteps: number;
  stepsPerEpoch: number;
  /** closed-form fit */
  init: number;
  fineTuneEpoch: number;
  /** fineTuneEpoch / stepsPerEpoch */
  fineTuneStepCost: number;
  /** floor((backprop − init) / fineTuneStepCost), 0 if not positive */
  fineTuneSteps: number;
  /** (N_tr + N_te) · encoder MACs per row */
  frozenEncode: number;
  /** 2 · 24 · N · F · C (not compute-matched) */
  ceHead: number;
  /** init + Σ_ℓ (N·F_ℓ² + N·F_ℓ·C) */
  ridge: number;
}

/** The proxy input of a loaded scenario (its actual train/test row counts). */
export function proxyInputOf(scenario: Scenario): ProxyInput {
  const shape = scenario.inputShape;
  const transformer = scenario.architecture === 'transformer';
  return {
    architecture: scenario.architecture,
    nTrain: scenario.train.labels.size(0),
    nTest: scenario.test.labels.size(0),
    classes: scenario.numClasses,
    tokens: transformer ? shape[0]! : 0,
    dim: transformer ? shape[1]! : 0,
    readoutDim: transformer ? shape[1]! : shape[0]!,
    depth: transformer ? REFERENCE.closedForm.transformer.depth : REFERENCE.closedForm.mlp.depth,
  };
}

/** The proxy input at the reference's sizes (SCENARIO_SHAPES), optionally with another train-row count. */
export function referenceProxyInput(name: ReferenceScenario, nTrain?: number): ProxyInput {
  const s = SCENARIO_SHAPES[name];
  if ('features' in s) {
    return {
      architecture: 'mlp',
      nTrain: nTrain ?? s.nTrain,
      nTest: s.nTest,
      classes: s.classes,
      tokens: 0,
      dim: 0,
      readoutDim: s.features,
      depth: REFERENCE.closedForm.mlp.depth,
    };
  }
  return {
    architecture: 'transformer',
    nTrain: nTrain ?? s.nTrain,
    nTest: s.nTest,
    classes: s.classes,
    tokens: s.tokens,
    dim: s.dim,
    readoutDim: s.dim,
    depth: REFERENCE.closedForm.transformer.depth,
  };
}

/** FLOPs-proxy budgets of every model and the compute-matched fine-tune step count. */
export function budgets(input: ProxyInput): Budgets {
  const { nTrain: n, nTest, classes: c } = input;
  const { rank: r, analyticHeads: h, ffnRatio, depth } = REFERENCE.proxy;
  const opt = input.architecture === 'mlp' ? REFERENCE.mlp : REFERENCE.transformer;
  const stepsPerEpoch = Math.ceil(n / opt.batch);
  const backpropSteps = opt.epochs * stepsPerEpoch;
  let backprop: number, init: number, fineTuneEpoch: number, frozenEncode: number;
  if (input.architecture === 'mlp') {
    const dims = REFERENCE.proxy.mlpDims;
    const width = dims[dims.length - 1]!;
    let layers = 0; // Σ d_ℓ·d_{ℓ+1}
    for (let l = 0; l + 1 < dims.length; l++) layers += dims[l]! * dims[l + 1]!;
    let fit = 0; // Σ_layers d_in·507 = (54 + 507 + 507)·507
    for (let l = 0; l + 1 < dims.length; l++) fit += dims[l]! * width;
    backprop = opt.epochs * n * (layers + width * c);
    fineTuneEpoch = n * (layers + 3 * width * c);
    init = 5 * n * fit;
    frozenEncode = (n + nTest) * layers;
  } else {
    const { tokens: t, dim: d } = input;
    const f = ffnRatio * d;
    backprop = opt.epochs * n * depth * (4 * t * d * d + 2 * t * t * d + 2 * t * d * f + d * c);
    fineTuneEpoch = n * depth * (t * d * d + t * d * r + t * t * r + h * t * t * d + t * h * d * d + t * d * d + d * c);
    const encoder = t * d * r + t * t * r + t * t * d + t * d * d; // per row and layer
    init = depth * 5 * n * encoder;
    frozenEncode = depth * (n + nTest) * encoder;
  }
  const fineTuneStepCost = fineTuneEpoch / stepsPerEpoch;
  const matched = Math.floor((backprop - init) / fineTuneStepCost);
  const features = (input.depth + 1) * input.readoutDim;
  const ceHead = 2 * REFERENCE.ceHead.epochs * n * features * c;
  const ridge = init + input.depth * (n * input.readoutDim ** 2 + n * input.readoutDim * c);
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

/** A fine-tune checkpoint's compute: init + steps × step cost. */
export function fineTuneCompute(b: Budgets, steps: number): number {
  return b.init + steps * b.fineTuneStepCost;
}

/** Backprop's compute after `steps` of its own budget (linear in steps). */
export function backpropCompute(b: Budgets, steps: number): number {
  return b.backpropSteps > 0 ? (b.backprop * steps) / b.backpropSteps : 0;
}
