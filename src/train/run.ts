// One run of one model on one scenario: build, train to a step budget, evaluate at checkpoints, and return
// the JSON record. A flat loop; the wall-clock counts the charged fit, feature extraction and the training
// steps (batch assembly included, as in the reference), never data loading, model construction or evaluation.
import os from 'node:os';
import { nonNegativeInt, oneOf, positiveInt } from '../checks.ts';
import { shuffledBatches, trainingBatch, type Scenario } from '../data/index.ts';
import { ConfigError } from '../errors.ts';
import { AdamW, trainStep } from '../nn/index.ts';
import { MODELS, REFERENCE, type ModelName } from '../reference.ts';
import {
  Generator,
  cat,
  dispose,
  getNumThreads,
  keep,
  noGrad,
  releaseFreeMemory,
  tidy,
  type Tensor,
} from '../torch/index.ts';
import type { CheckpointRecord, ClosedFormFit, EvalMetrics, Features, RunOptions, RunRecord } from './api.ts';
import { disposeFit, encodeFeatures, extractFeatures, fitClosedForm } from './fit.ts';
import { checkpointLabel, evaluateLogits } from './metrics.ts';
import { encoderTensors } from './layout.ts';
import {
  BackpropMlp,
  ClosedFormMlp,
  ClosedFormTransformer,
  FeatureHead,
  backpropTransformer,
  depthLoss,
  encoderParamCount,
  initClosedFormMlp,
  initClosedFormTransformer,
  type DepthModel,
} from './models.ts';
import { fitRidgeClassifier, readoutInputs, readoutLogits } from './ridge.ts';

/** Rows per forward pass when evaluating. */
const EVAL_BATCH_ROWS = 256;

interface Optimisation {
  batch: number;
  lr: number;
  weightDecay: number;
  epochs: number;
}

/** Batch, lr, weight decay and epochs of a gradient-trained model (cf-finetune trains like its backprop peer). */
export function optimisationOf(scenario: Scenario, model: ModelName): Optimisation {
  if (model === 'cf-ce-head') {
    const { epochs, maxBatch, lr, weightDecay } = REFERENCE.ceHead;
    return { batch: Math.min(maxBatch, scenario.train.labels.size(0)), lr, weightDecay, epochs };
  }
  const { batch, lr, weightDecay, epochs } = scenario.architecture === 'mlp' ? REFERENCE.mlp : REFERENCE.transformer;
  return { batch, lr, weightDecay, epochs };
}

/**
 * The model's own reference budget: epochs × ceil(N / batch); 0 for cf-ridge. cf-finetune has none of its
 * own (the benchmark compute-matches it to backprop), so asking for it is an error.
 */
export function defaultSteps(scenario: Scenario, model: ModelName): number {
  oneOf(model, 'model', MODELS);
  if (model === 'cf-ridge') return 0;
  if (model === 'cf-finetune') {
    throw new ConfigError("cf-finetune has no default step count: pass steps (the benchmark's compute-matched budget)");
  }
  const { batch, epochs } = optimisationOf(scenario, model);
  return epochs * Math.ceil(scenario.train.labels.size(0) / batch);
}

/** Node, platform, cores and ATen threads: the environment a record was measured in. */
export function environment(): Record<string, unknown> {
  return {
    node: process.version,
    platform: process.platform,
    arch: process.arch,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    threads: getNumThreads(),
    loadAverage: os.loadavg(),
  };
}

/** Last-depth logits of a model on inputs, in batches without gradients. (N, C) */
function predict(model: DepthModel, inputs: Tensor): Tensor {
  return noGrad(() => {
    const parts: Tensor[] = [];
    for (let start = 0; start < inputs.size(0); start += EVAL_BATCH_ROWS) {
      const x = inputs.narrow(0, start, Math.min(EVAL_BATCH_ROWS, inputs.size(0) - start));
      parts.push(
        tidy(() => {
          const logits = model.forward(x);
          return logits[logits.length - 1]!;
        }),
      );
    }
    return tidy(() => cat(parts, 0));
  });
}

