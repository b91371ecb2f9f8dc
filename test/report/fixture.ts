// A hand-made results.json: four scenarios, four models, three seeds, every table, with curves shaped like the
// benchmark's (chance at init for backprop, closed-form starts at their fit cost) and a few planted facts the
// verdict tests check: backprop wins covtype and wikitext2, CF + CE head wins qnli, our covtype backprop differs
// from the reference's published value by far more than its CI, and CF + CE head reaches the covtype target
// first in wall-clock.
import { REFERENCE, SCENARIOS, type ReferenceScenario } from '../../src/reference.ts';
import type * as R from '../../src/bench/results.ts';
import type { PrimaryMetric, SummaryStats, TargetRow } from '../../src/bench/results.ts';

// Every row below is built without the fit-size fields (all at the reference's full fit); fullFit adds them.
type ModelName = string;
type NoFit<T> = Omit<T, 'fit_fraction' | 'init_sec' | 'init_compute_proxy' | 'fit_rows'>;
type CheckpointRow = NoFit<R.CheckpointRow>;
type CheckpointSummary = NoFit<R.CheckpointSummary>;
type ComputeToTargetDetail = NoFit<R.ComputeToTargetDetail>;
type ComputeToTargetSummary = NoFit<R.ComputeToTargetSummary>;
type MatchedSummary = NoFit<R.MatchedSummary>;
type OodRow = NoFit<R.OodRow>;
type OodSummary = NoFit<R.OodSummary>;
type ParetoRow = NoFit<R.ParetoRow>;
type SeedSummary = NoFit<R.SeedSummary>;
type TransferRow = NoFit<R.TransferRow>;
type TransferSeedSummary = NoFit<R.TransferSeedSummary>;
type TransferSummary = NoFit<R.TransferSummary>;

/** Every table's model rows at fit fraction 1; checkpoint rows with their start's cost. */
function fullFit(tables: Record<string, unknown>): R.Results {
  const out: Record<string, unknown> = {};
  for (const [name, rows] of Object.entries(tables)) {
    out[name] = !Array.isArray(rows)
      ? rows
      : rows.map((r: Record<string, unknown>) => {
          if (r.model === undefined) return r;
          const row: Record<string, unknown> = { ...r, fit_fraction: 1 };
          if (name === 'anytime_rows' || name === 'low_data_rows') {
            const cf = r.model !== 'backprop';
            Object.assign(row, { init_sec: cf ? 1 : 0, init_compute_proxy: cf ? 1e9 : 0, fit_rows: cf ? 12000 : null });
          }
          return row;
        });
  }
  return out as unknown as R.Results;
}

const SEEDS = [7, 11, 19];
const SEED_JITTER = [-0.004, 0.001, 0.005]; // added to accuracies; ×10 for cross-entropy
const BUDGETS = [0, 0.01, 0.05, 0.1, 0.25, 0.5, 1];
const MODELS_FIT: ModelName[] = ['backprop', 'cf-finetune', 'cf-ce-head', 'cf-ridge'];

interface Shape {
  metric: PrimaryMetric;
  dataset: string;
  /** init and final metric per model (cf-ridge: init = final). */
  curve: Record<ModelName, [number, number]>;
  /** MACs per training run (backprop / fine-tune), closed-form fit, CE-head training. */
  trainCompute: number;
  fitCompute: number;
  headCompute: number;
  /** Seconds per 1e9 MACs of training, seconds of the fit. */
  secPerGmac: number;
  fitSec: number;
  variants: string[];
}

