// Runs one job on the train floor. A group is one (scenario, seed): the scenario is loaded once, closed-form
// fits are cached per (data fraction, fit fraction) and frozen features per fit, shared by the group's jobs
// (each job is charged the fit time, as the reference does), and everything is disposed before the next group
// loads. Which network, start and protocol a job runs is the model registry's business, not this file's.
import {
  loadScenario,
  lowDataSeed,
  lowDataSubset,
  oodVariants,
  REFERENCE_SCENARIOS,
  scenarioEntry,
  subsetIndices,
  type Scenario,
} from '../data/index.ts';
import { dispose, type Tensor } from '../torch/index.ts';
import {
  disposeFit,
  environment,
  extractFeatures,
  fitClosedForm,
  fitRowsOf,
  headSeedOf,
  modelSpec,
  runBudgets,
  runModel,
  warmUp,
  RunLog,
  type CheckpointRecord,
  type ClosedFormFit,
  type EvalMetrics,
  type Features,
  type PhaseListener,
  type RunRecord,
} from '../train/index.ts';
import type { BenchConfig, FitFraction } from './config.ts';
import { FitCache, type FitKey } from './fitcache.ts';
import type { Job } from './jobs.ts';
import type { CheckpointRow, Metrics, OodRow, RowKey } from './results.ts';
import type { JobResult } from './store.ts';

/** Reports the current step of the job in flight. */
export type StepListener = (step: number, steps: number) => void;

/** The jobs of one (scenario, seed); `close` releases every tensor the group holds. */
export interface JobGroup {
  run(job: Job, onStep: StepListener): JobResult;
  close(): void;
}

/** Opens the group of (scenario, seed): the real executor loads data; tests inject their own. */
export type GroupOpener = (scenario: string, seed: number) => Promise<JobGroup>;

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

/** Where fits and features are kept between runs (null: nowhere), and where the cache's lines go. */
export interface FitCacheOptions {
  dir: string | null;
  say: (line: string) => void;
}

/** What the real executor does besides running jobs. */
export interface GroupOptions {
  /** Fits and features kept on disk between runs (default: none). */
  fitCache?: FitCacheOptions;
  /** Hears the loading, the group's fits and feature extractions (or their cache reads), and every evaluation. */
  onPhase?: PhaseListener;
  /** Each job writes <logDir>/<job id>.jsonl and .csv (RunLog); null: no logs. */
  logDir?: string | null;
}

/**
 * The real executor: loads the scenario from dataDir (rows and a user's data options per config) with the group's
 * seed.
 */
export function scenarioGroupOpener(
  config: BenchConfig,
  dataDir: string,
  cacheDir: string,
  options: GroupOptions = {},
): GroupOpener {
  const { fitCache = { dir: null, say: () => {} }, onPhase, logDir = null } = options;
  return async (name, seed) => {
    const started = performance.now();
    // a user's data options go to the user's scenarios only (the reference ones take none)
    const data = REFERENCE_SCENARIOS.some((e) => e.name === name) ? undefined : (config.data ?? undefined);
    const scenario = await loadScenario(name, { dataDir, cacheDir, seed, data, ...(config.rows ?? {}) });
    onPhase?.('loading', (performance.now() - started) / 1000, `${name} seed ${seed}`);
    warmUp(scenario, config.closedForm[scenario.architecture]); // before the first timed job (not charged)
    const cache = fitCache.dir === null ? null : new FitCache(fitCache.dir, scenario, fitCache.say);
    return new ScenarioGroup(scenario, seed, config, cache, onPhase, logDir);
  };
}

class ScenarioGroup implements JobGroup {
  private readonly subsets = new Map<number, Scenario>();
  private readonly fits = new Map<string, ClosedFormFit>();
  private readonly features = new Map<string, Features>();
  private ood: Record<string, Tensor> | null = null;

  constructor(
    private readonly scenario: Scenario,
    private readonly seed: number,
    private readonly config: BenchConfig,
    private readonly cache: FitCache | null,
    private readonly onPhase: PhaseListener | undefined,
    private readonly logDir: string | null,
  ) {}

  private at(fraction: number): Scenario {
    if (fraction >= 1) return this.scenario;
    let s = this.subsets.get(fraction);
    if (!s) this.subsets.set(fraction, (s = lowDataSubset(this.scenario, fraction, lowDataSeed(this.seed, fraction))));
    return s;
  }

  /** The fit's cache key: the group's scenario and seed, the fractions, and the options it is fitted with. */
  private fitKey(fraction: number, fitFraction: FitFraction): FitKey {
    const s = this.at(fraction);
    const fitRows = fitRowsOf(fitFraction, s.train.labels.size(0));
    const options = { seed: this.seed, ...this.config.closedForm[s.architecture], fitRows };
    return { scenario: this.scenario.name, seed: this.seed, dataFraction: fraction, fitFraction, options };
  }

  /** The fit of (data fraction, fit fraction), fitted once (or read from the fit cache). */
  private fit(fraction: number, fitFraction: FitFraction): ClosedFormFit {
    const key = `${fraction}|${fitFraction}`;
    let f = this.fits.get(key);
    if (!f) {
      const k = this.fitKey(fraction, fitFraction);
      const compute = (): ClosedFormFit => fitClosedForm(this.at(fraction), k.options);
      const started = performance.now();
      this.fits.set(key, (f = this.cache ? this.cache.fit(k, compute) : compute()));
      this.onPhase?.('fitting', (performance.now() - started) / 1000, `the closed-form encoder on ${f.fitRows} rows`);
    }
    return f;
  }