function encodedTest(scenario: Scenario, raw: Tensor): Tensor {
  return tidy(() => scenario.encode(raw));
}

/**
 * Allocates the model of a run and initialises it: backprop from the run's generator; cf-finetune copied from
 * the fit with heads from seed + their offset + ℓ; cf-ce-head a Linear(F, C) head from seed + 3000.
 */
function buildModel(
  scenario: Scenario,
  model: Exclude<ModelName, 'cf-ridge'>,
  draw: { seed: number; generator: Generator; fit: ClosedFormFit | null; features: Features | null; headSeed?: number },
): { net: DepthModel; headSeed: number | null } {
  const { seed, generator, fit, features } = draw;
  const classes = scenario.numClasses;
  const pooling = scenario.pooling === 'last' ? 'last' : 'mean';
  const dim = scenario.inputShape[scenario.inputShape.length - 1]!; // features (MLP) or token width d
  if (model === 'backprop') {
    const net =
      scenario.architecture === 'mlp'
        ? new BackpropMlp(dim, classes, { generator })
        : backpropTransformer(dim, classes, pooling, generator);
    return { net, headSeed: null };
  }
  if (model === 'cf-ce-head') {
    const headSeed = draw.headSeed ?? seed + REFERENCE.seedOffsets.ceHead;
    return { net: new FeatureHead(features!.train.size(1), classes, headSeed), headSeed };
  }
  if (fit!.kind === 'mlp') {
    const headSeed = draw.headSeed ?? seed + REFERENCE.seedOffsets.mlpFineTuneHead;
    const net = initClosedFormMlp(new ClosedFormMlp(dim, classes, fit!.state.layers.length, headSeed), fit!.state);
    return { net, headSeed };
  }
  const headSeed = draw.headSeed ?? seed + REFERENCE.seedOffsets.transformerFineTuneHead;
  const { depth, heads, landmarks } = fit!.state.config;
  const shape = { dim, classes, depth, heads, landmarks, pooling } as const;
  return { net: initClosedFormTransformer(new ClosedFormTransformer(shape, headSeed), fit!.state), headSeed };
}

