// The model axis: a model is a network (architecture) × how it starts (initializer) × how it is trained
// (protocol). The trainer, the benchmark (jobs, budgets, rows), the report (labels, colours, order), the results
// schema and the CLI read this table; adding a model is one entry.
//   finetune: the network, initialised in place, trains all its weights for what is left of backprop's budget
//             after the initializer's cost (backprop itself: the default start, the whole budget);
//   head:     a cross-entropy head on the frozen closed-form encoder's pooled features (24 epochs);
//   analytic: residual ridge read-outs on the frozen encoder's features; no gradient steps.
import { ConfigError } from '../errors.ts';
import type { Scenario } from '../data/index.ts';
import type { Pooling } from '../nn/index.ts';
import { REFERENCE } from '../reference.ts';
import type { Generator } from '../torch/index.ts';
import { initializerEntry, type Initializer } from './initializers.ts';
import { BackpropMlp, ClosedFormMlp, ClosedFormTransformer, backpropTransformer, type DepthModel } from './models.ts';
import { backpropCompute, backpropStepsAfter, type Budgets } from './proxy.ts';

export type Protocol = 'finetune' | 'head' | 'analytic';
/** The network a finetune model trains: the scenario's reference backprop network, or the closed-form one. */
export type Architecture = 'backprop' | 'closed-form';
export type ModelName = string;

export interface ModelSpec {
  name: ModelName;
  /** Display label and fixed colour (Okabe–Ito and Paul Tol's muted: colour-blind-safe, one per model). */
  label: string;
  colour: string;
  description: string;
  architecture: Architecture;
  initializer: string;
  protocol: Protocol;
  /** Reads the run's closed-form fit (so it runs at every fit fraction and has transfer jobs). */
  usesFit: boolean;
  /** In a benchmark run that names no models (the reference's three and the analytic classifier). */
  byDefault: boolean;
  /** Its step budget given the budgets and what its start cost (MACs). */
  steps(scenario: Scenario, b: Budgets, initMacs: number): number;
  /** Compute (MACs, forward only, start included) after `step` of `steps`. */
  compute(b: Budgets, initMacs: number, step: number, steps: number): number;
  /** Its whole job's compute before anything runs (to balance shards). */
  estimate(b: Budgets): number;
}

/** Batch, lr, weight decay and epochs of a gradient-trained model. */
export interface Optimisation {
  batch: number;
  lr: number;
  weightDecay: number;
  epochs: number;
}

/** The CE head's steps: 24 epochs of ceil(N / min(512, N)). */
function headSteps(scenario: Scenario): number {
  const { batch, epochs } = optimisationOf(scenario, 'head');
  return epochs * Math.ceil(scenario.train.labels.size(0) / batch);
}

function finetune(
  fields: Pick<ModelSpec, 'name' | 'label' | 'colour' | 'description' | 'initializer' | 'byDefault'> & {
    architecture: Architecture;
  },
): ModelSpec {
  const closedForm = fields.architecture === 'closed-form';
  return {
    ...fields,
    protocol: 'finetune',
    usesFit: closedForm || fields.initializer === 'closed-form',
    // the closed-form network's step costs the proxy's fine-tune step; the backprop network's, backprop's own
    steps: (_s, b, initMacs) =>
      closedForm
        ? Math.max(0, Math.floor((b.backprop - initMacs) / b.fineTuneStepCost))
        : backpropStepsAfter(b, initMacs),
    compute: (b, initMacs, step) =>
      closedForm ? initMacs + step * b.fineTuneStepCost : initMacs + backpropCompute(b, step),
    estimate: (b) => b.backprop,
  };
}

export const MODELS: readonly ModelSpec[] = [
  finetune({
    name: 'backprop',
    label: 'backprop',
    colour: '#0072b2',
    description: 'the reference network (MLP 54→507×3, or the baseline transformer) from its default init',
    architecture: 'backprop',
    initializer: 'default',
    byDefault: true,
  }),
  finetune({
    name: 'cf-finetune',
    label: 'CF + fine-tune',
    colour: '#d55e00',
    description: 'the closed-form encoder copied into a trainable network, fine-tuned for the compute-matched steps',
    architecture: 'closed-form',
    initializer: 'closed-form',
    byDefault: true,
  }),
  {
    name: 'cf-ce-head',
    label: 'CF + CE head',
    colour: '#009e73',
    description: "a cross-entropy head on the frozen closed-form encoder's pooled per-layer features (24 epochs)",
    architecture: 'closed-form',
    initializer: 'closed-form',
    protocol: 'head',
    usesFit: true,
    byDefault: true,
    steps: (s) => headSteps(s),
    compute: (b, initMacs, step, steps) => initMacs + b.frozenEncode + (steps > 0 ? (b.ceHead * step) / steps : 0),
    estimate: (b) => b.init + b.frozenEncode + b.ceHead,
  },
  {
    name: 'cf-ridge',
    label: 'closed-form ridge',
    colour: '#cc79a7',
    description: 'the fully analytic classifier: residual ridge read-outs on the frozen encoder, no gradient steps',
    architecture: 'closed-form',
    initializer: 'closed-form',
    protocol: 'analytic',
    usesFit: true,
    byDefault: true,
    steps: () => 0,
    compute: (b) => b.ridge,
    estimate: (b) => b.ridge + b.frozenEncode,
  },
  ...literatureModels(),
];

