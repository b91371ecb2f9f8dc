// Runs one job on the train floor. A group is one (scenario, seed): the scenario is loaded once, closed-form
// fits and frozen features are cached per data fraction and shared by the group's jobs (each job is charged
// the fit time, as the reference does), and everything is disposed before the next group loads.
import {
  loadScenario,
  lowDataSeed,
  lowDataSubset,
  oodVariants,
  subsetIndices,
  type Scenario,
  type ScenarioOptions,
} from '../data/index.ts';
import { REFERENCE, type ModelName, type ReferenceScenario } from '../reference.ts';
import { dispose, type Tensor } from '../torch/index.ts';
import {
  checkpointStepsFor,
  defaultSteps,
  disposeFit,
  environment,
  extractFeatures,
  fitClosedForm,
  runModel,
  type CheckpointRecord,
  type ClosedFormFit,
  type EvalMetrics,
  type Features,
  type RunRecord,
} from '../train/index.ts';
import type { BenchConfig } from './config.ts';
import type { Job } from './jobs.ts';
import { backpropCompute, budgets, fineTuneCompute, proxyInputOf, type Budgets } from './proxy.ts';
import type { CheckpointRow, Metrics, OodRow, RowKey } from './results.ts';
import type { JobResult } from './store.ts';

export const DATASET_OF: Record<ReferenceScenario, string> = {
  covtype_mlp: 'covtype',
  cifar100_transformer: 'cifar100',
  qnli_transformer: 'qnli',
  wikitext2_next_token_transformer: 'wikitext2',
};

/** Reports the current step of the job in flight. */
export type StepListener = (step: number, steps: number) => void;

/** The jobs of one (scenario, seed); `close` releases every tensor the group holds. */
export interface JobGroup {
  run(job: Job, onStep: StepListener): JobResult;
  close(): void;
}

/** Opens the group of (scenario, seed): the real executor loads data; tests inject their own. */
export type GroupOpener = (scenario: ReferenceScenario, seed: number) => Promise<JobGroup>;

export function metricsOf(m: EvalMetrics): Metrics {
  return {
    metric_name: m.metricName,
    metric_value: m.metricValue,
    accuracy: m.accuracy,
    nll: m.nll,
    ece: m.ece,
    perplexity: m.perplexity,
  };
}

function disposeScenarioTensors(s: Scenario, shared: boolean): void {
  dispose([s.train.raw, s.train.labels]);
  if (!shared) dispose([s.test.raw, s.test.labels, ...Object.values(s.state)]);
}

/** Compute of a checkpoint of `model` at `step` of `steps` (MACs, forward only; fit included). */
function checkpointCompute(model: ModelName, b: Budgets, step: number, steps: number): number {
  switch (model) {
    case 'backprop':
      return backpropCompute(b, step);
    case 'cf-finetune':
      return fineTuneCompute(b, step);
    case 'cf-ce-head':
      return b.init + b.frozenEncode + (steps > 0 ? (b.ceHead * step) / steps : 0);
    case 'cf-ridge':
      return b.ridge;
  }
}

function stepsOf(model: ModelName, s: Scenario, b: Budgets): number {
  switch (model) {
    case 'backprop':
      return b.backpropSteps;
    case 'cf-finetune':
      return b.fineTuneSteps;
    case 'cf-ce-head':
      return defaultSteps(s, 'cf-ce-head');
    case 'cf-ridge':
      return 0;
  }
}

function headSeedOf(model: ModelName, s: Scenario, seed: number, fraction: number): number | undefined {
  const o = REFERENCE.seedOffsets;
  const base = lowDataSeed(seed, fraction);
  if (model === 'cf-finetune') return base + (s.architecture === 'mlp' ? o.mlpFineTuneHead : o.transformerFineTuneHead);
  if (model === 'cf-ce-head') return base + o.ceHead;
  return undefined;
}

/** The real executor: loads the scenario from dataDir (rows per config) with the group's seed. */
export function scenarioGroupOpener(config: BenchConfig, dataDir: string, cacheDir: string): GroupOpener {
  return async (name, seed) => {
    const options: ScenarioOptions = { [name]: { seed, ...(config.rows ?? {}) } };
    const scenario = await loadScenario(name, dataDir, cacheDir, options);
    return new ScenarioGroup(scenario, seed, config);
  };
}

class ScenarioGroup implements JobGroup {
  private readonly subsets = new Map<number, Scenario>();
  private readonly fits = new Map<number, ClosedFormFit>();
  private readonly features = new Map<number, Features>();
  private ood: Record<string, Tensor> | null = null;

  constructor(
    private readonly scenario: Scenario,
    private readonly seed: number,
    private readonly config: BenchConfig,
  ) {}

  private at(fraction: number): Scenario {
    if (fraction >= 1) return this.scenario;
    let s = this.subsets.get(fraction);
    if (!s) this.subsets.set(fraction, (s = lowDataSubset(this.scenario, fraction, lowDataSeed(this.seed, fraction))));
    return s;
  }

  private fit(fraction: number): ClosedFormFit {
    let f = this.fits.get(fraction);
    if (!f) this.fits.set(fraction, (f = fitClosedForm(this.at(fraction), { seed: this.seed })));
    return f;
  }

  private feats(fraction: number): Features {
    let f = this.features.get(fraction);
    if (!f) this.features.set(fraction, (f = extractFeatures(this.fit(fraction), this.at(fraction))));
    return f;
  }

  private key(job: Job): RowKey {
    return {
      scenario: job.scenario,
      dataset: DATASET_OF[job.scenario],
      architecture: this.scenario.architecture,
      model: job.model,
      seed: job.seed,
      data_fraction: job.fraction,
    };
  }