/** Trains (or solves) one model on one scenario; see RunOptions. */
export function runModel(scenario: Scenario, model: ModelName, options: RunOptions): RunRecord {
  oneOf(model, 'model', MODELS);
  const seed = nonNegativeInt(options.seed, 'seed');
  const closedForm = model !== 'backprop';
  const steps = model === 'cf-ridge' ? 0 : options.steps === undefined ? defaultSteps(scenario, model) : options.steps;
  if (model !== 'cf-ridge') positiveInt(steps, 'steps');
  else if (options.steps !== undefined && options.steps !== 0) {
    throw new ConfigError(`steps of cf-ridge must be 0 (it takes no gradient steps), got ${options.steps}`);
  }
  for (const s of options.checkpointSteps ?? []) nonNegativeInt(s, 'checkpoint step');
  const chargeFit = options.chargeFit ?? true;

  const owned: unknown[] = [];
  let fit: ClosedFormFit | null = null;
  let ownFit = false;
  try {
    // Closed-form fit and frozen features (their seconds are charged; their construction is not a data load).
    if (closedForm) {
      fit = options.fit ?? fitClosedForm(scenario, { seed });
      ownFit = options.fit === undefined;
      const want = scenario.architecture === 'mlp' ? 'mlp' : 'transformer';
      if (fit.kind !== want) {
        throw new ConfigError(`the closed-form fit is for an ${fit.kind}; ${scenario.name} needs a ${want}`);
      }
    }
    const fitSec = fit && chargeFit ? fit.fitSeconds : 0;
    let features: Features | null = null;
    if (model === 'cf-ce-head' || model === 'cf-ridge') {
      features = options.features ?? extractFeatures(fit!, scenario);
      if (!options.features) owned.push(features.train, features.test);
    }
    const featureSec = features?.seconds ?? 0;
    const timing = { fitSec, featureSec, trainSec: 0, evalSec: 0 };
    const config: Record<string, unknown> = {
      scenario: scenario.name,
      model,
      seed,
      steps,
      chargeFit,
      checkpointSteps: options.checkpointSteps ?? [],
      nTrain: scenario.train.labels.size(0),
      nTest: scenario.test.labels.size(0),
      inputShape: scenario.inputShape,
      classes: scenario.numClasses,
      pooling: scenario.pooling,
      dataSeed: scenario.seed,
    };
    if (fit) config.closedForm = fit.kind === 'mlp' ? fit.state.config : { ...fit.state.config };
    const wall = () => timing.fitSec + timing.featureSec + timing.trainSec;
    const labelsTest = scenario.test.labels;

    if (model === 'cf-ridge') return runRidge(scenario, fit!, features!, { seed, options, timing, config });

    // ---- gradient-trained models ----
    const generator = new Generator(seed);
    const opt = optimisationOf(scenario, model);
    const draw = { seed, generator, fit, features, headSeed: options.headSeed };
    const { net, headSeed } = buildModel(scenario, model, draw);
    owned.push(net.stateDict());
    const trainableParams = net.parameters().reduce((n, p) => n + p.numel(), 0);
    const totalParams = trainableParams + (model === 'cf-ce-head' ? encoderParamCount(fit!) : 0);

    const optimizer = new AdamW(net.parameters(), {
      lr: opt.lr,
      weightDecay: opt.weightDecay,
      betas: REFERENCE.adamw.betas,
      eps: REFERENCE.adamw.eps,
    });
    const trainRows = model === 'cf-ce-head' ? features!.train : null;
    const batchOf = (indices: Tensor): { inputs: Tensor; labels: Tensor } =>
      trainRows
        ? { inputs: trainRows.indexSelect(0, indices), labels: scenario.train.labels.indexSelect(0, indices) }
        : trainingBatch(scenario, indices, generator);

    // Evaluation inputs (not timed): encoded test inputs, or the test features.
    const testInputs = model === 'cf-ce-head' ? features!.test : encodedTest(scenario, scenario.test.raw);
    if (model !== 'cf-ce-head' && testInputs !== scenario.test.raw) owned.push(testInputs);
    const evaluate = (): EvalMetrics => {
      const started = performance.now();
      const metrics = tidy(() => evaluateLogits(predict(net, testInputs), labelsTest, scenario.task));
      releaseFreeMemory(); // the test-set pass's temporaries would otherwise stay resident
      timing.evalSec += (performance.now() - started) / 1000;
      return metrics;
    };
    const checkpoints: CheckpointRecord[] = [];
    if (model === 'cf-finetune') {
      checkpoints.push({ step: 0, label: 'init', budgetFraction: 0, wallClockSec: wall(), metrics: evaluate() });
    }
    const wanted = new Set((options.checkpointSteps ?? []).filter((s) => s >= 1 && s <= steps));
    wanted.add(steps);

    const n = scenario.train.labels.size(0);
    let order: Tensor[] = [];
    let cursor = 0;
    let loss = NaN;
    try {
      for (let step = 1; step <= steps; step++) {
        const started = performance.now();
        if (cursor === order.length) {
          // a new epoch: reshuffle (last partial batch kept)
          dispose(order);
          order = shuffledBatches(n, opt.batch, generator).map((t) => keep(t));
          cursor = 0;
        }
        const indices = order[cursor++]!;
        loss = trainStep(optimizer, () => {
          const { inputs, labels } = batchOf(indices);
          return depthLoss(net.forward(inputs), labels);
        });
        timing.trainSec += (performance.now() - started) / 1000;
        options.onProgress?.(step, steps, loss);
        if (wanted.has(step)) {
          checkpoints.push({
            step,
            label: checkpointLabel(step, steps),
            budgetFraction: step / steps,
            wallClockSec: wall(),
            metrics: evaluate(),
          });
        }
      }
    } finally {
      dispose(order);
      dispose(Object.values(optimizer.stateDict().tensors));
    }

    const extra: Record<string, EvalMetrics> = {};
    const evalStart = performance.now();
    for (const [name, raw] of Object.entries(options.extraEval ?? {})) {
      extra[name] = tidy(() => {
        const encoded = scenario.encode(raw);
        const inputs = model === 'cf-ce-head' ? encodeFeatures(fit!, encoded, scenario.pooling) : encoded;
        return evaluateLogits(predict(net, inputs), scenario.test.labels, scenario.task);
      });
    }
    timing.evalSec += (performance.now() - evalStart) / 1000;
    options.onWeights?.({ ...net.stateDict(), ...(model === 'cf-ce-head' ? encoderTensors(fit!) : {}) }, {});
    return {
      scenario: scenario.name,
      model,
      seed,
      stepsTotal: steps,
      trainableParams,
      totalParams,
      checkpoints,
      extra,
      timing,
      finalLoss: loss,
      config: {
        ...config,
        batch: opt.batch,
        lr: opt.lr,
        weightDecay: opt.weightDecay,
        epochs: opt.epochs,
        betas: REFERENCE.adamw.betas,
        eps: REFERENCE.adamw.eps,
        headSeed,
        augmentTrainingBatches: model !== 'cf-ce-head' && scenario.augmentTrainingBatches,
      },
      environment: environment(),
    };
  } finally {
    dispose(owned);
    if (fit && ownFit) disposeFit(fit);
  }
}

