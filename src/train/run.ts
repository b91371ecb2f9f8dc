// One run of one model on one scenario: allocate, initialise in place, train to a step budget, evaluate at
// checkpoints, return the JSON record. A flat loop; the wall-clock counts the start (a charged closed-form fit or
// the initializer), feature extraction and the training steps (batch assembly included, as in the reference),
// never data loading, model construction or evaluation. The model's registry entry says which network, which
// start and which protocol.
import os from 'node:os';
import { nonNegativeInt, positiveInt, seedValue } from '../checks.ts';
import { shuffledBatches, trainingBatch, type Scenario } from '../data/index.ts';
import { ConfigError } from '../errors.ts';
import { AdamW, trainStep } from '../nn/index.ts';
import { REFERENCE } from '../reference.ts';
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
import type {
  CheckpointRecord,
  ClosedFormFit,
  EvalMetrics,
  Features,
  FitOptions,
  RunOptions,
  RunRecord,
} from './api.ts';
import { disposeFit, encodeFeatures, extractFeatures, fitClosedForm } from './fit.ts';
import { fitMacs, type InitContext } from './initializers.ts';
import { checkpointLabel, checkpointStepsFor, evaluateLogits } from './metrics.ts';
import { FeatureHead, depthLoss, encoderParamCount, type DepthModel } from './models.ts';
import { budgets, proxyInputOf, type Budgets, type ClosedFormShape } from './proxy.ts';
import { buildNetwork, headSeedOf, initializerFor, modelSpec, optimisationOf, type ModelSpec } from './registry.ts';
import { encoderTensors } from './layout.ts';
import { gitState } from './provenance.ts';
import { fitRidgeClassifier, readoutInputs, readoutLogits } from './ridge.ts';

/** Rows per forward pass when evaluating (no autograd, so activations of one batch only). */
const EVAL_BATCH_ROWS = 1024;

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
    git: gitState(),
  };
}

/** The closed-form shape the proxy charges: the fit's, else the fit options', else none (no fit). */
function closedFormShape(fit: ClosedFormFit | null, options: FitOptions | undefined): ClosedFormShape {
  if (fit) return fit.state.config;
  return options ?? { depth: 0 };
}

/** The FLOPs-proxy budgets of a run: the scenario's sizes, the fit's depth, rank and rows. */
export function runBudgets(scenario: Scenario, fit: ClosedFormFit | null, options?: FitOptions): Budgets {
  return budgets(proxyInputOf(scenario, closedFormShape(fit, options), fit ?? {}));
}

/** A start that alone costs backprop's whole budget (at toy sizes): no step is left to compare. */
export class BudgetSpentError extends ConfigError {
  override name = 'BudgetSpentError';
}

/**
 * The step budget of a model on a scenario: the registry's (compute-matched for a finetune start, the CE head's
 * 24 epochs, 0 for analytic), from the budgets and the start's MACs. A finetune start that uses up backprop's
 * whole budget is a BudgetSpentError (pass steps).
 */
export function stepsFor(scenario: Scenario, model: string, b: Budgets, initMacs: number): number {
  const spec = modelSpec(model);
  const steps = spec.steps(scenario, b, initMacs);
  if (steps < 1 && spec.protocol !== 'analytic') {
    throw new BudgetSpentError(`the start of ${model} on ${scenario.name} uses up backprop's whole budget`);
  }
  return steps;
}

/** Last-depth logits of a model on inputs, in batches without gradients. (N, C) */
function predict(model: DepthModel, inputs: Tensor): Tensor {
  return noGrad(() => {
    const parts: Tensor[] = [];
    for (let start = 0; start < inputs.size(0); start += EVAL_BATCH_ROWS) {
      const x = inputs.narrow(0, start, Math.min(EVAL_BATCH_ROWS, inputs.size(0) - start));
      parts.push(
        tidy(() => {
          if (model.predict) return model.predict(x);
          const logits = model.forward(x);
          return logits[logits.length - 1]!;
        }),
      );
    }
    return tidy(() => cat(parts, 0));
  });
}

function checkOptions(spec: ModelSpec, options: RunOptions): void {
  seedValue(options.seed, 'seed');
  if (spec.protocol === 'analytic') {
    if (options.steps !== undefined && options.steps !== 0) {
      throw new ConfigError(`steps of ${spec.name} must be 0 (it takes no gradient steps), got ${options.steps}`);
    }
  } else if (options.steps !== undefined) {
    positiveInt(options.steps, 'steps');
  }
  for (const s of options.checkpointSteps ?? []) nonNegativeInt(s, 'checkpoint step');
}