  private feats(fraction: number, fitFraction: FitFraction): Features {
    const key = `${fraction}|${fitFraction}`;
    let f = this.features.get(key);
    if (!f) {
      const fit = this.fit(fraction, fitFraction);
      const compute = (): Features => extractFeatures(fit, this.at(fraction));
      const k = this.fitKey(fraction, fitFraction);
      const started = performance.now();
      this.features.set(key, (f = this.cache ? this.cache.features(k, compute) : compute()));
      this.onPhase?.(
        'extracting',
        (performance.now() - started) / 1000,
        'the frozen features of the train and test rows',
      );
    }
    return f;
  }

  private key(job: Job): RowKey {
    return {
      scenario: job.scenario,
      dataset: scenarioEntry(job.scenario).dataset,
      architecture: this.scenario.architecture,
      model: job.model,
      fit_fraction: job.fitFraction,
      seed: job.seed,
      data_fraction: job.fraction,
    };
  }

  run(job: Job, onStep: StepListener): JobResult {
    const log = this.logDir === null ? undefined : new RunLog(this.logDir, job.id);
    try {
      return this.runJob(job, onStep, log);
    } finally {
      log?.close();
    }
  }

  private runJob(job: Job, onStep: StepListener, log: RunLog | undefined): JobResult {
    const started = performance.now();
    const onProgress = (step: number, steps: number) => onStep(step, steps);
    if (job.regime === 'transfer') return this.transfer(job, onProgress, started, log);
    const spec = modelSpec(job.model);
    const s = this.at(job.fraction);
    const { anytime, lowDataCheckpoints } = this.config.fractions;
    if (job.regime === 'anytime' && !this.ood) this.ood = oodVariants(this.scenario, this.seed);
    const rec = runModel(s, job.model, {
      seed: this.seed,
      checkpointFractions: job.regime === 'anytime' ? anytime : lowDataCheckpoints,
      fit: spec.usesFit ? this.fit(job.fraction, job.fitFraction) : undefined,
      features: spec.usesFit && spec.protocol !== 'finetune' ? this.feats(job.fraction, job.fitFraction) : undefined,
      extraEval: job.regime === 'anytime' ? this.ood! : undefined,
      log,
      onProgress,
      onPhase: this.onPhase,
    });
    const rows = rec.checkpoints.map((c) => this.row(job, rec, c, c.computeProxy));
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

  /**
   * Transfer: the full-data fit (at the job's fit fraction) is shared by every data fraction and charged once
   * per (model, seed); each fraction pays its own head, read-out or fine-tune steps, matched as if the init had
   * been fitted on the subset.
   */
  private transfer(
    job: Job,
    onProgress: (step: number, steps: number) => void,
    started: number,
    log: RunLog | undefined,
  ): JobResult {
    const spec = modelSpec(job.model);
    const sub = this.at(job.fraction);
    const fit = this.fit(1, job.fitFraction);
    const full = runBudgets(this.scenario, fit);
    const subsetRows =
      typeof job.fitFraction === 'number' ? Math.ceil(job.fitFraction * sub.train.labels.size(0)) : undefined;
    const b = runBudgets(sub, { ...fit, fitRows: subsetRows ?? fit.fitRows }); // steps matched as if fitted on the subset
    const headSeed = headSeedOf(spec, this.scenario, lowDataSeed(this.seed, job.fraction)) ?? undefined;
    let features: Features | undefined;
    let compute: number, sharedCompute: number, sharedWall: number;
    if (spec.protocol === 'finetune') {
      compute = b.fineTuneSteps * b.fineTuneStepCost;
      sharedCompute = full.init;
      sharedWall = fit.fitSeconds;
    } else {
      const cached = this.feats(1, job.fitFraction);
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
      compute = spec.protocol === 'head' ? b.ceHead : b.ridge - b.init;
      sharedCompute = full.init + full.frozenEncode;
      sharedWall = fit.fitSeconds + cached.seconds;
    }
    const steps = spec.protocol === 'finetune' ? b.fineTuneSteps : spec.steps(sub, b, b.init);
    try {
      const rec = runModel(sub, job.model, {
        seed: this.seed,
        steps: steps > 0 ? steps : undefined,
        checkpointSteps: steps > 0 ? [steps] : [],
        fit,
        chargeFit: false,
        features,
        headSeed,
        log,
        onProgress,
        onPhase: this.onPhase,
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
      init_sec: rec.timing.initSec,
      init_compute_proxy: rec.initComputeProxy,
      fit_rows: rec.fit?.fitRows ?? null,
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
        init_sec: t.initSec,
        feature_sec: t.featureSec,
        train_sec: t.trainSec,
        eval_sec: t.evalSec,
        job_sec: (performance.now() - started) / 1000,
      },
      fit: rec.fit
        ? {
            fit_rows: rec.fit.fitRows,
            probe_rows: rec.fit.probeRows,
            fit_sec: rec.fit.fitSeconds,
            n_train: rec.config.nTrain as number,
          }
        : null,
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