/** The literature's starts of the backprop network (src/train/literature.ts), fine-tuned on what is left. */
function literatureModels(): ModelSpec[] {
  const entry = (name: string, label: string, colour: string, description: string) =>
    finetune({ name, label, colour, description, architecture: 'backprop', initializer: name, byDefault: false });
  return [
    entry('orthogonal', 'orthogonal', '#e69f00', 'the backprop network with orthogonal weights (Saxe et al. 2014)'),
    entry(
      'lsuv',
      'LSUV',
      '#56b4e9',
      'the backprop network after layer-sequential unit variance (Mishkin & Matas 2016)',
    ),
    entry('mimetic', 'mimetic', '#994433', 'the backprop transformer with mimetic attention (Trockman & Kolter 2023)'),
    entry('zca', 'ZCA', '#99aa55', 'the backprop network with ZCA whitening as its first layer'),
    entry(
      'zero-residual',
      'zero-residual',
      '#6644cc',
      'the backprop transformer with zero residual branches (Fixup/ReZero)',
    ),
  ];
}

/** The baseline every other start is measured against (targets, wall-clock ratios, transfer's scratch rows). */
export const BASELINE_MODEL: ModelName = 'backprop';

export const MODEL_NAMES: readonly ModelName[] = MODELS.map((m) => m.name);
export const DEFAULT_MODELS: readonly ModelName[] = MODELS.filter((m) => m.byDefault).map((m) => m.name);

/** The spec of a model name; a ConfigError naming `flag` and the choices otherwise. */
export function modelSpec(name: string, flag = 'model'): ModelSpec {
  const spec = MODELS.find((m) => m.name === name);
  if (!spec) throw new ConfigError(`${flag} must be one of ${MODEL_NAMES.join(', ')}, got '${name}'`);
  return spec;
}

/** A fit fraction as people write it: 1/16 for 0.0625, 0.3 otherwise, 'auto'. */
export function fitFractionText(f: number | 'auto'): string {
  if (f === 'auto' || f === 1) return String(f);
  const inverse = 1 / f;
  return Number.isInteger(inverse) ? `1/${inverse}` : String(f);
}

/** A model's label at a fit fraction: 'CF + CE head (fit 1/16)'; the full fit and fit-free models unmarked. */
export function seriesLabel(model: string, fitFraction: number | 'auto' = 1): string {
  const spec = MODELS.find((m) => m.name === model);
  const label = spec?.label ?? model;
  return fitFraction === 1 ? label : `${label} (fit ${fitFractionText(fitFraction)})`;
}

/** The initializer a model uses on a scenario, or null when it does not apply to the scenario's architecture. */
export function initializerFor(spec: ModelSpec, scenario: { architecture: 'mlp' | 'transformer' }): Initializer | null {
  return initializerEntry(spec.initializer)[scenario.architecture] ?? null;
}

/** Whether a model can run on a scenario of the given architecture. */
export function appliesTo(spec: ModelSpec, architecture: 'mlp' | 'transformer'): boolean {
  return initializerFor(spec, { architecture }) !== null;
}

/** Batch, lr, weight decay and epochs: the CE head's, or the scenario architecture's reference training. */
export function optimisationOf(scenario: Scenario, protocol: Protocol): Optimisation {
  if (protocol === 'head') {
    const { epochs, maxBatch, lr, weightDecay } = REFERENCE.ceHead;
    return { batch: Math.min(maxBatch, scenario.train.labels.size(0)), lr, weightDecay, epochs };
  }
  const { batch, lr, weightDecay, epochs } = scenario.architecture === 'mlp' ? REFERENCE.mlp : REFERENCE.transformer;
  return { batch, lr, weightDecay, epochs };
}

/** Base seed of a model's heads (head ℓ draws from base + ℓ): seed + its REFERENCE offset; null if none. */
export function headSeedOf(spec: ModelSpec, scenario: Scenario, seed: number): number | null {
  const o = REFERENCE.seedOffsets;
  if (spec.protocol === 'head') return seed + o.ceHead;
  if (spec.protocol !== 'finetune' || spec.architecture !== 'closed-form') return null;
  return seed + (scenario.architecture === 'mlp' ? o.mlpFineTuneHead : o.transformerFineTuneHead);
}

/** The closed-form network's shape: depth, analytic heads and landmarks per head (the fit's). */
export interface ClosedFormNetShape {
  depth: number;
  heads?: number;
  landmarks?: number;
}

/**
 * Allocates a finetune model's network with its default initialisation: the reference backprop network drawn
 * from the run's generator, or the closed-form network (heads from headSeed + ℓ, the rest zero for the
 * closed-form initializer to fill).
 */
export function buildNetwork(
  architecture: Architecture,
  scenario: Scenario,
  draw: { generator: Generator; headSeed: number | null; closedForm: ClosedFormNetShape },
): DepthModel {
  const classes = scenario.numClasses;
  const pooling: Pooling = scenario.pooling === 'last' ? 'last' : 'mean';
  const dim = scenario.inputShape[scenario.inputShape.length - 1]!; // features (MLP) or token width d
  if (architecture === 'backprop') {
    return scenario.architecture === 'mlp'
      ? new BackpropMlp(dim, classes, { generator: draw.generator })
      : backpropTransformer(dim, classes, pooling, draw.generator);
  }
  if (draw.headSeed === null) throw new Error('buildNetwork: the closed-form network needs a head seed');
  const { depth, heads, landmarks } = draw.closedForm;
  if (scenario.architecture === 'mlp') return new ClosedFormMlp(dim, classes, depth, draw.headSeed);
  if (heads === undefined || landmarks === undefined) {
    throw new Error('buildNetwork: the closed-form transformer needs heads and landmarks');
  }
  return new ClosedFormTransformer({ dim, classes, depth, heads, landmarks, pooling }, draw.headSeed);
}