const SHAPES: Record<ReferenceScenario, Shape> = {
  covtype_mlp: {
    metric: 'accuracy',
    dataset: 'covtype',
    trainCompute: 2.4e11,
    fitCompute: 3.1e10,
    headCompute: 4e9,
    secPerGmac: 0.12,
    fitSec: 2.5,
    variants: ['gaussian_noise', 'feature_dropout'],
    curve: {
      backprop: [0.14, 0.775],
      'cf-finetune': [0.55, 0.72],
      'cf-ce-head': [0.6, 0.745],
      'cf-ridge': [0.66, 0.66],
    },
  },
  cifar100_transformer: {
    metric: 'accuracy',
    dataset: 'cifar100',
    trainCompute: 9.0e11,
    fitCompute: 1.2e11,
    headCompute: 2e10,
    secPerGmac: 0.05,
    fitSec: 9,
    variants: ['gaussian_noise', 'brightness'],
    curve: {
      backprop: [0.01, 0.125],
      'cf-finetune': [0.04, 0.097],
      'cf-ce-head': [0.05, 0.112],
      'cf-ridge': [0.08, 0.08],
    },
  },
  qnli_transformer: {
    metric: 'accuracy',
    dataset: 'qnli',
    trainCompute: 6.0e11,
    fitCompute: 8.0e10,
    headCompute: 1e10,
    secPerGmac: 0.06,
    fitSec: 6,
    variants: ['token_dropout', 'token_shuffle'],
    curve: {
      backprop: [0.5, 0.535],
      'cf-finetune': [0.505, 0.523],
      'cf-ce-head': [0.51, 0.556],
      'cf-ridge': [0.52, 0.52],
    },
  },
  wikitext2_next_token_transformer: {
    metric: 'validation_cross_entropy',
    dataset: 'wikitext2',
    trainCompute: 1.1e12,
    fitCompute: 1.5e11,
    headCompute: 9e10,
    secPerGmac: 0.05,
    fitSec: 11,
    variants: ['token_dropout', 'token_shuffle'],
    curve: { backprop: [8.32, 5.65], 'cf-finetune': [7.2, 5.79], 'cf-ce-head': [7.0, 6.33], 'cf-ridge': [6.9, 6.9] },
  },
};

/** mean, population std, 1.96·sample std/√n (0 for one value), as the reference aggregates. */
export function stats(values: number[]): SummaryStats {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const ss = values.reduce((a, b) => a + (b - mean) ** 2, 0);
  return { mean, std: Math.sqrt(ss / n), ci95: n > 1 ? (1.96 * Math.sqrt(ss / (n - 1))) / Math.sqrt(n) : 0, n };
}

const label = (b: number): string => (b === 0 ? 'init' : `${Math.round(b * 100)}%`);
const better = (metric: PrimaryMetric, a: number, b: number): boolean => (metric === 'accuracy' ? a > b : a < b);

function checkpointRows(scenario: ReferenceScenario, fraction: number, budgets: number[]): CheckpointRow[] {
  const s = SHAPES[scenario];
  const rows: CheckpointRow[] = [];
  for (const model of MODELS_FIT) {
    SEEDS.forEach((seed, i) => {
      const jitter = SEED_JITTER[i]! * (s.metric === 'accuracy' ? 1 : 10);
      // Less data: a worse final, a smaller training bill.
      const penalty = fraction < 1 ? 1 - Math.log10(1 / fraction) * 0.08 : 1;
      const [init, final0] = s.curve[model];
      const final = s.metric === 'accuracy' ? init + (final0 - init) * penalty : final0 + (1 - penalty) * 0.8;
      const closedForm = model !== 'backprop';
      const fit = closedForm ? s.fitCompute * fraction : 0;
      const fitSec = closedForm ? s.fitSec * fraction : 0;
      const train = (model === 'cf-ce-head' ? s.headCompute : s.trainCompute) * fraction;
      const steps = model === 'cf-ridge' ? 0 : Math.max(1, Math.round(100 * fraction * 10));
      for (const b of model === 'cf-ridge' ? [0] : budgets) {
        const shape = (1 - Math.exp(-5 * b)) / (1 - Math.exp(-5));
        const value = init + (final - init) * shape + (b > 0 || model === 'cf-ridge' ? jitter : 0);
        const compute = fit + b * train;
        const accuracy = s.metric === 'accuracy' ? value : 0.05 + 0.1 * shape;
        const nll = s.metric === 'accuracy' ? 2.5 - 1.5 * value : value;
        rows.push({
          scenario,
          dataset: s.dataset,
          architecture: scenario === 'covtype_mlp' ? 'mlp' : 'transformer',
          model,
          seed,
          data_fraction: fraction,
          metric_name: s.metric,
          metric_value: value,
          accuracy,
          nll,
          ece: 0.02 + 0.05 * (1 - shape),
          perplexity: s.metric === 'accuracy' ? null : Math.exp(Math.min(value, 30)),
          budget_fraction: b,
          checkpoint_label: label(b),
          step: Math.round(b * steps),
          steps_total: steps,
          total_compute_proxy: compute,
          wall_clock_sec: fitSec + ((b * train * s.secPerGmac) / 1e9) * (1 + 0.02 * i),
          trainable_params: model === 'cf-ce-head' ? 20_000 : 500_000,
          total_params: 520_000,
        });
      }
    });
  }
  return rows;
}