  run(job: Job, onStep: StepListener): JobResult {
    const started = performance.now();
    const onProgress = (step: number, steps: number) => onStep(step, steps);
    if (job.regime === 'transfer') return this.transfer(job, onProgress, started);
    const s = this.at(job.fraction);
    const b = budgets(proxyInputOf(s));
    const steps = stepsOf(job.model, s, b);
    const { anytime, lowDataCheckpoints } = this.config.fractions;
    const fractions = job.regime === 'anytime' ? anytime : lowDataCheckpoints;
    const cf = job.model !== 'backprop';
    if (job.regime === 'anytime' && !this.ood) this.ood = oodVariants(this.scenario, this.seed);
    const rec = runModel(s, job.model, {
      seed: this.seed,
      steps,
      checkpointSteps: checkpointStepsFor(steps, fractions),
      fit: cf ? this.fit(job.fraction) : undefined,
      features: job.model === 'cf-ce-head' || job.model === 'cf-ridge' ? this.feats(job.fraction) : undefined,
      extraEval: job.regime === 'anytime' ? this.ood! : undefined,
      onProgress,
    });
    const rows = rec.checkpoints.map((c) => this.row(job, rec, c, checkpointCompute(job.model, b, c.step, steps)));
    const final = rows[rows.length - 1]!;
    const ood: OodRow[] = Object.entries(rec.extra).map(([variant, m]) => ({
      ...this.key(job),
      ...metricsOf(m),
      variant,
      in_distribution_value: final.metric_value,
      delta: m.metricValue - final.metric_value,
    }));
    return this.result(job, rows, null, ood, rec, started);
  }

  private transfer(job: Job, onProgress: (step: number, steps: number) => void, started: number): JobResult {
    const sub = this.at(job.fraction);
    const full = budgets(proxyInputOf(this.scenario));
    const b = budgets(proxyInputOf(sub)); // steps matched as if init had been fitted on the subset
    const fit = this.fit(1);
    const headSeed = headSeedOf(job.model, this.scenario, this.seed, job.fraction);
    let features: Features | undefined;
    let compute: number, sharedCompute: number, sharedWall: number;
    if (job.model === 'cf-finetune') {
      compute = b.fineTuneSteps * b.fineTuneStepCost;
      sharedCompute = full.init;
      sharedWall = fit.fitSeconds;
    } else {
      const cached = this.feats(1);
      const train =
        job.fraction >= 1
          ? cached.train
          : subsetIndices(this.scenario.train.labels.size(0), job.fraction, lowDataSeed(this.seed, job.fraction));
      features = {
        train: job.fraction >= 1 ? cached.train : cached.train.indexSelect(0, train),
        test: cached.test,
        seconds: 0,
      };
      if (job.fraction < 1) dispose([train]);
      compute = job.model === 'cf-ce-head' ? b.ceHead : b.ridge - b.init;
      sharedCompute = full.init + full.frozenEncode;
      sharedWall = fit.fitSeconds + cached.seconds;
    }
    const steps =
      job.model === 'cf-finetune' ? b.fineTuneSteps : job.model === 'cf-ce-head' ? defaultSteps(sub, 'cf-ce-head') : 0;
    try {
      const rec = runModel(sub, job.model, {
        seed: this.seed,
        steps,
        checkpointSteps: steps > 0 ? [steps] : [],
        fit,
        chargeFit: false,
        features,
        headSeed,
        onProgress,
      });
      const last = rec.checkpoints[rec.checkpoints.length - 1]!;
      const row = {
        ...this.key(job),
        ...metricsOf(last.metrics),
        total_compute_proxy: compute,
        wall_clock_sec: last.wallClockSec,
      };
      const transfer = { row, shared_compute_proxy: sharedCompute, shared_wall_clock_sec: sharedWall };
      return this.result(job, [], transfer, [], rec, started);
    } finally {
      if (features && job.fraction < 1) dispose([features.train]);
    }
  }

  private row(job: Job, rec: RunRecord, c: CheckpointRecord, compute: number): CheckpointRow {
    return {
      ...this.key(job),
      ...metricsOf(c.metrics),
      budget_fraction: c.budgetFraction,
      checkpoint_label: c.label,
      step: c.step,
      steps_total: rec.stepsTotal,
      total_compute_proxy: compute,
      wall_clock_sec: c.wallClockSec,
      trainable_params: rec.trainableParams,
      total_params: rec.totalParams,
    };
  }

  private result(
    job: Job,
    rows: CheckpointRow[],
    transfer: JobResult['transfer'],
    ood: OodRow[],
    rec: RunRecord,
    started: number,
  ): JobResult {
    const t = rec.timing;
    return {
      job,
      rows,
      transfer,
      ood,
      timing: {
        fit_sec: t.fitSec,
        feature_sec: t.featureSec,
        train_sec: t.trainSec,
        eval_sec: t.evalSec,
        job_sec: (performance.now() - started) / 1000,
      },
      peak_rss_mb: process.resourceUsage().maxRSS / 1024,
      config: rec.config,
      environment: environment(),
    };
  }

  close(): void {
    for (const f of this.features.values()) dispose([f.train, f.test]);
    for (const f of this.fits.values()) disposeFit(f);
    for (const s of this.subsets.values()) disposeScenarioTensors(s, true);
    if (this.ood) dispose(Object.values(this.ood));
    disposeScenarioTensors(this.scenario, false);
    this.features.clear();
    this.fits.clear();
    this.subsets.clear();
    this.ood = null;
  }
}