/** cf-ridge: the read-outs are its whole training (charged as trainSec); one 'init' checkpoint. */
function runRidge(
  scenario: Scenario,
  fit: ClosedFormFit,
  features: Features,
  run: { seed: number; options: RunOptions; timing: RunRecord['timing']; config: Record<string, unknown> },
): RunRecord {
  const { seed, options, timing, config } = run;
  const started = performance.now();
  const trainInputs = readoutInputs(fit, features.train);
  const readout = fitRidgeClassifier(trainInputs, scenario.train.labels, scenario, seed);
  dispose(trainInputs);
  try {
    timing.trainSec = (performance.now() - started) / 1000;
    const evalStart = performance.now();
    const metricsOf = (feats: Tensor): EvalMetrics =>
      tidy(() => {
        const logits = readoutLogits(readout, readoutInputs(fit, feats));
        return evaluateLogits(logits, scenario.test.labels, scenario.task);
      });
    const metrics = metricsOf(features.test);
    const extra: Record<string, EvalMetrics> = {};
    for (const [name, raw] of Object.entries(options.extraEval ?? {})) {
      extra[name] = tidy(() => metricsOf(encodeFeatures(fit, scenario.encode(raw), scenario.pooling)));
    }
    timing.evalSec = (performance.now() - evalStart) / 1000;
    const readouts = Object.fromEntries(readout.weights.map((w, l) => [`readouts.${l}`, w]));
    options.onWeights?.({ ...readouts, ...encoderTensors(fit) }, { temperature: readout.temperature });
    const wallClockSec = timing.fitSec + timing.featureSec + timing.trainSec;
    return {
      scenario: scenario.name,
      model: 'cf-ridge',
      seed,
      stepsTotal: 0,
      trainableParams: 0,
      totalParams: encoderParamCount(fit) + readout.weights.reduce((n, w) => n + w.numel(), 0),
      checkpoints: [{ step: 0, label: 'init', budgetFraction: 0, wallClockSec, metrics }],
      extra,
      timing,
      finalLoss: null,
      config: { ...config, lambda: REFERENCE.ridge.lambda, temperature: readout.temperature },
      environment: environment(),
    };
  } finally {
    dispose(readout.weights);
  }
}