/** Trains (or solves) one model on one scenario; see RunOptions. */
export function runModel(scenario: Scenario, model: string, options: RunOptions): RunRecord {
  const spec = modelSpec(model);
  checkOptions(spec, options);
  const initializer = initializerFor(spec, scenario);
  if (!initializer) throw new ConfigError(`${model} does not apply to ${scenario.name} (a ${scenario.architecture})`);
  const seed = options.seed;
  const chargeFit = options.chargeFit ?? true;

  const owned: unknown[] = [];
  let fit: ClosedFormFit | null = options.fit ?? null;
  let ownFit = false;
  try {
    // The closed-form fit, when the model reads one (its seconds are charged through the start).
    const getFit = (): ClosedFormFit => {
      if (fit) return fit;
      if (!options.fitOptions) throw new ConfigError(`${model} needs a closed-form fit: pass fit or fitOptions`);
      fit = fitClosedForm(scenario, options.fitOptions);
      ownFit = true;
      options.onPhase?.('fitting', fit.fitSeconds, `the closed-form encoder on ${fit.fitRows} rows`);
      return fit;
    };
    if (spec.usesFit) {
      const f = getFit();
      const want = scenario.architecture;
      if (f.kind !== want)
        throw new ConfigError(`the closed-form fit is for an ${f.kind}; ${scenario.name} needs a ${want}`);
    }
    const b = runBudgets(scenario, fit, options.fitOptions);
    const timing = { initSec: 0, featureSec: 0, trainSec: 0, evalSec: 0 };
    const config: Record<string, unknown> = {
      scenario: scenario.name,
      model,
      architecture: spec.architecture,
      initializer: spec.initializer,
      protocol: spec.protocol,
      seed,
      chargeFit,
      nTrain: scenario.train.labels.size(0),
      nTest: scenario.test.labels.size(0),
      inputShape: scenario.inputShape,
      classes: scenario.numClasses,
      pooling: scenario.pooling,
      dataSeed: scenario.seed,
      // where the rows came from (a user's data: its sha256 and how it was read)
      data: scenario.details,
    };
    if (fit) {
      const f: ClosedFormFit = fit;
      config.closedForm = { ...f.state.config, fitRows: f.fitRows, probeRows: f.probeRows };
    }
    const fitCost = fit ? { fitSeconds: fit.fitSeconds, fitRows: fit.fitRows, probeRows: fit.probeRows } : null;

    let features: Features | null = null;
    if (spec.protocol !== 'finetune') {
      features = options.features ?? extractFeatures(fit!, scenario);
      if (!options.features) {
        owned.push(features.train, features.test);
        options.onPhase?.('extracting', features.seconds, 'the frozen features of the train and test rows');
      }
      timing.featureSec = features.seconds;
    }
    if (spec.protocol === 'analytic') {
      timing.initSec = chargeFit ? fit!.fitSeconds : 0;
      return runRidge(scenario, spec, fit!, features!, { seed, options, timing, config, b, fitCost });
    }

    // ---- gradient-trained models: allocate, initialise in place, train ----
    const generator = new Generator(seed);
    const ctx: InitContext = { scenario, seed, fit: getFit, chargeFit };
    const headSeed = options.headSeed ?? headSeedOf(spec, scenario, seed);
    let net: DepthModel;
    let initMacs: number;
    if (spec.protocol === 'head') {
      net = new FeatureHead(features!.train.size(1), scenario.numClasses, headSeed!);
      initMacs = fitMacs(scenario, fit!);
      timing.initSec = chargeFit ? fit!.fitSeconds : 0;
    } else {
      const closedForm = closedFormShape(fit, options.fitOptions);
      net = buildNetwork(spec.architecture, scenario, { generator, headSeed, closedForm });
      const cost = initializer.init_(net, ctx);
      initMacs = cost.macs;
      timing.initSec = cost.seconds;
    }
    owned.push(net.stateDict());
    const steps = options.steps ?? stepsFor(scenario, model, b, initMacs);
    const opt = optimisationOf(scenario, spec.protocol);
    const trainableParams = net.parameters().reduce((n, p) => n + p.numel(), 0);
    const totalParams = trainableParams + (spec.protocol === 'head' ? encoderParamCount(fit!) : 0);

    const optimizer = new AdamW(net.parameters(), {
      lr: opt.lr,
      weightDecay: opt.weightDecay,
      betas: REFERENCE.adamw.betas,
      eps: REFERENCE.adamw.eps,
    });
    const trainRows = features?.train ?? null;
    const batchOf = (indices: Tensor): { inputs: Tensor; labels: Tensor } =>
      trainRows
        ? { inputs: trainRows.indexSelect(0, indices), labels: scenario.train.labels.indexSelect(0, indices) }
        : trainingBatch(scenario, indices, generator);

    // Evaluation inputs (not timed): the test features, or the encoded test inputs.
    const testInputs = features?.test ?? tidy(() => scenario.encode(scenario.test.raw));
    if (!features && testInputs !== scenario.test.raw) owned.push(testInputs);
    const evaluate = (label: string): EvalMetrics => {
      const started = performance.now();
      const metrics = tidy(() => evaluateLogits(predict(net, testInputs), scenario.test.labels, scenario.task));
      releaseFreeMemory(); // the test-set pass's temporaries would otherwise stay resident
      const seconds = (performance.now() - started) / 1000;
      timing.evalSec += seconds;
      options.onPhase?.('evaluating', seconds, `checkpoint ${label} on ${scenario.test.labels.size(0)} test rows`);
      return metrics;
    };
    const wall = () => timing.initSec + timing.featureSec + timing.trainSec;
    const checkpoints: CheckpointRecord[] = [];
    const record = (step: number, label: string, budgetFraction: number) => {
      const computeProxy = spec.compute(b, initMacs, step, steps);
      const c = { step, label, budgetFraction, wallClockSec: wall(), computeProxy, metrics: evaluate(label) };
      checkpoints.push(c);
      options.log?.evaluation(c);
      options.onCheckpoint?.(c);
    };
    if (spec.protocol === 'finetune' && spec.initializer !== 'default') record(0, 'init', 0);
    const wanted = new Set(
      (options.checkpointSteps ?? checkpointStepsFor(steps, options.checkpointFractions ?? [])).filter(
        (s) => s >= 1 && s <= steps,
      ),
    );
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
        options.log?.step(step, loss, opt.lr, wall());
        options.onProgress?.(step, steps, loss);
        if (wanted.has(step)) record(step, checkpointLabel(step, steps), step / steps);
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
        const inputs = features ? encodeFeatures(fit!, encoded, scenario.pooling) : encoded;
        return evaluateLogits(predict(net, inputs), scenario.test.labels, scenario.task);
      });
    }
    const extraSeconds = (performance.now() - evalStart) / 1000;
    timing.evalSec += extraSeconds;
    const variants = Object.keys(extra);
    if (variants.length)
      options.onPhase?.('evaluating', extraSeconds, `the shifted test sets (${variants.join(', ')})`);
    // encoderTensors makes new handles (transposed views, α scalars): released with the scope
    tidy(() => options.onWeights?.({ ...net.stateDict(), ...(features ? encoderTensors(fit!) : {}) }, {}));
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
      initComputeProxy: initMacs,
      fit: fitCost,
      finalLoss: loss,
      config: {
        ...config,
        steps,
        checkpointSteps: [...wanted].sort((x, y) => x - y),
        batch: opt.batch,
        lr: opt.lr,
        weightDecay: opt.weightDecay,
        epochs: opt.epochs,
        betas: REFERENCE.adamw.betas,
        eps: REFERENCE.adamw.eps,
        headSeed,
        augmentTrainingBatches: !features && scenario.augmentTrainingBatches,
      },
      environment: environment(),
    };
  } finally {
    dispose(owned);
    if (fit && ownFit) disposeFit(fit);
  }
}

