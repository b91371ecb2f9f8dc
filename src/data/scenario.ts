// What a benchmark scenario is: raw train/test examples, how to turn them into model inputs, and how to
// draw random views of them. Builders live in scenarios.ts.
import { Generator, tidy, type Tensor } from '../torch/index.ts';
import type { AffineRanges } from './views.ts';

export { SCENARIOS as SCENARIO_NAMES } from '../reference.ts';
import { REFERENCE } from '../reference.ts';

const { trainViews: TRAIN_VIEWS, testViews: TEST_VIEWS } = REFERENCE.seedOffsets;

export type ViewSpec =
  | { kind: 'mask-and-noise'; maskProb: number; noiseStd: number }
  | { kind: 'random-affine'; ranges: AffineRanges }
  | { kind: 'token-dropout'; dropProb: number };

export interface ScenarioSplit {
  /**
   * Raw examples, the space views and OOD shifts act on: z-scored features (N, 54) float32; pixels/255
   * (N, 3, 32, 32) float32; or token ids (N, T) int64.
   */
  raw: Tensor;
  /** int64 (N) */
  labels: Tensor;
}

export interface Scenario {
  /** The scenario's registry name (a reference scenario, or `<kind>:<argument>`). */
  name: string;
  architecture: 'mlp' | 'transformer';
  modality: 'tabular' | 'image' | 'text';
  task: 'classification' | 'next_token';
  /** How a transformer turns its token outputs into one vector: none (MLP), mean, or the last token. */
  pooling: 'none' | 'mean' | 'last';
  metric: 'accuracy' | 'validation_cross_entropy';
  numClasses: number;
  /** The seed the train/test draw used; view seeds derive from it. */
  seed: number;
  train: ScenarioSplit;
  test: ScenarioSplit;
  /** Shape of one encoded example: [54], [16, 192], [80, 64] or [64, 64]. */
  inputShape: number[];
  view: ViewSpec;
  /** Transformers see a fresh random view in every training batch; the MLP trains on plain rows. */
  augmentTrainingBatches: boolean;
  /** Raw examples → model inputs (deterministic). */
  encode(raw: Tensor): Tensor;
  /** One random view of raw examples, drawn only from generator. */
  augment(raw: Tensor, generator: Generator): Tensor;
  /**
   * Fixed tensors encode() uses (mean image, position table, embedding table). Kept here, in a plain object,
   * so tidy() and dispose() reach them through the scenario.
   */
  state: Record<string, Tensor>;
  /** Facts worth printing (source folder, vocabulary size, ...). */
  details: Record<string, string | number>;
}

/** Encoded train inputs and two views with seeds seed+101 and seed+102 (the reference's pairing). */
export function trainPairedViews(s: Scenario): { base: Tensor; view1: Tensor; view2: Tensor } {
  return tidy(() => ({
    base: s.encode(s.train.raw),
    view1: s.encode(s.augment(s.train.raw, new Generator(s.seed + TRAIN_VIEWS[0]))),
    view2: s.encode(s.augment(s.train.raw, new Generator(s.seed + TRAIN_VIEWS[1]))),
  }));
}

/** Encoded test inputs and two views with seeds seed+202 and seed+203. */
export function testPairedViews(s: Scenario): { base: Tensor; view1: Tensor; view2: Tensor } {
  return tidy(() => ({
    base: s.encode(s.test.raw),
    view1: s.encode(s.augment(s.test.raw, new Generator(s.seed + TEST_VIEWS[0]))),
    view2: s.encode(s.augment(s.test.raw, new Generator(s.seed + TEST_VIEWS[1]))),
  }));
}

/** The training batch at the given row indices: inputs (augmented when the scenario says so) and labels. */
export function trainingBatch(s: Scenario, indices: Tensor, generator: Generator): { inputs: Tensor; labels: Tensor } {
  return tidy(() => {
    const raw = s.train.raw.indexSelect(0, indices);
    return {
      inputs: s.encode(s.augmentTrainingBatches ? s.augment(raw, generator) : raw),
      labels: s.train.labels.indexSelect(0, indices),
    };
  });
}