type Keyed = { scenario: ReferenceScenario; model: ModelName };
function groupBy<T>(rows: T[], key: (r: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const r of rows) out.set(key(r), [...(out.get(key(r)) ?? []), r]);
  return out;
}

function summarise(rows: CheckpointRow[]): CheckpointSummary[] {
  const groups = groupBy(rows, (r) => `${r.scenario}|${r.model}|${r.data_fraction}|${r.checkpoint_label}`);
  return [...groups.values()].map((g) => ({
    scenario: g[0]!.scenario,
    model: g[0]!.model,
    data_fraction: g[0]!.data_fraction,
    checkpoint_label: g[0]!.checkpoint_label,
    budget_fraction: g[0]!.budget_fraction,
    metric_name: g[0]!.metric_name,
    metric: stats(g.map((r) => r.metric_value)),
    total_compute_proxy: stats(g.map((r) => r.total_compute_proxy)),
    wall_clock_sec: stats(g.map((r) => r.wall_clock_sec)),
  }));
}

function finals(rows: CheckpointRow[]): CheckpointRow[] {
  return rows.filter((r) => r.budget_fraction === 1 || r.model === 'cf-ridge');
}

export function makeResults(scenarios: readonly ReferenceScenario[] = SCENARIOS): R.Results {
  const anytime_rows = scenarios.flatMap((s) => checkpointRows(s, 1, BUDGETS));
  const anytime_summary = summarise(anytime_rows);
  const targets: TargetRow[] = scenarios.map((scenario) => {
    const metric = SHAPES[scenario].metric;
    const mean = stats(
      finals(anytime_rows)
        .filter((r) => r.scenario === scenario && r.model === 'backprop')
        .map((r) => r.metric_value),
    ).mean;
    const { targetAccuracyRatio, targetCrossEntropyRatio } = REFERENCE.regimes;
    const ratio = metric === 'accuracy' ? targetAccuracyRatio : targetCrossEntropyRatio;
    return { scenario, metric_name: metric, target: mean * ratio, backprop_final_mean: mean };
  });
  const compute_to_target_detail: ComputeToTargetDetail[] = [];
  for (const g of groupBy(anytime_rows, (r) => `${r.scenario}|${r.model}|${r.seed}`).values()) {
    const t = targets.find((x) => x.scenario === g[0]!.scenario)!;
    const hit = g
      .sort((a, b) => a.budget_fraction - b.budget_fraction)
      .find((r) => r.metric_value === t.target || better(t.metric_name, r.metric_value, t.target));
    const { scenario, dataset, architecture, model, seed, data_fraction } = g[0]!;
    compute_to_target_detail.push({
      scenario,
      dataset,
      architecture,
      model,
      seed,
      data_fraction,
      reached: hit !== undefined,
      checkpoint_label: hit?.checkpoint_label ?? null,
      total_compute_proxy: hit?.total_compute_proxy ?? null,
      wall_clock_sec: hit?.wall_clock_sec ?? null,
      budget_fraction: hit?.budget_fraction ?? null,
    });
  }
  const reachMeans = new Map<string, { compute: number | null; sec: number | null }>();
  const compute_to_target_summary: ComputeToTargetSummary[] = [];
  for (const g of groupBy(compute_to_target_detail, (r) => `${r.scenario}|${r.model}`).values()) {
    const hit = g.filter((r) => r.reached);
    const mean = (xs: number[]): number | null => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);
    const m = { compute: mean(hit.map((r) => r.total_compute_proxy!)), sec: mean(hit.map((r) => r.wall_clock_sec!)) };
    reachMeans.set(`${g[0]!.scenario}|${g[0]!.model}`, m);
    compute_to_target_summary.push({
      scenario: g[0]!.scenario,
      model: g[0]!.model,
      reach_rate: hit.length / g.length,
      seeds: g.length,
      total_compute_proxy_mean: m.compute,
      wall_clock_sec_mean: m.sec,
      budget_fraction_mean: mean(hit.map((r) => r.budget_fraction!)),
      wall_clock_ratio_to_backprop: null,
      compute_ratio_to_backprop: null,
    });
  }
  for (const row of compute_to_target_summary) {
    const bp = reachMeans.get(`${row.scenario}|backprop`)!;
    const ratio = (a: number | null, b: number | null): number | null =>
      a !== null && b !== null && b > 0 ? a / b : null;
    row.wall_clock_ratio_to_backprop = ratio(row.wall_clock_sec_mean, bp.sec);
    row.compute_ratio_to_backprop = ratio(row.total_compute_proxy_mean, bp.compute);
  }
  const byModel = groupBy(finals(anytime_rows), (r) => `${r.scenario}|${r.model}`);
  const matched_summary: MatchedSummary[] = [...byModel.values()].map((g) => {
    const { scenario, model } = g[0]!;
    const published =
      model === 'cf-ridge'
        ? null
        : ((REFERENCE.published[scenario as ReferenceScenario] as Record<string, number>)[model] ?? null);
    return {
      scenario,
      model,
      metric_name: g[0]!.metric_name,
      metric: stats(g.map((r) => r.metric_value)),
      accuracy: stats(g.map((r) => r.accuracy)),
      nll: stats(g.map((r) => r.nll)),
      ece: stats(g.map((r) => r.ece)),
      perplexity: g[0]!.perplexity === null ? null : stats(g.map((r) => r.perplexity!)),
      total_compute_proxy: stats(g.map((r) => r.total_compute_proxy)),
      wall_clock_sec: stats(g.map((r) => r.wall_clock_sec)),
      trainable_params: g[0]!.trainable_params,
      total_params: g[0]!.total_params,
      published,
    };
  });
  const seed_summary: SeedSummary[] = matched_summary.map((m) => {
    const values = finals(anytime_rows)
      .filter((r) => r.scenario === m.scenario && r.model === m.model)
      .map((r) => ({ seed: r.seed, metric_value: r.metric_value }));
    const v = values.map((x) => x.metric_value);
    return {
      scenario: m.scenario,
      model: m.model,
      metric_name: m.metric_name,
      values,
      min: Math.min(...v),
      max: Math.max(...v),
      range: Math.max(...v) - Math.min(...v),
      std: m.metric.std,
    };
  });
  const ood_rows: OodRow[] = finals(anytime_rows).flatMap((r) =>
    SHAPES[r.scenario as ReferenceScenario].variants.map((variant, k) => {
      const drop = (k + 1) * (r.model === 'backprop' ? 0.04 : 0.02) * (r.metric_name === 'accuracy' ? -1 : 5);
      return { ...r, variant, metric_value: r.metric_value + drop, in_distribution_value: r.metric_value, delta: drop };
    }),
  );
  const ood_summary: OodSummary[] = [...groupBy(ood_rows, (r) => `${r.scenario}|${r.model}|${r.variant}`).values()].map(
    (g) => ({
      scenario: g[0]!.scenario,
      model: g[0]!.model,
      variant: g[0]!.variant,
      metric_name: g[0]!.metric_name,
      metric: stats(g.map((r) => r.metric_value)),
      in_distribution: stats(g.map((r) => r.in_distribution_value)),
      delta: stats(g.map((r) => r.delta)),
    }),
  );
  const low_data_rows = scenarios.flatMap((s) =>
    REFERENCE.regimes.lowDataFractions.flatMap((f) =>
      checkpointRows(s, f, [0, ...REFERENCE.regimes.lowDataCheckpoints]),
    ),
  );
  const low_data_summary = summarise(low_data_rows);
  const transferSource = [...finals(anytime_rows), ...finals(low_data_rows)];
  const transfer_rows: TransferRow[] = transferSource.map((r) => ({
    scenario: r.scenario,
    dataset: r.dataset,
    architecture: r.architecture,
    model: r.model,
    seed: r.seed,
    data_fraction: r.data_fraction,
    metric_name: r.metric_name,
    metric_value: r.metric_value,
    accuracy: r.accuracy,
    nll: r.nll,
    ece: r.ece,
    perplexity: r.perplexity,
    total_compute_proxy: r.total_compute_proxy,
    wall_clock_sec: r.wall_clock_sec,
  }));
  const perSeed = groupBy(transfer_rows, (r) => `${r.scenario}|${r.model}|${r.seed}`);
  const transfer_seed_summary: TransferSeedSummary[] = [...perSeed.values()].map((g) => {
    const s = SHAPES[g[0]!.scenario as ReferenceScenario];
    const shared = g[0]!.model === 'backprop' ? 0 : s.fitCompute; // one fit serves every fraction
    return {
      scenario: g[0]!.scenario,
      model: g[0]!.model,
      seed: g[0]!.seed,
      metric_name: g[0]!.metric_name,
      mean_metric: stats(g.map((r) => r.metric_value)).mean,
      total_compute_proxy:
        shared + g.reduce((a, r) => a + r.total_compute_proxy - (shared ? s.fitCompute * r.data_fraction : 0), 0),
      total_wall_clock_sec: g.reduce((a, r) => a + r.wall_clock_sec, 0),
    };
  });
  const perModel = groupBy(transfer_seed_summary, (r) => `${r.scenario}|${r.model}`);
  const transfer_summary: TransferSummary[] = [...perModel.values()].map((g) => ({
    scenario: g[0]!.scenario,
    model: g[0]!.model,
    metric_name: g[0]!.metric_name,
    mean_metric: stats(g.map((r) => r.mean_metric)),
    total_compute_proxy: stats(g.map((r) => r.total_compute_proxy)),
    total_wall_clock_sec: stats(g.map((r) => r.total_wall_clock_sec)),
  }));
  const pareto_rows: ParetoRow[] = anytime_summary.flatMap((r) =>
    (['compute', 'wall_clock'] as const).map((axis) => ({
      scenario: r.scenario,
      model: r.model,
      checkpoint_label: r.checkpoint_label,
      axis,
      x: axis === 'compute' ? r.total_compute_proxy.mean : r.wall_clock_sec.mean,
      metric_name: r.metric_name,
      metric_mean: r.metric.mean,
      seeds: r.metric.n,
    })),
  );
  const pareto_front: ParetoRow[] = [];
  for (const g of groupBy(pareto_rows, (r) => `${r.scenario}|${r.axis}`).values()) {
    let best: number | null = null;
    for (const r of [...g].sort((a, b) => a.x - b.x)) {
      if (best === null || better(r.metric_name, r.metric_mean, best)) {
        pareto_front.push(r);
        best = r.metric_mean;
      }
    }
  }
  return fullFit({
    anytime_rows,
    anytime_summary,
    targets,
    compute_to_target_detail,
    compute_to_target_summary,
    matched_summary,
    seed_summary,
    ood_rows,
    ood_summary,
    low_data_rows,
    low_data_summary,
    transfer_rows,
    transfer_seed_summary,
    transfer_summary,
    pareto_rows,
    pareto_front,
    metadata: {
      seeds: SEEDS,
      scenarios: [...scenarios],
      models: MODELS_FIT,
      regimes: ['anytime', 'low_data', 'ood', 'transfer'],
      fractions: {
        anytime: [...REFERENCE.regimes.anytimeFractions],
        low_data: [...REFERENCE.regimes.lowDataFractions],
        low_data_checkpoints: [...REFERENCE.regimes.lowDataCheckpoints],
        transfer: [...REFERENCE.regimes.transferFractions],
      },
      quick: false,
      versions: { cfinit: '0.1.0', libtorch: '2.6.0', node: 'v20.20.2' },
      machine: { cpu: 'Fixture CPU @ 2.0GHz', cores: 2, memory_gb: 8, platform: 'linux x64' },
      threads: 2,
      runtime_sec: 5432.1,
      started_at: '2026-11-23T08:00:00.000Z',
      jobs: 1,
      fit_fractions: [1],
    },
    fit_sizes: [],
  });
}