/** The analytic protocol: the read-outs are its whole training (charged as trainSec); one 'init' checkpoint. */
function runRidge(
  scenario: Scenario,
  spec: ModelSpec,
  fit: ClosedFormFit,
  features: Features,
  run: {
    seed: number;
    options: RunOptions;
    timing: RunRecord['timing'];
    config: Record<string, unknown>;
    b: Budgets;
    fitCost: RunRecord['fit'];
  },
): RunRecord {
  const { seed, options, timing, config, b } = run;
  const started = performance.now();
  const trainInputs = readoutInputs(fit, features.train);
  const readout = fitRidgeClassifier(trainInputs, scenario.train.labels, scenario, seed);
  dispose(trainInputs);
  try {
    timing.trainSec = (performance.now() - started) / 1000;
    options.onPhase?.('fitting', timing.trainSec, `the ridge read-outs on ${scenario.train.labels.size(0)} rows`);
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
    const sets = ['the test set', ...Object.keys(extra)].join(', ');
    options.onPhase?.('evaluating', timing.evalSec, `the ridge read-outs on ${sets}`);
    const readouts = Object.fromEntries(readout.weights.map((w, l) => [`readouts.${l}`, w]));
    tidy(() => options.onWeights?.({ ...readouts, ...encoderTensors(fit) }, { temperature: readout.temperature }));
    const wallClockSec = timing.initSec + timing.featureSec + timing.trainSec;
    const initMacs = fitMacs(scenario, fit);
    const checkpoint: CheckpointRecord = {
      step: 0,
      label: 'init',
      budgetFraction: 0,
      wallClockSec,
      computeProxy: spec.compute(b, initMacs, 0, 0),
      metrics,
    };
    options.log?.evaluation(checkpoint);
    options.onCheckpoint?.(checkpoint);
    return {
      scenario: scenario.name,
      model: spec.name,
      seed,
      stepsTotal: 0,
      trainableParams: 0,
      totalParams: encoderParamCount(fit) + readout.weights.reduce((n, w) => n + w.numel(), 0),
      checkpoints: [checkpoint],
      extra,
      timing,
      initComputeProxy: initMacs,
      fit: run.fitCost,
      finalLoss: null,
      config: { ...config, steps: 0, lambda: REFERENCE.ridge.lambda, temperature: readout.temperature },
      environment: environment(),
    };
  } finally {
    dispose(readout.weights);
  }
}
