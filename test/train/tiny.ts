// Tiny hand-built scenarios for the train tests: a learnable rule, seeded, a few hundred rows.
import type { Scenario } from '../../src/data/index.ts';
import { REFERENCE } from '../../src/reference.ts';
import type { FitOptions } from '../../src/train/index.ts';
import { tabularView } from '../../src/data/index.ts';
import { Generator, randn, tidy, type Tensor } from '../../src/torch/index.ts';

/** Rows (N, features) with label = argmax of x·W for a fixed random W (classes columns). */
export function tinyTabular(
  options: { nTrain?: number; nTest?: number; features?: number; classes?: number; seed?: number } = {},
): Scenario {
  const { nTrain = 240, nTest = 120, features = 6, classes = 3, seed = 1 } = options;
  const g = new Generator(seed);
  const split = tidy(() => {
    const w = randn([features, classes], { generator: g });
    const make = (n: number) => {
      const raw = randn([n, features], { generator: g });
      return { raw, labels: raw.mm(w).argmax(1) };
    };
    return { train: make(nTrain), test: make(nTest) };
  });
  return tabularScenario(split, features, classes);
}

/** A covtype-like tabular Scenario around given train/test rows (mask-and-noise views, as covtype's). */
export function tabularScenario(split: Pick<Scenario, 'train' | 'test'>, features: number, classes: number): Scenario {
  return {
    name: 'covtype_mlp',
    architecture: 'mlp',
    modality: 'tabular',
    task: 'classification',
    pooling: 'none',
    metric: 'accuracy',
    numClasses: classes,
    seed: 0,
    ...split,
    inputShape: [features],
    view: { kind: 'mask-and-noise', maskProb: 0.15, noiseStd: 0.1 },
    augmentTrainingBatches: false,
    encode: (raw) => raw,
    augment: (raw, generator) => tabularView(raw, generator, 0.15, 0.1),
    state: {},
    details: {},
  };
}

/**
 * Token sequences (N, T, d): the label is the sign pattern of the mean token along a fixed direction; views
 * add Gaussian noise. task 'next_token' only changes the pooling (last token) and metric.
 */
export function tinyTokens(
  options: {
    nTrain?: number;
    nTest?: number;
    tokens?: number;
    dim?: number;
    classes?: number;
    seed?: number;
    task?: Scenario['task'];
  } = {},
): Scenario {
  const { nTrain = 96, nTest = 48, tokens = 5, dim = 16, classes = 2, seed = 2, task = 'classification' } = options;
  const g = new Generator(seed);
  const pooling = task === 'next_token' ? 'last' : 'mean';
  const split = tidy(() => {
    const w = randn([dim, classes], { generator: g });
    const make = (n: number) => {
      const raw = randn([n, tokens, dim], { generator: g });
      const pooled = pooling === 'mean' ? raw.mean(1) : raw.select(1, -1);
      return { raw, labels: pooled.mm(w).argmax(1) };
    };
    return { train: make(nTrain), test: make(nTest) };
  });
  return {
    name: task === 'next_token' ? 'wikitext2_next_token_transformer' : 'qnli_transformer',
    architecture: 'transformer',
    modality: 'text',
    task,
    pooling,
    metric: task === 'next_token' ? 'validation_cross_entropy' : 'accuracy',
    numClasses: classes,
    seed: 0,
    ...split,
    inputShape: [tokens, dim],
    view: { kind: 'token-dropout', dropProb: 0.1 },
    augmentTrainingBatches: true,
    encode: (raw) => raw,
    augment: (raw: Tensor, generator: Generator) => tidy(() => raw.add(randn(raw.shape, { generator }).mul(0.1))),
    state: {},
    details: {},
  };
}

export function disposeScenario(s: Scenario): void {
  for (const t of [s.train.raw, s.train.labels, s.test.raw, s.test.labels]) t.dispose();
}

/** The reference's closed-form fit options for a scenario's architecture, with a seed. */
export function fitOptions(s: Scenario, seed: number): FitOptions {
  return { seed, ...REFERENCE.closedForm[s.architecture] };
}
